/* NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: the spec's worked
 * examples and log-softmax values worked out by hand (tolerance 1e-6
 * relative on float outputs, 1e-12 on double, 2^-8 on float16/bfloat16), a
 * rank-5 case against a direct evaluation of the definition in double,
 * ignore_index inside and outside [0, C), every target ignored, int32
 * targets, the type constraints per version, and the errors. */
#include "kernels/half.h"
#include "op_testing.h"

/* The spec's example input (N, C, d1) = (2, 3, 2) and target. */
static const float ex_input[12] = {1, 2, 2, 2, 3, 2, 0, 1, 2, 2, 1, 2};
static const int64_t ex_target[4] = {2, 1, 0, 2};
static const int64_t ex_in_dims[3] = {2, 3, 2}, ex_t_dims[2] = {2, 2};

/* One loss node over graph inputs x, t (and w if with_weight). reduction
 * NULL: the default; ignore < -1000: no ignore_index attribute. */
static tb_model *loss_model(const char *op, int opset, int dtype, int rank, const int64_t *dims, int tdtype,
                            bool with_weight, const char *reduction, int64_t ignore, bool log_prob)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "x", dtype, rank, dims);
    int64_t tdims[8] = {dims[0]};
    for (int d = 2; d < rank; d++) tdims[d - 1] = dims[d];
    tb_input(m, "t", tdtype, rank - 1, tdims);
    if (with_weight) tb_input(m, "w", dtype, 1, &dims[1]);
    Onnx__NodeProto *n = tb_node(m, op, "loss", with_weight ? "x,t,w" : "x,t", log_prob ? "y,lp" : "y");
    if (reduction) tb_attr_string(m, n, "reduction", reduction);
    if (ignore >= -1000) tb_attr_int(m, n, "ignore_index", ignore);
    tb_output(m, "y", dtype, -1, NULL);
    if (log_prob) tb_output(m, "lp", dtype, -1, NULL);
    return m;
}

/* Runs the spec example through NLL-13 and returns output y. */
static obn_tensor *run_example(const char *reduction, const float *weight, int64_t ignore, const int64_t *target)
{
    tb_model *m = loss_model("NegativeLogLikelihoodLoss", 13, OBN_FLOAT, 3, ex_in_dims, OBN_INT64, weight != NULL,
                             reduction, ignore, false);
    const int64_t c = 3;
    obn_tensor *in[3] = {ot_tensor(OBN_FLOAT, 3, ex_in_dims, ex_input), ot_tensor(OBN_INT64, 2, ex_t_dims, target),
                         weight ? ot_tensor(OBN_FLOAT, 1, &c, weight) : NULL};
    obn_tensor *y;
    OT_RUN_OK(m, weight ? 3 : 2, in, 1, &y);
    ot_destroy(weight ? 3 : 2, in);
    tb_free(m);
    return y;
}

static void expect_scalar(obn_tensor *y, double want, double tol)
{
    ck_assert_int_eq((int)obn_tensor_rank(y), 0);
    ot_expect_f32(y, &want, 1, tol);
    obn_tensor_destroy(y);
}

/* Examples 1-3 of the NegativeLogLikelihoodLoss spec: none [[-3,-2],[-0,-2]],
 * weighted sum -1.1, weighted mean -1.1 / 0.7; unweighted mean -7/4 and sum. */
START_TEST(nll_spec_examples)
{
    static const float w[3] = {0.2f, 0.3f, 0.1f};
    obn_tensor *y = run_example("none", NULL, -2000, ex_target);
    ot_expect_shape(y, 2, ex_t_dims);
    ot_expect_f32(y, (const double[]){-3, -2, -0, -2}, 4, 1e-6);
    obn_tensor_destroy(y);
    y = run_example("none", w, -2000, ex_target);
    ot_expect_f32(y, (const double[]){-0.3, -0.6, 0, -0.2}, 4, 1e-6);
    obn_tensor_destroy(y);
    expect_scalar(run_example("sum", w, -2000, ex_target), -1.1, 1e-6);
    expect_scalar(run_example(NULL, w, -2000, ex_target), -1.1 / 0.7, 1e-6);
    expect_scalar(run_example("mean", NULL, -2000, ex_target), -7.0 / 4, 1e-6);
    expect_scalar(run_example("sum", NULL, -2000, ex_target), -7.0, 1e-6);
}
END_TEST

