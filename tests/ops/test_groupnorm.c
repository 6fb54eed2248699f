/* InstanceNormalization (1, 6, 22) and GroupNormalization (18, 21) against
 * the numpy references of norm_refs.h (every version, rank 2 to 5, C=1,
 * spatial size 1, epsilon, a large common offset, float/double/float16/
 * bfloat16, constant and runtime parameters), hand-worked cases, a large
 * parallel case against a double reference computed here (rtol 1e-5), and
 * the refusals with their messages. */
#include "norm_refs.h"

START_TEST(instance_reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "InstanceNormalization"), 0);
}
END_TEST

START_TEST(group_reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "GroupNormalization"), 0);
}
END_TEST

/* x [N, C, ...] input, scale/bias initializers of length plen. */
static tb_model *norm_model(const char *op, int opset, int rank, const int64_t *xd, int64_t plen, const float *s,
                            const float *b, int64_t groups)
{
    tb_model *m = tb_new(opset);
    int64_t pd[1] = {plen};
    tb_input(m, "x", OBN_FLOAT, rank, xd);
    tb_init_f32(m, "norm.scale", 1, pd, s);
    tb_init_f32(m, "norm.bias", 1, pd, b);
    Onnx__NodeProto *n = tb_node(m, op, "norm1", "x,norm.scale,norm.bias", "y");
    if (groups) tb_attr_int(m, n, "num_groups", groups);
    tb_output(m, "y", OBN_FLOAT, rank, xd);
    return m;
}

START_TEST(instance_hand_computed)
{
    /* one channel [-1, 0, 1]: mean 0, variance 2/3; scale 2, B 1 */
    const int64_t xd[3] = {1, 1, 3};
    const float x[3] = {-1, 0, 1}, s = 2, b = 1;
    tb_model *m = norm_model("InstanceNormalization", 6, 3, xd, 1, &s, &b, 0);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    double k = 2 / sqrt(2.0 / 3 + (double)1e-5f);
    const double want[3] = {1 - k, 1, 1 + k};
    ot_expect_f32(y, want, 3, 1e-6);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

START_TEST(group_hand_computed)
{
    /* channels [0, 2] and [4, 6] in one group: mean 3, variance 5. Version
     * 21 scales per channel, version 18 per group (one value here). */
    const int64_t xd[3] = {1, 2, 2};
    const float x[4] = {0, 2, 4, 6}, s21[2] = {1, 2}, b21[2] = {0, -1}, s18 = 3, b18 = 0.5f;
    double k = 1 / sqrt(5 + (double)1e-5f);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 3, xd, x), *y;
    tb_model *m = norm_model("GroupNormalization", 21, 3, xd, 2, s21, b21, 1);
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double want21[4] = {-3 * k, -1 * k, 2 * k - 1, 6 * k - 1};
    ot_expect_f32(y, want21, 4, 1e-6);
    obn_tensor_destroy(y);
    tb_free(m);
    m = norm_model("GroupNormalization", 18, 3, xd, 1, &s18, &b18, 1);
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double want18[4] = {-9 * k + 0.5, -3 * k + 0.5, 3 * k + 0.5, 9 * k + 0.5};
    ot_expect_f32(y, want18, 4, 1e-6);
    obn_tensor_destroy(y);
    tb_free(m);
    obn_tensor_destroy(in);
}
END_TEST

/* A tensor large enough for the parallel path, with 1 and 4 threads,
 * against a double reference: groups of `cpg` channels. */
static void check_large(const char *op, int opset, int64_t groups)
{
    enum { N = 2, C = 16, H = 40, W = 40 };
    const int64_t xd[4] = {N, C, H, W};
    const int64_t total = (int64_t)N * C * H * W, plane = H * W;
    int64_t g = groups ? groups : C, cpg = C / g, plen = opset == 18 ? g : C;
    float *x = malloc((size_t)total * sizeof *x), s[C], b[C];
    double *want = malloc((size_t)total * sizeof *want);
    ot_fill(x, total, 11, -3, 5);
    ot_fill(s, plen, 12, 0.5f, 1.5f);
    ot_fill(b, plen, 13, -1, 1);
    for (int64_t r = 0; r < N * g; r++) {
        const float *xr = x + r * cpg * plane;
        int64_t len = cpg * plane;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < len; i++) mean += xr[i];
        mean /= (double)len;
        for (int64_t i = 0; i < len; i++) var += (xr[i] - mean) * (xr[i] - mean);
        var /= (double)len;
        for (int64_t i = 0; i < len; i++) {
            int64_t p = opset == 18 ? r % g : (r % g) * cpg + i / plane;
            want[r * len + i] = (xr[i] - mean) / sqrt(var + (double)1e-5f) * s[p] + b[p];
        }
    }
    tb_model *m = norm_model(op, opset, 4, xd, plen, s, b, groups);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, x), *y1, *y4;
    ck_assert_int_eq(ot_run_threads(m, 1, 1, &in, 1, &y1), OBN_OK);
    ck_assert_int_eq(ot_run_threads(m, 4, 1, &in, 1, &y4), OBN_OK);
    ot_expect_f32(y1, want, total, 1e-5);
    ck_assert(memcmp(obn_tensor_cdata(y1), obn_tensor_cdata(y4), (size_t)total * sizeof(float)) == 0);
    obn_tensor_destroy(y1);
    obn_tensor_destroy(y4);
    obn_tensor_destroy(in);
    tb_free(m);
    free(x);
    free(want);
}

