/* GatherElements (11, 13), ScatterElements (11, 13, 16, 18) and the deprecated
 * Scatter (9, 11, the same as ScatterElements-11): element-wise indexing
 * along `axis` (default 0). `indices` (int32/int64, negative counts from the
 * end) has the rank of `data` and, on every other axis, at most its size.
 * Element e of indices, at coordinates c, stands for data[c with c[axis]
 * replaced by indices[c]]:
 *   GatherElements: output[c] = that element (output shape = indices shape);
 *   ScatterElements: output = data, then that element of output is replaced
 *     by updates[c] (same shape as indices) in index order, or from 16 on
 *     combined with it by `reduction` add/mul, from 18 on also max/min
 *     (numeric types only; max/min of floats propagate NaN).
 * Any storable type (bfloat16 from 13 on). Indices out of range are a
 * run-time error, found before anything is written. */
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    bool scatter; /* ScatterElements or Scatter */
    int64_t axis;
    obn_scatter_red red;
} elems_attrs;

static obn_status elems_parse(const obn_node *n, int v, void *out)
{
    elems_attrs *a = out;
    a->scatter = strncmp(n->op_type, "Scatter", 7) == 0;
    OBN_TRY(obn_attr_get_int(n, "axis", 0, &a->axis));
    bool has_red = strcmp(n->op_type, "ScatterElements") == 0 && v >= 16;
    if (!has_red && obn_node_attr(n, "reduction"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'reduction' is not part of %s-%d", n->op_type, v);
    return obn_attr_get_scatter_red(n, has_red && v >= 18, &a->red);
}

static bool is_scatter(const obn_op_ctx *ctx) { return ((const elems_attrs *)ctx->attrs)->scatter; }

/* Dtypes, ranks and the shape rule shared by the three ops. */
static obn_status elems_check(const obn_op_ctx *ctx, int *axis)
{
    static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    const elems_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    if (x->dtype != OBN_STRING) /* strings: every version, as the spec's "all types" */
        OBN_TRY(obn_check_input_dtype(ctx, 0, "data", ctx->since_version >= 13 ? OBN_ALL_TYPES : OBN_ALL_TYPES_NO_BF16));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "indices", index_types));
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'data' ('%s') is a scalar", obn_in_name(ctx, 0));
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, axis));
    char sx[OBN_SHAPE_STR_CAP], si[OBN_SHAPE_STR_CAP];
    bool ok = idx->rank == x->rank;
    for (int d = 0; ok && d < x->rank; d++) ok = d == *axis || idx->dims[d] <= x->dims[d];
    if (!ok)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'indices' %s does not fit 'data' %s: same rank and, except on axis %d, no larger dims",
                           obn_shape_str(idx->rank, idx->dims, si, sizeof si), obn_shape_str(x->rank, x->dims, sx, sizeof sx), *axis);
    if (!is_scatter(ctx)) return OBN_OK;
    const obn_tensor *upd = ctx->inputs[2];
    OBN_TRY(obn_check_same_dtype(ctx, 2, "updates", 0, "data"));
    if (a->red != OBN_SCATTER_NONE && (x->dtype == OBN_BOOL || x->dtype == OBN_STRING))
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "a reduction of %s data ('%s') is not implemented",
                           obn_dtype_name(x->dtype), obn_in_name(ctx, 0));
    ok = upd->rank == idx->rank;
    for (int d = 0; ok && d < idx->rank; d++) ok = upd->dims[d] == idx->dims[d];
    if (!ok) {
        char su[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'updates' has shape %s; it must equal the shape %s of 'indices'",
                           obn_shape_str(upd->rank, upd->dims, su, sizeof su), obn_shape_str(idx->rank, idx->dims, si, sizeof si));
    }
    return OBN_OK;
}

static obn_status elems_infer(obn_op_ctx *ctx)
{
    int axis;
    OBN_TRY(elems_check(ctx, &axis));
    const obn_tensor *shape_of = is_scatter(ctx) ? ctx->inputs[0] : ctx->inputs[1];
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, shape_of->rank, shape_of->dims);
}

