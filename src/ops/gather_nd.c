/* GatherND (11, 12, 13): `indices` (int64, rank q >= 1) is a tensor of
 * index tuples of length m = indices.shape[-1] into `data` (rank r >= 1),
 * after the first b = batch_dims (12 and later; b < min(q, r)) dims, which
 * data and indices share. Each tuple selects the slice
 * data[batch..., i0, ..., i(m-1), :] (negative indices count from the end);
 * output shape = indices.shape[:-1] + data.shape[b+m:]. 1 <= m <= r - b.
 * Any storable type (bfloat16 from 13 on). Indices out of range are a
 * run-time error, found before anything is copied. */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    int64_t batch_dims;
} gather_nd_attrs;

static obn_status gather_nd_parse(const obn_node *n, int v, void *out)
{
    if (v < 12 && obn_node_attr(n, "batch_dims"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'batch_dims' is not part of GatherND-%d", v);
    return obn_attr_int_range(n, "batch_dims", 0, 0, OBN_MAX_RANK, &((gather_nd_attrs *)out)->batch_dims);
}

static obn_status gather_nd_infer(obn_op_ctx *ctx)
{
    static const obn_dtype int64_only[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "data", ctx->since_version >= 13 ? OBN_ALL_TYPES : OBN_ALL_TYPES_NO_BF16));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "indices", int64_only));
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    int b = (int)((const gather_nd_attrs *)ctx->attrs)->batch_dims, r = x->rank, q = idx->rank;
    char sx[OBN_SHAPE_STR_CAP], si[OBN_SHAPE_STR_CAP];
    obn_shape_str(r, x->dims, sx, sizeof sx);
    obn_shape_str(q, idx->dims, si, sizeof si);
    if (r < 1 || q < 1 || b >= r || b >= q)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'data' %s and 'indices' %s need rank >= 1 and batch_dims %d below both ranks",
                           sx, si, b);
    int64_t m = idx->dims[q - 1];
    if (m < 1 || m > r - b)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'indices' %s: tuples of length %lld cannot index 'data' %s after %d batch dims",
                           si, (long long)m, sx, b);
    for (int d = 0; d < b; d++)
        if (x->dims[d] != idx->dims[d])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "batch dim %d differs: 'data' %s, 'indices' %s", d, sx, si);
    int rank = q - 1 + r - b - (int)m;
    if (rank > OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "output rank %d exceeds onnxbn's maximum %d", rank, OBN_MAX_RANK);
    int64_t dims[OBN_MAX_RANK];
    int k = 0;
    for (int d = 0; d < q - 1; d++) dims[k++] = idx->dims[d];
    for (int d = b + (int)m; d < r; d++) dims[k++] = x->dims[d];
    return obn_set_output(ctx, 0, x->dtype, rank, dims);
}

static obn_status gather_nd_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    const int64_t *iv = idx->data;
    int b = (int)((const gather_nd_attrs *)ctx->attrs)->batch_dims, r = x->rank, q = idx->rank;
    int m = (int)idx->dims[q - 1];
    for (int64_t j = 0; j < idx->numel; j++) {
        int64_t n = x->dims[b + j % m];
        if (iv[j] < -n || iv[j] >= n)
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "index %lld (element %lld of '%s') is out of range for axis %lld of size %lld",
                               (long long)iv[j], (long long)j, obn_in_name(ctx, 1), (long long)(b + j % m), (long long)n);
    }
    int64_t stride[OBN_MAX_RANK]; /* elements of data per step of dim b+j */
    for (int j = m - 1; j >= 0; j--) stride[j] = obn_dims_product(x->dims, b + j + 1, r);
    int64_t batches = obn_dims_product(x->dims, 0, b), block = obn_dims_product(x->dims, b, r);
    int64_t tuples = obn_dims_product(idx->dims, b, q - 1), slice = obn_dims_product(x->dims, b + m, r);
    size_t es = obn_dtype_size(x->dtype), bytes = (size_t)slice * es;
    const char *src = x->data;
    char *dst = ctx->outputs[0]->data;
    for (int64_t bi = 0; bi < batches; bi++)
        for (int64_t t = 0; t < tuples; t++, iv += m, dst += bytes) {
            int64_t off = bi * block;
            for (int j = 0; j < m; j++) off += (iv[j] < 0 ? iv[j] + x->dims[b + j] : iv[j]) * stride[j];
            if (bytes) memcpy(dst, src + (size_t)off * es, bytes);
        }
    return OBN_OK;
}

static const int versions[] = {11, 12, 13, 0};
static const char *const attr_names[] = {"batch_dims", NULL};
static const obn_op_sig gather_nd_sigs[] = {{11, "data indices", "output"}, {0}};

const obn_op obn_op_gather_nd = {
    .domain = "",
    .op_type = "GatherND",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = gather_nd_sigs,
    .attrs_size = sizeof(gather_nd_attrs),
    .parse = gather_nd_parse,
    .infer = gather_nd_infer,
    .run = gather_nd_run,
};
OBN_REGISTER_OP(obn_op_gather_nd);
