/* MatMul and Conv in float16, bfloat16 and double against direct sums in
 * double computed here from the values as stored (half floats decoded
 * first). Half floats accumulate in float32 and round once, so a result is
 * within one unit in the last place of the rounded exact value (plus a
 * little for float32 accumulation): tolerance 2^-10 (float16) / 2^-7
 * (bfloat16) relative plus 1e-3 absolute; double to 1e-12. Constant and
 * run-time weights (the packed and the staged paths), groups, pads,
 * strides, dilations, a fused Relu on double, and the versions that refuse
 * bfloat16. MatMul on int32/int64/uint32 with sums that wrap, by hand. */
#include "kernels/half.h"
#include "op_testing.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static double rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* n random values in [-1, 1) stored as dt into raw (bytes) and decoded
 * into val (what the runtime sees). */
static void fill(obn_dtype dt, int64_t n, void *raw, double *val)
{
    for (int64_t i = 0; i < n; i++) {
        double v = rnd();
        if (dt == OBN_FLOAT16) {
            uint16_t h = obn_f32_to_f16((float)v);
            ((uint16_t *)raw)[i] = h;
            val[i] = obn_f16_to_f32(h);
        } else if (dt == OBN_BFLOAT16) {
            uint16_t h = obn_f32_to_bf16((float)v);
            ((uint16_t *)raw)[i] = h;
            val[i] = obn_bf16_to_f32(h);
        } else {
            ((double *)raw)[i] = v;
            val[i] = v;
        }
    }
}

static double decode(obn_dtype dt, const void *raw, int64_t i)
{
    if (dt == OBN_FLOAT16) return obn_f16_to_f32(((const uint16_t *)raw)[i]);
    if (dt == OBN_BFLOAT16) return obn_bf16_to_f32(((const uint16_t *)raw)[i]);
    return ((const double *)raw)[i];
}

static void expect_close(const obn_tensor *y, obn_dtype dt, const double *want, int64_t n)
{
    ck_assert_int_eq(obn_tensor_dtype(y), dt);
    ck_assert_int_eq(obn_tensor_numel(y), n);
    double rel = dt == OBN_FLOAT16 ? 1.0 / 1024 : dt == OBN_BFLOAT16 ? 1.0 / 128 : 1e-12;
    double abs_tol = dt == OBN_DOUBLE ? 1e-12 : 1e-3;
    for (int64_t i = 0; i < n; i++) {
        double g = decode(dt, obn_tensor_cdata(y), i);
        ck_assert_msg(fabs(g - want[i]) <= rel * fabs(want[i]) + abs_tol, "%s [%lld] = %.9g, expected %.9g",
                      obn_dtype_name(dt), (long long)i, g, want[i]);
    }
}

/* ---- MatMul: A [batch, m, k] x B [k, n] (constant) or [batch, k, n] */

static void check_matmul(obn_dtype dt, int opset, int64_t batch, int64_t m, int64_t k, int64_t n, int b_batched,
                         int b_const)
{
    int64_t ad[3] = {batch, m, k}, bd3[3] = {batch, k, n};
    const int64_t *bd = b_batched ? bd3 : bd3 + 1;
    int br = b_batched ? 3 : 2;
    int64_t na = batch * m * k, nb = (b_batched ? batch : 1) * k * n;
    size_t es = obn_dtype_size(dt);
    void *ar = malloc((size_t)na * es), *brw = malloc((size_t)nb * es);
    double *av = malloc((size_t)na * sizeof *av), *bv = malloc((size_t)nb * sizeof *bv);
    double *want = malloc((size_t)(batch * m * n) * sizeof *want);
    fill(dt, na, ar, av);
    fill(dt, nb, brw, bv);
    for (int64_t e = 0; e < batch; e++)
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int64_t p = 0; p < k; p++)
                    s += av[(e * m + i) * k + p] * bv[(b_batched ? e * k * n : 0) + p * n + j];
                want[(e * m + i) * n + j] = s;
            }
    tb_model *tm = tb_new(opset);
    tb_input(tm, "a", dt, 3, ad);
    if (b_const) tb_add_init(tm, tb_tensor(tm, "b", dt, br, bd, brw, (size_t)nb * es));
    else tb_input(tm, "b", dt, br, bd);
    tb_node(tm, "MatMul", "mm", "a,b", "y");
    tb_output(tm, "y", dt, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(dt, 3, ad, ar), ot_tensor(dt, br, bd, brw)}, *y;
    OT_RUN_OK(tm, b_const ? 1 : 2, in, 1, &y);
    int64_t yd[3] = {batch, m, n};
    ot_expect_shape(y, 3, yd);
    expect_close(y, dt, want, batch * m * n);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(tm);
    free(ar), free(brw), free(av), free(bv), free(want);
}

