/* NegativeLogLikelihoodLoss (12, 13, 22) and SoftmaxCrossEntropyLoss (12, 13).
 * The input (log-probabilities, or scores for SCE) is (N, C, d1..dk), k >= 0;
 * the target (N, d1..dk) holds classes in [0, C) or ignore_index (when that
 * attribute is given; it may lie outside [0, C)). A sample's loss is
 * -logp[n][t][d] * weight[t] (weight 1 without the optional input), 0 when
 * ignored. reduction "none" keeps them (target's shape), "sum" adds them and
 * "mean" (the default) divides the sum by the sum of the counted samples'
 * weights (their count without weights): NaN when every target is ignored,
 * as in PyTorch. SCE takes logp = LogSoftmax(scores) over C, and returns it
 * as the optional output log_prob. Computed in double; float16, float and
 * double, bfloat16 from NLL-22 and SCE-13. A target outside [0, C) that is
 * not ignored is a run-time error. */
#include <string.h>

#include "kernels/loss.h"
#include "kernels/softmax.h"
#include "norm_common.h"
#include "op_helpers.h"

typedef enum { LOSS_NONE, LOSS_SUM, LOSS_MEAN } loss_reduction;

typedef struct {
    bool softmax; /* SoftmaxCrossEntropyLoss: log-softmax of the scores first */
    loss_reduction reduction;
    bool has_ignore;
    int64_t ignore_index;
} loss_attrs;

static obn_status loss_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    loss_attrs *a = out;
    a->softmax = strcmp(n->op_type, "SoftmaxCrossEntropyLoss") == 0;
    const char *r;
    OBN_TRY(obn_attr_get_string(n, "reduction", "mean", &r));
    if (strcmp(r, "none") == 0) a->reduction = LOSS_NONE;
    else if (strcmp(r, "sum") == 0) a->reduction = LOSS_SUM;
    else if (strcmp(r, "mean") == 0) a->reduction = LOSS_MEAN;
    else
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'reduction' is '%s'; expected none, sum or mean", r);
    a->has_ignore = obn_node_attr(n, "ignore_index") != NULL;
    return obn_attr_get_int(n, "ignore_index", 0, &a->ignore_index);
}

/* The spec's input names, for messages. */
static const char *const nll_roles[] = {"input", "target", "weight"};
static const char *const sce_roles[] = {"scores", "labels", "weights"};

static const char *const *roles(const obn_op_ctx *ctx)
{
    return ((const loss_attrs *)ctx->attrs)->softmax ? sce_roles : nll_roles;
}

static bool takes_bf16(const obn_op_ctx *ctx)
{
    return ctx->since_version >= (((const loss_attrs *)ctx->attrs)->softmax ? 13 : 22);
}

/* Target (N, d1..dk) must be the input's shape without C. */
static obn_status check_target_shape(const obn_op_ctx *ctx)
{
    const char *const *role = roles(ctx);
    const obn_tensor *x = ctx->inputs[0], *t = ctx->inputs[1];
    bool ok = t->rank == x->rank - 1 && t->dims[0] == x->dims[0];
    for (int d = 1; ok && d < t->rank; d++) ok = t->dims[d] == x->dims[d + 1];
    if (ok) return OBN_OK;
    char sx[OBN_SHAPE_STR_CAP], st[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; for '%s' %s it must be (N, d1, ..., dk)",
                       role[1], obn_in_name(ctx, 1), obn_shape_str(t->rank, t->dims, st, sizeof st), role[0],
                       obn_shape_str(x->rank, x->dims, sx, sizeof sx));
}

static obn_status check_weight(const obn_op_ctx *ctx)
{
    const char *const *role = roles(ctx);
    const obn_tensor *w = ctx->inputs[2];
    OBN_TRY(obn_check_same_dtype(ctx, 2, role[2], 0, role[0]));
    if (w->rank == 1 && w->dims[0] == ctx->inputs[0]->dims[1]) return OBN_OK;
    char sw[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; it must be (C) with C = %lld",
                       role[2], obn_in_name(ctx, 2), obn_shape_str(w->rank, w->dims, sw, sizeof sw),
                       (long long)ctx->inputs[0]->dims[1]);
}

