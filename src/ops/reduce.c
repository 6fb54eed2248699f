/* Reductions: ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceProd,
 * ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp
 * (1, 11, 13, and 18 for all but ReduceSum; ReduceMax/ReduceMin also 12 and
 * 20, which adds bool with False < True).
 *
 * Axes come from the `axes` attribute, except from ReduceSum-13 and every
 * other Reduce*-18 on, which take them as an optional input (with
 * noop_with_empty_axes: no or empty axes means identity instead of reducing
 * everything). Negative axes count from the end. keepdims (default 1) keeps
 * reduced axes as size 1.
 * float32/double run the kernel (double accumulation); the other float types
 * go through double, integer types are accumulated exactly in 64 bits
 * (integer means divide with truncation). */
#include <math.h>
#include <string.h>

#include "kernels/reduce.h"
#include "op_helpers.h"

typedef struct {
    obn_redop op;
    int keepdims, noop_with_empty_axes;
    int n_axes;               /* -1: attribute absent */
    int64_t axes[OBN_MAX_RANK];
} red_attrs;

static const struct {
    const char *name;
    obn_redop op;
} names[] = {{"ReduceMean", OBN_RED_MEAN},   {"ReduceSum", OBN_RED_SUM},
             {"ReduceMax", OBN_RED_MAX},     {"ReduceMin", OBN_RED_MIN},
             {"ReduceProd", OBN_RED_PROD},   {"ReduceL1", OBN_RED_L1},
             {"ReduceL2", OBN_RED_L2},       {"ReduceSumSquare", OBN_RED_SUMSQ},
             {"ReduceLogSum", OBN_RED_LOGSUM}, {"ReduceLogSumExp", OBN_RED_LOGSUMEXP}};

static bool axes_input_form(obn_redop op, int since_version)
{
    return since_version >= 18 || (op == OBN_RED_SUM && since_version >= 13);
}

static bool axes_is_input(const obn_op_ctx *ctx)
{
    const red_attrs *a = ctx->attrs;
    return axes_input_form(a->op, ctx->since_version);
}

static obn_status red_parse(const obn_node *n, int v, void *out)
{
    red_attrs *a = out;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(n->op_type, names[i].name) == 0) a->op = names[i].op;
    bool input_form = axes_input_form(a->op, v);
    if (input_form && obn_node_attr(n, "axes"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'axes' is not part of %s-%d (axes is an input)", n->op_type, v);
    if (!input_form && obn_node_attr(n, "noop_with_empty_axes"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'noop_with_empty_axes' is not part of %s-%d", n->op_type, v);
    int64_t keep, noop;
    OBN_TRY(obn_attr_int_range(n, "keepdims", 1, 0, 1, &keep));
    OBN_TRY(obn_attr_int_range(n, "noop_with_empty_axes", 0, 0, 1, &noop));
    a->keepdims = (int)keep;
    a->noop_with_empty_axes = (int)noop;
    size_t count;
    OBN_TRY(obn_attr_get_ints(n, "axes", OBN_MAX_RANK, a->axes, &count));
    a->n_axes = obn_node_attr(n, "axes") ? (int)count : -1;
    return OBN_OK;
}

/* reduced[d] for the input; false everywhere = identity (noop). */
static obn_status reduced_axes(const obn_op_ctx *ctx, unsigned char *reduced)
{
    const red_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int64_t axes[OBN_MAX_RANK];
    size_t n = 0;
    bool given;
    if (axes_is_input(ctx)) {
        given = obn_has_input(ctx, 1);
        if (given) OBN_TRY(obn_read_int_input(ctx, 1, "axes", OBN_MAX_RANK, axes, &n));
    } else {
        given = a->n_axes >= 0;
        n = given ? (size_t)a->n_axes : 0;
        memcpy(axes, a->axes, n * sizeof *axes);
    }
    if (n == 0) {
        bool noop = axes_is_input(ctx) && a->noop_with_empty_axes;
        for (int d = 0; d < x->rank; d++) reduced[d] = !noop;
        return OBN_OK;
    }
    int norm[OBN_MAX_RANK];
    OBN_TRY(obn_norm_axes(ctx, axes_is_input(ctx) ? "input 'axes'" : "attribute 'axes'", axes, n, x->rank, norm));
    memset(reduced, 0, OBN_MAX_RANK);
    for (size_t i = 0; i < n; i++) reduced[norm[i]] = 1;
    return OBN_OK;
}

static obn_status red_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT32, OBN_INT64,
                                       OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype v13[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32,
                                    OBN_INT64, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype minmax12[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT32, OBN_INT64, OBN_UINT32,
                                         OBN_UINT64, OBN_INT8, OBN_UINT8, OBN_UNDEFINED};
    static const obn_dtype minmax13[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32, OBN_INT64,
                                         OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_UINT8, OBN_UNDEFINED};
    static const obn_dtype minmax20[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32, OBN_INT64,
                                         OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_UINT8, OBN_BOOL, OBN_UNDEFINED};
    const red_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    bool minmax = a->op == OBN_RED_MAX || a->op == OBN_RED_MIN;
    const obn_dtype *allowed = minmax && v >= 20   ? minmax20
                               : minmax && v >= 13 ? minmax13
                               : minmax && v >= 12 ? minmax12
                               : v >= 13           ? v13
                                                   : legacy;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "data", allowed));
    unsigned char reduced[OBN_MAX_RANK];
    OBN_TRY(reduced_axes(ctx, reduced));
    const obn_tensor *x = ctx->inputs[0];
    int64_t dims[OBN_MAX_RANK];
    int r = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!reduced[d]) dims[r++] = x->dims[d];
        else if (a->keepdims) dims[r++] = 1;
    }
    return obn_set_output(ctx, 0, x->dtype, r, dims);
}

