/* Unique (11): the distinct elements of X (flattened), or with `axis` the
 * distinct slices along it, in ascending order (sorted=1, the default;
 * slices compare lexicographically) or in order of first occurrence
 * (sorted=0). Optional outputs: indices (first occurrence of each), inverse
 * indices (for each element or slice of X, its entry in Y) and counts, all
 * int64. Values compare by their order keys: NaNs are all equal and sort
 * last, -0 equals +0 (numpy.unique). The output size depends on X's data:
 * when it is not known while planning, infer returns OBN_DEFER. Any
 * storable type but bfloat16. */
#include <stdlib.h>
#include <string.h>

#include "op_helpers.h"
#include "op_keys.h"

typedef struct {
    bool has_axis, sorted;
    int64_t axis;
} unique_attrs;

static obn_status unique_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    unique_attrs *a = out;
    int64_t sorted;
    a->has_axis = obn_node_attr(n, "axis") != NULL;
    OBN_TRY(obn_attr_get_int(n, "axis", 0, &a->axis));
    OBN_TRY(obn_attr_int_range(n, "sorted", 1, 0, 1, &sorted));
    a->sorted = sorted != 0;
    return OBN_OK;
}

/* The unique computation: n slices of `slice` elements each (X viewed as
 * [outer][n][inner], slice = outer*inner), all arrays in one buffer. */
typedef struct {
    int axis; /* -1: flattened */
    int64_t n, slice, outer, inner, u;
    uint64_t *keys;  /* [n][slice] */
    int64_t *order;  /* slices in sorted order */
    int64_t *tmp;    /* merge buffer */
    int64_t *group;  /* per slice: its entry in Y */
    int64_t *first;  /* per entry: first slice */
    int64_t *count;  /* per entry: number of slices */
} uniq;

static obn_status unique_view(const obn_op_ctx *ctx, uniq *q)
{
    const unique_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    q->axis = -1;
    q->outer = q->inner = 1;
    q->n = x->numel;
    if (a->has_axis) {
        if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') is a scalar and 'axis' is given", obn_in_name(ctx, 0));
        OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, &q->axis));
        q->outer = obn_dims_product(x->dims, 0, q->axis);
        q->n = x->dims[q->axis];
        q->inner = obn_dims_product(x->dims, q->axis + 1, x->rank);
    }
    q->slice = q->outer * q->inner;
    return OBN_OK;
}

static size_t unique_bytes(const uniq *q) { return (size_t)(q->n * q->slice + 6 * q->n) * sizeof(int64_t); }

static int slice_cmp(const uniq *q, int64_t i, int64_t j)
{
    const uint64_t *a = q->keys + i * q->slice, *b = q->keys + j * q->slice;
    for (int64_t m = 0; m < q->slice; m++)
        if (a[m] != b[m]) return a[m] < b[m] ? -1 : 1;
    return 0;
}

/* Bottom-up merge sort of q->order: stable, so equal slices keep their
 * input order and the first of a run is the first occurrence. */
static void sort_slices(uniq *q)
{
    int64_t *src = q->order, *dst = q->tmp;
    for (int64_t width = 1; width < q->n; width *= 2) {
        for (int64_t lo = 0; lo < q->n; lo += 2 * width) {
            int64_t mid = lo + width < q->n ? lo + width : q->n, hi = lo + 2 * width < q->n ? lo + 2 * width : q->n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) dst[k++] = slice_cmp(q, src[j], src[i]) < 0 ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != q->order) memcpy(q->order, src, (size_t)q->n * sizeof *src);
}

