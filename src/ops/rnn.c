/* The recurrent layers RNN (1, 7, 14, 22), GRU (1, 3, 7, 14, 22) and LSTM
 * (1, 7, 14, 22), after the ONNX equations, with the gate orders of W, R
 * and B (GRU z, r, h; LSTM i, o, f, c; peepholes P i, o, f):
 *   X [seq, batch, input] (layout=1, from 14: [batch, seq, input]),
 *   W [dirs, G*hidden, input], R [dirs, G*hidden, hidden], B [dirs, 2*G*hidden]
 *   (Wb then Rb), sequence_lens int32 [batch] (steps past a sequence's length
 *   leave its state alone and output zeros), initial_h/initial_c
 *   [dirs, batch, hidden] (layout=1: [batch, dirs, hidden]).
 *   Outputs Y [seq, dirs, batch, hidden] (layout=1: [batch, seq, dirs,
 *   hidden]) and the final Y_h (and LSTM's Y_c) in initial_h's layout.
 * direction forward, reverse (each sequence read from its last valid step)
 * or bidirectional (dirs = 2; forward first). activations: names of the
 * cell's functions per direction (RNN f = Tanh; GRU f = Sigmoid, g = Tanh;
 * LSTM f = Sigmoid, g = h = Tanh by default); activation_alpha/_beta are
 * consumed in order by the functions that take them. clip bounds the gate
 * pre-activations; LSTM input_forget couples f = 1 - i; GRU (3+)
 * linear_before_reset applies the reset gate after R_h. The output_sequence
 * attribute of the versions before 7 is accepted (every requested output is
 * produced).
 * float32 runs kernels/rnn on the SGEMM; float16 and bfloat16 (22) are
 * converted to float around it; double is refused. */
#include <string.h>
#include <strings.h>

#include "kernels/rnn.h"
#include "op_helpers.h"

enum { IN_X, IN_W, IN_R, IN_B, IN_LENS, IN_H0, IN_C0, IN_P, N_IN };
enum { OUT_Y, OUT_YH, OUT_YC };

typedef struct {
    obn_rnn_cell cell;
    int64_t hidden;  /* 0: from R */
    int dirs;        /* 1 or 2 */
    bool reverse;    /* direction "reverse" */
    bool layout;     /* batch first */
    bool linear_before_reset, input_forget;
    float clip;
    obn_rnn_fn fns[2][3]; /* per direction: f, g, h */
} rnn_attrs;

static obn_rnn_cell cell_of(const char *op) { return op[0] == 'G' ? OBN_RNN_GRU : op[0] == 'L' ? OBN_RNN_LSTM : OBN_RNN_SIMPLE; }

/* Functions per direction: 1, 2, 3. */
static int n_fns(obn_rnn_cell c) { return c == OBN_RNN_SIMPLE ? 1 : c == OBN_RNN_GRU ? 2 : 3; }

static const struct {
    const char *name;
    obn_rnn_act kind;
    int params;        /* 0: none, 1: alpha, 2: alpha and beta */
    float alpha, beta; /* defaults, those of the ONNX ops of the same name */
} fn_table[] = {{"Sigmoid", OBN_RNN_SIGMOID, 0, 0, 0},          {"Tanh", OBN_RNN_TANH, 0, 0, 0},
                {"Relu", OBN_RNN_RELU, 0, 0, 0},                {"Affine", OBN_RNN_AFFINE, 2, 1.0f, 0.0f},
                {"LeakyRelu", OBN_RNN_LEAKY_RELU, 1, 0.01f, 0}, {"ThresholdedRelu", OBN_RNN_THRESHOLDED_RELU, 1, 1.0f, 0},
                {"ScaledTanh", OBN_RNN_SCALED_TANH, 2, 1.0f, 1.0f}, {"HardSigmoid", OBN_RNN_HARD_SIGMOID, 2, 0.2f, 0.5f},
                {"Elu", OBN_RNN_ELU, 1, 1.0f, 0},               {"Softsign", OBN_RNN_SOFTSIGN, 0, 0, 0},
                {"Softplus", OBN_RNN_SOFTPLUS, 0, 0, 0}};

