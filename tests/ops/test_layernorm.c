/* LayerNormalization (17) and RMSNormalization (23) against the numpy
 * references of norm_refs.h (every axis of rank 2 to 5 including negative
 * ones and LayerNormalization's axis = rank, the Mean/InvStdDev outputs,
 * broadcast Scale shapes, stash_type, float/double/float16/bfloat16, mixed
 * X/scale types of RMSNormalization, a large common offset), hand-worked
 * cases, large parallel cases against a double reference computed here
 * (float rtol 1e-5, float16 2e-3), and the refusals with their messages. */
#include "norm_refs.h"

START_TEST(layer_reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "LayerNormalization"), 0);
}
END_TEST

START_TEST(rms_reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "RMSNormalization"), 0);
}
END_TEST

/* X [rows, len] graph input, Scale (and B) initializers of shape pd. */
static tb_model *ln_model(const char *op, int opset, int rank, const int64_t *xd, int prank, const int64_t *pd,
                          const float *s, const float *b, int64_t axis, const char *outputs)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_FLOAT, rank, xd);
    tb_init_f32(m, "ln.scale", prank, pd, s);
    if (b) tb_init_f32(m, "ln.bias", prank, pd, b);
    Onnx__NodeProto *n = tb_node(m, op, "ln1", b ? "x,ln.scale,ln.bias" : "x,ln.scale", outputs);
    tb_attr_int(m, n, "axis", axis);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    if (strchr(outputs, ',')) {
        tb_output(m, "mean", OBN_FLOAT, -1, NULL);
        tb_output(m, "inv", OBN_FLOAT, -1, NULL);
    }
    return m;
}

START_TEST(hand_computed)
{
    /* [1, 2, 3, 4]: mean 2.5, variance 1.25; Scale 2, B -1 */
    const int64_t xd[2] = {1, 4}, one[1] = {1};
    const float x[4] = {1, 2, 3, 4}, s = 2, b = -1;
    tb_model *m = ln_model("LayerNormalization", 17, 2, xd, 1, one, &s, &b, -1, "y,mean,inv");
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, xd, x), *y[3];
    OT_RUN_OK(m, 1, &in, 3, y);
    double inv = 1 / sqrt(1.25 + (double)1e-5f);
    const double want[4] = {-3 * inv - 1, -inv - 1, inv - 1, 3 * inv - 1}, mean = 2.5;
    ot_expect_f32(y[0], want, 4, 1e-6);
    ot_expect_f32(y[1], &mean, 1, 1e-7);
    ot_expect_f32(y[2], &inv, 1, 1e-6);
    const int64_t sd[2] = {1, 1};
    ot_expect_shape(y[1], 2, sd);
    ot_destroy(3, y);
    tb_free(m);
    /* RMS of [1, 2, 3, 4]: mean square 7.5; scale 2 */
    m = ln_model("RMSNormalization", 23, 2, xd, 1, one, &s, NULL, -1, "y");
    OT_RUN_OK(m, 1, &in, 1, y);
    double r = 2 / sqrt(7.5 + (double)1e-5f);
    const double want_rms[4] = {1 * r, 2 * r, 3 * r, 4 * r};
    ot_expect_f32(y[0], want_rms, 4, 1e-6);
    obn_tensor_destroy(y[0]);
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

/* [rows][len] with 1 and 4 threads, float or float16 data, against a double
 * reference; Mean and InvStdDev for LayerNormalization. */
static void check_large(bool rms, obn_dtype dt)
{
    enum { ROWS = 300, LEN = 96 };
    const int64_t xd[2] = {ROWS, LEN}, pd[1] = {LEN}, total = (int64_t)ROWS * LEN;
    float *xf = malloc((size_t)total * sizeof *xf), s[LEN], b[LEN];
    ot_fill(xf, total, 21, -4, 6);
    ot_fill(s, LEN, 22, 0.5f, 1.5f);
    ot_fill(b, LEN, 23, -1, 1);
    double *x = malloc((size_t)total * sizeof *x), *want = malloc((size_t)total * sizeof *want), mean[ROWS], inv[ROWS];
    for (int64_t i = 0; i < total; i++) x[i] = dt == OBN_FLOAT16 ? obn_f16_to_f32(obn_f32_to_f16(xf[i])) : xf[i];
    double sd[LEN], bd[LEN];
    for (int i = 0; i < LEN; i++) {
        sd[i] = dt == OBN_FLOAT16 ? obn_f16_to_f32(obn_f32_to_f16(s[i])) : s[i];
        bd[i] = dt == OBN_FLOAT16 ? obn_f16_to_f32(obn_f32_to_f16(b[i])) : b[i];
    }
    for (int64_t r = 0; r < ROWS; r++) {
        const double *xr = x + r * LEN;
        double mu = 0, var = 0;
        for (int i = 0; i < LEN; i++) mu += rms ? 0 : xr[i];
        mu /= LEN;
        for (int i = 0; i < LEN; i++) var += (xr[i] - mu) * (xr[i] - mu);
        var /= LEN;
        mean[r] = mu;
        inv[r] = 1 / sqrt(var + (double)1e-5f);
        for (int i = 0; i < LEN; i++) want[r * LEN + i] = (xr[i] - mu) * inv[r] * sd[i] + (rms ? 0 : bd[i]);
    }
    tb_model *m = tb_new(rms ? 23 : 17);
    void *xb = nr_encode(dt, x, total), *sb = nr_encode(dt, sd, LEN), *bb = nr_encode(dt, bd, LEN);
    size_t es = obn_dtype_size(dt);
    tb_input(m, "x", dt, 2, xd);
    tb_add_init(m, tb_tensor(m, "s", dt, 1, pd, sb, LEN * es));
    if (!rms) tb_add_init(m, tb_tensor(m, "b", dt, 1, pd, bb, LEN * es));
    tb_node(m, rms ? "RMSNormalization" : "LayerNormalization", "ln1", rms ? "x,s" : "x,s,b", rms ? "y" : "y,mean,inv");
    tb_output(m, "y", dt, -1, NULL);
    if (!rms) {
        tb_output(m, "mean", OBN_FLOAT, -1, NULL);
        tb_output(m, "inv", OBN_FLOAT, -1, NULL);
    }
    int n_out = rms ? 1 : 3;
    obn_tensor *in = ot_tensor(dt, 2, xd, xb), *y1[3], *y4[3];
    ck_assert_int_eq(ot_run_threads(m, 1, 1, &in, n_out, y1), OBN_OK);
    ck_assert_int_eq(ot_run_threads(m, 4, 1, &in, n_out, y4), OBN_OK);
    double tol = dt == OBN_FLOAT16 ? 2e-3 : 1e-5;
    for (int64_t i = 0; i < total; i++)
        ck_assert_msg(fabs(nr_decode(y1[0], i) - want[i]) <= tol * (1 + fabs(want[i])), "[%lld] %.9g vs %.9g",
                      (long long)i, nr_decode(y1[0], i), want[i]);
    if (!rms) {
        ot_expect_f32(y1[1], mean, ROWS, 1e-6);
        ot_expect_f32(y1[2], inv, ROWS, 1e-6);
    }
    for (int k = 0; k < n_out; k++)
        ck_assert(memcmp(obn_tensor_cdata(y1[k]), obn_tensor_cdata(y4[k]),
                         (size_t)obn_tensor_numel(y1[k]) * obn_dtype_size(obn_tensor_dtype(y1[k]))) == 0);
    ot_destroy(n_out, y1);
    ot_destroy(n_out, y4);
    obn_tensor_destroy(in);
    tb_free(m);
    free(xb);
    free(sb);
    free(bb);
    free(xf);
    free(x);
    free(want);
}

