/* InstanceNormalization (1, 6, 22) and GroupNormalization (18, 21).
 *
 * Both standardise X [N, C, D1, ..., Dn] per batch entry over groups of
 * channels and their spatial extent, then apply a per-channel affine map:
 *   y = (x - mean) / sqrt(var + epsilon) * scale + bias
 * InstanceNormalization is the case of one channel per group (scale and B of
 * length C). GroupNormalization has num_groups groups of C/num_groups
 * channels; version 18 gives scale and bias per group (length num_groups),
 * version 21 per channel (length C) and adds stash_type, the precision of the
 * standardisation. Statistics are computed in double with two passes; the
 * elements in float (double for double data; float16 and bfloat16 data in
 * float). Parallel over the N*groups rows. */
#include <string.h>

#include "norm_common.h"

typedef struct {
    float epsilon;
    int64_t num_groups; /* GroupNormalization only */
    obn_dtype stash;
    bool instance;      /* InstanceNormalization: one group per channel */
} gn_attrs;

enum { IN_X, IN_SCALE, IN_BIAS };

static bool is_instance(const obn_op_ctx *ctx) { return ((const gn_attrs *)ctx->attrs)->instance; }
static const char *x_role(const obn_op_ctx *ctx) { return is_instance(ctx) ? "input" : "X"; }
static const char *bias_role(const obn_op_ctx *ctx) { return is_instance(ctx) ? "B" : "bias"; }

static obn_status in_parse(const obn_node *n, int v, void *out)
{
    gn_attrs *a = out;
    const obn_attr *ci = obn_node_attr(n, "consumed_inputs");
    if (ci && v > 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' is not part of InstanceNormalization-%d", v);
    if (ci && ci->type != OBN_ATTR_INTS)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' has type %s, expected INTS",
                            obn_attr_type_name(ci->type));
    a->num_groups = 0;
    a->stash = OBN_FLOAT;
    a->instance = true;
    return obn_norm_epsilon(n, &a->epsilon);
}