/* ignore_index 2 drops samples 0 and 3 (losses -3 and -2): none [0,-2,-0,0],
 * mean -2/2, weighted mean (-0.6 - 0) / (0.3 + 0.2); ignore_index -1 and 7
 * (outside [0, C)) on targets holding them; every target ignored: sum 0,
 * mean NaN (0/0, as PyTorch). */
START_TEST(nll_ignore_index)
{
    static const float w[3] = {0.2f, 0.3f, 0.1f};
    obn_tensor *y = run_example("none", NULL, 2, ex_target);
    ot_expect_f32(y, (const double[]){0, -2, -0, 0}, 4, 1e-6);
    obn_tensor_destroy(y);
    expect_scalar(run_example("mean", NULL, 2, ex_target), -1.0, 1e-6);
    expect_scalar(run_example("mean", w, 2, ex_target), -0.6 / 0.5, 1e-6);
    static const int64_t minus_one[4] = {-1, 1, 0, -1}, seven[4] = {7, 1, 7, 2};
    expect_scalar(run_example("mean", NULL, -1, minus_one), -1.0, 1e-6);
    expect_scalar(run_example("sum", w, 7, seven), -0.6 - 0.2, 1e-6);
    static const int64_t all_ignored[4] = {-5, -5, -5, -5};
    expect_scalar(run_example("sum", w, -5, all_ignored), 0, 0);
    expect_scalar(run_example("mean", NULL, -5, all_ignored), NAN, 0);
    expect_scalar(run_example("mean", w, -5, all_ignored), NAN, 0);
}
END_TEST

/* SCE over (N, C) = (2, 3): row 0 all zeros gives log_prob -ln 3 each; row 1
 * (1, 2, 3) has logsumexp 3 + ln(1 + e^-1 + e^-2) = 3.4076059644, so
 * log_prob (-2.4076059644, -1.4076059644, -0.4076059644). Labels (0, 2):
 * losses ln 3 and 0.4076059644; weights (1, 2, 4): 1.0986122887 and
 * 4 * 0.4076059644, weighted mean over weight 1 + 4. */
START_TEST(sce_hand_worked)
{
    static const float scores[6] = {0, 0, 0, 1, 2, 3}, w[3] = {1, 2, 4};
    static const int64_t labels[2] = {0, 2}, dims[2] = {2, 3};
    const double ln3 = 1.0986122886681098, r1 = 0.40760596444437555;
    const double want_lp[6] = {-ln3, -ln3, -ln3, -2 - r1, -1 - r1, -r1};
    const char *reds[3] = {"none", "sum", "mean"};
    for (int r = 0; r < 3; r++)
        for (int weighted = 0; weighted < 2; weighted++) {
            tb_model *m = tb_new(13);
            tb_input(m, "x", OBN_FLOAT, 2, dims);
            tb_input(m, "t", OBN_INT64, 1, dims);
            if (weighted) tb_input(m, "w", OBN_FLOAT, 1, &dims[1]);
            Onnx__NodeProto *n = tb_node(m, "SoftmaxCrossEntropyLoss", "sce", weighted ? "x,t,w" : "x,t", "y,lp");
            tb_attr_string(m, n, "reduction", reds[r]);
            tb_output(m, "y", OBN_FLOAT, -1, NULL);
            tb_output(m, "lp", OBN_FLOAT, -1, NULL);
            obn_tensor *in[3] = {ot_tensor(OBN_FLOAT, 2, dims, scores), ot_tensor(OBN_INT64, 1, dims, labels),
                                 ot_tensor(OBN_FLOAT, 1, &dims[1], w)};
            obn_tensor *out[2];
            OT_RUN_OK(m, 2 + weighted, in, 2, out);
            double l0 = ln3, l1 = r1 * (weighted ? 4 : 1), ws = weighted ? 5 : 2;
            double want_none[2] = {l0, l1}, want = r == 1 ? l0 + l1 : (l0 + l1) / ws;
            if (r == 0) ot_expect_f32(out[0], want_none, 2, 1e-6);
            else ot_expect_f32(out[0], &want, 1, 1e-6);
            ot_expect_shape(out[1], 2, dims);
            ot_expect_f32(out[1], want_lp, 6, 1e-6);
            ot_destroy(3, in);
            ot_destroy(2, out);
            tb_free(m);
        }
}
END_TEST