START_TEST(matmul_half_and_double)
{
    const obn_dtype types[] = {OBN_FLOAT16, OBN_BFLOAT16, OBN_DOUBLE};
    for (int t = 0; t < 3; t++)
        for (int variant = 0; variant < 3; variant++) {
            int b_batched = variant == 2, b_const = variant == 0;
            check_matmul(types[t], 13, 2, 3, 5, 4, b_batched, b_const);
            check_matmul(types[t], 13, 3, 17, 70, 33, b_batched, b_const); /* several SGEMM blocks deep */
        }
    check_matmul(OBN_FLOAT16, 9, 1, 4, 8, 2, 0, 1);
    check_matmul(OBN_DOUBLE, 1, 2, 2, 3, 2, 1, 0);
}
END_TEST

START_TEST(matmul_bfloat16_needs_13)
{
    int64_t d[2] = {2, 2};
    tb_model *tm = tb_new(9);
    tb_input(tm, "a", OBN_BFLOAT16, 2, d);
    tb_input(tm, "b", OBN_BFLOAT16, 2, d);
    tb_node(tm, "MatMul", "mm", "a,b", "y");
    tb_output(tm, "y", OBN_BFLOAT16, -1, NULL);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_UNSUPPORTED, "\"mm\"", "MatMul-9", "bfloat16");
    tb_free(tm);
    tm = tb_new(13);
    tb_input(tm, "a", OBN_FLOAT16, 2, d);
    tb_input(tm, "b", OBN_DOUBLE, 2, d);
    tb_node(tm, "MatMul", "mm", "a,b", "y");
    tb_output(tm, "y", OBN_FLOAT16, -1, NULL);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"mm\"", "'B'", "double");
    tb_free(tm);
}
END_TEST


/* Y = A x B in dtype dt (opset 13), A [batch, m, k], B [k, n] */
static void int_matmul(obn_dtype dt, int ra, const int64_t *ad, const void *a, const int64_t *bd, const void *b,
                       const void *want, size_t want_bytes)
{
    tb_model *tm = tb_new(13);
    tb_input(tm, "a", dt, ra, ad);
    tb_add_init(tm, tb_tensor(tm, "b", dt, 2, bd, b, (size_t)(bd[0] * bd[1]) * obn_dtype_size(dt)));
    tb_node(tm, "MatMul", "mm", "a,b", "y");
    tb_output(tm, "y", dt, -1, NULL);
    obn_tensor *in = ot_tensor(dt, ra, ad, a), *y;
    OT_RUN_OK(tm, 1, &in, 1, &y);
    ot_expect_bytes(y, dt, want, (int64_t)(want_bytes / obn_dtype_size(dt)));
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(tm);
}