static obn_status check_indices(const obn_op_ctx *ctx, int axis)
{
    const obn_tensor *idx = ctx->inputs[1];
    int64_t n = ctx->inputs[0]->dims[axis];
    for (int64_t j = 0; j < idx->numel; j++) {
        int64_t i = obn_load_i64(idx, j);
        if (i < -n || i >= n)
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "index %lld (element %lld of '%s') is out of range for axis %d of size %lld",
                               (long long)i, (long long)j, obn_in_name(ctx, 1), axis, (long long)n);
    }
    return OBN_OK;
}

/* Calls visit(e, offset in data) for every element e of indices, in order. */
typedef void (*elem_visit)(const obn_op_ctx *ctx, int64_t e, int64_t data_off);

static void walk_indices(const obn_op_ctx *ctx, int axis, elem_visit visit)
{
    const obn_tensor *x = ctx->inputs[0], *idx = ctx->inputs[1];
    int r = x->rank;
    int64_t stride[OBN_MAX_RANK], c[OBN_MAX_RANK] = {0}, n = x->dims[axis];
    stride[r - 1] = 1;
    for (int d = r - 2; d >= 0; d--) stride[d] = stride[d + 1] * x->dims[d + 1];
    int64_t base = 0; /* offset of c with c[axis] = 0 */
    for (int64_t e = 0; e < idx->numel; e++) {
        int64_t i = obn_load_i64(idx, e);
        visit(ctx, e, base + (i < 0 ? i + n : i) * stride[axis]);
        for (int d = r - 1; d >= 0; d--) { /* odometer over the indices shape */
            if (d != axis) base += stride[d];
            if (++c[d] < idx->dims[d]) break;
            if (d != axis) base -= stride[d] * idx->dims[d];
            c[d] = 0;
        }
    }
}

static void gather_one(const obn_op_ctx *ctx, int64_t e, int64_t off)
{
    obn_copy_elem(ctx->outputs[0], e, ctx->inputs[0], off);
}

static void scatter_one(const obn_op_ctx *ctx, int64_t e, int64_t off)
{
    const elems_attrs *a = ctx->attrs;
    if (a->red == OBN_SCATTER_NONE) obn_copy_elem(ctx->outputs[0], off, ctx->inputs[2], e);
    else obn_scatter_combine(a->red, ctx->outputs[0], off, ctx->inputs[2], e);
}

/* Strings: element pointers are copied (from data, then updates), then the
 * output gets copies of its own. */
static obn_status elems_run(obn_op_ctx *ctx)
{
    int axis;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    obn_status s = elems_check(ctx, &axis);
    if (s == OBN_OK) s = check_indices(ctx, axis);
    if (s == OBN_OK) {
        if (is_scatter(ctx) && y->data != x->data && x->nbytes) memcpy(y->data, x->data, x->nbytes);
        walk_indices(ctx, axis, is_scatter(ctx) ? scatter_one : gather_one);
    }
    return x->dtype == OBN_STRING ? obn_strings_own_copies(ctx, y, s) : s;
}

static const int gather_versions[] = {11, 13, 0};
static const int scatter_elements_versions[] = {11, 13, 16, 18, 0};
static const int scatter_versions[] = {9, 11, 0};
static const char *const gather_attr_names[] = {"axis", NULL};
static const char *const scatter_attr_names[] = {"axis", "reduction", NULL};
static const obn_op_sig gather_sigs[] = {{11, "data indices", "output"}, {0}};
static const obn_op_sig scatter_sigs[] = {{9, "data indices updates", "output"}, {0}};

#define ELEMS_OP(sym, name, vers, attrs, sig)                                                        \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, \
                        .sigs = sig, .attrs_size = sizeof(elems_attrs), .flags = OBN_OP_STRINGS,    \
                        .parse = elems_parse,                                                       \
                        .infer = elems_infer, .run = elems_run}

ELEMS_OP(obn_op_gather_elements, "GatherElements", gather_versions, gather_attr_names, gather_sigs);
OBN_REGISTER_OP(obn_op_gather_elements);
ELEMS_OP(obn_op_scatter_elements, "ScatterElements", scatter_elements_versions, scatter_attr_names, scatter_sigs);
OBN_REGISTER_OP(obn_op_scatter_elements);
ELEMS_OP(obn_op_scatter, "Scatter", scatter_versions, gather_attr_names, scatter_sigs);
OBN_REGISTER_OP(obn_op_scatter);
