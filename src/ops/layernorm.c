/* LayerNormalization (17) and RMSNormalization (23): each row of X, the
 * elements of the axes [axis, rank), is standardised on its own, then scaled
 * (and shifted) element-wise:
 *   LayerNormalization: y = (x - mean) / sqrt(var + epsilon) * Scale + B
 *   RMSNormalization:   y = x / sqrt(mean(x^2) + epsilon) * scale
 * axis defaults to -1 (negative counts from the end); LayerNormalization
 * allows [-r, r] (axis = r normalises every element alone), RMSNormalization
 * [-r, r). Scale and B broadcast unidirectionally to X; onnxbn takes them
 * along the normalised axes only (one value per normalised element, 1 where
 * they repeat) and refuses parameters that differ from row to row.
 * LayerNormalization's optional Mean and InvStdDev outputs have X's shape
 * with the normalised axes set to 1, in the stash type (float or bfloat16).
 * RMSNormalization reads X of type T and writes Y in scale's type V.
 * Stage one runs in double when any of X, the stash type or Y is double, in
 * float otherwise; statistics accumulate in double (two passes). */
#include <string.h>

#include "norm_common.h"

typedef struct {
    int64_t axis;
    float epsilon;
    obn_dtype stash;
    bool rms; /* RMSNormalization */
} ln_attrs;

static bool is_rms(const obn_op_ctx *ctx) { return ((const ln_attrs *)ctx->attrs)->rms; }

static obn_status ln_parse(const obn_node *n, int v, void *out)
{
    static const obn_dtype ln_stash[] = {OBN_FLOAT, OBN_BFLOAT16, OBN_UNDEFINED};
    static const obn_dtype rms_stash[] = {OBN_FLOAT, OBN_DOUBLE, OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};
    (void)v;
    ln_attrs *a = out;
    a->rms = strcmp(n->op_type, "RMSNormalization") == 0;
    OBN_TRY(obn_attr_get_int(n, "axis", -1, &a->axis));
    OBN_TRY(obn_norm_epsilon(n, &a->epsilon));
    return obn_norm_stash_type(n, a->rms ? rms_stash : ln_stash, &a->stash);
}

/* Input k (Scale/B) must repeat along the axes before `axis` and match or
 * broadcast along the normalised ones. */
static obn_status check_param(const obn_op_ctx *ctx, int k, const char *role, int axis)
{
    const obn_tensor *x = ctx->inputs[0], *p = ctx->inputs[k];
    char sp[OBN_SHAPE_STR_CAP], sx[OBN_SHAPE_STR_CAP];
    obn_shape_str(p->rank, p->dims, sp, sizeof sp);
    obn_shape_str(x->rank, x->dims, sx, sizeof sx);
    if (p->rank > x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s, of higher rank than X %s", role,
                           obn_in_name(ctx, k), sp, sx);
    for (int d = 0; d < p->rank; d++) {
        int xd = x->rank - p->rank + d;
        if (p->dims[d] == 1) continue;
        if (p->dims[d] != x->dims[xd])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "input '%s' ('%s') has shape %s, which does not broadcast to X %s (axis %d)", role,
                               obn_in_name(ctx, k), sp, sx, xd);
        if (xd < axis)
            return obn_ctx_err(ctx, OBN_E_UNSUPPORTED,
                               "input '%s' ('%s') has shape %s, which varies along axis %d of X %s, before the "
                               "normalised axes from %d; onnxbn needs the same %s for every row",
                               role, obn_in_name(ctx, k), sp, xd, sx, axis, role);
    }
    return OBN_OK;
}

static obn_status ln_axis(const obn_op_ctx *ctx, int *axis)
{
    const ln_attrs *a = ctx->attrs;
    int rank = ctx->inputs[0]->rank;
    if (rank == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') is a scalar; %s needs rank >= 1",
                           obn_in_name(ctx, 0), ctx->node->op_type);
    if (!is_rms(ctx) && a->axis == rank) { /* LayerNormalization allows [-r, r] */
        *axis = rank;
        return OBN_OK;
    }
    return obn_norm_axis(ctx, a->axis, rank, false, axis);
}

static obn_status ln_infer(obn_op_ctx *ctx)
{
    const ln_attrs *a = ctx->attrs;
    const char *scale_role = is_rms(ctx) ? "scale" : "Scale";
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_input_dtype(ctx, 1, scale_role, OBN_FLOAT_TYPES));
    if (!is_rms(ctx)) OBN_TRY(obn_check_same_dtype(ctx, 1, "Scale", 0, "X"));
    if (obn_has_input(ctx, 2)) OBN_TRY(obn_check_same_dtype(ctx, 2, "B", 0, "X"));
    int axis;
    OBN_TRY(ln_axis(ctx, &axis));
    OBN_TRY(check_param(ctx, 1, scale_role, axis));
    if (obn_has_input(ctx, 2)) OBN_TRY(check_param(ctx, 2, "B", axis));
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_set_output(ctx, 0, is_rms(ctx) ? ctx->inputs[1]->dtype : x->dtype, x->rank, x->dims));
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = d < axis ? x->dims[d] : 1;
    OBN_TRY(obn_set_output(ctx, 1, a->stash, x->rank, dims));
    return obn_set_output(ctx, 2, a->stash, x->rank, dims);
}

