/* The ai.onnx.preview.training optimizers Momentum (standard, Nesterov),
 * Adagrad and Adam against steps worked out by hand (tolerance 1e-6
 * relative on float, 1e-12 on double): the first step (T = 0) and a later
 * one, several tensors in one node, the regularisation terms; the domain's
 * opset import alone or next to ai.onnx; and the errors. */
#include <stdio.h>

#include "op_testing.h"

static const char *const domain = "ai.onnx.preview.training";

/* A model importing the training domain (and ai.onnx if onnx_opset > 0)
 * with one optimizer node "opt" over graph inputs R, T and `tensors` (comma
 * separated, each of shape [len], dtype dt); outputs `outs`. */
static tb_model *opt_model(int onnx_opset, const char *op, int dt, int64_t len, const char *tensors, const char *outs,
                           Onnx__NodeProto **node)
{
    tb_model *m = tb_new(onnx_opset);
    tb_opset(m, domain, 1);
    tb_input(m, "R", dt, 0, NULL);
    tb_input(m, "T", OBN_INT64, 0, NULL);
    char names[256], all[300];
    snprintf(names, sizeof names, "%s", tensors);
    for (char *s = strtok(names, ","); s; s = strtok(NULL, ",")) tb_input(m, s, dt, 1, &len);
    snprintf(all, sizeof all, "R,T,%s", tensors);
    *node = tb_node(m, op, "opt", all, outs);
    (*node)->domain = tb_str(m, domain);
    snprintf(names, sizeof names, "%s", outs);
    for (char *s = strtok(names, ","); s; s = strtok(NULL, ",")) tb_output(m, s, dt, -1, NULL);
    return m;
}

/* Runs with R, T and float tensors of `len` values each, then checks every
 * output against want (len values per output, in output order). */
static void run_f32(tb_model *m, float r, int64_t t, int n_tensors, const float *values, int64_t len, int n_out,
                    const double *want)
{
    obn_tensor *in[12], *out[8];
    in[0] = ot_tensor(OBN_FLOAT, 0, NULL, &r);
    in[1] = ot_tensor(OBN_INT64, 0, NULL, &t);
    for (int i = 0; i < n_tensors; i++) in[2 + i] = ot_tensor(OBN_FLOAT, 1, &len, values + i * len);
    OT_RUN_OK(m, 2 + n_tensors, in, n_out, out);
    for (int k = 0; k < n_out; k++) ot_expect_f32(out[k], want + k * len, len, 1e-6);
    ot_destroy(2 + n_tensors, in);
    ot_destroy(n_out, out);
}

static tb_model *momentum_model(const char *mode, Onnx__NodeProto **n)
{
    tb_model *m = opt_model(0, "Momentum", OBN_FLOAT, 2, "X,G,V", "X_new,V_new", n);
    tb_attr_float(m, *n, "alpha", 0.9f);
    tb_attr_float(m, *n, "beta", 0.5f);
    tb_attr_float(m, *n, "norm_coefficient", 0.01f);
    tb_attr_string(m, *n, "mode", mode);
    return m;
}

/* R 0.1, alpha 0.9, beta 0.5, norm 0.01, X (1, -2), G (0.5, 1), V (0.2, -0.4):
 * G' = (0.51, 0.98). T = 1: V_new = 0.9 V + 0.5 G' = (0.435, 0.13),
 * X_new = X - 0.1 V_new = (0.9565, -2.013); Nesterov X - 0.1 (G' + 0.9 V_new)
 * = (0.90985, -2.1097). T = 0 takes beta 1: V_new = (0.69, 0.62),
 * X_new = (0.931, -2.062). */
START_TEST(momentum_steps)
{
    static const float xgv[6] = {1, -2, 0.5f, 1, 0.2f, -0.4f};
    Onnx__NodeProto *n;
    tb_model *m = momentum_model("standard", &n);
    run_f32(m, 0.1f, 1, 3, xgv, 2, 2, (const double[]){0.9565, -2.013, 0.435, 0.13});
    run_f32(m, 0.1f, 0, 3, xgv, 2, 2, (const double[]){0.931, -2.062, 0.69, 0.62});
    tb_free(m);
    m = momentum_model("nesterov", &n);
    run_f32(m, 0.1f, 1, 3, xgv, 2, 2, (const double[]){0.90985, -2.1097, 0.435, 0.13});
    tb_free(m);
}
END_TEST