/* Fills every array of q from X's data in buf (unique_bytes(q) bytes). */
static void unique_compute(const obn_op_ctx *ctx, uniq *q, void *buf)
{
    const obn_tensor *x = ctx->inputs[0];
    q->keys = buf;
    q->order = (int64_t *)(q->keys + q->n * q->slice);
    q->tmp = q->order + q->n;
    q->group = q->tmp + q->n;
    q->first = q->group + q->n;
    q->count = q->first + q->n;
    int64_t *renumber = q->count + q->n;
    obn_key_type t = obn_key_type_of(x->dtype);
    for (int64_t j = 0; j < q->n; j++)
        for (int64_t m = 0; m < q->slice; m++)
            q->keys[j * q->slice + m] = obn_order_key(t, x->data, ((m / q->inner) * q->n + j) * q->inner + m % q->inner);
    for (int64_t j = 0; j < q->n; j++) q->order[j] = j;
    sort_slices(q);
    q->u = 0;
    for (int64_t i = 0; i < q->n; i++) {
        int64_t s = q->order[i];
        if (i == 0 || slice_cmp(q, q->order[i - 1], s) != 0) {
            q->first[q->u] = s;
            q->count[q->u++] = 0;
        }
        q->group[s] = q->u - 1;
        q->count[q->u - 1]++;
    }
    if (((const unique_attrs *)ctx->attrs)->sorted) return;
    /* first-occurrence order: entries renumbered as their first slices appear */
    for (int64_t g = 0; g < q->u; g++) renumber[g] = -1;
    int64_t next = 0;
    for (int64_t j = 0; j < q->n; j++)
        if (renumber[q->group[j]] < 0) renumber[q->group[j]] = next++;
    for (int64_t g = 0; g < q->u; g++) {
        q->tmp[renumber[g]] = q->first[g];
        q->order[renumber[g]] = q->count[g];
    }
    memcpy(q->first, q->tmp, (size_t)q->u * sizeof *q->first);
    memcpy(q->count, q->order, (size_t)q->u * sizeof *q->count);
    for (int64_t j = 0; j < q->n; j++) q->group[j] = renumber[q->group[j]];
}

static obn_status unique_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", OBN_ALL_TYPES_NO_BF16));
    uniq q;
    OBN_TRY(unique_view(ctx, &q));
    const obn_tensor *x = ctx->inputs[0];
    if (!x->data) return OBN_DEFER;
    void *buf = malloc(unique_bytes(&q) ? unique_bytes(&q) : 1);
    if (!buf) return OBN_OOM();
    unique_compute(ctx, &q, buf);
    free(buf);
    int64_t dims[OBN_MAX_RANK];
    int rank = q.axis < 0 ? 1 : x->rank;
    for (int d = 0; d < rank; d++) dims[d] = d == q.axis || q.axis < 0 ? q.u : x->dims[d];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, rank, dims));
    OBN_TRY(obn_set_output(ctx, 1, OBN_INT64, 1, &q.u));
    OBN_TRY(obn_set_output(ctx, 2, OBN_INT64, 1, &q.n));
    return obn_set_output(ctx, 3, OBN_INT64, 1, &q.u);
}

static size_t unique_workspace(const obn_op_ctx *ctx)
{
    uniq q;
    return unique_view(ctx, &q) == OBN_OK ? unique_bytes(&q) : 0;
}

static obn_status unique_run(obn_op_ctx *ctx)
{
    uniq q;
    OBN_TRY(unique_view(ctx, &q));
    unique_compute(ctx, &q, ctx->workspace);
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    size_t block = (size_t)q.inner * obn_dtype_size(x->dtype);
    for (int64_t o = 0; block && o < q.outer; o++)
        for (int64_t g = 0; g < q.u; g++)
            memcpy((char *)y->data + (size_t)(o * q.u + g) * block, (const char *)x->data + (size_t)(o * q.n + q.first[g]) * block,
                   block);
    const int64_t *const extra[3] = {q.first, q.group, q.count}; /* indices, inverse_indices, counts */
    for (int k = 1; k <= 3; k++)
        if (obn_has_output(ctx, k) && ctx->outputs[k]->nbytes) memcpy(ctx->outputs[k]->data, extra[k - 1], ctx->outputs[k]->nbytes);
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {"axis", "sorted", NULL};
static const obn_op_sig unique_sigs[] = {{11, "X", "Y ?indices ?inverse_indices ?counts"}, {0}};

const obn_op obn_op_unique = {
    .domain = "",
    .op_type = "Unique",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = unique_sigs,
    .attrs_size = sizeof(unique_attrs),
    .parse = unique_parse,
    .infer = unique_infer,
    .run = unique_run,
    .workspace = unique_workspace,
};
OBN_REGISTER_OP(obn_op_unique);
