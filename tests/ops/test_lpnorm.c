/* LpNormalization (1, 22) against the numpy references of norm_refs.h (p 1
 * and 2, every axis, zero vectors, inner extents wider than one kernel
 * block, rank 1, float/double/float16/bfloat16), hand-worked cases, large
 * parallel cases against a double reference computed here (rtol 1e-6), and
 * the refusals. */
#include "norm_refs.h"

START_TEST(reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "LpNormalization"), 0);
}
END_TEST

static tb_model *lp_model(int opset, int rank, const int64_t *xd, int64_t axis, int64_t p)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_FLOAT, rank, xd);
    Onnx__NodeProto *n = tb_node(m, "LpNormalization", "lp1", "x", "y");
    tb_attr_int(m, n, "axis", axis);
    tb_attr_int(m, n, "p", p);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(hand_computed)
{
    /* rows [3, 4] and [0, 0]: L2 [0.6, 0.8], L1 [3/7, 4/7]; a zero row stays 0 */
    const int64_t xd[2] = {2, 2};
    const float x[4] = {3, 4, 0, 0};
    const double l2[4] = {0.6, 0.8, 0, 0}, l1[4] = {3.0 / 7, 4.0 / 7, 0, 0};
    obn_tensor *in = ot_tensor(OBN_FLOAT, 2, xd, x), *y;
    for (int p = 1; p <= 2; p++) {
        tb_model *m = lp_model(1, 2, xd, -1, p);
        OT_RUN_OK(m, 1, &in, 1, &y);
        ot_expect_f32(y, p == 1 ? l1 : l2, 4, 1e-7);
        obn_tensor_destroy(y);
        tb_free(m);
    }
    obn_tensor_destroy(in);
}
END_TEST

static void check_large(int64_t axis, int p)
{
    enum { R = 64, L = 600 };
    const int64_t xd[2] = {R, L}, total = (int64_t)R * L;
    float *x = malloc((size_t)total * sizeof *x);
    double *want = malloc((size_t)total * sizeof *want);
    ot_fill(x, total, 51, -2, 2);
    int64_t outer = axis == 1 ? R : 1, len = axis == 1 ? L : R, inner = axis == 1 ? 1 : L;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            double norm = 0;
            for (int64_t l = 0; l < len; l++) {
                double v = x[(o * len + l) * inner + j];
                norm += p == 1 ? fabs(v) : v * v;
            }
            if (p == 2) norm = sqrt(norm);
            for (int64_t l = 0; l < len; l++) want[(o * len + l) * inner + j] = x[(o * len + l) * inner + j] / norm;
        }
    tb_model *m = lp_model(1, 2, xd, axis, p);
    nr_check_threads(m, 2, xd, x, want, 1e-6);
    tb_free(m);
    free(x);
    free(want);
}

START_TEST(large_parallel)
{
    check_large(1, 2); /* contiguous rows */
    check_large(0, 1); /* along the outer axis: blocks of inner positions */
}
END_TEST

START_TEST(errors)
{
    const int64_t xd[2] = {2, 3};
    tb_model *m = lp_model(1, 2, xd, -1, 3);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"lp1\"", "'p' is 3", "only 1 and 2");
    tb_free(m);
    m = lp_model(1, 2, xd, 2, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"lp1\"", "axis 2", "rank 2");
    tb_free(m);
    m = lp_model(1, 0, NULL, -1, 2);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "scalar");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lpnorm");
    TCase *t = tcase_create("lpnorm");
    tcase_add_test(t, reference_cases);
    tcase_add_test(t, hand_computed);
    tcase_add_test(t, large_parallel);
    tcase_add_test(t, errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
