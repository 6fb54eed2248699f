/* MeanVarianceNormalization (9, 13) against the numpy references of
 * norm_refs.h (default axes, any subset including negative axes and the
 * empty list, kept innermost axes, a large common offset, float/double/
 * float16/bfloat16), a hand-worked case, large parallel cases against a
 * double reference computed here (rtol 1e-5), and the refusals. */
#include "norm_refs.h"

START_TEST(reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "MeanVarianceNormalization"), 0);
}
END_TEST

static tb_model *mvn_model(int opset, int rank, const int64_t *xd, int n_axes, const int64_t *axes)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_FLOAT, rank, xd);
    Onnx__NodeProto *n = tb_node(m, "MeanVarianceNormalization", "mvn1", "x", "y");
    if (n_axes >= 0) tb_attr_ints(m, n, "axes", (size_t)n_axes, axes);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(hand_computed)
{
    /* one channel [1, 3]: mean 2, standard deviation 1; 1e-9 is added to it */
    const int64_t xd[4] = {1, 1, 1, 2};
    const float x[2] = {1, 3};
    tb_model *m = mvn_model(13, 4, xd, -1, NULL);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double want[2] = {-1 / (1 + 1e-9), 1 / (1 + 1e-9)};
    ot_expect_f32(y, want, 2, 1e-7);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

/* [4, 8, 24, 24] over the given axes against a double reference. */
static void check_large(int n_axes, const int64_t *axes)
{
    const int64_t xd[4] = {4, 8, 24, 24}, total = 4 * 8 * 24 * 24;
    float *x = malloc((size_t)total * sizeof *x);
    double *want = malloc((size_t)total * sizeof *want), *sum = calloc((size_t)total, sizeof *sum),
           *sq = calloc((size_t)total, sizeof *sq);
    bool red[4] = {false, false, false, false};
    for (int i = 0; i < n_axes; i++) red[axes[i]] = true;
    ot_fill(x, total, 31, -2, 3);
    /* statistic index of an element: its coordinates with the reduced ones 0 */
    int64_t *key = malloc((size_t)total * sizeof *key), count = 1;
    for (int d = 0; d < 4; d++) count *= red[d] ? xd[d] : 1;
    for (int64_t i = 0; i < total; i++) {
        int64_t rest = i, k = 0, stride = 1;
        for (int d = 3; d >= 0; d--) {
            k += red[d] ? 0 : (rest % xd[d]) * stride;
            stride *= xd[d];
            rest /= xd[d];
        }
        key[i] = k;
        sum[k] += x[i];
    }
    for (int64_t i = 0; i < total; i++) sq[key[i]] += (x[i] - sum[key[i]] / count) * (x[i] - sum[key[i]] / count);
    for (int64_t i = 0; i < total; i++)
        want[i] = (x[i] - sum[key[i]] / count) / (sqrt(sq[key[i]] / count) + (double)1e-9f);
    tb_model *m = mvn_model(13, 4, xd, n_axes, axes);
    nr_check_threads(m, 4, xd, x, want, 1e-5);
    tb_free(m);
    free(x);
    free(want);
    free(sum);
    free(sq);
    free(key);
}

START_TEST(large_parallel)
{
    const int64_t per_channel[3] = {0, 2, 3}, kept_inner[2] = {0, 1}, spatial[2] = {2, 3};
    check_large(3, per_channel); /* innermost reduced: contiguous runs */
    check_large(2, kept_inner);  /* innermost kept: blocks of positions */
    check_large(2, spatial);
}
END_TEST

START_TEST(errors)
{
    const int64_t x4[4] = {1, 2, 3, 4}, x3[3] = {2, 3, 4}, bad[2] = {0, 4}, twice[2] = {1, -3};
    tb_model *m = mvn_model(13, 4, x4, 2, bad);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"mvn1\"", "'axes'", "axis 4", "rank 4");
    tb_free(m);
    m = mvn_model(13, 3, x3, -1, NULL); /* the default [0, 2, 3] needs rank 4 */
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axes'", "axis 3", "rank 3");
    tb_free(m);
    m = mvn_model(13, 4, x4, 2, twice);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'axes'", "given twice");
    tb_free(m);
    m = tb_new(9);
    tb_input(m, "x", OBN_BFLOAT16, 4, x4); /* bfloat16 from version 13 */
    tb_node(m, "MeanVarianceNormalization", "mvn1", "x", "y");
    tb_output(m, "y", OBN_BFLOAT16, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'X'", "bfloat16");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mvn");
    TCase *t = tcase_create("mvn");
    tcase_add_test(t, reference_cases);
    tcase_add_test(t, hand_computed);
    tcase_add_test(t, large_parallel);
    tcase_add_test(t, errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