START_TEST(large_parallel)
{
    check_large("InstanceNormalization", 6, 0);
    check_large("GroupNormalization", 21, 4);
    check_large("GroupNormalization", 18, 4);
}
END_TEST

START_TEST(instance_errors)
{
    const int64_t xd[4] = {1, 4, 2, 2}, x1[1] = {4};
    const float p[4] = {1, 1, 1, 1};
    tb_model *m = norm_model("InstanceNormalization", 6, 4, xd, 3, p, p, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"norm1\"", "InstanceNormalization-6", "'scale'", "norm.scale",
                           "3 elements", "C=4");
    tb_free(m);
    m = norm_model("InstanceNormalization", 6, 1, x1, 4, p, p, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"norm1\"", "'input'", "[4]", "rank >= 2");
    tb_free(m);
    m = norm_model("InstanceNormalization", 6, 4, xd, 4, p, p, 0);
    tb_attr_ints(m, tb_proto(m)->graph->node[0], "consumed_inputs", 0, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'consumed_inputs'", "InstanceNormalization-6");
    tb_free(m);
    m = norm_model("InstanceNormalization", 6, 4, xd, 4, p, p, 0);
    tb_attr_float(m, tb_proto(m)->graph->node[0], "epsilon", -1.0f);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'epsilon'", "-1");
    tb_free(m);
    /* integer data is not a float type */
    m = tb_new(6);
    const int64_t c[1] = {4};
    tb_input(m, "x", OBN_INT32, 4, xd);
    tb_add_init(m, tb_tensor(m, "s", OBN_INT32, 1, c, (const int32_t[4]){1, 1, 1, 1}, 16));
    tb_add_init(m, tb_tensor(m, "b", OBN_INT32, 1, c, (const int32_t[4]){0, 0, 0, 0}, 16));
    tb_node(m, "InstanceNormalization", "norm1", "x,s,b", "y");
    tb_output(m, "y", OBN_INT32, 4, xd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"norm1\"", "'input'", "int32");
    tb_free(m);
}
END_TEST

START_TEST(group_errors)
{
    const int64_t xd[4] = {1, 4, 2, 2};
    const float p[4] = {1, 1, 1, 1};
    tb_model *m = norm_model("GroupNormalization", 21, 4, xd, 4, p, p, 0);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"norm1\"", "'num_groups' is required");
    tb_free(m);
    m = norm_model("GroupNormalization", 21, 4, xd, 4, p, p, -2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'num_groups' must be >= 1", "-2");
    tb_free(m);
    m = norm_model("GroupNormalization", 21, 4, xd, 4, p, p, 3);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"norm1\"", "num_groups=3", "4 channels", "'X'", "[1,4,2,2]");
    tb_free(m);
    /* version 18: scale/bias per group; version 21: per channel */
    m = norm_model("GroupNormalization", 18, 4, xd, 4, p, p, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "GroupNormalization-18", "'scale'", "norm.scale", "4 elements",
                           "num_groups=2");
    tb_free(m);
    m = norm_model("GroupNormalization", 21, 4, xd, 2, p, p, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "GroupNormalization-21", "'scale'", "2 elements", "C=4");
    tb_free(m);
    m = norm_model("GroupNormalization", 18, 4, xd, 2, p, p, 2);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "stash_type", 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'stash_type' is not part of GroupNormalization-18");
    tb_free(m);
    m = norm_model("GroupNormalization", 21, 4, xd, 4, p, p, 2);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "stash_type", 7);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'stash_type' is 7", "1 (float)");
    tb_free(m);
    const int64_t x1[1] = {4};
    m = norm_model("GroupNormalization", 21, 1, x1, 4, p, p, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'X'", "rank >= 2");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("groupnorm");
    TCase *t = tcase_create("groupnorm");
    tcase_add_test(t, instance_reference_cases);
    tcase_add_test(t, group_reference_cases);
    tcase_add_test(t, instance_hand_computed);
    tcase_add_test(t, group_hand_computed);
    tcase_add_test(t, large_parallel);
    tcase_add_test(t, instance_errors);
    tcase_add_test(t, group_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
