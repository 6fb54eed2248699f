/* SwiGLU (28): Y = Swish_alpha(A) * B = A * Sigmoid(alpha * A) * B, the gated
 * activation of LLM feed-forward blocks. A (the gate) and B (the value)
 * have identical shapes (no broadcasting); alpha defaults to 1. float32
 * runs the Swish kernel into Y and multiplies in place; the other float
 * types compute each element in double and round once. */
#include "kernels/eltwise.h"
#include "kernels/unary.h"
#include "op_helpers.h"

typedef struct {
    float alpha;
} swiglu_attrs;

static obn_status swiglu_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    swiglu_attrs *a = out;
    return obn_attr_get_float(n, "alpha", 1.0f, &a->alpha);
}

static obn_status swiglu_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, "A", OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_same_dtype(ctx, 1, "B", 0, "A"));
    const obn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    bool same = a->rank == b->rank;
    for (int d = 0; same && d < a->rank; d++) same = a->dims[d] == b->dims[d];
    if (!same) {
        char as[OBN_SHAPE_STR_CAP], bs[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'A' ('%s') has shape %s and 'B' ('%s') %s: they must be identical (no broadcasting)",
                           obn_in_name(ctx, 0), obn_shape_str(a->rank, a->dims, as, sizeof as), obn_in_name(ctx, 1),
                           obn_shape_str(b->rank, b->dims, bs, sizeof bs));
    }
    return obn_set_output(ctx, 0, a->dtype, a->rank, a->dims);
}

static obn_status swiglu_run(obn_op_ctx *ctx)
{
    const swiglu_attrs *at = ctx->attrs;
    const obn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    obn_tensor *y = ctx->outputs[0];
    if (a->dtype == OBN_FLOAT) {
        obn_unary_f32(OBN_UN_SWISH_ALPHA, a->data, y->data, a->numel, at->alpha, 0.0f, ctx->threads);
        obn_mul_inplace_f32(y->data, b->data, y->numel, ctx->threads);
        return OBN_OK;
    }
    for (int64_t i = 0; i < a->numel; i++)
        obn_store_f64(y, i, obn_unary_f64(OBN_UN_SWISH_ALPHA, obn_load_f64(a, i), at->alpha, 0.0) * obn_load_f64(b, i));
    return OBN_OK;
}

static const int versions[] = {28, 0};
static const char *const attr_names[] = {"alpha", NULL};
static const obn_op_sig swiglu_sigs[] = {{28, "A B", "Y"}, {0}};

const obn_op obn_op_swiglu = {
    .domain = "",
    .op_type = "SwiGLU",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = swiglu_sigs,
    .attrs_size = sizeof(swiglu_attrs),
    .parse = swiglu_parse,
    .infer = swiglu_infer,
    .run = swiglu_run,
};
OBN_REGISTER_OP(obn_op_swiglu);