static obn_status loss_infer(obn_op_ctx *ctx)
{
    static const obn_dtype no_bf16[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    const loss_attrs *a = ctx->attrs;
    const char *const *role = roles(ctx);
    OBN_TRY(obn_check_input_dtype(ctx, 0, role[0], takes_bf16(ctx) ? OBN_FLOAT_TYPES : no_bf16));
    OBN_TRY(obn_check_input_dtype(ctx, 1, role[1], index_types));
    OBN_TRY(obn_check_rank(ctx, 0, role[0], 2, OBN_MAX_RANK));
    OBN_TRY(check_target_shape(ctx));
    if (obn_has_input(ctx, 2)) OBN_TRY(check_weight(ctx));
    const obn_tensor *x = ctx->inputs[0], *t = ctx->inputs[1];
    if (a->reduction == LOSS_NONE) OBN_TRY(obn_set_output(ctx, 0, x->dtype, t->rank, t->dims));
    else OBN_TRY(obn_set_output(ctx, 0, x->dtype, 0, NULL));
    if (obn_has_output(ctx, 1)) OBN_TRY(obn_set_output(ctx, 1, x->dtype, x->rank, x->dims));
    return OBN_OK;
}

/* SCE keeps the log-probabilities in double. */
static size_t loss_workspace(const obn_op_ctx *ctx)
{
    const loss_attrs *a = ctx->attrs;
    return a->softmax ? (size_t)ctx->inputs[0]->numel * sizeof(double) : 0;
}

static obn_status loss_run(obn_op_ctx *ctx)
{
    const loss_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *t = ctx->inputs[1];
    obn_tensor *y = ctx->outputs[0];
    obn_kfmt fmt = obn_kfmt_of(x->dtype);
    obn_nll_args args = {.n = x->dims[0], .c = x->dims[1], .d = obn_dims_product(x->dims, 2, x->rank),
                         .lp = x->data, .lp_fmt = fmt, .target = t->data, .target64 = t->dtype == OBN_INT64,
                         .weight = obn_has_input(ctx, 2) ? ctx->inputs[2]->data : NULL, .w_fmt = fmt,
                         .has_ignore = a->has_ignore, .ignore_index = a->ignore_index,
                         .loss = a->reduction == LOSS_NONE ? y->data : NULL, .loss_fmt = fmt};
    if (a->softmax) {
        double *lp = ctx->workspace;
        obn_krow_to_f64(x->data, fmt, lp, x->numel);
        obn_softmax_f64(lp, lp, args.n, args.c, args.d, 1, ctx->threads);
        if (obn_has_output(ctx, 1)) obn_krow_from_f64(lp, ctx->outputs[1]->data, fmt, x->numel);
        args.lp = lp;
        args.lp_fmt = OBN_KF64;
    }
    double sum, wsum;
    int64_t bad = obn_nll(&args, &sum, &wsum);
    if (bad >= 0)
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "%s %lld (element %lld of '%s') is outside [0, %lld)%s", roles(ctx)[1],
                           (long long)obn_load_i64(t, bad), (long long)bad, obn_in_name(ctx, 1), (long long)args.c,
                           a->has_ignore ? " and is not ignore_index" : "");
    if (a->reduction != LOSS_NONE) obn_kstore(y->data, fmt, 0, a->reduction == LOSS_SUM ? sum : sum / wsum);
    return OBN_OK;
}

static const int nll_versions[] = {12, 13, 22, 0};
static const int sce_versions[] = {12, 13, 0};
static const char *const attr_names[] = {"ignore_index", "reduction", NULL};
static const obn_op_sig nll_sigs[] = {{12, "input target ?weight", "loss"}, {0}};
static const obn_op_sig sce_sigs[] = {{12, "scores labels ?weights", "output ?log_prob"}, {0}};

#define LOSS_OP(sym, name, vers, sig)                                                                  \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attr_names, \
                        .sigs = sig, .attrs_size = sizeof(loss_attrs), .parse = loss_parse,            \
                        .infer = loss_infer, .run = loss_run, .workspace = loss_workspace}

LOSS_OP(obn_op_nll_loss, "NegativeLogLikelihoodLoss", nll_versions, nll_sigs);
OBN_REGISTER_OP(obn_op_nll_loss);
LOSS_OP(obn_op_sce_loss, "SoftmaxCrossEntropyLoss", sce_versions, sce_sigs);
OBN_REGISTER_OP(obn_op_sce_loss);