static obn_status gn_parse(const obn_node *n, int v, void *out)
{
    static const obn_dtype stash_types[] = {OBN_FLOAT, OBN_DOUBLE, OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};
    gn_attrs *a = out;
    if (!obn_node_attr(n, "num_groups"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'num_groups' is required");
    OBN_TRY(obn_attr_get_int(n, "num_groups", 1, &a->num_groups));
    if (a->num_groups < 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'num_groups' must be >= 1, got %lld",
                            (long long)a->num_groups);
    if (v < 21 && obn_node_attr(n, "stash_type"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'stash_type' is not part of GroupNormalization-%d", v);
    a->stash = OBN_FLOAT;
    a->instance = false;
    if (v >= 21) OBN_TRY(obn_norm_stash_type(n, stash_types, &a->stash));
    return obn_norm_epsilon(n, &a->epsilon);
}

/* Groups, channels per group and parameter length of the node. */
typedef struct {
    int64_t n, c, groups, per_group, spatial, params;
    bool group_params; /* GroupNormalization-18: scale and bias per group */
} gn_geom;

static obn_status gn_geometry(const obn_op_ctx *ctx, gn_geom *g)
{
    const gn_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[IN_X];
    char sh[OBN_SHAPE_STR_CAP];
    memset(g, 0, sizeof *g);
    if (x->rank < 2)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; %s needs rank >= 2 (N, C, ...)",
                           x_role(ctx), obn_in_name(ctx, IN_X), obn_shape_str(x->rank, x->dims, sh, sizeof sh),
                           ctx->node->op_type);
    g->n = x->dims[0];
    g->c = x->dims[1];
    g->spatial = obn_dims_product(x->dims, 2, x->rank);
    g->groups = a->instance ? g->c : a->num_groups;
    if (!a->instance && g->c % a->num_groups != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "num_groups=%lld does not divide the %lld channels of input 'X' ('%s', shape %s)",
                           (long long)a->num_groups, (long long)g->c, obn_in_name(ctx, IN_X),
                           obn_shape_str(x->rank, x->dims, sh, sizeof sh));
    g->per_group = g->groups ? g->c / g->groups : 0;
    g->group_params = !a->instance && ctx->since_version < 21;
    g->params = g->group_params ? g->groups : g->c;
    return OBN_OK;
}

static obn_status check_param(const obn_op_ctx *ctx, int k, const char *role, const gn_geom *g)
{
    const obn_tensor *p = ctx->inputs[k];
    OBN_TRY(obn_check_same_dtype(ctx, k, role, IN_X, x_role(ctx)));
    if (p->numel == g->params) return OBN_OK;
    char sh[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s (%lld elements), expected %s=%lld",
                       role, obn_in_name(ctx, k), obn_shape_str(p->rank, p->dims, sh, sizeof sh), (long long)p->numel,
                       g->group_params ? "num_groups" : "C", (long long)g->params);
}

static obn_status gn_infer(obn_op_ctx *ctx)
{
    const obn_dtype *types = OBN_FLOAT_TYPES;
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    if (is_instance(ctx) && ctx->since_version < 22) types = legacy; /* bfloat16 from 22 */
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, x_role(ctx), types));
    gn_geom g;
    OBN_TRY(gn_geometry(ctx, &g));
    OBN_TRY(check_param(ctx, IN_SCALE, "scale", &g));
    OBN_TRY(check_param(ctx, IN_BIAS, bias_role(ctx), &g));
    const obn_tensor *x = ctx->inputs[IN_X];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

/* The row-kernel view: rows (n, group) of per_group*spatial elements, each
 * run of `spatial` elements sharing one channel's parameters (or the whole
 * row one group's, in GroupNormalization-18). */
static void describe_rows(const obn_op_ctx *ctx, const gn_geom *g, const obn_norm_state *st, obn_norm_rows *d)
{
    const gn_attrs *a = ctx->attrs;
    obn_dtype xt = ctx->inputs[IN_X]->dtype;
    memset(d, 0, sizeof *d);
    d->rows = g->n * g->groups;
    d->len = g->per_group * g->spatial;
    d->groups = g->groups ? g->groups : 1;
    d->runs = g->group_params ? 1 : g->per_group;
    d->stat = OBN_NORM_STANDARD;
    d->eps = a->epsilon;
    d->x_fmt = d->y_fmt = d->stat_fmt = obn_kfmt_of(xt);
    d->compute = obn_norm_compute_fmt(xt, a->stash, xt);
    if (st) {
        d->scale = st->scale;
        d->bias = st->bias;
    }
}

static obn_status gn_prepare(obn_op_ctx *ctx, void **state)
{
    const gn_attrs *a = ctx->attrs;
    gn_geom g;
    OBN_TRY(gn_geometry(ctx, &g));
    obn_dtype xt = ctx->inputs[IN_X]->dtype;
    obn_norm_state *st;
    OBN_TRY(obn_norm_state_new(obn_norm_compute_fmt(xt, a->stash, xt), g.params, true, &st));
    if (ctx->inputs[IN_SCALE]->data && ctx->inputs[IN_BIAS]->data) {
        obn_norm_state_fill(st, ctx->inputs[IN_SCALE], ctx->inputs[IN_BIAS], 1, &g.params);
        st->ready = true;
    }
    *state = st;
    return OBN_OK;
}

static size_t gn_workspace(const obn_op_ctx *ctx)
{
    gn_geom g;
    if (gn_geometry(ctx, &g) != OBN_OK) return 0;
    obn_norm_rows d;
    describe_rows(ctx, &g, NULL, &d);
    return obn_norm_rows_workspace(&d, ctx->threads);
}

static obn_status gn_run(obn_op_ctx *ctx)
{
    obn_norm_state *st = ctx->state;
    gn_geom g;
    OBN_TRY(gn_geometry(ctx, &g));
    if (!st->ready) obn_norm_state_fill(st, ctx->inputs[IN_SCALE], ctx->inputs[IN_BIAS], 1, &g.params);
    obn_norm_rows d;
    describe_rows(ctx, &g, st, &d);
    return obn_norm_rows_exec(ctx, &d);
}

static const int in_versions[] = {1, 6, 22, 0};
static const char *const in_attr_names[] = {"epsilon", "consumed_inputs", NULL};
static const obn_op_sig in_sigs[] = {{1, "input scale B", "output"}, {0}};

const obn_op obn_op_instance_normalization = {
    .domain = "",
    .op_type = "InstanceNormalization",
    .since_versions = in_versions,
    .attr_names = in_attr_names,
    .sigs = in_sigs,
    .attrs_size = sizeof(gn_attrs),
    .parse = in_parse,
    .infer = gn_infer,
    .run = gn_run,
    .prepare = gn_prepare,
    .free_state = obn_norm_state_free,
    .workspace = gn_workspace,
};
OBN_REGISTER_OP(obn_op_instance_normalization);

static const int gn_versions[] = {18, 21, 0};
static const char *const gn_attr_names[] = {"epsilon", "num_groups", "stash_type", NULL};
static const obn_op_sig gn_sigs[] = {{18, "X scale bias", "Y"}, {0}};

const obn_op obn_op_group_normalization = {
    .domain = "",
    .op_type = "GroupNormalization",
    .since_versions = gn_versions,
    .attr_names = gn_attr_names,
    .sigs = gn_sigs,
    .attrs_size = sizeof(gn_attrs),
    .parse = gn_parse,
    .infer = gn_infer,
    .run = gn_run,
    .prepare = gn_prepare,
    .free_state = obn_norm_state_free,
    .workspace = gn_workspace,
};
OBN_REGISTER_OP(obn_op_group_normalization);
