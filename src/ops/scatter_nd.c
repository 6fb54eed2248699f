/* ScatterND (11, 13, 16, 18): output = data, then for every index tuple
 * i = indices[j0..j(q-2), :] (k = indices.shape[-1] <= rank(data)
 * coordinates, negative counting from the end) the slice output[i] (shape
 * data.shape[k:]) is replaced by, or from 16 with `reduction` combined with
 * (add, mul; from 18 also max, min), updates[j0..j(q-2)], in index order.
 * updates has shape indices.shape[:-1] + data.shape[k:]. Any storable type
 * for replacement; the reductions need a numeric type (max/min of floats
 * propagate NaN, as numpy's maximum/minimum). Indices out of range are a
 * run-time error.
 * Exported by torchvision's Swin for its attention mask (folded at plan
 * time there). */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    obn_scatter_red reduction;
} scatter_attrs;

static obn_status scatter_parse(const obn_node *n, int v, void *out)
{
    scatter_attrs *a = out;
    if (v < 16 && obn_node_attr(n, "reduction"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'reduction' is not part of ScatterND-%d", v);
    return obn_attr_get_scatter_red(n, v >= 18, &a->reduction);
}

static obn_status scatter_infer(obn_op_ctx *ctx)
{
    static const obn_dtype index_types[] = {OBN_INT64, OBN_UNDEFINED};
    const scatter_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
    OBN_TRY(obn_check_all_types(ctx, 0, "data", 0));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "indices", index_types));
    OBN_TRY(obn_check_same_dtype(ctx, 2, "updates", 0, "data"));
    if (a->reduction != OBN_SCATTER_NONE) OBN_TRY(obn_check_input_dtype(ctx, 0, "data", OBN_NUMERIC_TYPES));
    char sx[OBN_SHAPE_STR_CAP], si[OBN_SHAPE_STR_CAP], su[OBN_SHAPE_STR_CAP];
    if (x->rank < 1 || idx->rank < 1 || idx->dims[idx->rank - 1] > x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'indices' %s does not index 'data' %s",
                           obn_shape_str(idx->rank, idx->dims, si, sizeof si), obn_shape_str(x->rank, x->dims, sx, sizeof sx));
    int k = (int)idx->dims[idx->rank - 1];
    bool ok = upd->rank == idx->rank - 1 + x->rank - k;
    for (int d = 0; ok && d < idx->rank - 1; d++) ok = upd->dims[d] == idx->dims[d];
    for (int d = k; ok && d < x->rank; d++) ok = upd->dims[idx->rank - 1 + d - k] == x->dims[d];
    if (!ok)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'updates' has shape %s; with 'indices' %s and 'data' %s it must be indices.shape[:-1] + data.shape[%d:]",
                           obn_shape_str(upd->rank, upd->dims, su, sizeof su), obn_shape_str(idx->rank, idx->dims, si, sizeof si),
                           obn_shape_str(x->rank, x->dims, sx, sizeof sx), k);
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status scatter_run(obn_op_ctx *ctx)
{
    const scatter_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1], *upd = ctx->inputs[2];
    obn_tensor *y = ctx->outputs[0];
    int k = (int)idx->dims[idx->rank - 1];
    int64_t n_updates = k ? idx->numel / k : obn_dims_product(idx->dims, 0, idx->rank - 1);
    int64_t slice = obn_dims_product(x->dims, k, x->rank);
    size_t es = obn_dtype_size(x->dtype);
    /* validate every index before writing anything */
    for (int64_t j = 0; j < n_updates * k; j++) {
        int64_t i = ((const int64_t *)idx->data)[j], n = x->dims[j % k];
        if (i < -n || i >= n)
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "index %lld (element %lld of '%s') is out of range for axis %lld of size %lld",
                               (long long)i, (long long)j, obn_in_name(ctx, 1), (long long)(j % k), (long long)n);
    }
    if (x->nbytes) memcpy(y->data, x->data, x->nbytes);
    for (int64_t u = 0; u < n_updates; u++) {
        int64_t off = 0;
        for (int d = 0; d < k; d++) {
            int64_t i = ((const int64_t *)idx->data)[u * k + d];
            off = off * x->dims[d] + (i < 0 ? i + x->dims[d] : i);
        }
        off *= slice;
        if (a->reduction == OBN_SCATTER_NONE) {
            if (slice) memcpy((char *)y->data + (size_t)off * es, (const char *)upd->data + (size_t)(u * slice) * es,
                              (size_t)slice * es);
        } else {
            for (int64_t e = 0; e < slice; e++) obn_scatter_combine(a->reduction, y, off + e, upd, u * slice + e);
        }
    }
    return OBN_OK;
}

static const int versions[] = {11, 13, 16, 18, 0};
static const char *const attr_names[] = {"reduction", NULL};

static const obn_op_sig scatter_nd_sigs[] = {{11, "data indices updates", "output"}, {0}};

const obn_op obn_op_scatter_nd = {
    .domain = "",
    .op_type = "ScatterND",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = scatter_nd_sigs,
    .attrs_size = sizeof(scatter_attrs),
    .parse = scatter_parse,
    .infer = scatter_infer,
    .run = scatter_run,
};
OBN_REGISTER_OP(obn_op_scatter_nd);
