/* LayerNormalization (17): normalises X over its axes [axis, rank) (axis
 * default -1, negative counts from the end) with epsilon (default 1e-5),
 * then applies Scale and the optional B. Optional outputs Mean and
 * InvStdDev have X's shape with the normalised axes set to 1.
 * Scale and B must hold one value per normalised element (their shape equal
 * to the normalised dims, leading 1s allowed) or a single value. Only float32
 * computation (stash_type 1) is implemented; float32 inputs. */
#include <math.h>

#include "kernels/layernorm.h"
#include "op_helpers.h"

typedef struct {
    int64_t axis;
    float epsilon;
} ln_attrs;

static obn_status ln_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    ln_attrs *a = out;
    int64_t stash;
    OBN_TRY(obn_attr_get_int(n, "axis", -1, &a->axis));
    OBN_TRY(obn_attr_get_float(n, "epsilon", 1e-5f, &a->epsilon));
    OBN_TRY(obn_attr_get_int(n, "stash_type", 1, &stash));
    if (stash != 1)
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute 'stash_type' is %lld; only 1 (float32) is supported", (long long)stash);
    if (!(a->epsilon >= 0) || isinf(a->epsilon))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'epsilon' must be finite and >= 0, got %g", (double)a->epsilon);
    return OBN_OK;
}

/* Step (1, or 0 for a single value) of Scale/B over the normalised block. */
static obn_status param_step(const obn_op_ctx *ctx, int k, const char *role, int axis, int *step)
{
    const obn_tensor *x = ctx->inputs[0], *p = ctx->inputs[k];
    int64_t len = obn_dims_product(x->dims, axis, x->rank);
    OBN_TRY(obn_check_same_dtype(ctx, k, role, 0, "X"));
    if (p->numel == 1 && len != 1) {
        *step = 0;
        return OBN_OK;
    }
    bool ok = p->numel == len && p->rank <= x->rank;
    for (int d = 0; ok && d < p->rank; d++) {
        int xd = x->rank - p->rank + d;
        ok = xd >= axis ? p->dims[d] == x->dims[xd] : p->dims[d] == 1;
    }
    if (!ok) {
        char sp[OBN_SHAPE_STR_CAP], sx[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED,
                           "input '%s' ('%s') has shape %s; onnxbn needs the normalised dims of X %s from axis %d (or one value)",
                           role, obn_in_name(ctx, k), obn_shape_str(p->rank, p->dims, sp, sizeof sp),
                           obn_shape_str(x->rank, x->dims, sx, sizeof sx), axis);
    }
    *step = 1;
    return OBN_OK;
}

static obn_status ln_geometry(const obn_op_ctx *ctx, int *axis, int *scale_step, int *bias_step)
{
    const ln_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') is a scalar", obn_in_name(ctx, 0));
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, axis));
    OBN_TRY(param_step(ctx, 1, "Scale", *axis, scale_step));
    *bias_step = 0;
    if (obn_has_input(ctx, 2)) OBN_TRY(param_step(ctx, 2, "B", *axis, bias_step));
    return OBN_OK;
}

static obn_status ln_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", OBN_FLOAT32_ONLY));
    int axis = 0, ss = 0, bs = 0;
    OBN_TRY(ln_geometry(ctx, &axis, &ss, &bs));
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, x->dims));
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = d < axis ? x->dims[d] : 1;
    OBN_TRY(obn_set_output(ctx, 1, OBN_FLOAT, x->rank, dims));
    return obn_set_output(ctx, 2, OBN_FLOAT, x->rank, dims);
}

static obn_status ln_run(obn_op_ctx *ctx)
{
    const ln_attrs *a = ctx->attrs;
    int axis = 0, ss = 0, bs = 0;
    OBN_TRY(ln_geometry(ctx, &axis, &ss, &bs));
    const obn_tensor *x = ctx->inputs[0];
    int64_t rows = obn_dims_product(x->dims, 0, axis), len = obn_dims_product(x->dims, axis, x->rank);
    obn_layernorm_f32(x->data, ctx->outputs[0]->data, rows, len, ctx->inputs[1]->data, ss,
                      obn_has_input(ctx, 2) ? ctx->inputs[2]->data : NULL, bs, a->epsilon,
                      obn_has_output(ctx, 1) ? ctx->outputs[1]->data : NULL,
                      obn_has_output(ctx, 2) ? ctx->outputs[2]->data : NULL, ctx->threads);
    return OBN_OK;
}

static const int versions[] = {17, 0};
static const char *const attr_names[] = {"axis", "epsilon", "stash_type", NULL};

static const obn_op_sig layer_normalization_sigs[] = {{17, "X Scale ?B", "Y ?Mean ?InvStdDev"}, {0}};

const obn_op obn_op_layer_normalization = {
    .domain = "",
    .op_type = "LayerNormalization",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = layer_normalization_sigs,
    .attrs_size = sizeof(ln_attrs),
    .parse = ln_parse,
    .infer = ln_infer,
    .run = ln_run,
};
OBN_REGISTER_OP(obn_op_layer_normalization);
