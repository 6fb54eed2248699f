/* RNN, GRU and LSTM against the ONNX equations evaluated here in double,
 * one batch entry and step at a time (tolerance 1e-5 relative on float,
 * 2e-3 on float16): forward, reverse and bidirectional, sequence_lens
 * (including 0 and partial lengths), initial states, both layouts, bias,
 * peepholes, clip, input_forget, linear_before_reset and non-default
 * activations with their alpha/beta; plus the version rules and errors. */
#include <stdio.h>

#include "kernels/half.h"
#include "op_testing.h"

enum { T = 4, B = 3, I = 2, H = 3 };

typedef struct {
    const char *op;
    int opset;
    const char *direction;
    int layout, with_bias, with_state, with_lens, peephole, clip, input_forget, lbr, custom_acts;
} rnn_case;

static int gates_of(const char *op) { return op[0] == 'G' ? 3 : op[0] == 'L' ? 4 : 1; }

static double sigm(double x) { return 1 / (1 + exp(-x)); }

/* The activations of the custom-activation cases: f = HardSigmoid(0.3, 0.4),
 * g = LeakyRelu(0.2), h = Softsign (as many as the cell uses). */
static double fa(const rnn_case *c, double x) { return c->custom_acts ? fmax(0, fmin(1, 0.3 * x + 0.4)) : (c->op[0] == 'R' ? tanh(x) : sigm(x)); }
static double ga(const rnn_case *c, double x) { return c->custom_acts ? (x >= 0 ? x : 0.2 * x) : tanh(x); }
static double ha(const rnn_case *c, double x) { return c->custom_acts ? x / (1 + fabs(x)) : tanh(x); }

static double clp(const rnn_case *c, double v) { return c->clip ? fmax(-0.5, fmin(0.5, v)) : v; }

typedef struct {
    float x[T * B * I], w[2 * 4 * H * I], r[2 * 4 * H * H], bias[2 * 8 * H], h0[2 * B * H], c0[2 * B * H], p[2 * 3 * H];
    int32_t lens[B];
} rnn_data;

/* Reference of direction d: fills y (layout 0: [T][D][B][H]) and yh, yc. */
static void reference(const rnn_case *c, const rnn_data *in, int D, int d, double *y, double *yh, double *yc)
{
    int G = gates_of(c->op);
    bool rev = d == 1 || strcmp(c->direction, "reverse") == 0;
    for (int b = 0; b < B; b++) {
        double h[H], cs[H];
        int hb = c->layout ? (b * D + d) * H : (d * B + b) * H;
        for (int j = 0; j < H; j++) {
            h[j] = c->with_state ? in->h0[hb + j] : 0;
            cs[j] = c->with_state ? in->c0[hb + j] : 0;
        }
        int len = c->with_lens ? in->lens[b] : T;
        for (int t = 0; t < T; t++) y[((t * D + d) * B + b) * H + 0] = 0, y[((t * D + d) * B + b) * H + 1] = 0, y[((t * D + d) * B + b) * H + 2] = 0;
        for (int s = 0; s < len; s++) {
            int t = rev ? len - 1 - s : s;
            const float *xt = in->x + (c->layout ? (b * T + t) : (t * B + b)) * I;
            double a[4 * H], rec[4 * H];
            for (int gj = 0; gj < G * H; gj++) {
                a[gj] = 0;
                rec[gj] = 0;
                for (int k = 0; k < I; k++) a[gj] += xt[k] * in->w[(d * G * H + gj) * I + k];
                for (int k = 0; k < H; k++) rec[gj] += h[k] * in->r[(d * G * H + gj) * H + k];
                if (c->with_bias) {
                    a[gj] += in->bias[d * 2 * G * H + gj];
                    rec[gj] += in->bias[d * 2 * G * H + G * H + gj];
                }
            }
            double hn[H];
            for (int j = 0; j < H; j++) {
                if (G == 1) {
                    hn[j] = fa(c, clp(c, a[j] + rec[j]));
                } else if (G == 3) {
                    double z = fa(c, clp(c, a[j] + rec[j])), r = fa(c, clp(c, a[H + j] + rec[H + j])), hr;
                    if (c->lbr) {
                        hr = r * rec[2 * H + j];
                    } else { /* (r . h) R_h^T + Rb_h */
                        hr = c->with_bias ? in->bias[d * 6 * H + 5 * H + j] : 0;
                        for (int k = 0; k < H; k++) {
                            double rk = fa(c, clp(c, a[H + k] + rec[H + k]));
                            hr += rk * h[k] * in->r[(d * 3 * H + 2 * H + j) * H + k];
                        }
                    }
                    hn[j] = (1 - z) * ga(c, clp(c, a[2 * H + j] + hr)) + z * h[j];
                } else {
                    const float *p = in->p + d * 3 * H;
                    double i = fa(c, clp(c, a[j] + rec[j] + (c->peephole ? p[j] * cs[j] : 0)));
                    double f = c->input_forget ? 1 - i : fa(c, clp(c, a[2 * H + j] + rec[2 * H + j] + (c->peephole ? p[2 * H + j] * cs[j] : 0)));
                    double g = ga(c, clp(c, a[3 * H + j] + rec[3 * H + j]));
                    cs[j] = f * cs[j] + i * g;
                    double o = fa(c, clp(c, a[H + j] + rec[H + j] + (c->peephole ? p[H + j] * cs[j] : 0)));
                    hn[j] = o * ha(c, cs[j]);
                }
            }
            for (int j = 0; j < H; j++) {
                h[j] = hn[j];
                y[((t * D + d) * B + b) * H + j] = h[j];
            }
        }
        for (int j = 0; j < H; j++) {
            yh[hb + j] = h[j];
            yc[hb + j] = cs[j];
        }
    }
}

