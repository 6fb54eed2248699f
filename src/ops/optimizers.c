/* The optimizers of domain ai.onnx.preview.training, version 1: Momentum
 * (standard and Nesterov), Adagrad and Adam. Inputs: the learning rate R
 * (float/double scalar), the update count T (int64 scalar), then k groups
 * of n tensors each -- X1..Xn, G1..Gn and the optimizer's state (Momentum:
 * V; Adagrad: H; Adam: V, H) -- and as outputs the new X1..Xn followed by
 * the new state, group by group. Every tensor of a group has X's shape
 * (onnxbn does not broadcast a gradient or a state against X) and all are
 * of one type, float or double; computed in double (kernels/optimizer). The
 * step-dependent factors follow the spec: Momentum's beta is 1 while T = 0,
 * Adagrad's rate is R / (1 + T * decay_factor), Adam's is
 * R * sqrt(1 - beta^T) / (1 - alpha^T) for T > 0. */
#include <math.h>
#include <string.h>

#include "kernels/optimizer.h"
#include "norm_common.h"
#include "op_helpers.h"

typedef enum { OPT_MOMENTUM, OPT_ADAGRAD, OPT_ADAM } opt_kind;

typedef struct {
    opt_kind kind;
    bool nesterov;
    double alpha, beta, epsilon, decay, norm, norm_post;
} opt_attrs;

/* Tensor groups in the inputs after R and T, and in the outputs. */
static int groups_in(opt_kind k) { return k == OPT_ADAM ? 4 : 3; }

static obn_status get_float(const obn_node *n, const char *name, bool required, float def, double *out)
{
    if (required && !obn_node_attr(n, name))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is required", name);
    float v;
    OBN_TRY(obn_attr_get_float(n, name, def, &v));
    if (!isfinite(v)) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is %g; it must be finite", name, v);
    *out = v;
    return OBN_OK;
}

static obn_status momentum_parse(const obn_node *n, opt_attrs *a)
{
    OBN_TRY(get_float(n, "alpha", true, 0, &a->alpha));
    OBN_TRY(get_float(n, "beta", true, 0, &a->beta));
    OBN_TRY(get_float(n, "norm_coefficient", true, 0, &a->norm));
    const char *mode;
    if (!obn_node_attr(n, "mode")) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is required");
    OBN_TRY(obn_attr_get_string(n, "mode", "", &mode));
    a->nesterov = strcmp(mode, "nesterov") == 0;
    if (!a->nesterov && strcmp(mode, "standard") != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is '%s'; expected standard or nesterov", mode);
    return OBN_OK;
}

static obn_status opt_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    opt_attrs *a = out;
    a->kind = strcmp(n->op_type, "Momentum") == 0 ? OPT_MOMENTUM : strcmp(n->op_type, "Adagrad") == 0 ? OPT_ADAGRAD : OPT_ADAM;
    if (a->kind == OPT_MOMENTUM) return momentum_parse(n, a);
    OBN_TRY(get_float(n, "epsilon", false, 1e-6f, &a->epsilon));
    OBN_TRY(get_float(n, "norm_coefficient", false, 0, &a->norm));
    if (a->kind == OPT_ADAGRAD) return get_float(n, "decay_factor", false, 0, &a->decay);
    OBN_TRY(get_float(n, "alpha", false, 0.9f, &a->alpha));
    OBN_TRY(get_float(n, "beta", false, 0.999f, &a->beta));
    return get_float(n, "norm_coefficient_post", false, 0, &a->norm_post);
}

/* R and T: one element each (a 0-D tensor, or [1] as some exporters write). */
static obn_status check_scalars(const obn_op_ctx *ctx)
{
    static const obn_dtype t_types[] = {OBN_INT64, OBN_UNDEFINED};
    static const obn_dtype float_types[] = {OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "R", float_types));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "T", t_types));
    for (int k = 0; k < 2; k++)
        if (ctx->inputs[k]->numel != 1 || ctx->inputs[k]->rank > 1)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') must be a scalar", k ? "T" : "R",
                               obn_in_name(ctx, k));
    return OBN_OK;
}

/* The number n of optimized tensors, from the input and output counts. */
static obn_status tensor_count(const obn_op_ctx *ctx, int *n)
{
    const opt_attrs *a = ctx->attrs;
    int gin = groups_in(a->kind), rest = ctx->n_inputs - 2;
    *n = rest / gin;
    if (rest % gin || *n == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%d inputs after R and T; expected %d groups of n >= 1 tensors", rest, gin);
    if (ctx->n_outputs != (gin - 1) * *n)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%d outputs for %d optimized tensors; expected %d", ctx->n_outputs,
                           *n, (gin - 1) * *n);
    return OBN_OK;
}

