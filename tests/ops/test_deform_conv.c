/* DeformConv on X = 1..9 (3x3) with a 2x2 kernel of ones, worked out by
 * hand: zero offsets (a plain convolution), half-pixel offsets (the
 * average of two neighbours, a neighbour outside counting 0), whole-pixel
 * offsets reaching outside the image (0), a mask with a bias; and the
 * errors naming the node. */
#include "op_testing.h"

static obn_status run_case(float dy, float dx, int with_mask_bias, int x_rank, int offset_channels, obn_tensor **y)
{
    int64_t xd[5] = {1, 1, 3, 3, 1}, wd[5] = {1, 1, 2, 2, 1}, od[4] = {1, offset_channels, 2, 2}, md[4] = {1, 4, 2, 2};
    int64_t bd[1] = {1};
    float x[9], w[4] = {1, 1, 1, 1}, off[64], mask[16], bias = 1;
    for (int i = 0; i < 9; i++) x[i] = (float)(i + 1);
    for (int t = 0; t < offset_channels / 2; t++)
        for (int o = 0; o < 4; o++) off[(2 * t) * 4 + o] = dy, off[(2 * t + 1) * 4 + o] = dx;
    for (int i = 0; i < 16; i++) mask[i] = 0.5f;
    tb_model *tm = tb_new(22);
    tb_input(tm, "x", OBN_FLOAT, x_rank, xd);
    tb_init_f32(tm, "w", x_rank, wd, w);
    tb_init_f32(tm, "off", 4, od, off);
    if (with_mask_bias) tb_init_f32(tm, "b", 1, bd, &bias), tb_init_f32(tm, "mask", 4, md, mask);
    Onnx__NodeProto *n = tb_node(tm, "DeformConv", "dc", with_mask_bias ? "x,w,off,b,mask" : "x,w,off", "y");
    const int64_t k[2] = {2, 2};
    tb_attr_ints(tm, n, "kernel_shape", 2, k);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in = tb_f32((size_t)x_rank, xd, x);
    obn_status st = ot_run(tm, 1, &in, 1, y);
    obn_tensor_destroy(in);
    tb_free(tm);
    return st;
}

static void expect(float dy, float dx, int with_mask_bias, const double *want)
{
    obn_tensor *y;
    ck_assert_msg(run_case(dy, dx, with_mask_bias, 4, 8, &y) == OBN_OK, "%s", obn_last_error());
    int64_t yd[4] = {1, 1, 2, 2};
    ot_expect_shape(y, 4, yd);
    ot_expect_f32(y, want, 4, 1e-6);
    obn_tensor_destroy(y);
}

START_TEST(samples_by_hand)
{
    const double plain[4] = {12, 16, 24, 28}; /* 1+2+4+5, 2+3+5+6, ... */
    expect(0, 0, 0, plain);
    /* dx = 0.5: (x[r][c] + x[r][c+1]) / 2, with x[r][3] outside (0) */
    const double half[4] = {1.5 + 2.5 + 4.5 + 5.5, 2.5 + 1.5 + 5.5 + 3, 4.5 + 5.5 + 7.5 + 8.5, 5.5 + 3 + 8.5 + 4.5};
    expect(0, 0.5f, 0, half);
    /* dy = -1: the first kernel row reads row -1 (0) */
    const double up[4] = {1 + 2, 2 + 3, 1 + 2 + 4 + 5, 2 + 3 + 5 + 6};
    expect(-1, 0, 0, up);
    /* mask 0.5 and bias 1 */
    const double masked[4] = {7, 9, 13, 15};
    expect(0, 0, 1, masked);
}
END_TEST

START_TEST(errors)
{
    obn_tensor *y = NULL;
    ck_assert_int_eq(run_case(0, 0, 0, 4, 6, &y), OBN_E_INVALID_MODEL);
    ot_expect_message("\"dc\"", "'offset'", "[1, 8, 2, 2]", (const char *)NULL);
    ck_assert_int_eq(run_case(0, 0, 0, 5, 8, &y), OBN_E_UNSUPPORTED);
    ot_expect_message("\"dc\"", "2-D", (const char *)NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deform_conv");
    TCase *t = tcase_create("deform_conv");
    tcase_add_test(t, samples_by_hand);
    tcase_add_test(t, errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