/* The same standard step in double, with ai.onnx imported too: 1e-12. */
START_TEST(momentum_double)
{
    Onnx__NodeProto *n;
    tb_model *m = opt_model(13, "Momentum", OBN_DOUBLE, 2, "X,G,V", "X_new,V_new", &n);
    tb_attr_float(m, n, "alpha", 0.5f);
    tb_attr_float(m, n, "beta", 0.25f);
    tb_attr_float(m, n, "norm_coefficient", 0.5f);
    tb_attr_string(m, n, "mode", "standard");
    const double r = 0.125, x[2] = {1, -2}, g[2] = {0.5, 1}, v[2] = {0.25, -0.5};
    const int64_t t = 3, len = 2;
    obn_tensor *in[5] = {ot_tensor(OBN_DOUBLE, 0, NULL, &r), ot_tensor(OBN_INT64, 0, NULL, &t),
                         ot_tensor(OBN_DOUBLE, 1, &len, x), ot_tensor(OBN_DOUBLE, 1, &len, g),
                         ot_tensor(OBN_DOUBLE, 1, &len, v)};
    obn_tensor *out[2];
    OT_RUN_OK(m, 5, in, 2, out);
    /* G' = 0.5 X + G = (1, 0); V_new = 0.5 V + 0.25 G' = (0.375, -0.25);
     * X_new = X - 0.125 V_new = (0.953125, -1.96875) */
    const double want[4] = {0.953125, -1.96875, 0.375, -0.25};
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(obn_tensor_dtype(out[k]), OBN_DOUBLE);
        const double *got = obn_tensor_cdata(out[k]);
        for (int i = 0; i < 2; i++) ck_assert_msg(fabs(got[i] - want[2 * k + i]) <= 1e-12, "out %d[%d] = %.17g", k, i, got[i]);
    }
    ot_destroy(5, in);
    ot_destroy(2, out);
    tb_free(m);
}
END_TEST

/* Two tensors, R 0.5, T 2, decay 0.5: r = 0.5 / (1 + 2*0.5) = 0.25; epsilon 0.
 * X1 1, G1 3, H1 16: H_new 25, X_new 1 - 0.25*3/5 = 0.85; X2 2, G2 -4, H2 9:
 * H_new 25, X_new 2.2. */
START_TEST(adagrad_multiple)
{
    Onnx__NodeProto *n;
    tb_model *m = opt_model(0, "Adagrad", OBN_FLOAT, 1, "X1,X2,G1,G2,H1,H2", "X1_new,X2_new,H1_new,H2_new", &n);
    tb_attr_float(m, n, "decay_factor", 0.5f);
    tb_attr_float(m, n, "epsilon", 0);
    static const float v[6] = {1, 2, 3, -4, 16, 9};
    run_f32(m, 0.5f, 2, 6, v, 1, 4, (const double[]){0.85, 2.2, 25, 25});
    tb_free(m);
}
END_TEST

/* R 0.1, alpha 0.5, beta 0.75, epsilon 0, norm_coefficient_post 0.1; X 1,
 * G 2, V 0, H 0: V_new = 0.5*2 = 1, H_new = 0.25*4 = 1. T = 2: rate
 * 0.1 sqrt(1 - 0.75^2) / (1 - 0.5^2) = 0.08819171037, X = 0.9 (1 - rate)
 * = 0.8206274607; T = 0: rate 0.1, X = 0.81. The defaults alpha 0.9, beta
 * 0.999, epsilon 1e-6 (float attributes: a = 0.9f, b = 0.999f), T = 0:
 * V_new = 2 (1 - a), H_new = 4 (1 - b), X_new = 1 - 0.1 V_new / (sqrt(H_new)
 * + 1e-6f). */
START_TEST(adam_steps)
{
    Onnx__NodeProto *n;
    tb_model *m = opt_model(0, "Adam", OBN_FLOAT, 1, "X,G,V,H", "X_new,V_new,H_new", &n);
    tb_attr_float(m, n, "alpha", 0.5f);
    tb_attr_float(m, n, "beta", 0.75f);
    tb_attr_float(m, n, "epsilon", 0);
    tb_attr_float(m, n, "norm_coefficient_post", 0.1f);
    static const float v[4] = {1, 2, 0, 0};
    run_f32(m, 0.1f, 2, 4, v, 1, 3, (const double[]){0.8206274607, 1, 1});
    run_f32(m, 0.1f, 0, 4, v, 1, 3, (const double[]){0.81, 1, 1});
    tb_free(m);
    m = opt_model(0, "Adam", OBN_FLOAT, 1, "X,G,V,H", "X_new,V_new,H_new", &n);
    const double vn = 2 * (1 - (double)0.9f), hn = 4 * (1 - (double)0.999f);
    run_f32(m, 0.1f, 0, 4, v, 1, 3, (const double[]){1 - (double)0.1f * vn / (sqrt(hn) + (double)1e-6f), vn, hn});
    tb_free(m);
}
END_TEST