static void run_case(const rnn_case *c, obn_dtype dt)
{
    int G = gates_of(c->op), D = strcmp(c->direction, "bidirectional") == 0 ? 2 : 1;
    bool lstm = c->op[0] == 'L';
    rnn_data in;
    ot_fill(in.x, T * B * I, 1, -1, 1);
    ot_fill(in.w, D * G * H * I, 2, -0.8f, 0.8f);
    ot_fill(in.r, D * G * H * H, 3, -0.8f, 0.8f);
    ot_fill(in.bias, D * 2 * G * H, 4, -0.5f, 0.5f);
    ot_fill(in.h0, D * B * H, 5, -1, 1);
    ot_fill(in.c0, D * B * H, 6, -1, 1);
    ot_fill(in.p, D * 3 * H, 7, -0.5f, 0.5f);
    const int32_t lens[B] = {4, 0, 2};
    memcpy(in.lens, lens, sizeof lens);
    const int64_t xd0[3] = {T, B, I}, xd1[3] = {B, T, I}, wd[3] = {D, G * H, I}, rd[3] = {D, G * H, H}, bd[2] = {D, 2 * G * H};
    const int64_t sd0[3] = {D, B, H}, sd1[3] = {B, D, H}, ld[1] = {B}, pd[2] = {D, 3 * H};
    const int64_t *xd = c->layout ? xd1 : xd0, *sd = c->layout ? sd1 : sd0;
    tb_model *m = tb_new(c->opset);
    tb_input(m, "x", dt, 3, xd);
    /* weights as graph inputs of dt */
    tb_input(m, "w", dt, 3, wd);
    tb_input(m, "r", dt, 3, rd);
    tb_input(m, "b", dt, 2, bd);
    tb_input(m, "h0", dt, 3, sd);
    tb_input(m, "c0", dt, 3, sd);
    tb_input(m, "p", dt, 2, pd);
    tb_add_init(m, tb_tensor(m, "lens", OBN_INT32, 1, ld, in.lens, sizeof in.lens));
    char inputs[64];
    snprintf(inputs, sizeof inputs, "x,w,r,%s,%s,%s%s", c->with_bias ? "b" : "", c->with_lens ? "lens" : "", c->with_state ? "h0" : "",
             lstm ? (c->with_state ? (c->peephole ? ",c0,p" : ",c0") : (c->peephole ? ",,p" : "")) : "");
    Onnx__NodeProto *n = tb_node(m, c->op, "rnn", inputs, lstm ? "y,yh,yc" : "y,yh");
    tb_attr_int(m, n, "hidden_size", H);
    tb_attr_string(m, n, "direction", c->direction);
    if (c->layout) tb_attr_int(m, n, "layout", 1);
    if (c->clip) tb_attr_float(m, n, "clip", 0.5f);
    if (c->input_forget) tb_attr_int(m, n, "input_forget", 1);
    if (c->lbr) tb_attr_int(m, n, "linear_before_reset", 1);
    if (c->custom_acts) {
        const char *names[6] = {"HardSigmoid", "LeakyRelu", "Softsign", "HardSigmoid", "LeakyRelu", "Softsign"};
        int per = G == 1 ? 1 : G == 3 ? 2 : 3;
        const char *list[6];
        for (int k = 0; k < per * D; k++) list[k] = names[k % per == 0 ? 0 : k % per];
        tb_attr_strings(m, n, "activations", (size_t)(per * D), list);
        /* alphas consumed in order: HardSigmoid 0.3 (then its beta 0.4), LeakyRelu 0.2, per direction */
        float alphas[4] = {0.3f, 0.2f, 0.3f, 0.2f}, betas[2] = {0.4f, 0.4f};
        int n_alpha = G == 1 ? D : 2 * D, n_beta = D;
        if (G == 1) alphas[1] = 0.3f;
        tb_attr_floats(m, n, "activation_alpha", (size_t)n_alpha, alphas);
        tb_attr_floats(m, n, "activation_beta", (size_t)n_beta, betas);
    }
    tb_output(m, "y", dt, -1, NULL);
    tb_output(m, "yh", dt, -1, NULL);
    if (lstm) tb_output(m, "yc", dt, -1, NULL);
    const float *srcs[7] = {in.x, in.w, in.r, in.bias, in.h0, in.c0, in.p};
    const int64_t *dims[7] = {xd, wd, rd, bd, sd, sd, pd};
    const int ranks[7] = {3, 3, 3, 2, 3, 3, 2};
    obn_tensor *ins[7], *outs[3] = {NULL, NULL, NULL};
    uint16_t half[128];
    for (int k = 0; k < 7; k++) {
        if (dt == OBN_FLOAT) {
            ins[k] = ot_tensor(dt, ranks[k], dims[k], srcs[k]);
            continue;
        }
        int64_t cnt = ot_numel(ranks[k], dims[k]);
        for (int64_t e = 0; e < cnt; e++) half[e] = obn_f32_to_f16(srcs[k][e]);
        ins[k] = ot_tensor(dt, ranks[k], dims[k], half);
    }
    OT_RUN_OK(m, 7, ins, lstm ? 3 : 2, outs);
    double y[T * 2 * B * H], yh[2 * B * H], yc[2 * B * H];
    for (int d = 0; d < D; d++) reference(c, &in, D, d, y, yh, yc);
    double yl[T * 2 * B * H]; /* in the output layout */
    for (int t = 0; t < T; t++)
        for (int d = 0; d < D; d++)
            for (int b = 0; b < B; b++)
                for (int j = 0; j < H; j++)
                    yl[c->layout ? ((b * T + t) * D + d) * H + j : ((t * D + d) * B + b) * H + j] = y[((t * D + d) * B + b) * H + j];
    int64_t ny = T * D * B * H, ns = D * B * H;
    if (dt == OBN_FLOAT) {
        ot_expect_f32(outs[0], yl, ny, 1e-5);
        ot_expect_f32(outs[1], yh, ns, 1e-5);
        if (lstm) ot_expect_f32(outs[2], yc, ns, 1e-5);
    } else {
        const uint16_t *got = obn_tensor_cdata(outs[0]);
        for (int64_t e = 0; e < ny; e++)
            ck_assert_msg(fabs(obn_f16_to_f32(got[e]) - yl[e]) <= 2e-3 * (1 + fabs(yl[e])), "%s Y[%lld] = %g, expected %g", c->op,
                          (long long)e, obn_f16_to_f32(got[e]), yl[e]);
    }
    ot_destroy(7, ins);
    ot_destroy(lstm ? 3 : 2, outs);
    tb_free(m);
}