/* Input 2 + group*n + i (X, G, V/H) of tensor i has X_i's type and shape. */
static obn_status check_group_member(const obn_op_ctx *ctx, int n, int group, int i)
{
    static const char *const names[4] = {"X", "G", "V", "H"};
    const opt_attrs *a = ctx->attrs;
    const char *role = a->kind == OPT_ADAGRAD && group == 2 ? "H" : names[group];
    int k = 2 + group * n + i;
    const obn_tensor *x = ctx->inputs[2 + i], *t = ctx->inputs[k];
    if (t->dtype != ctx->inputs[2]->dtype)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input %s%d ('%s') has type %s, X1 ('%s') has %s", role, i + 1,
                           obn_in_name(ctx, k), obn_dtype_name(t->dtype), obn_in_name(ctx, 2),
                           obn_dtype_name(ctx->inputs[2]->dtype));
    bool same = t->rank == x->rank;
    for (int d = 0; same && d < x->rank; d++) same = t->dims[d] == x->dims[d];
    if (same) return OBN_OK;
    char sx[OBN_SHAPE_STR_CAP], st[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "input %s%d ('%s') has shape %s, X%d has %s: onnxbn needs equal shapes",
                       role, i + 1, obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, st, sizeof st), i + 1,
                       obn_shape_str(x->rank, x->dims, sx, sizeof sx));
}

static obn_status opt_infer(obn_op_ctx *ctx)
{
    static const obn_dtype float_types[] = {OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    const opt_attrs *a = ctx->attrs;
    int n, gin = groups_in(a->kind);
    OBN_TRY(check_scalars(ctx));
    OBN_TRY(tensor_count(ctx, &n));
    OBN_TRY(obn_check_input_dtype(ctx, 2, "X1", float_types));
    for (int i = 0; i < n; i++) {
        for (int g = 0; g < gin; g++) OBN_TRY(check_group_member(ctx, n, g, i));
        const obn_tensor *x = ctx->inputs[2 + i];
        for (int g = 0; g < gin - 1; g++) OBN_TRY(obn_set_output(ctx, g * n + i, x->dtype, x->rank, x->dims));
    }
    return OBN_OK;
}

/* Tensor i's step with the factors of this step count. */
static void step_one(const obn_op_ctx *ctx, int n, int i, double r, int64_t t)
{
    const opt_attrs *a = ctx->attrs;
    const void *x = ctx->inputs[2 + i]->data, *g = ctx->inputs[2 + n + i]->data, *s1 = ctx->inputs[2 + 2 * n + i]->data;
    void *x_new = ctx->outputs[i]->data, *s1_new = ctx->outputs[n + i]->data;
    obn_kfmt f = obn_kfmt_of(ctx->inputs[2]->dtype);
    int64_t numel = ctx->inputs[2 + i]->numel;
    if (a->kind == OPT_MOMENTUM) {
        obn_momentum_step s = {.r = r, .norm = a->norm, .alpha = a->alpha, .beta = t > 0 ? a->beta : 1,
                               .nesterov = a->nesterov};
        obn_momentum(&s, f, numel, x, g, s1, x_new, s1_new, ctx->threads);
    } else if (a->kind == OPT_ADAGRAD) {
        obn_adagrad_step s = {.r = r / (1 + (double)t * a->decay), .norm = a->norm, .eps = a->epsilon};
        obn_adagrad(&s, f, numel, x, g, s1, x_new, s1_new, ctx->threads);
    } else {
        double td = (double)t;
        obn_adam_step s = {.r = t > 0 ? r * sqrt(1 - pow(a->beta, td)) / (1 - pow(a->alpha, td)) : r,
                           .norm = a->norm, .alpha = a->alpha, .beta = a->beta, .eps = a->epsilon,
                           .norm_post = a->norm_post};
        obn_adam(&s, f, numel, x, g, s1, ctx->inputs[2 + 3 * n + i]->data, x_new, s1_new,
                 ctx->outputs[2 * n + i]->data, ctx->threads);
    }
}

static obn_status opt_run(obn_op_ctx *ctx)
{
    int n;
    OBN_TRY(tensor_count(ctx, &n));
    double r = obn_load_f64(ctx->inputs[0], 0);
    int64_t t = obn_load_i64(ctx->inputs[1], 0);
    if (t < 0)
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "input 'T' ('%s') is %lld; the update count cannot be negative",
                           obn_in_name(ctx, 1), (long long)t);
    for (int i = 0; i < n; i++) step_one(ctx, n, i, r, t);
    return OBN_OK;
}

static const int versions[] = {1, 0};
static const char *const momentum_attrs[] = {"alpha", "beta", "mode", "norm_coefficient", NULL};
static const char *const adagrad_attrs[] = {"decay_factor", "epsilon", "norm_coefficient", NULL};
static const char *const adam_attrs[] = {"alpha", "beta", "epsilon", "norm_coefficient", "norm_coefficient_post", NULL};
static const obn_op_sig sigs[] = {{1, "R T inputs...", "outputs..."}, {0}};

#define OPT_OP(sym, name, attrs)                                                                           \
    const obn_op sym = {.domain = "ai.onnx.preview.training", .op_type = name, .since_versions = versions, \
                        .attr_names = attrs, .sigs = sigs, .attrs_size = sizeof(opt_attrs),                \
                        .parse = opt_parse, .infer = opt_infer, .run = opt_run}

OPT_OP(obn_op_momentum, "Momentum", momentum_attrs);
OBN_REGISTER_OP(obn_op_momentum);
OPT_OP(obn_op_adagrad, "Adagrad", adagrad_attrs);
OBN_REGISTER_OP(obn_op_adagrad);
OPT_OP(obn_op_adam, "Adam", adam_attrs);
OBN_REGISTER_OP(obn_op_adam);
