/* BatchNormalization, every version (1, 6, 7, 9, 14, 15).
 *
 * Inference: Y = (X - mean) / sqrt(var + epsilon) * scale + B, applied as
 * Y = X*a[c] + b[c] with a, b computed once in double (once per plan when the
 * parameters are constant).
 * Training (training_mode=1 in 14/15; extra outputs requested in 1-9):
 * normalise with the batch mean and population variance, and produce the
 * running statistics: running = input * momentum + current * (1 - momentum).
 * Versions 1-7 with spatial=0 use per-activation parameters (C x D1 x ... Dn).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/batchnorm.h"
#include "norm_common.h"

typedef struct {
    float epsilon, momentum;
    int spatial;       /* versions 1-7 */
    int training_mode; /* versions 14, 15 */
    int is_test;       /* versions 1, 6 */
} bn_attrs;

enum { IN_X, IN_SCALE, IN_B, IN_MEAN, IN_VAR };
static const char *const in_roles[] = {"X", "scale", "B", "mean", "var"};

static obn_status bn_parse(const obn_node *n, int v, void *out)
{
    bn_attrs *a = out;
    int64_t spatial = 1, training = 0, is_test = 0;
    OBN_TRY(obn_attr_get_float(n, "epsilon", 1e-5f, &a->epsilon));
    OBN_TRY(obn_attr_get_float(n, "momentum", 0.9f, &a->momentum));
    const char *not_in_version = NULL;
    if (obn_node_attr(n, "consumed_inputs")) {
        const obn_attr *ci = obn_node_attr(n, "consumed_inputs");
        if (v > 1) not_in_version = "consumed_inputs";
        else if (ci->type != OBN_ATTR_INTS)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' has type %s, expected INTS",
                                obn_attr_type_name(ci->type));
    }
    if (obn_node_attr(n, "is_test") && v > 6) not_in_version = "is_test";
    if (obn_node_attr(n, "spatial") && v > 7) not_in_version = "spatial";
    if (obn_node_attr(n, "training_mode") && v < 14) not_in_version = "training_mode";
    if (not_in_version)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of BatchNormalization-%d",
                            not_in_version, v);
    OBN_TRY(obn_attr_get_int(n, "spatial", 1, &spatial));
    OBN_TRY(obn_attr_get_int(n, "training_mode", 0, &training));
    OBN_TRY(obn_attr_get_int(n, "is_test", 0, &is_test));
    if (spatial != 0 && spatial != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'spatial' must be 0 or 1, got %lld", (long long)spatial);
    if (training != 0 && training != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'training_mode' must be 0 or 1, got %lld",
                            (long long)training);
    if (is_test != 0 && is_test != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'is_test' must be 0 or 1, got %lld", (long long)is_test);
    if (!isfinite(a->epsilon) || a->epsilon < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'epsilon' must be finite and >= 0, got %g",
                            (double)a->epsilon);
    if (!isfinite(a->momentum))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'momentum' must be finite, got %g", (double)a->momentum);
    a->spatial = (int)spatial;
    a->training_mode = (int)training;
    a->is_test = (int)is_test;
    return OBN_OK;
}

static int present_outputs(const obn_op_ctx *ctx)
{
    int n = 0;
    for (int k = 1; k < ctx->n_outputs; k++) n += obn_has_output(ctx, k);
    return n;
}

/* Training semantics: explicit in 14/15, implied by extra outputs before. */
static bool is_training(const obn_op_ctx *ctx)
{
    const bn_attrs *a = ctx->attrs;
    if (ctx->since_version >= 14) return a->training_mode != 0;
    return present_outputs(ctx) > 0;
}

/* Geometry of X as [N][K][S] and the parameter length K. */
typedef struct {
    int64_t n, c, k, s;
} bn_geom;

static obn_status bn_geometry(const obn_op_ctx *ctx, bn_geom *g)
{
    const bn_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[IN_X];
    if (x->rank == 0 || (x->rank == 1 && ctx->since_version < 9)) {
        char sh[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'X' ('%s') has shape %s; BatchNormalization-%d needs rank >= %d",
                           obn_in_name(ctx, IN_X), obn_shape_str(x->rank, x->dims, sh, sizeof sh),
                           ctx->since_version, ctx->since_version < 9 ? 2 : 1);
    }
    g->n = x->dims[0];
    g->c = x->rank == 1 ? 1 : x->dims[1];
    int64_t spatial_size = x->rank <= 2 ? 1 : obn_dims_product(x->dims, 2, x->rank);
    bool per_activation = ctx->since_version <= 7 && a->spatial == 0;
    g->k = per_activation ? g->c * spatial_size : g->c;
    g->s = per_activation ? 1 : spatial_size;
    return OBN_OK;
}

static obn_status check_types(const obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    const obn_dtype *allowed = ctx->since_version >= 14 ? OBN_FLOAT_TYPES : legacy;
    for (int i = 0; i < 5; i++) OBN_TRY(obn_check_input_dtype(ctx, i, in_roles[i], allowed));
    if (ctx->since_version < 14) {
        for (int i = 1; i < 5; i++) OBN_TRY(obn_check_same_dtype(ctx, i, in_roles[i], IN_X, "X"));
    } else if (ctx->since_version == 14) {
        /* T for X, scale, B; U for mean, var */
        OBN_TRY(obn_check_same_dtype(ctx, IN_SCALE, "scale", IN_X, "X"));
        OBN_TRY(obn_check_same_dtype(ctx, IN_B, "B", IN_X, "X"));
        OBN_TRY(obn_check_same_dtype(ctx, IN_VAR, "var", IN_MEAN, "mean"));
    } else {
        /* T for X, T1 for scale and B, T2 for mean and var */
        OBN_TRY(obn_check_same_dtype(ctx, IN_B, "B", IN_SCALE, "scale"));
        OBN_TRY(obn_check_same_dtype(ctx, IN_VAR, "var", IN_MEAN, "mean"));
    }
    return OBN_OK;
}

static obn_status bn_infer(obn_op_ctx *ctx)
{
    const bn_attrs *a = ctx->attrs;
    OBN_TRY(check_types(ctx));
    bn_geom g;
    OBN_TRY(bn_geometry(ctx, &g));
    for (int i = 1; i < 5; i++) {
        const obn_tensor *p = ctx->inputs[i];
        if (p->numel != g.k) {
            char sh[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s (%lld elements), expected %s=%lld",
                               in_roles[i], obn_in_name(ctx, i), obn_shape_str(p->rank, p->dims, sh, sizeof sh),
                               (long long)p->numel, g.k == g.c ? "C" : "C*D1*...*Dn", (long long)g.k);
        }
    }
    int extra = present_outputs(ctx);
    if (ctx->since_version >= 14 && ctx->n_outputs > 3)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "has %d outputs; BatchNormalization-%d has at most 3",
                           ctx->n_outputs, ctx->since_version);
    if (ctx->since_version >= 14 && !a->training_mode && extra)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "outputs running_mean/running_var are only defined with training_mode=1");
    if (ctx->since_version <= 6 && a->is_test && extra)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "is_test=1 but training outputs (mean, var, ...) are requested");
    const obn_tensor *x = ctx->inputs[IN_X];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, x->dims));
    const obn_tensor *stat = ctx->inputs[IN_MEAN];
    obn_dtype stat_type = ctx->since_version >= 14 ? stat->dtype : x->dtype;
    for (int k = 1; k < ctx->n_outputs; k++)
        OBN_TRY(obn_set_output(ctx, k, stat_type, stat->rank, stat->dims));
    return OBN_OK;
}

