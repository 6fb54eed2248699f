/* The stateful sequence ops of opset 27 against closed forms evaluated here
 * in double (tolerance 1e-5 relative on float outputs):
 *   CausalConvWithState: y[t] = act(b + sum_k w[k] z[t+k]) over z = past ++ x;
 *   LinearAttention: the linear and gated rules unrolled into sums over the
 *   past steps (S_t = sum_s (prod_{r in (s, t]} e^g_r) k_s v_s^T + decayed
 *   past), the delta rule by hand on one-dimensional heads;
 * and their errors. */
#include "op_testing.h"

static double silu(double v) { return v / (1 + exp(-v)); }

START_TEST(causal_conv_formula)
{
    const int64_t B = 2, C = 3, L = 5;
    for (int64_t K = 1; K <= 4; K++)
        for (int mode = 0; mode < 4; mode++) { /* bit 0: bias and past_state, bit 1: silu */
            bool extra = mode & 1, act = mode >> 1;
            const int64_t xd[3] = {B, C, L}, wd[3] = {C, 1, K}, cd[1] = {C}, sd[3] = {B, C, K - 1};
            float x[30], w[12], b[3], past[2 * 3 * 3];
            ot_fill(x, B * C * L, 1, -1, 1);
            ot_fill(w, C * K, 2, -1, 1);
            ot_fill(b, C, 3, -1, 1);
            ot_fill(past, B * C * (K - 1), 4, -1, 1);
            tb_model *m = tb_new(27);
            tb_input(m, "x", OBN_FLOAT, 3, xd);
            tb_init_f32(m, "w", 3, wd, w);
            if (extra) {
                tb_init_f32(m, "b", 1, cd, b);
                tb_input(m, "p", OBN_FLOAT, 3, sd);
            }
            Onnx__NodeProto *n = tb_node(m, "CausalConvWithState", "cc", extra ? "x,w,b,p" : "x,w", "y,s");
            if (act) tb_attr_string(m, n, "activation", "silu");
            tb_output(m, "y", OBN_FLOAT, -1, NULL);
            tb_output(m, "s", OBN_FLOAT, -1, NULL);
            obn_tensor *in[2] = {ot_tensor(OBN_FLOAT, 3, xd, x), ot_tensor(OBN_FLOAT, 3, sd, past)}, *out[2];
            OT_RUN_OK(m, extra ? 2 : 1, in, 2, out);
            double wy[30], ws[18];
            for (int64_t bc = 0; bc < B * C; bc++) {
                int64_t c = bc % C;
                double z[8];
                for (int64_t i = 0; i < K - 1; i++) z[i] = extra ? past[bc * (K - 1) + i] : 0;
                for (int64_t t = 0; t < L; t++) z[K - 1 + t] = x[bc * L + t];
                for (int64_t t = 0; t < L; t++) {
                    double acc = extra ? b[c] : 0;
                    for (int64_t k = 0; k < K; k++) acc += w[c * K + k] * z[t + k];
                    wy[bc * L + t] = act ? silu(acc) : acc;
                }
                for (int64_t i = 0; i < K - 1; i++) ws[bc * (K - 1) + i] = z[L + i];
            }
            ot_expect_f32(out[0], wy, B * C * L, 1e-5);
            ot_expect_shape(out[1], 3, sd);
            ot_expect_f32(out[1], ws, B * C * (K - 1), 0);
            ot_destroy(2, in);
            ot_destroy(2, out);
            tb_free(m);
        }
    const int64_t xd[3] = {1, 2, 4}, wd[3] = {3, 1, 2};
    const float w[6] = {0};
    tb_model *m = tb_new(27);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_init_f32(m, "w", 3, wd, w);
    tb_node(m, "CausalConvWithState", "cc", "x,w", "y,s");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    tb_output(m, "s", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"cc\"", "'weight' ('w') has shape [3,1,2]; expected [2,1,2]");
    tb_free(m);
}
END_TEST