/* Odometer over the reduced axes of x for the output whose kept-axis
 * coordinates give element offset `base`. */
typedef struct {
    int n;
    int64_t dims[OBN_MAX_RANK], strides[OBN_MAX_RANK];
} red_walk;

static int64_t next_offset(const red_walk *w, int64_t *idx, int64_t off)
{
    for (int d = w->n - 1; d >= 0; d--) {
        off += w->strides[d];
        if (++idx[d] < w->dims[d]) return off;
        off -= w->strides[d] * w->dims[d];
        idx[d] = 0;
    }
    return off;
}

static double reduce_double(obn_redop op, const obn_tensor *x, const red_walk *w, int64_t base, int64_t count)
{
    int64_t idx[OBN_MAX_RANK] = {0}, off = base;
    double acc = op == OBN_RED_MAX ? -INFINITY : op == OBN_RED_MIN ? INFINITY : op == OBN_RED_PROD ? 1 : 0;
    double shift = 0;
    if (op == OBN_RED_LOGSUMEXP) {
        shift = -INFINITY;
        for (int64_t j = 0; j < count; j++, off = next_offset(w, idx, off)) shift = fmax(shift, obn_load_f64(x, off));
        if (!isfinite(shift)) shift = 0;
        memset(idx, 0, sizeof idx);
        off = base;
    }
    for (int64_t j = 0; j < count; j++, off = next_offset(w, idx, off)) {
        double v = obn_load_f64(x, off);
        switch (op) {
        case OBN_RED_MAX: acc = v > acc || v != v ? v : acc; break;
        case OBN_RED_MIN: acc = v < acc || v != v ? v : acc; break;
        case OBN_RED_PROD: acc *= v; break;
        case OBN_RED_SUMSQ: case OBN_RED_L2: acc += v * v; break;
        case OBN_RED_L1: acc += fabs(v); break;
        case OBN_RED_LOGSUMEXP: acc += exp(v - shift); break;
        default: acc += v; break;
        }
    }
    switch (op) {
    case OBN_RED_MEAN: return acc / (double)count;
    case OBN_RED_L2: return sqrt(acc);
    case OBN_RED_LOGSUM: return log(acc);
    case OBN_RED_LOGSUMEXP: return log(acc) + shift;
    default: return acc;
    }
}

/* Integer types: sum, mean, prod, max, min, L1, sum of squares exactly (with
 * wrap-around); the others through double. */
static int64_t reduce_int(obn_redop op, const obn_tensor *x, const red_walk *w, int64_t base, int64_t count)
{
    if (op == OBN_RED_L2 || op == OBN_RED_LOGSUM || op == OBN_RED_LOGSUMEXP)
        return obn_f64_to_i64(reduce_double(op, x, w, base, count));
    int64_t idx[OBN_MAX_RANK] = {0}, off = base;
    bool uns = obn_dtype_is_unsigned(x->dtype);
    uint64_t acc = op == OBN_RED_PROD ? 1 : op == OBN_RED_MAX ? (uns ? 0 : (uint64_t)INT64_MIN)
                                          : op == OBN_RED_MIN ? (uns ? UINT64_MAX : (uint64_t)INT64_MAX) : 0;
    for (int64_t j = 0; j < count; j++, off = next_offset(w, idx, off)) {
        uint64_t u = uns ? obn_load_u64(x, off) : (uint64_t)obn_load_i64(x, off);
        int64_t s = (int64_t)u;
        switch (op) {
        case OBN_RED_MAX: acc = uns ? (u > acc ? u : acc) : (s > (int64_t)acc ? u : acc); break;
        case OBN_RED_MIN: acc = uns ? (u < acc ? u : acc) : (s < (int64_t)acc ? u : acc); break;
        case OBN_RED_PROD: acc *= u; break;
        case OBN_RED_SUMSQ: acc += u * u; break;
        case OBN_RED_L1: acc += !uns && s < 0 ? 0 - u : u; break;
        default: acc += u; break;
        }
    }
    if (op == OBN_RED_MEAN && count > 0) {
        if (uns) acc /= (uint64_t)count;
        else acc = (uint64_t)((int64_t)acc / count);
    }
    return (int64_t)acc;
}

