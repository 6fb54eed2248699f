/* LRN (1, 13), local response normalisation across channels (Krizhevsky et
 * al. 2012): for X [N, C, D1, ..., Dn],
 *   Y[n,c,...] = X[n,c,...] / (bias + alpha/size * sum X[n,i,...]^2)^beta
 * over the channels i in [c - floor((size-1)/2), c + ceil((size-1)/2)]
 * clipped to [0, C). size is required; alpha 1e-4, beta 0.75, bias 1 by
 * default. Float arithmetic (double for double data). */
#include <math.h>

#include "norm_common.h"

typedef struct {
    float alpha, beta, bias;
    int64_t size;
} lrn_attrs;

static obn_status lrn_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    lrn_attrs *a = out;
    if (!obn_node_attr(n, "size")) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'size' is required");
    OBN_TRY(obn_attr_get_int(n, "size", 1, &a->size));
    OBN_TRY(obn_attr_get_float(n, "alpha", 1e-4f, &a->alpha));
    OBN_TRY(obn_attr_get_float(n, "beta", 0.75f, &a->beta));
    OBN_TRY(obn_attr_get_float(n, "bias", 1.0f, &a->bias));
    if (a->size < 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'size' must be >= 1, got %lld", (long long)a->size);
    if (!isfinite(a->alpha) || !isfinite(a->beta) || !isfinite(a->bias))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes alpha (%g), beta (%g) and bias (%g) must be finite",
                            (double)a->alpha, (double)a->beta, (double)a->bias);
    return OBN_OK;
}

static obn_status lrn_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ctx->since_version >= 13 ? OBN_FLOAT_TYPES : legacy));
    const obn_tensor *x = ctx->inputs[0];
    if (x->rank < 2) {
        char sh[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; LRN needs rank >= 2 (N, C, ...)",
                           obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, sh, sizeof sh));
    }
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status lrn_run(obn_op_ctx *ctx)
{
    const lrn_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_lrn_desc d = {
        .n = x->dims[0],
        .c = x->dims[1],
        .s = obn_dims_product(x->dims, 2, x->rank),
        .size = a->size,
        .before = (a->size - 1) / 2,
        .after = a->size / 2, /* ceil((size - 1) / 2) */
        .alpha = a->alpha,
        .beta = a->beta,
        .bias = a->bias,
    };
    obn_lrn(&d, x->data, ctx->outputs[0]->data, obn_kfmt_of(x->dtype), ctx->threads);
    return OBN_OK;
}

static const int versions[] = {1, 13, 0};
static const char *const attr_names[] = {"alpha", "beta", "bias", "size", NULL};
static const obn_op_sig lrn_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_lrn = {
    .domain = "",
    .op_type = "LRN",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = lrn_sigs,
    .attrs_size = sizeof(lrn_attrs),
    .parse = lrn_parse,
    .infer = lrn_infer,
    .run = lrn_run,
};
OBN_REGISTER_OP(obn_op_lrn);