START_TEST(matmul_integers_wrap)
{
    /* int32: 65536*65536 + 1 = 2^32 + 1 wraps to 1 */
    const int64_t d22[2] = {2, 2};
    const int32_t a32[4] = {65536, 1, 2, 3}, b32[4] = {65536, 0, 1, -1}, y32[4] = {1, -1, 131075, -3};
    int_matmul(OBN_INT32, 2, d22, a32, d22, b32, y32, sizeof y32);
    /* int64: 2^62 * 4 + 3 * 5 = 2^64 + 15 wraps to 15; a batch of two rows */
    const int64_t ad[3] = {2, 1, 2}, bd[2] = {2, 1};
    const int64_t a64[4] = {(int64_t)1 << 62, 3, -7, 2}, b64[2] = {4, 5}, y64[2] = {15, -18};
    int_matmul(OBN_INT64, 3, ad, a64, bd, b64, y64, sizeof y64);
    /* uint32: (2^32 - 1) * 2 = 2^33 - 2 wraps to 2^32 - 2 */
    const int64_t d11[2] = {1, 1};
    const uint32_t au[1] = {4294967295u}, bu[1] = {2}, yu[1] = {4294967294u};
    int_matmul(OBN_UINT32, 2, d11, au, d11, bu, yu, sizeof yu);
}
END_TEST

/* ---- Conv 2-D */

typedef struct {
    int64_t n, c, h, w, m, kh, kw, group;
    int64_t pads[4], stride[2], dil[2];
    int bias, w_const, relu;
} conv_case;

static int64_t out_size(int64_t in, int64_t k, int64_t pb, int64_t pe, int64_t s, int64_t d)
{
    return (in + pb + pe - ((k - 1) * d + 1)) / s + 1;
}

static void conv_reference(const conv_case *c, const double *x, const double *w, const double *b, double *y,
                           int64_t oh, int64_t ow)
{
    int64_t cg = c->c / c->group, mg = c->m / c->group;
    for (int64_t n = 0; n < c->n; n++)
        for (int64_t m = 0; m < c->m; m++)
            for (int64_t i = 0; i < oh; i++)
                for (int64_t j = 0; j < ow; j++) {
                    double s = b ? b[m] : 0;
                    for (int64_t ci = 0; ci < cg; ci++)
                        for (int64_t u = 0; u < c->kh; u++)
                            for (int64_t v = 0; v < c->kw; v++) {
                                int64_t r = i * c->stride[0] - c->pads[0] + u * c->dil[0];
                                int64_t q = j * c->stride[1] - c->pads[1] + v * c->dil[1];
                                if (r < 0 || r >= c->h || q < 0 || q >= c->w) continue;
                                int64_t xc = (m / mg) * cg + ci;
                                s += x[((n * c->c + xc) * c->h + r) * c->w + q] *
                                     w[((m * cg + ci) * c->kh + u) * c->kw + v];
                            }
                    if (c->relu && s < 0) s = 0;
                    y[((n * c->m + m) * oh + i) * ow + j] = s;
                }
}