static obn_status red_run(obn_op_ctx *ctx)
{
    const red_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    unsigned char reduced[OBN_MAX_RANK];
    OBN_TRY(reduced_axes(ctx, reduced));
    if (x->dtype == OBN_FLOAT) {
        obn_reduce_f32(a->op, x->data, y->data, x->rank, x->dims, reduced, ctx->threads);
        return OBN_OK;
    }
    if (x->dtype == OBN_DOUBLE) {
        obn_reduce_f64(a->op, x->data, y->data, x->rank, x->dims, reduced, ctx->threads);
        return OBN_OK;
    }
    int64_t strides[OBN_MAX_RANK], s = 1, count = 1;
    for (int d = x->rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= x->dims[d];
    }
    red_walk w = {0};
    int64_t kept_dims[OBN_MAX_RANK], kept_strides[OBN_MAX_RANK];
    int nk = 0;
    for (int d = 0; d < x->rank; d++) {
        if (reduced[d]) {
            w.dims[w.n] = x->dims[d];
            w.strides[w.n++] = strides[d];
            count *= x->dims[d];
        } else {
            kept_dims[nk] = x->dims[d];
            kept_strides[nk++] = strides[d];
        }
    }
    bool fl = obn_dtype_is_float(x->dtype);
    for (int64_t o = 0; o < y->numel; o++) {
        int64_t base = 0, rem = o;
        for (int d = nk - 1; d >= 0; d--) {
            base += (rem % kept_dims[d]) * kept_strides[d];
            rem /= kept_dims[d];
        }
        if (fl) obn_store_f64(y, o, reduce_double(a->op, x, &w, base, count));
        else obn_store_i64(y, o, reduce_int(a->op, x, &w, base, count));
    }
    return OBN_OK;
}

static const int versions[] = {1, 11, 13, 18, 0};
static const int sum_versions[] = {1, 11, 13, 0};
static const int minmax_versions[] = {1, 11, 12, 13, 18, 20, 0};
static const char *const attr_names[] = {"axes", "keepdims", "noop_with_empty_axes", NULL};

static const obn_op_sig reduce_sigs[] = {{1, "data", "reduced"}, {18, "data ?axes", "reduced"}, {0}};
static const obn_op_sig sum_sigs[] = {{1, "data", "reduced"}, {13, "data ?axes", "reduced"}, {0}};

#define REDUCE_OP(sym, name, vers, attrs, sig)                                                      \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, \
                        .sigs = sig,                                                                \
                        .attrs_size = sizeof(red_attrs), .parse = red_parse, .infer = red_infer,  \
                        .run = red_run}

REDUCE_OP(obn_op_reduce_mean, "ReduceMean", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_mean);
REDUCE_OP(obn_op_reduce_sum, "ReduceSum", sum_versions, attr_names, sum_sigs);
OBN_REGISTER_OP(obn_op_reduce_sum);
REDUCE_OP(obn_op_reduce_max, "ReduceMax", minmax_versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_max);
REDUCE_OP(obn_op_reduce_min, "ReduceMin", minmax_versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_min);
REDUCE_OP(obn_op_reduce_prod, "ReduceProd", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_prod);
REDUCE_OP(obn_op_reduce_l1, "ReduceL1", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_l1);
REDUCE_OP(obn_op_reduce_l2, "ReduceL2", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_l2);
REDUCE_OP(obn_op_reduce_sum_square, "ReduceSumSquare", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_sum_square);
REDUCE_OP(obn_op_reduce_log_sum, "ReduceLogSum", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_log_sum);
REDUCE_OP(obn_op_reduce_log_sum_exp, "ReduceLogSumExp", versions, attr_names, reduce_sigs);
OBN_REGISTER_OP(obn_op_reduce_log_sum_exp);
