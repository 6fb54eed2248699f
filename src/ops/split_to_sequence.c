/* SplitToSequence (11, 24): `input` cut along `axis` (default 0) into a
 * sequence. `split` absent: pieces of length 1, with the axis removed when
 * keepdims = 0 (default 1); a scalar: pieces of that length, the last one
 * shorter if the axis does not divide; 1-D: the pieces' lengths, which must
 * add up to the axis. 24 only adds element types. */
#include <stdlib.h>
#include <string.h>

#include "seq_util.h"

typedef struct {
    int64_t axis;
    bool keepdims;
} split_attrs;

static obn_status split_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    split_attrs *a = out;
    int64_t keep;
    OBN_TRY(obn_attr_get_int(n, "axis", 0, &a->axis));
    OBN_TRY(obn_attr_get_int(n, "keepdims", 1, &keep));
    if (keep != 0 && keep != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'keepdims' is %lld, expected 0 or 1", (long long)keep);
    a->keepdims = keep == 1;
    return OBN_OK;
}

static obn_status split_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, 0, "input", OBN_KIND_TENSOR));
    if (obn_has_input(ctx, 1)) {
        OBN_TRY(obn_seq_check_kind(ctx, 1, "split", OBN_KIND_TENSOR));
        static const obn_dtype idx[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
        OBN_TRY(obn_check_input_dtype(ctx, 1, "split", idx));
        OBN_TRY(obn_check_rank(ctx, 1, "split", 0, 1));
    }
    int axis;
    OBN_TRY(obn_norm_axis(ctx, ((const split_attrs *)ctx->attrs)->axis, ctx->inputs[0]->rank, false, &axis));
    return OBN_DEFER; /* the number of pieces follows split's data */
}

/* The pieces' lengths along the axis (dim long): *n of them in *lens
 * (caller frees). */
static obn_status piece_lengths(obn_op_ctx *ctx, int64_t dim, int64_t **lens, int64_t *n)
{
    const obn_tensor *sp = obn_has_input(ctx, 1) ? ctx->inputs[1] : NULL;
    int64_t count, chunk = 1;
    if (sp && sp->rank == 1) {
        count = sp->numel;
    } else {
        if (sp && (chunk = obn_load_i64(sp, 0)) <= 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "split '%s' is %lld, expected a length > 0", obn_in_name(ctx, 1),
                               (long long)chunk);
        count = dim / chunk + (dim % chunk ? 1 : 0);
    }
    int64_t *l = malloc((size_t)(count ? count : 1) * sizeof *l);
    if (!l) return OBN_OOM();
    int64_t sum = 0;
    for (int64_t i = 0; i < count; i++) {
        l[i] = sp && sp->rank == 1 ? obn_load_i64(sp, i) : (i + 1 < count || dim % chunk == 0 ? chunk : dim % chunk);
        if (l[i] < 0 || l[i] > dim - sum) {
            int64_t bad = l[i];
            free(l);
            return obn_ctx_err(ctx, OBN_E_INVALID_INPUT,
                               "split '%s' does not cut the axis of length %lld: piece %lld has length %lld",
                               obn_in_name(ctx, 1), (long long)dim, (long long)i, (long long)bad);
        }
        sum += l[i];
    }
    if (sum != dim) {
        free(l);
        return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "split '%s' adds up to %lld, the axis has length %lld",
                           obn_in_name(ctx, 1), (long long)sum, (long long)dim);
    }
    *lens = l;
    *n = count;
    return OBN_OK;
}

/* One piece: `len` along the axis from `start`, copied out of x. */
static obn_status make_piece(const obn_tensor *x, int axis, int64_t start, int64_t len, bool squeeze, obn_tensor **out)
{
    int64_t dims[OBN_MAX_RANK];
    int r = 0;
    for (int d = 0; d < x->rank; d++)
        if (d != axis || !squeeze) dims[r++] = d == axis ? len : x->dims[d];
    OBN_TRY(obn_tensor_new(x->dtype, r, dims, out));
    int64_t outer = obn_dims_product(x->dims, 0, axis);
    size_t inner = (size_t)obn_dims_product(x->dims, axis + 1, x->rank) * obn_dtype_size(x->dtype);
    size_t src_row = (size_t)x->dims[axis] * inner, dst_row = (size_t)len * inner;
    for (int64_t o = 0; o < outer && dst_row; o++)
        memcpy((char *)(*out)->data + (size_t)o * dst_row, (const char *)x->data + (size_t)o * src_row + (size_t)start * inner,
               dst_row);
    return OBN_OK;
}

static obn_status split_run(obn_op_ctx *ctx)
{
    const split_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int axis;
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, &axis));
    int64_t *lens = NULL, n = 0;
    OBN_TRY(piece_lengths(ctx, x->dims[axis], &lens, &n));
    bool squeeze = !obn_has_input(ctx, 1) && !a->keepdims;
    obn_tensor *seq;
    obn_status s = obn_seq_make_output(ctx, 0, OBN_KIND_SEQUENCE, x->dtype, (size_t)n, &seq);
    int64_t start = 0;
    for (int64_t i = 0; s == OBN_OK && i < n; i++) {
        obn_tensor *piece;
        s = make_piece(x, axis, start, lens[i], squeeze, &piece);
        if (s == OBN_OK) obn_value_push(seq, piece);
        start += lens[i];
    }
    free(lens);
    return s;
}

static const int versions[] = {11, 24, 0};
static const char *const attr_names[] = {"axis", "keepdims", NULL};
static const obn_op_sig split_sigs[] = {{11, "input ?split", "output_sequence"}, {0}};

const obn_op obn_op_split_to_sequence = {
    .domain = "",
    .op_type = "SplitToSequence",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = split_sigs,
    .attrs_size = sizeof(split_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES,
    .parse = split_parse,
    .infer = split_infer,
    .run = split_run,
};
OBN_REGISTER_OP(obn_op_split_to_sequence);