/* The row-kernel view: rows of the normalised elements, one parameter per
 * element. */
static void describe_rows(const obn_op_ctx *ctx, int axis, const obn_norm_state *st, obn_norm_rows *d)
{
    const ln_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_dtype yt = is_rms(ctx) ? ctx->inputs[1]->dtype : x->dtype;
    memset(d, 0, sizeof *d);
    d->rows = obn_dims_product(x->dims, 0, axis);
    d->len = obn_dims_product(x->dims, axis, x->rank);
    d->groups = 1;
    d->runs = d->len;
    d->stat = is_rms(ctx) ? OBN_NORM_RMS : OBN_NORM_STANDARD;
    d->eps = a->epsilon;
    d->x_fmt = obn_kfmt_of(x->dtype);
    d->y_fmt = obn_kfmt_of(yt);
    d->compute = obn_norm_compute_fmt(x->dtype, a->stash, yt);
    d->stat_fmt = obn_kfmt_of(a->stash);
    if (st) {
        d->scale = st->scale;
        d->bias = st->bias;
    }
    if (obn_has_output(ctx, 1)) d->mean = ctx->outputs[1]->data;
    if (obn_has_output(ctx, 2)) d->inv_std = ctx->outputs[2]->data;
}

/* Scale and B broadcast to the normalised dims, in the compute format. */
static void fill_params(const obn_op_ctx *ctx, int axis, obn_norm_state *st)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_norm_state_fill(st, ctx->inputs[1], obn_has_input(ctx, 2) ? ctx->inputs[2] : NULL, x->rank - axis,
                        x->dims + axis);
}

static obn_status ln_prepare(obn_op_ctx *ctx, void **state)
{
    int axis;
    OBN_TRY(ln_axis(ctx, &axis));
    obn_norm_rows d;
    describe_rows(ctx, axis, NULL, &d);
    bool has_b = obn_has_input(ctx, 2);
    obn_norm_state *st;
    OBN_TRY(obn_norm_state_new(d.compute, d.len, has_b, &st));
    if (ctx->inputs[1]->data && (!has_b || ctx->inputs[2]->data)) {
        fill_params(ctx, axis, st);
        st->ready = true;
    }
    *state = st;
    return OBN_OK;
}

static size_t ln_workspace(const obn_op_ctx *ctx)
{
    int axis;
    if (ln_axis(ctx, &axis) != OBN_OK) return 0;
    obn_norm_rows d;
    describe_rows(ctx, axis, NULL, &d);
    return obn_norm_rows_workspace(&d, ctx->threads);
}

static obn_status ln_run(obn_op_ctx *ctx)
{
    obn_norm_state *st = ctx->state;
    int axis;
    OBN_TRY(ln_axis(ctx, &axis));
    if (!st->ready) fill_params(ctx, axis, st);
    obn_norm_rows d;
    describe_rows(ctx, axis, st, &d);
    return obn_norm_rows_exec(ctx, &d);
}

static const int ln_versions[] = {17, 0};
static const char *const attr_names[] = {"axis", "epsilon", "stash_type", NULL};
static const obn_op_sig ln_sigs[] = {{17, "X Scale ?B", "Y ?Mean ?InvStdDev"}, {0}};

const obn_op obn_op_layer_normalization = {
    .domain = "",
    .op_type = "LayerNormalization",
    .since_versions = ln_versions,
    .attr_names = attr_names,
    .sigs = ln_sigs,
    .attrs_size = sizeof(ln_attrs),
    .parse = ln_parse,
    .infer = ln_infer,
    .run = ln_run,
    .prepare = ln_prepare,
    .free_state = obn_norm_state_free,
    .workspace = ln_workspace,
};
OBN_REGISTER_OP(obn_op_layer_normalization);

static const int rms_versions[] = {23, 0};
static const obn_op_sig rms_sigs[] = {{23, "X scale", "Y"}, {0}};

const obn_op obn_op_rms_normalization = {
    .domain = "",
    .op_type = "RMSNormalization",
    .since_versions = rms_versions,
    .attr_names = attr_names,
    .sigs = rms_sigs,
    .attrs_size = sizeof(ln_attrs),
    .parse = ln_parse,
    .infer = ln_infer,
    .run = ln_run,
    .prepare = ln_prepare,
    .free_state = obn_norm_state_free,
    .workspace = ln_workspace,
};
OBN_REGISTER_OP(obn_op_rms_normalization);