typedef struct {
    int64_t k;
    bool ready;     /* scale/shift hold the constant parameters' fold */
    float *scale_f, *shift_f;
    double *scale_d, *shift_d;
    double *mean, *var; /* batch statistics (training) */
} bn_state;

static void bn_free_state(void *p)
{
    bn_state *st = p;
    if (!st) return;
    free(st->scale_f);
    free(st->shift_f);
    free(st->scale_d);
    free(st->shift_d);
    free(st->mean);
    free(st->var);
    free(st);
}

/* a = scale / sqrt(var + eps), b = B - mean * a, in double. */
static void fold_params(const obn_op_ctx *ctx, bn_state *st, const double *mean, const double *var)
{
    const bn_attrs *a = ctx->attrs;
    const obn_tensor *sc = ctx->inputs[IN_SCALE], *bb = ctx->inputs[IN_B];
    for (int64_t c = 0; c < st->k; c++) {
        double m = mean ? mean[c] : obn_load_f64(ctx->inputs[IN_MEAN], c);
        double v = var ? var[c] : obn_load_f64(ctx->inputs[IN_VAR], c);
        double scale = obn_load_f64(sc, c) / sqrt(v + (double)a->epsilon);
        double shift = obn_load_f64(bb, c) - m * scale;
        st->scale_d[c] = scale;
        st->shift_d[c] = shift;
        st->scale_f[c] = (float)scale;
        st->shift_f[c] = (float)shift;
    }
}