/* A LinearAttention model over graph inputs q, k, v, decay (when gated). */
static tb_model *la_model(const char *rule, int64_t hq, int64_t hkv, const int64_t *qd, const int64_t *kd, const int64_t *gd,
                          const int64_t *sd)
{
    tb_model *m = tb_new(27);
    tb_input(m, "q", OBN_FLOAT, 3, qd);
    tb_input(m, "k", OBN_FLOAT, 3, kd);
    tb_input(m, "v", OBN_FLOAT, 3, kd);
    tb_input(m, "p", OBN_FLOAT, 4, sd);
    if (gd) tb_input(m, "g", OBN_FLOAT, 3, gd);
    Onnx__NodeProto *n = tb_node(m, "LinearAttention", "la", gd ? "q,k,v,p,g" : "q,k,v,p", "y,s");
    tb_attr_string(m, n, "update_rule", rule);
    tb_attr_int(m, n, "q_num_heads", hq);
    tb_attr_int(m, n, "kv_num_heads", hkv);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    tb_output(m, "s", OBN_FLOAT, -1, NULL);
    return m;
}

/* linear and gated (per-row decay) with GQA, dk = dv = 3, against the
 * unrolled sums. */
START_TEST(linear_attention_unrolled)
{
    enum { B = 2, T = 4, HQ = 4, HKV = 2, D = 3 };
    const int64_t qd[3] = {B, T, HQ * D}, kd[3] = {B, T, HKV * D}, sd[4] = {B, HKV, D, D};
    float q[B * T * HQ * D], k[B * T * HKV * D], v[B * T * HKV * D], g[B * T * HKV * D], p[B * HKV * D * D];
    ot_fill(q, B * T * HQ * D, 1, -1, 1);
    ot_fill(k, B * T * HKV * D, 2, -1, 1);
    ot_fill(v, B * T * HKV * D, 3, -1, 1);
    ot_fill(g, B * T * HKV * D, 4, -0.5f, 0);
    ot_fill(p, B * HKV * D * D, 5, -1, 1);
    for (int gated = 0; gated < 2; gated++) {
        tb_model *m = la_model(gated ? "gated" : "linear", HQ, HKV, qd, kd, gated ? kd : NULL, sd);
        obn_tensor *in[5] = {ot_tensor(OBN_FLOAT, 3, qd, q), ot_tensor(OBN_FLOAT, 3, kd, k), ot_tensor(OBN_FLOAT, 3, kd, v),
                             ot_tensor(OBN_FLOAT, 4, sd, p), ot_tensor(OBN_FLOAT, 3, kd, g)},
                   *out[2];
        OT_RUN_OK(m, gated ? 5 : 4, in, 2, out);
        double wy[B * T * HQ * D], ws[B * HKV * D * D], scale = 1 / sqrt((double)D);
        for (int b = 0; b < B; b++)
            for (int h = 0; h < HKV; h++)
                for (int t = 0; t < T; t++) {
                    double S[D][D];
                    for (int i = 0; i < D; i++) { /* row i of S_t */
                        double keep = 1; /* prod of e^g over (s, t] for row i, built from the end */
                        for (int j = 0; j < D; j++) S[i][j] = 0;
                        for (int s = t; s >= -1; s--) {
                            if (s < 0) {
                                for (int j = 0; j < D; j++) S[i][j] += keep * p[((b * HKV + h) * D + i) * D + j];
                                break;
                            }
                            int64_t ko = ((b * T + s) * HKV + h) * D;
                            for (int j = 0; j < D; j++) S[i][j] += keep * k[ko + i] * v[ko + j];
                            if (gated) keep *= exp(g[ko + i]);
                        }
                    }
                    for (int r = 0; r < HQ / HKV; r++) {
                        int hq = h * (HQ / HKV) + r;
                        for (int j = 0; j < D; j++) {
                            double o = 0;
                            for (int i = 0; i < D; i++) o += S[i][j] * q[((b * T + t) * HQ + hq) * D + i];
                            wy[((b * T + t) * HQ + hq) * D + j] = scale * o;
                        }
                    }
                    if (t == T - 1)
                        for (int i = 0; i < D; i++)
                            for (int j = 0; j < D; j++) ws[((b * HKV + h) * D + i) * D + j] = S[i][j];
                }
        ot_expect_f32(out[0], wy, B * T * HQ * D, 1e-5);
        ot_expect_f32(out[1], ws, B * HKV * D * D, 1e-5);
        ot_destroy(5, in);
        ot_destroy(2, out);
        tb_free(m);
    }
}
END_TEST

