/* LRN (1, 13) against the numpy references of norm_refs.h (odd and even
 * sizes, size 1, a window wider than C, rank 2 to 5, planes wider than one
 * kernel block, float/double/float16/bfloat16), a hand-worked case, a large
 * parallel case against a double reference computed here (rtol 1e-5), and
 * the refusals. */
#include "norm_refs.h"

START_TEST(reference_cases)
{
    ck_assert_int_gt(nr_check_all(nr_cases, sizeof nr_cases / sizeof nr_cases[0], "LRN"), 0);
}
END_TEST

static tb_model *lrn_model(int opset, int rank, const int64_t *xd, int64_t size, float alpha, float beta, float bias)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", OBN_FLOAT, rank, xd);
    Onnx__NodeProto *n = tb_node(m, "LRN", "lrn1", "x", "y");
    if (size > -100) tb_attr_int(m, n, "size", size);
    tb_attr_float(m, n, "alpha", alpha);
    tb_attr_float(m, n, "beta", beta);
    tb_attr_float(m, n, "bias", bias);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(hand_computed)
{
    /* channels [1, 2], size 2: windows [0, 1] and [1, 1]; alpha 1, beta 1,
     * bias 1: y0 = 1 / (1 + 5/2), y1 = 2 / (1 + 4/2) */
    const int64_t xd[4] = {1, 2, 1, 1};
    const float x[2] = {1, 2};
    tb_model *m = lrn_model(13, 4, xd, 2, 1, 1, 1);
    obn_tensor *in = ot_tensor(OBN_FLOAT, 4, xd, x), *y;
    OT_RUN_OK(m, 1, &in, 1, &y);
    const double want[2] = {1 / 3.5, 2.0 / 3};
    ot_expect_f32(y, want, 2, 1e-6);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(m);
}
END_TEST

START_TEST(large_parallel)
{
    enum { N = 2, C = 16, S = 40 * 40 };
    const int64_t xd[4] = {N, C, 40, 40}, total = (int64_t)N * C * S, size = 5;
    const double alpha = 0.02, beta = 0.75, bias = 2;
    float *x = malloc((size_t)total * sizeof *x);
    double *want = malloc((size_t)total * sizeof *want);
    ot_fill(x, total, 41, -3, 3);
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t s = 0; s < S; s++) {
                double sq = 0;
                for (int64_t i = c - 2 < 0 ? 0 : c - 2; i <= (c + 2 > C - 1 ? C - 1 : c + 2); i++)
                    sq += (double)x[(n * C + i) * S + s] * x[(n * C + i) * S + s];
                int64_t k = (n * C + c) * S + s;
                want[k] = x[k] / pow(bias + (double)(float)alpha / size * sq, beta);
            }
    tb_model *m = lrn_model(13, 4, xd, size, (float)alpha, (float)beta, (float)bias);
    nr_check_threads(m, 4, xd, x, want, 1e-5);
    tb_free(m);
    free(x);
    free(want);
}
END_TEST

START_TEST(errors)
{
    const int64_t xd[4] = {1, 3, 2, 2}, x1[1] = {3};
    tb_model *m = lrn_model(13, 4, xd, -1000, 1e-4f, 0.75f, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"lrn1\"", "'size' is required");
    tb_free(m);
    m = lrn_model(13, 4, xd, 0, 1e-4f, 0.75f, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'size' must be >= 1");
    tb_free(m);
    m = lrn_model(13, 1, x1, 3, 1e-4f, 0.75f, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"lrn1\"", "'X'", "[3]", "rank >= 2");
    tb_free(m);
    m = lrn_model(13, 4, xd, 3, INFINITY, 0.75f, 1);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "must be finite");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lrn");
    TCase *t = tcase_create("lrn");
    tcase_add_test(t, reference_cases);
    tcase_add_test(t, hand_computed);
    tcase_add_test(t, large_parallel);
    tcase_add_test(t, errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
