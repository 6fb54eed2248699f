/* Compress (9, 11): the slices of `input` along `axis` whose entry in the
 * 1-D bool `condition` is true (numpy.compress). Without axis the input is
 * flattened first. A condition shorter than the axis drops the slices it
 * does not reach; entries beyond the axis must be false. The output size
 * depends on condition's data: when it is not known while planning, infer
 * returns OBN_DEFER. Any storable type but bfloat16. */
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    bool has_axis;
    int64_t axis;
} compress_attrs;

static obn_status compress_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    compress_attrs *a = out;
    a->has_axis = obn_node_attr(n, "axis") != NULL;
    return obn_attr_get_int(n, "axis", 0, &a->axis);
}

/* x as [outer][len][inner] along the compressed axis. */
static obn_status compress_view(const obn_op_ctx *ctx, int *axis, int64_t *outer, int64_t *len, int64_t *inner)
{
    const compress_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (!a->has_axis) {
        *axis = -1;
        *outer = *inner = 1;
        *len = x->numel;
        return OBN_OK;
    }
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') is a scalar and 'axis' is given", obn_in_name(ctx, 0));
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, axis));
    *outer = obn_dims_product(x->dims, 0, *axis);
    *len = x->dims[*axis];
    *inner = obn_dims_product(x->dims, *axis + 1, x->rank);
    return OBN_OK;
}

static obn_status compress_infer(obn_op_ctx *ctx)
{
    static const obn_dtype bool_only[] = {OBN_BOOL, OBN_UNDEFINED};
    if (ctx->inputs[0]->dtype != OBN_STRING) OBN_TRY(obn_check_input_dtype(ctx, 0, "input", OBN_ALL_TYPES_NO_BF16));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "condition", bool_only));
    OBN_TRY(obn_check_rank(ctx, 1, "condition", 1, 1));
    int axis;
    int64_t outer, len, inner;
    OBN_TRY(compress_view(ctx, &axis, &outer, &len, &inner));
    const obn_tensor *x = ctx->inputs[0], *cond = ctx->inputs[1];
    if (!cond->data) return OBN_DEFER;
    const uint8_t *c = cond->data;
    int64_t kept = 0;
    for (int64_t i = 0; i < cond->numel; i++) {
        if (c[i] && i >= len)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "condition[%lld] is true but the axis has only %lld entries",
                               (long long)i, (long long)len);
        kept += c[i] != 0;
    }
    if (axis < 0) return obn_set_output(ctx, 0, x->dtype, 1, &kept);
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = d == axis ? kept : x->dims[d];
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static obn_status compress_elems(obn_op_ctx *ctx)
{
    int axis;
    int64_t outer, len, inner;
    OBN_TRY(compress_view(ctx, &axis, &outer, &len, &inner));
    const obn_tensor *x = ctx->inputs[0], *cond = ctx->inputs[1];
    const uint8_t *c = cond->data;
    int64_t reach = cond->numel < len ? cond->numel : len;
    size_t block = (size_t)inner * obn_dtype_elem_bytes(x->dtype);
    const char *src = x->data;
    char *dst = ctx->outputs[0]->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < reach; i++) {
            if (!c[i]) continue;
            if (block) memcpy(dst, src + ((size_t)(o * len + i)) * block, block);
            dst += block;
        }
    return OBN_OK;
}

/* Strings: the kept element pointers, then copies of the output's own. */
static obn_status compress_run(obn_op_ctx *ctx)
{
    obn_status s = compress_elems(ctx);
    return ctx->outputs[0]->dtype == OBN_STRING ? obn_strings_own_copies(ctx, ctx->outputs[0], s) : s;
}

static const int versions[] = {9, 11, 0};
static const char *const attr_names[] = {"axis", NULL};
static const obn_op_sig compress_sigs[] = {{9, "input condition", "output"}, {0}};

const obn_op obn_op_compress = {
    .domain = "",
    .op_type = "Compress",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = compress_sigs,
    .attrs_size = sizeof(compress_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = compress_parse,
    .infer = compress_infer,
    .run = compress_run,
};
OBN_REGISTER_OP(obn_op_compress);