static const rnn_case cases[] = {
    {"RNN", 14, "forward", 0, 1, 1, 0, 0, 0, 0, 0, 0},
    {"RNN", 14, "bidirectional", 1, 1, 1, 1, 0, 1, 0, 0, 1},
    {"RNN", 7, "reverse", 0, 0, 0, 1, 0, 0, 0, 0, 0},
    {"GRU", 14, "forward", 0, 1, 1, 0, 0, 0, 0, 0, 0},
    {"GRU", 14, "bidirectional", 0, 1, 1, 1, 0, 0, 0, 1, 0},
    {"GRU", 7, "reverse", 0, 1, 0, 1, 0, 1, 0, 0, 1},
    {"GRU", 14, "forward", 1, 1, 1, 1, 0, 0, 0, 1, 1},
    {"LSTM", 14, "forward", 0, 1, 1, 0, 1, 0, 0, 0, 0},
    {"LSTM", 14, "bidirectional", 1, 1, 1, 1, 1, 1, 0, 0, 0},
    {"LSTM", 7, "reverse", 0, 1, 0, 1, 0, 0, 1, 0, 1},
    {"LSTM", 14, "bidirectional", 0, 0, 1, 1, 1, 0, 1, 0, 1},
};

START_TEST(rnn_matches_equations)
{
    run_case(&cases[_i], OBN_FLOAT);
}
END_TEST