/* activations with their alpha/beta lists; defaults when absent. */
static obn_status parse_fns(const obn_node *n, rnn_attrs *a)
{
    static const char *const defaults[3][3] = {{"Tanh"}, {"Sigmoid", "Tanh"}, {"Sigmoid", "Tanh", "Tanh"}};
    int per = n_fns(a->cell), want = per * a->dirs;
    const obn_attr *names = obn_node_attr(n, "activations");
    if (names && (names->type != OBN_ATTR_STRINGS || ((int)names->n != want && (int)names->n != per)))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'activations' has %zu names; expected %d", names->n, want);
    float alphas[6], betas[6];
    size_t na, nb, ia = 0, ib = 0;
    OBN_TRY(obn_attr_get_floats(n, "activation_alpha", 6, alphas, &na));
    OBN_TRY(obn_attr_get_floats(n, "activation_beta", 6, betas, &nb));
    for (int k = 0; k < want; k++) {
        const char *name = names ? names->strings[k % names->n] : defaults[a->cell][k % per];
        size_t f = 0, count = sizeof fn_table / sizeof fn_table[0];
        while (f < count && strcasecmp(fn_table[f].name, name) != 0) f++;
        if (f == count) return obn_node_err(n, OBN_E_UNSUPPORTED, "activation '%s' is not supported", name);
        obn_rnn_fn *fn = &a->fns[k / per][k % per];
        fn->kind = fn_table[f].kind;
        fn->alpha = fn_table[f].params >= 1 && ia < na ? alphas[ia++] : fn_table[f].alpha;
        fn->beta = fn_table[f].params >= 2 && ib < nb ? betas[ib++] : fn_table[f].beta;
    }
    return OBN_OK;
}