/* Rank 5 (N, C, d1, d2, d3) = (2, 4, 3, 2, 2) in double with weights and
 * ignore_index 1 against the definition evaluated here: log-softmax over C,
 * then -lp[n][t][d] * w[t], weighted mean. Tolerance 1e-12. */
START_TEST(sce_rank5_double)
{
    enum { N = 2, C = 4, D = 12 };
    const int64_t dims[5] = {N, C, 3, 2, 2}, tdims[4] = {N, 3, 2, 2}, cdim = C;
    float xf[N * C * D];
    ot_fill(xf, N * C * D, 11, -4, 4);
    double x[N * C * D], lp[N * C * D], w[C] = {0.5, 2, 1.5, 3};
    for (int i = 0; i < N * C * D; i++) x[i] = xf[i];
    int32_t t[N * D];
    for (int i = 0; i < N * D; i++) t[i] = (i * 7 + 3) % C;
    double sum = 0, wsum = 0;
    for (int n = 0; n < N; n++)
        for (int d = 0; d < D; d++) {
            double lse = 0;
            for (int c = 0; c < C; c++) lse += exp(x[(n * C + c) * D + d]);
            for (int c = 0; c < C; c++) lp[(n * C + c) * D + d] = x[(n * C + c) * D + d] - log(lse);
            int k = t[n * D + d];
            if (k == 1) continue;
            sum -= lp[(n * C + k) * D + d] * w[k];
            wsum += w[k];
        }
    tb_model *m = loss_model("SoftmaxCrossEntropyLoss", 13, OBN_DOUBLE, 5, dims, OBN_INT32, true, NULL, 1, true);
    obn_tensor *in[3] = {ot_tensor(OBN_DOUBLE, 5, dims, x), ot_tensor(OBN_INT32, 4, tdims, t),
                         ot_tensor(OBN_DOUBLE, 1, &cdim, w)};
    obn_tensor *out[2];
    OT_RUN_OK(m, 3, in, 2, out);
    ck_assert_int_eq(obn_tensor_dtype(out[0]), OBN_DOUBLE);
    double got = *(const double *)obn_tensor_cdata(out[0]);
    ck_assert_msg(fabs(got - sum / wsum) <= 1e-12 * fabs(sum / wsum), "loss %.17g, expected %.17g", got, sum / wsum);
    const double *glp = obn_tensor_cdata(out[1]);
    for (int i = 0; i < N * C * D; i++) ck_assert_msg(fabs(glp[i] - lp[i]) <= 1e-12 * (1 + fabs(lp[i])), "lp[%d]", i);
    ot_destroy(3, in);
    ot_destroy(2, out);
    tb_free(m);
}
END_TEST

/* float16 (every version) and bfloat16 (NLL-22, SCE-13; refused by NLL-13
 * and SCE-12) on the spec example, whose values are exact in both: sum -7. */
static void half_case(const char *op, int opset, int dtype, bool ok)
{
    uint16_t x[12];
    for (int i = 0; i < 12; i++) x[i] = dtype == OBN_FLOAT16 ? obn_f32_to_f16(ex_input[i]) : obn_f32_to_bf16(ex_input[i]);
    tb_model *m = loss_model(op, opset, dtype, 3, ex_in_dims, OBN_INT64, false, "sum", -2000, false);
    if (!ok) {
        OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "\"loss\"", "bfloat16");
        tb_free(m);
        return;
    }
    obn_tensor *in[2] = {ot_tensor(dtype, 3, ex_in_dims, x), ot_tensor(OBN_INT64, 2, ex_t_dims, ex_target)}, *y;
    OT_RUN_OK(m, 2, in, 1, &y);
    ck_assert_int_eq(obn_tensor_dtype(y), dtype);
    uint16_t v = *(const uint16_t *)obn_tensor_cdata(y);
    double got = dtype == OBN_FLOAT16 ? obn_f16_to_f32(v) : obn_bf16_to_f32(v);
    bool sce = strcmp(op, "SoftmaxCrossEntropyLoss") == 0;
    /* SCE of the example: -sum of the log-softmax at the targets over C */
    double want = -7;
    if (sce) {
        want = 0;
        for (int s = 0; s < 4; s++) {
            int n = s / 2, d = s % 2;
            double lse = 0;
            for (int c = 0; c < 3; c++) lse += exp(ex_input[(n * 3 + c) * 2 + d]);
            want -= ex_input[(n * 3 + ex_target[s]) * 2 + d] - log(lse);
        }
    }
    ck_assert_msg(fabs(got - want) <= fabs(want) / 256, "%s-%d: %g, expected %g", op, opset, got, want);
    ot_destroy(2, in);
    obn_tensor_destroy(y);
    tb_free(m);
}