START_TEST(rnn_float16)
{
    const rnn_case c16[3] = {cases[1], cases[4], cases[8]};
    for (int k = 0; k < 3; k++) run_case(&c16[k], OBN_FLOAT16);
}
END_TEST

START_TEST(rnn_errors)
{
    const int64_t xd[3] = {2, 1, 3}, wd[3] = {1, 8, 3}, rd[3] = {1, 8, 2}, bad[3] = {1, 8, 4};
    struct {
        const char *op;
        int opset;
        const char *attr;
        const int64_t *wdims;
        obn_dtype dt;
        obn_status code;
        const char *msg;
    } cs[] = {{"LSTM", 7, "layout", wd, OBN_FLOAT, OBN_E_INVALID_MODEL, "'layout' is not part of LSTM-7"},
              {"LSTM", 14, NULL, bad, OBN_FLOAT, OBN_E_INVALID_MODEL, "input 'W' ('w') has shape [1,8,4]; expected [1,8,3]"},
              {"LSTM", 14, NULL, wd, OBN_DOUBLE, OBN_E_UNSUPPORTED, "LSTM on double is not implemented"},
              {"GRU", 1, "linear_before_reset", wd, OBN_FLOAT, OBN_E_INVALID_MODEL, "'linear_before_reset' is not part of GRU-1"}};
    for (int k = 0; k < 4; k++) {
        tb_model *m = tb_new(cs[k].opset);
        tb_input(m, "x", cs[k].dt, 3, xd);
        tb_input(m, "w", cs[k].dt, 3, cs[k].wdims);
        tb_input(m, "r", cs[k].dt, 3, rd);
        Onnx__NodeProto *n = tb_node(m, cs[k].op, "l", "x,w,r", "y,yh");
        if (cs[k].attr) tb_attr_int(m, n, cs[k].attr, 1);
        tb_output(m, "y", cs[k].dt, -1, NULL);
        tb_output(m, "yh", cs[k].dt, -1, NULL);
        OT_EXPECT_CREATE_ERROR(m, cs[k].code, "\"l\"", cs[k].msg);
        tb_free(m);
    }
    /* a sequence length beyond the sequence, known only when running */
    const int64_t ld[1] = {1};
    tb_model *m = tb_new(14);
    tb_input(m, "x", OBN_FLOAT, 3, xd);
    tb_input(m, "w", OBN_FLOAT, 3, wd);
    tb_input(m, "r", OBN_FLOAT, 3, rd);
    tb_input(m, "lens", OBN_INT32, 1, ld);
    tb_node(m, "LSTM", "l", "x,w,r,,lens", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    float zeros[24] = {0};
    const int32_t three = 3;
    obn_tensor *ins[4] = {ot_tensor(OBN_FLOAT, 3, xd, zeros), ot_tensor(OBN_FLOAT, 3, wd, zeros), ot_tensor(OBN_FLOAT, 3, rd, zeros),
                          ot_tensor(OBN_INT32, 1, ld, &three)},
               *y;
    ck_assert_int_eq(ot_run(m, 4, ins, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("\"l\"", "sequence_lens[0] = 3 is outside [0, 2]", (const char *)NULL);
    ot_destroy(4, ins);
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rnn");
    TCase *t = tcase_create("rnn");
    tcase_add_loop_test(t, rnn_matches_equations, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(t, rnn_float16);
    tcase_add_test(t, rnn_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