static obn_status rnn_parse(const obn_node *n, int v, void *out)
{
    rnn_attrs *a = out;
    a->cell = cell_of(n->op_type);
    const char *wrong = NULL;
    if (v >= 7 && obn_node_attr(n, "output_sequence")) wrong = "output_sequence";
    if (v < 14 && obn_node_attr(n, "layout")) wrong = "layout";
    if (a->cell == OBN_RNN_GRU && v < 3 && obn_node_attr(n, "linear_before_reset")) wrong = "linear_before_reset";
    if (wrong) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of %s-%d", wrong, n->op_type, v);
    const char *dir;
    int64_t layout, lbr, coupled, seq_out;
    OBN_TRY(obn_attr_get_string(n, "direction", "forward", &dir));
    if (strcmp(dir, "forward") && strcmp(dir, "reverse") && strcmp(dir, "bidirectional"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'direction' is '%s'; expected forward, reverse or bidirectional", dir);
    a->dirs = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    a->reverse = strcmp(dir, "reverse") == 0;
    OBN_TRY(obn_attr_get_int(n, "hidden_size", 0, &a->hidden));
    if (obn_node_attr(n, "hidden_size") && (a->hidden < 1 || a->hidden > ((int64_t)1 << 24)))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'hidden_size' is %lld", (long long)a->hidden);
    OBN_TRY(obn_attr_int_range(n, "layout", 0, 0, 1, &layout));
    OBN_TRY(obn_attr_int_range(n, "linear_before_reset", 0, 0, 1, &lbr));
    OBN_TRY(obn_attr_int_range(n, "input_forget", 0, 0, 1, &coupled));
    OBN_TRY(obn_attr_int_range(n, "output_sequence", 0, 0, 1, &seq_out));
    a->layout = layout != 0;
    a->linear_before_reset = lbr != 0;
    a->input_forget = coupled != 0;
    OBN_TRY(obn_attr_get_float(n, "clip", 0.0f, &a->clip));
    if (obn_node_attr(n, "clip") && !(a->clip > 0))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'clip' is %g; must be positive", a->clip);
    return parse_fns(n, a);
}

typedef struct {
    int64_t seq, batch, input, hidden;
} rnn_dims;

/* Input k has exactly the shape dims (rank r). */
static obn_status need_shape(const obn_op_ctx *ctx, int k, const char *role, int r, const int64_t *dims)
{
    const obn_tensor *t = ctx->inputs[k];
    bool ok = t->rank == r;
    for (int d = 0; ok && d < r; d++) ok = t->dims[d] == dims[d];
    if (ok) return OBN_OK;
    char got[OBN_SHAPE_STR_CAP], want[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected %s", role, obn_in_name(ctx, k),
                       obn_shape_str(t->rank, t->dims, got, sizeof got), obn_shape_str(r, dims, want, sizeof want));
}

static obn_status rnn_shapes(const obn_op_ctx *ctx, rnn_dims *g)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype int32_only[] = {OBN_INT32, OBN_UNDEFINED};
    const rnn_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "X", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : legacy));
    if (ctx->inputs[IN_X]->dtype == OBN_DOUBLE)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "%s on double is not implemented (float, float16, bfloat16 are)",
                           ctx->node->op_type);
    OBN_TRY(obn_check_rank(ctx, IN_X, "X", 3, 3));
    OBN_TRY(obn_check_rank(ctx, IN_R, "R", 3, 3));
    const obn_tensor *x = ctx->inputs[IN_X], *r = ctx->inputs[IN_R];
    g->seq = x->dims[a->layout ? 1 : 0];
    g->batch = x->dims[a->layout ? 0 : 1];
    g->input = x->dims[2];
    g->hidden = a->hidden ? a->hidden : r->dims[2];
    int64_t G = obn_rnn_gates(a->cell), D = a->dirs, H = g->hidden, GH;
    if (H < 1) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "hidden size %lld (from input 'R')", (long long)H);
    OBN_TRY(obn_mul_dims(ctx, "gates", G, H, &GH));
    const int64_t wd[3] = {D, GH, g->input}, rd[3] = {D, GH, H}, bd[2] = {D, 2 * GH}, ld[1] = {g->batch},
                  sd[3] = {a->layout ? g->batch : D, a->layout ? D : g->batch, H}, pd[2] = {D, 3 * H};
    static const char *const roles[N_IN] = {"X", "W", "R", "B", "sequence_lens", "initial_h", "initial_c", "P"};
    const int64_t *shapes[N_IN] = {NULL, wd, rd, bd, ld, sd, sd, pd};
    const int ranks[N_IN] = {3, 3, 3, 2, 1, 3, 3, 2};
    for (int k = IN_W; k < N_IN && k < ctx->n_inputs; k++) {
        if (!obn_has_input(ctx, k)) continue;
        if ((k == IN_C0 || k == IN_P) && a->cell != OBN_RNN_LSTM) continue; /* not in the signature */
        if (k == IN_LENS) OBN_TRY(obn_check_input_dtype(ctx, k, roles[k], int32_only));
        else OBN_TRY(obn_check_same_dtype(ctx, k, roles[k], IN_X, "X"));
        OBN_TRY(need_shape(ctx, k, roles[k], ranks[k], shapes[k]));
    }
    return OBN_OK;
}

static obn_status rnn_infer(obn_op_ctx *ctx)
{
    const rnn_attrs *a = ctx->attrs;
    rnn_dims g;
    OBN_TRY(rnn_shapes(ctx, &g));
    obn_dtype dt = ctx->inputs[IN_X]->dtype;
    const int64_t y0[4] = {g.seq, a->dirs, g.batch, g.hidden}, y1[4] = {g.batch, g.seq, a->dirs, g.hidden};
    const int64_t s0[3] = {a->dirs, g.batch, g.hidden}, s1[3] = {g.batch, a->dirs, g.hidden};
    OBN_TRY(obn_set_output(ctx, OUT_Y, dt, 4, a->layout ? y1 : y0));
    OBN_TRY(obn_set_output(ctx, OUT_YH, dt, 3, a->layout ? s1 : s0));
    return obn_set_output(ctx, OUT_YC, dt, 3, a->layout ? s1 : s0);
}