static obn_status bn_prepare(obn_op_ctx *ctx, void **state)
{
    bn_geom g;
    OBN_TRY(bn_geometry(ctx, &g));
    bn_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    size_t n = (size_t)(g.k ? g.k : 1);
    st->k = g.k;
    st->scale_f = malloc(n * sizeof(float));
    st->shift_f = malloc(n * sizeof(float));
    st->scale_d = malloc(n * sizeof(double));
    st->shift_d = malloc(n * sizeof(double));
    st->mean = malloc(n * sizeof(double));
    st->var = malloc(n * sizeof(double));
    if (!st->scale_f || !st->shift_f || !st->scale_d || !st->shift_d || !st->mean || !st->var) {
        bn_free_state(st);
        return OBN_OOM();
    }
    bool params_known = true;
    for (int i = 1; i < 5; i++) params_known &= ctx->inputs[i]->data != NULL;
    if (params_known && !is_training(ctx)) {
        fold_params(ctx, st, NULL, NULL);
        st->ready = true;
    }
    *state = st;
    return OBN_OK;
}

/* Y = X*a + b per channel; a Relu fused by the activation pass rides along. */
static void apply(const obn_op_ctx *ctx, const bn_state *st, const bn_geom *g)
{
    const obn_tensor *x = ctx->inputs[IN_X];
    obn_tensor *y = ctx->outputs[0];
    int relu = ctx->node->act.kind == OBN_ACT_RELU;
    switch (x->dtype) {
    case OBN_FLOAT:
        obn_bn_apply_f32(x->data, y->data, g->n, g->k, g->s, st->scale_f, st->shift_f, relu, ctx->threads);
        break;
    case OBN_DOUBLE:
        obn_bn_apply_f64(x->data, y->data, g->n, g->k, g->s, st->scale_d, st->shift_d, relu, ctx->threads);
        break;
    default:
        obn_bn_apply_half(x->data, y->data, x->dtype == OBN_BFLOAT16 ? OBN_KBF16 : OBN_KF16, g->n, g->k, g->s,
                          st->scale_f, st->shift_f, relu, ctx->threads);
        break;
    }
}

/* Output k of a training run: running stats (momentum rule) or, for the
 * legacy saved_mean/saved_var outputs, the batch statistics. */
static void write_training_outputs(obn_op_ctx *ctx, const bn_state *st)
{
    const bn_attrs *a = ctx->attrs;
    double mom = a->momentum;
    for (int k = 1; k < ctx->n_outputs && k <= 4; k++) {
        if (!obn_has_output(ctx, k)) continue;
        obn_tensor *out = ctx->outputs[k];
        for (int64_t c = 0; c < st->k; c++) {
            double v;
            if (k == 1) v = obn_load_f64(ctx->inputs[IN_MEAN], c) * mom + st->mean[c] * (1.0 - mom);
            else if (k == 2) v = obn_load_f64(ctx->inputs[IN_VAR], c) * mom + st->var[c] * (1.0 - mom);
            else if (k == 3) v = st->mean[c];
            else v = st->var[c];
            obn_store_f64(out, c, v);
        }
    }
}

static obn_status bn_run(obn_op_ctx *ctx)
{
    bn_state *st = ctx->state;
    bn_geom g;
    OBN_TRY(bn_geometry(ctx, &g));
    if (is_training(ctx)) {
        const obn_tensor *x = ctx->inputs[IN_X];
        obn_bn_stats(x->data, obn_kfmt_of(x->dtype), g.n, g.k, g.s, st->mean, st->var, ctx->threads);
        fold_params(ctx, st, st->mean, st->var);
        apply(ctx, st, &g);
        write_training_outputs(ctx, st);
        return OBN_OK;
    }
    if (!st->ready) fold_params(ctx, st, NULL, NULL);
    apply(ctx, st, &g);
    return OBN_OK;
}

static const int versions[] = {1, 6, 7, 9, 14, 15, 0};
static const char *const attr_names[] = {"epsilon", "momentum", "spatial", "is_test", "consumed_inputs",
                                         "training_mode", NULL};

static const obn_op_sig batchnorm_sigs[] = {{1, "X scale B mean var", "Y ?mean ?var ?saved_mean ?saved_var"}, {14, "X scale B input_mean input_var", "Y ?running_mean ?running_var"}, {0}};

const obn_op obn_op_batchnorm = {
    .domain = "",
    .op_type = "BatchNormalization",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = batchnorm_sigs,
    .attrs_size = sizeof(bn_attrs),
    .parse = bn_parse,
    .infer = bn_infer,
    .run = bn_run,
    .prepare = bn_prepare,
    .free_state = bn_free_state,
};
OBN_REGISTER_OP(obn_op_batchnorm);