START_TEST(large_parallel)
{
    check_large(false, OBN_FLOAT);
    check_large(false, OBN_FLOAT16); /* rows converted through per-thread scratch */
    check_large(true, OBN_FLOAT);
    check_large(true, OBN_FLOAT16);
}
END_TEST

START_TEST(layer_errors)
{
    const int64_t xd[2] = {2, 4}, d4[1] = {4}, d3[1] = {3}, d21[2] = {2, 1}, d124[3] = {1, 2, 4};
    const float p[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    tb_model *m = ln_model("LayerNormalization", 17, 2, xd, 1, d4, p, p, 3, "y");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"ln1\"", "axis 3", "rank 2");
    tb_free(m);
    m = ln_model("LayerNormalization", 17, 2, xd, 1, d4, p, p, -3, "y");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "axis -3", "rank 2");
    tb_free(m);
    m = ln_model("LayerNormalization", 17, 2, xd, 1, d3, p, p, -1, "y");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"ln1\"", "'Scale'", "ln.scale", "[3]", "does not broadcast",
                           "[2,4]");
    tb_free(m);
    m = ln_model("LayerNormalization", 17, 2, xd, 2, d21, p, p, 1, "y");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'Scale'", "[2,1]", "varies along axis 0", "same Scale for every row");
    tb_free(m);
    m = ln_model("LayerNormalization", 17, 2, xd, 3, d124, p, p, 1, "y");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'Scale'", "[1,2,4]", "higher rank");
    tb_free(m);
    m = ln_model("LayerNormalization", 17, 2, xd, 1, d4, p, p, -1, "y");
    tb_attr_int(m, tb_proto(m)->graph->node[0], "stash_type", 11);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'stash_type' is 11", "1 (float), 16 (bfloat16)");
    tb_free(m);
    m = ln_model("LayerNormalization", 17, 0, NULL, 1, d4, p, p, -1, "y");
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'X'", "scalar");
    tb_free(m);
    /* B of another type than X */
    m = tb_new(17);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_init_f32(m, "s", 1, d4, p);
    tb_add_init(m, tb_tensor(m, "b", OBN_DOUBLE, 1, d4, (const double[4]){0, 0, 0, 0}, 32));
    tb_node(m, "LayerNormalization", "ln1", "x,s,b", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'B'", "double");
    tb_free(m);
}
END_TEST

START_TEST(rms_errors)
{
    const int64_t xd[2] = {2, 4}, d4[1] = {4};
    const float p[4] = {1, 1, 1, 1};
    tb_model *m = ln_model("RMSNormalization", 23, 2, xd, 1, d4, p, NULL, 2, "y"); /* [-r, r) */
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"ln1\"", "axis 2", "rank 2");
    tb_free(m);
    m = ln_model("RMSNormalization", 23, 2, xd, 1, d4, p, NULL, -1, "y");
    tb_attr_int(m, tb_proto(m)->graph->node[0], "stash_type", 3);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'stash_type' is 3");
    tb_free(m);
    m = tb_new(23);
    tb_input(m, "x", OBN_FLOAT, 2, xd);
    tb_add_init(m, tb_tensor(m, "s", OBN_INT64, 1, d4, (const int64_t[4]){1, 1, 1, 1}, 32));
    tb_node(m, "RMSNormalization", "ln1", "x,s", "y");
    tb_output(m, "y", OBN_INT64, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'scale'", "int64");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layernorm");
    TCase *t = tcase_create("layernorm");
    tcase_add_test(t, layer_reference_cases);
    tcase_add_test(t, rms_reference_cases);
    tcase_add_test(t, hand_computed);
    tcase_add_test(t, large_parallel);
    tcase_add_test(t, layer_errors);
    tcase_add_test(t, rms_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