static void check_conv(obn_dtype dt, int opset, const conv_case *c)
{
    int64_t xd[4] = {c->n, c->c, c->h, c->w}, wd[4] = {c->m, c->c / c->group, c->kh, c->kw}, bd[1] = {c->m};
    int64_t oh = out_size(c->h, c->kh, c->pads[0], c->pads[2], c->stride[0], c->dil[0]);
    int64_t ow = out_size(c->w, c->kw, c->pads[1], c->pads[3], c->stride[1], c->dil[1]);
    int64_t nx = ot_numel(4, xd), nw = ot_numel(4, wd), ny = c->n * c->m * oh * ow;
    size_t es = obn_dtype_size(dt);
    void *xr = malloc((size_t)nx * es), *wr = malloc((size_t)nw * es), *br = malloc((size_t)c->m * es);
    double *xv = malloc((size_t)nx * sizeof *xv), *wv = malloc((size_t)nw * sizeof *wv);
    double *bv = malloc((size_t)c->m * sizeof *bv), *want = malloc((size_t)ny * sizeof *want);
    fill(dt, nx, xr, xv);
    fill(dt, nw, wr, wv);
    fill(dt, c->m, br, bv);
    conv_reference(c, xv, wv, c->bias ? bv : NULL, want, oh, ow);
    tb_model *tm = tb_new(opset);
    tb_input(tm, "x", dt, 4, xd);
    if (c->w_const) tb_add_init(tm, tb_tensor(tm, "w", dt, 4, wd, wr, (size_t)nw * es));
    else tb_input(tm, "w", dt, 4, wd);
    if (c->bias) tb_add_init(tm, tb_tensor(tm, "b", dt, 1, bd, br, (size_t)c->m * es));
    Onnx__NodeProto *node = tb_node(tm, "Conv", "conv", c->bias ? "x,w,b" : "x,w", c->relu ? "t" : "y");
    tb_attr_ints(tm, node, "pads", 4, c->pads);
    tb_attr_ints(tm, node, "strides", 2, c->stride);
    tb_attr_ints(tm, node, "dilations", 2, c->dil);
    tb_attr_int(tm, node, "group", c->group);
    if (c->relu) tb_node(tm, "Relu", "relu", "t", "y");
    tb_output(tm, "y", dt, -1, NULL);
    obn_tensor *in[2] = {ot_tensor(dt, 4, xd, xr), ot_tensor(dt, 4, wd, wr)}, *y;
    obn_model *model = NULL;
    ck_assert_msg(tb_load(tm, &model) == OBN_OK, "load: %s", obn_last_error());
    /* with the passes: the Relu is fused into the Conv */
    ck_assert_msg(tb_run(model, 2, 1, c->w_const ? 1 : 2, in, 1, &y) == OBN_OK, "run: %s", obn_last_error());
    obn_model_destroy(model);
    int64_t yd[4] = {c->n, c->m, oh, ow};
    ot_expect_shape(y, 4, yd);
    expect_close(y, dt, want, ny);
    obn_tensor_destroy(y);
    ot_destroy(2, in);
    tb_free(tm);
    free(xr), free(wr), free(br), free(xv), free(wv), free(bv), free(want);
}

static const conv_case conv_cases[] = {
    {1, 3, 6, 7, 4, 3, 3, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, 1, 1, 0},
    {2, 4, 9, 8, 6, 3, 2, 2, {0, 1, 2, 0}, {2, 1}, {1, 2}, 1, 0, 0}, /* groups, uneven pads, strides, dilation */
    {1, 4, 5, 5, 4, 3, 3, 4, {1, 1, 1, 1}, {1, 1}, {1, 1}, 0, 1, 0}, /* depthwise */
    {1, 2, 5, 6, 3, 1, 1, 1, {0, 0, 0, 0}, {1, 1}, {1, 1}, 1, 1, 1}, /* pointwise, Relu fused */
    {1, 8, 12, 12, 16, 3, 3, 1, {1, 1, 1, 1}, {1, 1}, {1, 1}, 1, 1, 1},
};

START_TEST(conv_half_and_double)
{
    const obn_dtype types[] = {OBN_FLOAT16, OBN_BFLOAT16, OBN_DOUBLE};
    for (int t = 0; t < 3; t++)
        for (size_t i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) check_conv(types[t], 22, &conv_cases[i]);
    check_conv(OBN_FLOAT16, 11, &conv_cases[1]);
    check_conv(OBN_DOUBLE, 1, &conv_cases[0]);
}
END_TEST

START_TEST(conv_bfloat16_needs_22)
{
    int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 1, 1};
    tb_model *tm = tb_new(11);
    tb_input(tm, "x", OBN_BFLOAT16, 4, xd);
    tb_input(tm, "w", OBN_BFLOAT16, 4, wd);
    tb_node(tm, "Conv", "conv", "x,w", "y");
    tb_output(tm, "y", OBN_BFLOAT16, -1, NULL);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_UNSUPPORTED, "\"conv\"", "Conv-11", "bfloat16");
    tb_free(tm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("float_types");
    TCase *t = tcase_create("float_types");
    tcase_add_test(t, matmul_half_and_double);
    tcase_add_test(t, matmul_bfloat16_needs_13);
    tcase_add_test(t, matmul_integers_wrap);
    tcase_add_test(t, conv_half_and_double);
    tcase_add_test(t, conv_bfloat16_needs_22);
    suite_add_tcase(s, t);
    return ot_main(s);
}
