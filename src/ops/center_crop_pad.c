/* CenterCropPad (18): along each of `axes` (attribute, default all; negative
 * counts from the end) the input is cut or zero-padded to the size given by
 * the 1-D int32/int64 input `shape` (one entry per axis), centred: a crop of
 * d elements drops floor(d/2) at the start, a pad of d adds floor(d/2) at
 * the start, the rest at the end. The output shape needs shape's data
 * (OBN_DEFER while it is unknown). Any storable type. */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    int n_axes; /* -1: all */
    int64_t axes[OBN_MAX_RANK];
} ccp_attrs;

static obn_status ccp_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    ccp_attrs *a = out;
    size_t count;
    OBN_TRY(obn_attr_get_ints(n, "axes", OBN_MAX_RANK, a->axes, &count));
    a->n_axes = obn_node_attr(n, "axes") ? (int)count : -1;
    return OBN_OK;
}

/* The output dims; OBN_DEFER while shape's data is unknown. */
static obn_status ccp_dims(const obn_op_ctx *ctx, int64_t *dims)
{
    static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    const ccp_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input_data", OBN_ALL_TYPES));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "shape", index_types));
    int axes[OBN_MAX_RANK], n = a->n_axes < 0 ? x->rank : a->n_axes;
    if (a->n_axes < 0)
        for (int d = 0; d < x->rank; d++) axes[d] = d;
    else
        OBN_TRY(obn_norm_axes(ctx, "attribute 'axes'", a->axes, (size_t)n, x->rank, axes));
    int64_t sizes[OBN_MAX_RANK];
    size_t count;
    OBN_TRY(obn_read_int_input(ctx, 1, "shape", OBN_MAX_RANK, sizes, &count));
    if ((int)count != n)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'shape' ('%s') has %zu values for %d axes", obn_in_name(ctx, 1),
                           count, n);
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    for (int i = 0; i < n; i++) {
        if (sizes[i] < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'shape' ('%s') has the negative size %lld",
                               obn_in_name(ctx, 1), (long long)sizes[i]);
        dims[axes[i]] = sizes[i];
    }
    return OBN_OK;
}

static obn_status ccp_infer(obn_op_ctx *ctx)
{
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(ccp_dims(ctx, dims));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

/* Copies along the last axis in runs: output row by output row, the source
 * row is the output coordinate plus the shift of every axis. */
static obn_status ccp_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int r = x->rank;
    size_t es = obn_dtype_size(x->dtype);
    memset(y->data, 0, y->nbytes);
    if (y->numel == 0 || x->numel == 0) return OBN_OK;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return OBN_OK;
    }
    int64_t shift[OBN_MAX_RANK], xstride[OBN_MAX_RANK], c[OBN_MAX_RANK] = {0};
    for (int d = 0; d < r; d++) {
        int64_t diff = x->dims[d] - y->dims[d];
        shift[d] = diff >= 0 ? diff / 2 : -(-diff / 2); /* crop start, or minus the front padding */
    }
    xstride[r - 1] = 1;
    for (int d = r - 2; d >= 0; d--) xstride[d] = xstride[d + 1] * x->dims[d + 1];
    int64_t cols = y->dims[r - 1], lo = shift[r - 1] < 0 ? -shift[r - 1] : 0;
    int64_t hi = x->dims[r - 1] - shift[r - 1] < cols ? x->dims[r - 1] - shift[r - 1] : cols; /* copied columns [lo, hi) */
    char *dst = y->data;
    const char *src = x->data;
    for (int64_t row = 0; row < y->numel / cols; row++, dst += (size_t)cols * es) {
        bool inside = hi > lo;
        int64_t off = 0;
        for (int d = 0; d < r - 1 && inside; d++) {
            int64_t s = c[d] + shift[d];
            inside = s >= 0 && s < x->dims[d];
            off += s * xstride[d];
        }
        if (inside) memcpy(dst + (size_t)lo * es, src + (size_t)(off + lo + shift[r - 1]) * es, (size_t)(hi - lo) * es);
        for (int d = r - 2; d >= 0 && ++c[d] == y->dims[d]; d--) c[d] = 0;
    }
    return OBN_OK;
}

static const int versions[] = {18, 0};
static const char *const attr_names[] = {"axes", NULL};
static const obn_op_sig ccp_sigs[] = {{18, "input_data shape", "output_data"}, {0}};

const obn_op obn_op_center_crop_pad = {
    .domain = "",
    .op_type = "CenterCropPad",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = ccp_sigs,
    .attrs_size = sizeof(ccp_attrs),
    .parse = ccp_parse,
    .infer = ccp_infer,
    .run = ccp_run,
};
OBN_REGISTER_OP(obn_op_center_crop_pad);