/* Float copies of every present non-float input and of every output,
 * packed after the kernel's scratch. */
static size_t staging_floats(const obn_op_ctx *ctx)
{
    if (ctx->inputs[IN_X]->dtype == OBN_FLOAT) return 0;
    size_t n = 0;
    for (int k = 0; k < ctx->n_inputs; k++)
        if (k != IN_LENS && obn_has_input(ctx, k)) n += (size_t)ctx->inputs[k]->numel;
    for (int k = 0; k < ctx->n_outputs; k++)
        if (obn_has_output(ctx, k)) n += (size_t)ctx->outputs[k]->numel;
    return n;
}

/* p + off, or NULL for an absent (or empty, dataless) tensor: never an
 * offset applied to NULL. */
static float *shift(float *p, int64_t off) { return p ? p + off : NULL; }

/* The kernel's description of direction `dir` over float tensors. */
static obn_rnn_dir direction(const obn_op_ctx *ctx, const rnn_dims *g, int dir, float *const *in, float *const *out)
{
    const rnn_attrs *a = ctx->attrs;
    int64_t G = obn_rnn_gates(a->cell), H = g->hidden, D = a->dirs, B = g->batch, T = g->seq;
    obn_rnn_dir d = {.cell = a->cell, .seq = T, .batch = B, .input = g->input, .hidden = H,
                     .reverse = a->reverse || dir == 1, .linear_before_reset = a->linear_before_reset,
                     .input_forget = a->input_forget, .clip = a->clip};
    d.f = a->fns[dir][0];
    d.g = a->fns[dir][1];
    d.h = a->fns[dir][2];
    d.x = in[IN_X];
    d.x_ts = a->layout ? 1 : B;
    d.x_bs = a->layout ? T : 1;
    d.w = shift(in[IN_W], dir * G * H * g->input);
    d.r = shift(in[IN_R], dir * G * H * H);
    d.wb = shift(in[IN_B], dir * 2 * G * H);
    d.rb = shift(in[IN_B], dir * 2 * G * H + G * H);
    d.p = shift(in[IN_P], dir * 3 * H);
    d.seq_lens = obn_has_input(ctx, IN_LENS) ? ctx->inputs[IN_LENS]->data : NULL;
    int64_t state_off = a->layout ? dir * H : dir * B * H;
    d.s_bs = a->layout ? D * H : H;
    d.h0 = shift(in[IN_H0], state_off);
    d.c0 = shift(in[IN_C0], state_off);
    d.yh = shift(out[OUT_YH], state_off);
    d.yc = shift(out[OUT_YC], state_off);
    d.y = shift(out[OUT_Y], a->layout ? dir * H : dir * B * H);
    d.y_ts = a->layout ? D * H : D * B * H;
    d.y_bs = a->layout ? T * D * H : H;
    return d;
}

static size_t rnn_workspace(const obn_op_ctx *ctx)
{
    rnn_dims g;
    if (rnn_shapes(ctx, &g) != OBN_OK) return 0;
    float *none[N_IN] = {NULL};
    obn_rnn_dir d = direction(ctx, &g, 0, none, none);
    return (obn_rnn_workspace_floats(&d, ctx->threads) + staging_floats(ctx)) * sizeof(float);
}

