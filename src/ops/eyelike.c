/* EyeLike (9, 22): a matrix of the 2-D input's shape with ones on diagonal k
 * (attribute, default 0: output[i, i+k] = 1) and zeros elsewhere. The
 * element type is the `dtype` attribute, or the input's. Types: every
 * numeric type and bool (bfloat16 from 22 on). */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    int64_t k;
    obn_dtype dtype; /* OBN_UNDEFINED: the input's */
} eyelike_attrs;

/* The spec's types: OBN_ALL_TYPES_NO_BF16 before 22, OBN_ALL_TYPES from 22. */
static const obn_dtype *eye_types(int v) { return v >= 22 ? OBN_ALL_TYPES : OBN_ALL_TYPES_NO_BF16; }

static obn_status eyelike_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    eyelike_attrs *a = out;
    int64_t dt;
    OBN_TRY(obn_attr_get_int(n, "k", 0, &a->k));
    OBN_TRY(obn_attr_get_int(n, "dtype", OBN_UNDEFINED, &dt));
    a->dtype = (obn_dtype)dt;
    if (!obn_node_attr(n, "dtype")) return OBN_OK;
    for (const obn_dtype *t = eye_types(v); *t != OBN_UNDEFINED; t++)
        if (*t == dt) return OBN_OK;
    return obn_node_err(n, dt >= 0 && obn_dtype_is_valid((int)dt) ? OBN_E_UNSUPPORTED : OBN_E_INVALID_MODEL,
                        "attribute 'dtype' (%lld) is not an element type EyeLike-%d supports", (long long)dt, v);
}

static obn_status eyelike_infer(obn_op_ctx *ctx)
{
    const eyelike_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", eye_types(ctx->since_version)));
    OBN_TRY(obn_check_rank(ctx, 0, "input", 2, 2));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, a->dtype != OBN_UNDEFINED ? a->dtype : x->dtype, 2, x->dims);
}

static obn_status eyelike_run(obn_op_ctx *ctx)
{
    const eyelike_attrs *a = ctx->attrs;
    obn_tensor *y = ctx->outputs[0];
    int64_t rows = y->dims[0], cols = y->dims[1];
    memset(y->data, 0, y->nbytes); /* zero bits are 0 in every supported type */
    /* rows i with 0 <= i + k < cols; k is clamped first so that i + k cannot overflow */
    int64_t k = a->k > cols ? cols : a->k < -rows ? -rows : a->k;
    for (int64_t i = k < 0 ? -k : 0; i < rows && i + k < cols; i++) obn_store_f64(y, i * cols + i + k, 1.0);
    return OBN_OK;
}

static const int versions[] = {9, 22, 0};
static const char *const attr_names[] = {"dtype", "k", NULL};
static const obn_op_sig eyelike_sigs[] = {{9, "input", "output"}, {0}};

const obn_op obn_op_eyelike = {
    .domain = "",
    .op_type = "EyeLike",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = eyelike_sigs,
    .attrs_size = sizeof(eyelike_attrs),
    .parse = eyelike_parse,
    .infer = eyelike_infer,
    .run = eyelike_run,
};
OBN_REGISTER_OP(obn_op_eyelike);