/* gated_delta on one head with dk = dv = 1, worked by hand: S0 = 1,
 * steps (k, v, g, beta) = (2, 3, ln 0.5, 0.25) then (1, -1, 0, 1):
 *   step 1: e^g S = 0.5; S = 0.5 + 0.25*2*(3 - 0.5*2) = 1.5
 *   step 2: S = 1.5 + 1*1*(-1 - 1.5) = -1;
 * outputs scale*S*q with scale 2 (explicit), q = 1 and 3: 3 and -6. */
START_TEST(linear_attention_delta_by_hand)
{
    const int64_t d[3] = {1, 2, 1}, sd[4] = {1, 1, 1, 1};
    const float q[2] = {1, 3}, k[2] = {2, 1}, v[2] = {3, -1}, g[2] = {(float)log(0.5), 0}, beta[2] = {0.25f, 1}, p = 1;
    tb_model *m = tb_new(27);
    tb_input(m, "q", OBN_FLOAT, 3, d);
    tb_input(m, "k", OBN_FLOAT, 3, d);
    tb_input(m, "v", OBN_FLOAT, 3, d);
    tb_init_f32(m, "p", 4, sd, &p);
    tb_init_f32(m, "g", 3, d, g);
    tb_init_f32(m, "beta", 3, d, beta);
    Onnx__NodeProto *n = tb_node(m, "LinearAttention", "la", "q,k,v,p,g,beta", "y,s");
    tb_attr_int(m, n, "q_num_heads", 1);
    tb_attr_int(m, n, "kv_num_heads", 1);
    tb_attr_float(m, n, "scale", 2);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    tb_output(m, "s", OBN_FLOAT, -1, NULL);
    obn_tensor *in[3] = {ot_tensor(OBN_FLOAT, 3, d, q), ot_tensor(OBN_FLOAT, 3, d, k), ot_tensor(OBN_FLOAT, 3, d, v)}, *out[2];
    OT_RUN_OK(m, 3, in, 2, out);
    const double wy[2] = {3, -6}, ws = -1;
    ot_expect_f32(out[0], wy, 2, 1e-6);
    ot_expect_f32(out[1], &ws, 1, 1e-6);
    ot_destroy(3, in);
    ot_destroy(2, out);
    tb_free(m);
}
END_TEST

START_TEST(linear_attention_errors)
{
    const int64_t qd[3] = {1, 2, 12}, kd[3] = {1, 2, 8}, sd[4] = {1, 2, 4, 4};
    tb_model *m = la_model("gated", 3, 2, qd, kd, NULL, sd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"la\"", "q_num_heads 3 is not a multiple of kv_num_heads 2");
    tb_free(m);
    m = la_model("gated", 2, 2, kd, kd, NULL, sd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"la\"", "update_rule gated needs input 'decay'");
    tb_free(m);
    m = la_model("linear", 4, 2, qd, kd, NULL, sd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"la\"", "do not split into 4 query and 2 key/value heads");
    tb_free(m);
    m = la_model("fast", 2, 2, kd, kd, NULL, sd);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "\"la\"", "'update_rule' is 'fast'");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recurrent_state");
    TCase *t = tcase_create("recurrent_state");
    tcase_add_test(t, causal_conv_formula);
    tcase_add_test(t, linear_attention_unrolled);
    tcase_add_test(t, linear_attention_delta_by_hand);
    tcase_add_test(t, linear_attention_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