static obn_status rnn_run(obn_op_ctx *ctx)
{
    const rnn_attrs *a = ctx->attrs;
    rnn_dims g;
    OBN_TRY(rnn_shapes(ctx, &g));
    if (obn_has_input(ctx, IN_LENS)) {
        const int32_t *lens = ctx->inputs[IN_LENS]->data;
        for (int64_t b = 0; b < g.batch; b++)
            if (lens[b] < 0 || lens[b] > g.seq)
                return obn_ctx_err(ctx, OBN_E_RUNTIME, "sequence_lens[%lld] = %d is outside [0, %lld]", (long long)b, lens[b],
                                   (long long)g.seq);
    }
    float *ws = ctx->workspace, *in[N_IN] = {NULL}, *out[3] = {NULL};
    float *dummy_in[N_IN] = {NULL};
    obn_rnn_dir probe = direction(ctx, &g, 0, dummy_in, out);
    float *stage = ws + obn_rnn_workspace_floats(&probe, ctx->threads);
    bool convert = ctx->inputs[IN_X]->dtype != OBN_FLOAT;
    for (int k = 0; k < ctx->n_inputs && k < N_IN; k++) {
        if (k == IN_LENS || !obn_has_input(ctx, k)) continue;
        if ((k == IN_C0 || k == IN_P) && a->cell != OBN_RNN_LSTM) continue;
        const obn_tensor *t = ctx->inputs[k];
        in[k] = t->data;
        if (!convert) continue;
        in[k] = stage;
        for (int64_t i = 0; i < t->numel; i++) stage[i] = (float)obn_load_f64(t, i);
        stage += t->numel;
    }
    for (int k = 0; k < 3; k++) {
        if (!obn_has_output(ctx, k) || (k == OUT_YC && a->cell != OBN_RNN_LSTM)) continue;
        out[k] = convert ? stage : ctx->outputs[k]->data;
        if (convert) stage += ctx->outputs[k]->numel;
    }
    for (int dir = 0; dir < a->dirs; dir++) {
        obn_rnn_dir d = direction(ctx, &g, dir, in, out);
        if (obn_rnn_run(&d, ws, ctx->threads))
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "the SGEMM of direction %d failed", dir);
    }
    for (int k = 0; convert && k < 3; k++)
        for (int64_t i = 0; out[k] && i < ctx->outputs[k]->numel; i++) obn_store_f64(ctx->outputs[k], i, out[k][i]);
    return OBN_OK;
}

static const int rnn_versions[] = {1, 7, 14, 22, 0};
static const int gru_versions[] = {1, 3, 7, 14, 22, 0};
static const char *const rnn_attr_names[] = {"activation_alpha", "activation_beta", "activations", "clip", "direction",
                                             "hidden_size", "layout", "output_sequence", NULL};
static const char *const gru_attr_names[] = {"activation_alpha", "activation_beta", "activations", "clip", "direction",
                                             "hidden_size", "layout", "linear_before_reset", "output_sequence", NULL};
static const char *const lstm_attr_names[] = {"activation_alpha", "activation_beta", "activations", "clip", "direction",
                                              "hidden_size", "input_forget", "layout", "output_sequence", NULL};
static const obn_op_sig rnn_sigs[] = {{1, "X W R ?B ?sequence_lens ?initial_h", "?Y ?Y_h"}, {0}};
static const obn_op_sig gru_sigs[] = {{1, "X W R ?B ?sequence_lens ?initial_h", "?Y Y_h"},
                                      {3, "X W R ?B ?sequence_lens ?initial_h", "?Y ?Y_h"}, {0}};
static const obn_op_sig lstm_sigs[] = {{1, "X W R ?B ?sequence_lens ?initial_h ?initial_c ?P", "?Y ?Y_h ?Y_c"}, {0}};

#define RNN_OP(sym, name, vers, attrs, sig)                                                                     \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, .sigs = sig, \
                        .attrs_size = sizeof(rnn_attrs), .parse = rnn_parse, .infer = rnn_infer, .run = rnn_run,  \
                        .workspace = rnn_workspace}

RNN_OP(obn_op_rnn, "RNN", rnn_versions, rnn_attr_names, rnn_sigs);
OBN_REGISTER_OP(obn_op_rnn);
RNN_OP(obn_op_gru, "GRU", gru_versions, gru_attr_names, gru_sigs);
OBN_REGISTER_OP(obn_op_gru);
RNN_OP(obn_op_lstm, "LSTM", rnn_versions, lstm_attr_names, lstm_sigs);
OBN_REGISTER_OP(obn_op_lstm);
