/* LpNormalization (1, 22): y = x / ||x||_p along `axis` (default -1,
 * negative counts from the end), p = 1 (sum of |x|) or 2 (Euclidean, the
 * default); the spec allows no other p. A zero norm gives zero outputs
 * (stated by version 22, which otherwise only adds bfloat16; onnxbn does
 * the same for version 1 rather than divide by zero). Norms in double. */
#include "norm_common.h"

typedef struct {
    int64_t axis, p;
} lp_attrs;

static obn_status lp_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    lp_attrs *a = out;
    OBN_TRY(obn_attr_get_int(n, "axis", -1, &a->axis));
    OBN_TRY(obn_attr_get_int(n, "p", 2, &a->p));
    if (a->p != 1 && a->p != 2)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'p' is %lld; LpNormalization supports only 1 and 2",
                            (long long)a->p);
    return OBN_OK;
}

static obn_status lp_axis(const obn_op_ctx *ctx, int *axis)
{
    const lp_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'input' ('%s') is a scalar; rank >= 1 needed",
                           obn_in_name(ctx, 0));
    return obn_norm_axis(ctx, a->axis, x->rank, false, axis);
}

static obn_status lp_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : legacy));
    int axis;
    OBN_TRY(lp_axis(ctx, &axis));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status lp_run(obn_op_ctx *ctx)
{
    const lp_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    OBN_TRY(lp_axis(ctx, &axis));
    obn_lpnorm(x->data, ctx->outputs[0]->data, obn_kfmt_of(x->dtype), obn_dims_product(x->dims, 0, axis),
               x->dims[axis], obn_dims_product(x->dims, axis + 1, x->rank), (int)a->p, ctx->threads);
    return OBN_OK;
}

static const int versions[] = {1, 22, 0};
static const char *const attr_names[] = {"axis", "p", NULL};
static const obn_op_sig lp_sigs[] = {{1, "input", "output"}, {0}};

const obn_op obn_op_lp_normalization = {
    .domain = "",
    .op_type = "LpNormalization",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = lp_sigs,
    .attrs_size = sizeof(lp_attrs),
    .parse = lp_parse,
    .infer = lp_infer,
    .run = lp_run,
};
OBN_REGISTER_OP(obn_op_lp_normalization);