START_TEST(half_types)
{
    half_case("NegativeLogLikelihoodLoss", 12, OBN_FLOAT16, true);
    half_case("NegativeLogLikelihoodLoss", 22, OBN_BFLOAT16, true);
    half_case("NegativeLogLikelihoodLoss", 21, OBN_BFLOAT16, false);
    half_case("SoftmaxCrossEntropyLoss", 12, OBN_FLOAT16, true);
    half_case("SoftmaxCrossEntropyLoss", 13, OBN_BFLOAT16, true);
    half_case("SoftmaxCrossEntropyLoss", 12, OBN_BFLOAT16, false);
}
END_TEST

/* A target outside [0, C) that is not ignore_index fails the run with a
 * message naming the value, its position and the range. */
START_TEST(target_out_of_range)
{
    static const int64_t bad[2][4] = {{2, 3, 0, 2}, {2, 1, -1, 2}};
    for (int k = 0; k < 2; k++) {
        tb_model *m = loss_model(k ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss", 13, OBN_FLOAT, 3,
                                 ex_in_dims, OBN_INT64, false, "mean", k ? 5 : -2000, false);
        obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, ex_in_dims, ex_input), ot_tensor(OBN_INT64, 2, ex_t_dims, bad[k])};
        obn_tensor *y;
        ck_assert_int_eq(ot_run(m, 2, in, 1, &y), OBN_E_RUNTIME);
        if (k) ot_expect_message("\"loss\"", "labels -1 (element 2 of 't')", "outside [0, 3)", "not ignore_index", NULL);
        else ot_expect_message("\"loss\"", "target 3 (element 1 of 't')", "outside [0, 3)", NULL);
        ot_destroy(2, in);
        tb_free(m);
    }
}
END_TEST

/* Shapes and attributes are checked when the session is created. */
START_TEST(errors_at_load)
{
    tb_model *m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 3, ex_in_dims);
    tb_input(m, "t", OBN_INT64, 2, (const int64_t[]){2, 3});
    tb_node(m, "NegativeLogLikelihoodLoss", "loss", "x,t", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"loss\"", "'target' ('t') has shape [2,3]", "(N, d1, ..., dk)");
    tb_free(m);

    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 2, (const int64_t[]){2, 3});
    tb_input(m, "t", OBN_INT64, 1, (const int64_t[]){2});
    tb_input(m, "w", OBN_FLOAT, 1, (const int64_t[]){4});
    tb_node(m, "SoftmaxCrossEntropyLoss", "loss", "x,t,w", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'weights' ('w') has shape [4]", "C = 3");
    tb_free(m);

    m = tb_new(13);
    tb_input(m, "x", OBN_FLOAT, 1, (const int64_t[]){3});
    tb_input(m, "t", OBN_INT64, 0, NULL);
    tb_node(m, "NegativeLogLikelihoodLoss", "loss", "x,t", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"loss\"", "'input'");
    tb_free(m);

    m = loss_model("NegativeLogLikelihoodLoss", 13, OBN_FLOAT, 3, ex_in_dims, OBN_FLOAT, false, NULL, -2000, false);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "'target' ('t') has type float");
    tb_free(m);

    m = loss_model("NegativeLogLikelihoodLoss", 13, OBN_FLOAT, 3, ex_in_dims, OBN_INT64, false, "max", -2000, false);
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(m, &model), OBN_E_INVALID_MODEL);
    ot_expect_message("\"loss\"", "'reduction' is 'max'", NULL);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("loss");
    TCase *tc = tcase_create("loss");
    tcase_add_test(tc, nll_spec_examples);
    tcase_add_test(tc, nll_ignore_index);
    tcase_add_test(tc, sce_hand_worked);
    tcase_add_test(tc, sce_rank5_double);
    tcase_add_test(tc, half_types);
    tcase_add_test(tc, target_out_of_range);
    tcase_add_test(tc, errors_at_load);
    suite_add_tcase(s, tc);
    return ot_main(s);
}
