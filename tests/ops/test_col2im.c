/* Col2Im against a direct evaluation of its definition (every value of the
 * column matrix added at l*stride + k*dilation - pad, inside the image),
 * in 1-D, 2-D and 3-D with strides, dilations and pads, on float (the
 * transposed convolution's kernel; tolerance 1e-6 relative) and double and
 * int32 (the generic path; exact on these values), plus the errors. */
#include "op_testing.h"

typedef struct {
    int nd;
    int64_t image[3], block[3], stride[3], dilation[3], pads[6];
} c2i_case;

static const c2i_case cases[] = {
    {2, {5, 5}, {1, 5}, {1, 1}, {1, 1}, {0, 0, 0, 0}},
    {2, {6, 7}, {2, 3}, {2, 1}, {1, 2}, {1, 0, 0, 2}},
    {1, {9}, {3}, {2}, {2}, {1, 2}},
    {3, {3, 4, 5}, {2, 1, 3}, {1, 2, 1}, {1, 1, 2}, {0, 1, 1, 1, 0, 0}},
};

static int64_t grid_size(const c2i_case *c, int d)
{
    return (c->image[d] + c->pads[d] + c->pads[c->nd + d] - c->dilation[d] * (c->block[d] - 1) - 1) / c->stride[d] + 1;
}

START_TEST(col2im_definition)
{
    const c2i_case *c = &cases[_i];
    int64_t kvol = 1, L = 1, img = 1;
    for (int d = 0; d < c->nd; d++) {
        kvol *= c->block[d];
        L *= grid_size(c, d);
        img *= c->image[d];
    }
    const int64_t N = 2, C = 3, xd[3] = {N, C * kvol, L};
    int64_t n = N * C * kvol * L;
    float *xf = malloc((size_t)n * sizeof *xf);
    double *xd64 = malloc((size_t)n * sizeof *xd64), *want = calloc((size_t)(N * C * img), sizeof *want);
    int32_t *xi = malloc((size_t)n * sizeof *xi), *wanti = calloc((size_t)(N * C * img), sizeof *wanti);
    for (int64_t e = 0; e < n; e++) {
        xi[e] = (int32_t)(e % 17) - 8;
        xf[e] = (float)xi[e] * 0.25f;
        xd64[e] = xf[e];
    }
    for (int64_t e = 0; e < n; e++) { /* the definition, coordinate by coordinate */
        int64_t l = e % L, row = (e / L) % (C * kvol), b = e / (L * C * kvol), ch = row / kvol, k = row % kvol;
        int64_t pos = 0, inside = 1, step = 1;
        for (int d = c->nd - 1; d >= 0; d--) {
            int64_t g = grid_size(c, d), kd = k % c->block[d], ld = l % g;
            k /= c->block[d];
            l /= g;
            int64_t o = ld * c->stride[d] + kd * c->dilation[d] - c->pads[d];
            inside &= o >= 0 && o < c->image[d];
            pos += o * step;
            step *= c->image[d];
        }
        if (!inside) continue;
        want[(b * C + ch) * img + pos] += xd64[e];
        wanti[(b * C + ch) * img + pos] += xi[e];
    }
    int64_t yd[5] = {N, C, c->image[0], c->image[1], c->image[2]};
    const int64_t nd1[1] = {c->nd};
    for (int t = 0; t < 3; t++) {
        obn_dtype dt = t == 0 ? OBN_FLOAT : t == 1 ? OBN_DOUBLE : OBN_INT32;
        tb_model *m = tb_new(18);
        tb_input(m, "x", dt, 3, xd);
        tb_init_i64(m, "img", 1, nd1, c->image);
        tb_init_i64(m, "blk", 1, nd1, c->block);
        Onnx__NodeProto *nd = tb_node(m, "Col2Im", "c", "x,img,blk", "y");
        tb_attr_ints(m, nd, "strides", (size_t)c->nd, c->stride);
        tb_attr_ints(m, nd, "dilations", (size_t)c->nd, c->dilation);
        tb_attr_ints(m, nd, "pads", 2 * (size_t)c->nd, c->pads);
        tb_output(m, "y", dt, -1, NULL);
        obn_tensor *in = ot_tensor(dt, 3, xd, t == 0 ? (const void *)xf : t == 1 ? (const void *)xd64 : (const void *)xi), *y;
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_shape(y, 2 + c->nd, yd);
        if (t == 0) ot_expect_f32(y, want, N * C * img, 1e-6);
        else if (t == 1) ot_expect_bytes(y, OBN_DOUBLE, want, N * C * img);
        else ot_expect_bytes(y, OBN_INT32, wanti, N * C * img);
        obn_tensor_destroy(in);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    free(xf);
    free(xd64);
    free(want);
    free(xi);
    free(wanti);
}
END_TEST

START_TEST(col2im_errors)
{
    const int64_t xd[3] = {1, 5, 25}, two[1] = {2}, img[2] = {5, 5}, blk[2] = {1, 5}, big[2] = {1, 9};
    struct {
        const int64_t *block;
        const char *msg;
    } bad[] = {{big, "a block of 9 (dilation 1) does not fit the padded image of 5"},
               {img, "expected [N, C*25, 1] for these blocks"}};
    for (int c = 0; c < 2; c++) {
        tb_model *m = tb_new(18);
        tb_input(m, "x", OBN_FLOAT, 3, xd);
        tb_init_i64(m, "img", 1, two, img);
        tb_init_i64(m, "blk", 1, two, bad[c].block);
        tb_node(m, "Col2Im", "c", "x,img,blk", "y");
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"c\"", bad[c].msg);
        tb_free(m);
    }
    tb_model *m = tb_new(18);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_i64(m, "img", 1, two, img);
    tb_init_i64(m, "blk", 1, two, blk);
    const int64_t s3[3] = {1, 1, 1};
    tb_attr_ints(m, tb_node(m, "Col2Im", "c", "x,img,blk", "y"), "strides", 3, s3);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"c\"", "attribute 'strides' has 3 values, expected 2");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("col2im");
    TCase *t = tcase_create("col2im");
    tcase_add_loop_test(t, col2im_definition, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(t, col2im_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
