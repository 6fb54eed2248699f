/* com.microsoft:BatchNormalizationGrad-1, ONNX Runtime's training operator:
 * the gradients of BatchNormalization in training mode (batch statistics)
 * from dY, X, scale and the forward pass's saved batch mean and inverse
 * standard deviation. Outputs dX (shape of X), dscale and dB (length C).
 * X is [N, C, D1, ...] of rank >= 2. epsilon is accepted for compatibility
 * with ORT's gradient builder, which copies it from the forward node; the
 * saved inverse standard deviation already contains it, so it does not
 * enter the formulas (kernels/batchnorm_grad.h). */
#include <math.h>
#include <stdlib.h>

#include "kernels/batchnorm_grad.h"
#include "op_util.h"

typedef struct {
    float epsilon;
} bn_grad_attrs;

enum { IN_DY, IN_X, IN_SCALE, IN_MEAN, IN_INV_STD };
static const char *const in_roles[] = {"dY", "X", "scale", "saved_mean", "saved_inv_std"};
static const obn_dtype data_types[] = {OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};

static obn_status bn_grad_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    bn_grad_attrs *a = out;
    OBN_TRY(obn_attr_get_float(n, "epsilon", 1e-5f, &a->epsilon));
    if (!isfinite(a->epsilon) || a->epsilon < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'epsilon' must be finite and >= 0, got %g",
                            (double)a->epsilon);
    return OBN_OK;
}

static obn_status bn_grad_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "X", data_types));
    OBN_TRY(obn_check_same_dtype(ctx, IN_DY, "dY", IN_X, "X"));
    for (int i = IN_SCALE; i <= IN_INV_STD; i++) OBN_TRY(obn_check_input_dtype(ctx, i, in_roles[i], OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_same_dtype(ctx, IN_INV_STD, "saved_inv_std", IN_MEAN, "saved_mean"));
    OBN_TRY(obn_check_rank(ctx, IN_X, "X", 2, OBN_MAX_RANK));
    const obn_tensor *x = ctx->inputs[IN_X], *dy = ctx->inputs[IN_DY];
    char sx[OBN_SHAPE_STR_CAP], sd[OBN_SHAPE_STR_CAP];
    bool same = dy->rank == x->rank;
    for (int d = 0; same && d < x->rank; d++) same = dy->dims[d] == x->dims[d];
    if (!same)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'dY' ('%s') has shape %s, expected the shape of 'X' %s",
                           obn_in_name(ctx, IN_DY), obn_shape_str(dy->rank, dy->dims, sd, sizeof sd),
                           obn_shape_str(x->rank, x->dims, sx, sizeof sx));
    int64_t c = x->dims[1];
    for (int i = IN_SCALE; i <= IN_INV_STD; i++) {
        const obn_tensor *p = ctx->inputs[i];
        if (p->numel != c)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s (%lld elements), expected C=%lld",
                               in_roles[i], obn_in_name(ctx, i), obn_shape_str(p->rank, p->dims, sd, sizeof sd),
                               (long long)p->numel, (long long)c);
    }
    const obn_tensor *scale = ctx->inputs[IN_SCALE];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, x->dims));
    for (int k = 1; k < ctx->n_outputs; k++) OBN_TRY(obn_set_output(ctx, k, scale->dtype, 1, &c));
    return OBN_OK;
}

/* scale, mean, inv_std as double, then dscale and dbias: 5*C doubles. */
static size_t bn_grad_workspace(const obn_op_ctx *ctx)
{
    return 5 * (size_t)ctx->inputs[IN_X]->dims[1] * sizeof(double);
}

static obn_status bn_grad_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[IN_X], *dy = ctx->inputs[IN_DY];
    int64_t n = x->dims[0], c = x->dims[1], s = obn_dims_product(x->dims, 2, x->rank);
    double *w = ctx->workspace, *scale = w, *mean = w + c, *inv = w + 2 * c, *dscale = w + 3 * c, *dbias = w + 4 * c;
    for (int64_t k = 0; k < c; k++) {
        scale[k] = obn_load_f64(ctx->inputs[IN_SCALE], k);
        mean[k] = obn_load_f64(ctx->inputs[IN_MEAN], k);
        inv[k] = obn_load_f64(ctx->inputs[IN_INV_STD], k);
    }
    obn_bn_grad_params p = {scale, mean, inv, 1};
    if (x->dtype == OBN_FLOAT)
        obn_bn_backward_f32(x->data, dy->data, n, c, s, &p, ctx->outputs[0]->data, dscale, dbias, ctx->threads);
    else
        obn_bn_backward_f64(x->data, dy->data, n, c, s, &p, ctx->outputs[0]->data, dscale, dbias, ctx->threads);
    for (int64_t k = 0; k < c; k++) {
        if (obn_has_output(ctx, 1)) obn_store_f64(ctx->outputs[1], k, dscale[k]);
        if (obn_has_output(ctx, 2)) obn_store_f64(ctx->outputs[2], k, dbias[k]);
    }
    return OBN_OK;
}

static const int versions[] = {1, 0};
static const char *const attr_names[] = {"epsilon", NULL};
static const obn_op_sig sigs[] = {{1, "dY X scale saved_mean saved_inv_std", "dX ?dscale ?dB"}, {0}};

const obn_op obn_op_batchnorm_grad = {
    .domain = "com.microsoft",
    .op_type = "BatchNormalizationGrad",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = sigs,
    .attrs_size = sizeof(bn_grad_attrs),
    .parse = bn_grad_parse,
    .infer = bn_grad_infer,
    .run = bn_grad_run,
    .workspace = bn_grad_workspace,
};
OBN_REGISTER_OP(obn_op_batchnorm_grad);
