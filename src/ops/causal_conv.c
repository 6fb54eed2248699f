/* CausalConvWithState (27): a stateful causal depthwise 1-D convolution.
 * input [B, C, L], weight [C, 1, K], optional bias [C] and past_state
 * [B, C, K-1] (zeros when absent). With the padded sequence
 * z = concat(past_state, input) along time (K-1 + L samples),
 *   output[b, c, t] = act(bias[c] + sum_k weight[c, 0, k] * z[b, c, t + k])
 *   present_state[b, c, :] = the last K-1 samples of z,
 * act being the identity (activation "none", the default) or SiLU
 * x * sigmoid(x) ("silu", also spelt "swish"). Computed in double; types
 * float, float16, bfloat16. */
#include <math.h>
#include <string.h>

#include "op_helpers.h"

typedef struct {
    bool silu;
} ccws_attrs;

static obn_status ccws_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    const char *act;
    OBN_TRY(obn_attr_get_string(n, "activation", "none", &act));
    ccws_attrs *a = out;
    a->silu = strcmp(act, "silu") == 0 || strcmp(act, "swish") == 0;
    if (!a->silu && strcmp(act, "none") != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'activation' is '%s'; expected none, silu or swish", act);
    return OBN_OK;
}

/* t matches the shape of `dims` (rank `rank`); names both in the message. */
static obn_status expect_shape(const obn_op_ctx *ctx, int k, const char *role, int rank, const int64_t *dims)
{
    const obn_tensor *t = ctx->inputs[k];
    bool ok = t->rank == rank;
    for (int d = 0; ok && d < rank; d++) ok = t->dims[d] == dims[d];
    if (ok) return OBN_OK;
    char got[OBN_SHAPE_STR_CAP], want[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected %s", role, obn_in_name(ctx, k),
                       obn_shape_str(t->rank, t->dims, got, sizeof got), obn_shape_str(rank, dims, want, sizeof want));
}

static obn_status ccws_infer(obn_op_ctx *ctx)
{
    static const obn_dtype types[] = {OBN_FLOAT, OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", types));
    OBN_TRY(obn_check_rank(ctx, 0, "input", 3, 3));
    OBN_TRY(obn_check_same_dtype(ctx, 1, "weight", 0, "input"));
    const obn_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
    int64_t b = x->dims[0], c = x->dims[1], k = w->rank == 3 ? w->dims[2] : 0;
    const int64_t wd[3] = {c, 1, k}, cd[1] = {c}, sd[3] = {b, c, k - 1};
    if (k < 1) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'weight' ('%s') must be [C, 1, K] with K >= 1", obn_in_name(ctx, 1));
    OBN_TRY(expect_shape(ctx, 1, "weight", 3, wd));
    if (obn_has_input(ctx, 2)) {
        OBN_TRY(obn_check_same_dtype(ctx, 2, "bias", 0, "input"));
        OBN_TRY(expect_shape(ctx, 2, "bias", 1, cd));
    }
    if (obn_has_input(ctx, 3)) {
        OBN_TRY(obn_check_same_dtype(ctx, 3, "past_state", 0, "input"));
        OBN_TRY(expect_shape(ctx, 3, "past_state", 3, sd));
    }
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, 3, x->dims));
    return obn_set_output(ctx, 1, x->dtype, 3, sd);
}

/* One channel's padded sequence z (K-1 + L samples) in double. */
static size_t ccws_workspace(const obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
    return (size_t)(x->dims[2] + w->dims[2] - 1) * sizeof(double);
}

static obn_status ccws_run(obn_op_ctx *ctx)
{
    const ccws_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *w = ctx->inputs[1];
    const obn_tensor *bias = obn_has_input(ctx, 2) ? ctx->inputs[2] : NULL, *past = obn_has_input(ctx, 3) ? ctx->inputs[3] : NULL;
    obn_tensor *y = ctx->outputs[0], *state = obn_has_output(ctx, 1) ? ctx->outputs[1] : NULL;
    int64_t B = x->dims[0], C = x->dims[1], L = x->dims[2], K = w->dims[2];
    double *z = ctx->workspace;
    for (int64_t b = 0; b < B; b++)
        for (int64_t c = 0; c < C; c++) {
            int64_t row = b * C + c;
            for (int64_t i = 0; i < K - 1; i++) z[i] = past ? obn_load_f64(past, row * (K - 1) + i) : 0.0;
            for (int64_t t = 0; t < L; t++) z[K - 1 + t] = obn_load_f64(x, row * L + t);
            double b0 = bias ? obn_load_f64(bias, c) : 0.0;
            for (int64_t t = 0; t < L; t++) {
                double acc = b0;
                for (int64_t k = 0; k < K; k++) acc += obn_load_f64(w, c * K + k) * z[t + k];
                obn_store_f64(y, row * L + t, a->silu ? acc / (1.0 + exp(-acc)) : acc);
            }
            for (int64_t i = 0; state && i < K - 1; i++) obn_store_f64(state, row * (K - 1) + i, z[L + i]);
        }
    return OBN_OK;
}

static const int versions[] = {27, 0};
static const char *const attr_names[] = {"activation", NULL};
static const obn_op_sig ccws_sigs[] = {{27, "input weight ?bias ?past_state", "output present_state"}, {0}};

const obn_op obn_op_causal_conv_with_state = {
    .domain = "",
    .op_type = "CausalConvWithState",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = ccws_sigs,
    .attrs_size = sizeof(ccws_attrs),
    .parse = ccws_parse,
    .infer = ccws_infer,
    .run = ccws_run,
    .workspace = ccws_workspace,
};
OBN_REGISTER_OP(obn_op_causal_conv_with_state);