START_TEST(errors)
{
    Onnx__NodeProto *n;
    /* inputs not a multiple of the groups */
    tb_model *m = opt_model(0, "Adam", OBN_FLOAT, 1, "X,G,V", "X_new,V_new,H_new", &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"opt\"", "3 inputs after R and T", "4 groups");
    tb_free(m);
    /* outputs that do not match */
    m = opt_model(0, "Adagrad", OBN_FLOAT, 1, "X,G,H", "X_new", &n);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "1 outputs for 1 optimized tensors; expected 2");
    tb_free(m);
    /* a gradient of another shape */
    m = tb_new(0);
    tb_opset(m, domain, 1);
    tb_input(m, "R", OBN_FLOAT, 0, NULL);
    tb_input(m, "T", OBN_INT64, 0, NULL);
    tb_input(m, "X", OBN_FLOAT, 1, (const int64_t[]){3});
    tb_input(m, "G", OBN_FLOAT, 1, (const int64_t[]){1});
    tb_input(m, "H", OBN_FLOAT, 1, (const int64_t[]){3});
    n = tb_node(m, "Adagrad", "opt", "R,T,X,G,H", "Xn,Hn");
    n->domain = tb_str(m, domain);
    tb_output(m, "Xn", OBN_FLOAT, -1, NULL);
    tb_output(m, "Hn", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_UNSUPPORTED, "input G1 ('G') has shape [1], X1 has [3]");
    tb_free(m);
    /* Momentum's attributes are required; mode is standard or nesterov */
    m = opt_model(0, "Momentum", OBN_FLOAT, 1, "X,G,V", "X_new,V_new", &n);
    obn_model *model = NULL;
    ck_assert_int_eq(tb_load(m, &model), OBN_E_INVALID_MODEL);
    ot_expect_message("\"opt\"", "attribute 'alpha' is required", NULL);
    tb_free(m);
    m = momentum_model("heavy-ball", &n);
    ck_assert_int_eq(tb_load(m, &model), OBN_E_INVALID_MODEL);
    ot_expect_message("'mode' is 'heavy-ball'", NULL);
    tb_free(m);
    /* a negative update count, when run */
    m = momentum_model("standard", &n);
    static const float xgv[6] = {0};
    float r = 0.1f;
    int64_t t = -1, len = 2;
    obn_tensor *in[5] = {ot_tensor(OBN_FLOAT, 0, NULL, &r), ot_tensor(OBN_INT64, 0, NULL, &t),
                         ot_tensor(OBN_FLOAT, 1, &len, xgv), ot_tensor(OBN_FLOAT, 1, &len, xgv),
                         ot_tensor(OBN_FLOAT, 1, &len, xgv)};
    obn_tensor *out[2];
    ck_assert_int_eq(ot_run(m, 5, in, 2, out), OBN_E_RUNTIME);
    ot_expect_message("\"opt\"", "'T' ('T') is -1", NULL);
    ot_destroy(5, in);
    tb_free(m);
    /* the op is not known without the domain's opset import */
    m = tb_new(13);
    tb_input(m, "R", OBN_FLOAT, 0, NULL);
    tb_input(m, "T", OBN_INT64, 0, NULL);
    tb_input(m, "X", OBN_FLOAT, 1, &len);
    tb_input(m, "G", OBN_FLOAT, 1, &len);
    tb_input(m, "H", OBN_FLOAT, 1, &len);
    n = tb_node(m, "Adagrad", "opt", "R,T,X,G,H", "Xn,Hn");
    n->domain = tb_str(m, domain);
    tb_output(m, "Xn", OBN_FLOAT, -1, NULL);
    tb_output(m, "Hn", OBN_FLOAT, -1, NULL);
    ck_assert_int_eq(tb_load(m, &model), OBN_E_INVALID_MODEL);
    ot_expect_message("no opset import for domain 'ai.onnx.preview.training'", NULL);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("optimizers");
    TCase *tc = tcase_create("optimizers");
    tcase_add_test(tc, momentum_steps);
    tcase_add_test(tc, momentum_double);
    tcase_add_test(tc, adagrad_multiple);
    tcase_add_test(tc, adam_steps);
    tcase_add_test(tc, errors);
    suite_add_tcase(s, tc);
    return ot_main(s);
}
