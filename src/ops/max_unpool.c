/* MaxUnpool (9, 11, 22; 22 adds bfloat16): the partial inverse of MaxPool.
 * The unpooled tensor U [N, C, O1..On], Oi = (Di - 1) * stride_i + kernel_i
 * - pad_begin_i - pad_end_i, starts as zeros and takes each X value at the
 * flat (row-major, whole tensor) index its I entry gives, I being
 * MaxPool's second output. Y is U, or with 'output_shape' (its data) a
 * zero tensor of that shape, at least U's on every axis, holding U in its
 * leading corner (as the spec's reference places it). An index outside U
 * is a run-time error naming the node. */
#include <string.h>

#include "op_helpers.h"

#define MAXD (OBN_MAX_RANK - 2)

typedef struct {
    int64_t kernel[MAXD], strides[MAXD], pads[2 * MAXD];
    size_t n_kernel, n_strides, n_pads;
} unpool_attrs;

enum { IN_X, IN_I, IN_SHAPE };

static obn_status unpool_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    unpool_attrs *a = out;
    OBN_TRY(obn_attr_get_ints(n, "kernel_shape", MAXD, a->kernel, &a->n_kernel));
    OBN_TRY(obn_attr_get_ints(n, "strides", MAXD, a->strides, &a->n_strides));
    OBN_TRY(obn_attr_get_ints(n, "pads", 2 * MAXD, a->pads, &a->n_pads));
    if (a->n_kernel == 0) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'kernel_shape' is required");
    OBN_TRY(obn_attr_check_min(n, "kernel_shape", a->kernel, a->n_kernel, 1));
    OBN_TRY(obn_attr_check_min(n, "strides", a->strides, a->n_strides, 1));
    OBN_TRY(obn_attr_check_min(n, "pads", a->pads, a->n_pads, 0));
    if ((a->n_strides && a->n_strides != a->n_kernel) || (a->n_pads && a->n_pads != 2 * a->n_kernel))
        return obn_node_err(n, OBN_E_INVALID_MODEL,
                            "attributes 'strides' (%zu values) and 'pads' (%zu) do not match 'kernel_shape' (%zu axes)",
                            a->n_strides, a->n_pads, a->n_kernel);
    return OBN_OK;
}

/* The unpooled shape (udims) and Y's (dims). */
static obn_status unpool_shape(const obn_op_ctx *ctx, int64_t *udims, int64_t *dims)
{
    static const obn_dtype before22[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
    const unpool_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[IN_X], *ix = ctx->inputs[IN_I];
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "X", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : before22));
    OBN_TRY(obn_check_input_dtype(ctx, IN_I, "I", i64));
    char xs[OBN_SHAPE_STR_CAP], is[OBN_SHAPE_STR_CAP];
    obn_shape_str(x->rank, x->dims, xs, sizeof xs);
    if (x->rank != 2 + (int)a->n_kernel)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; expected rank %zu (N, C and the %zu kernel axes)",
                           obn_in_name(ctx, IN_X), xs, 2 + a->n_kernel, a->n_kernel);
    bool same = ix->rank == x->rank;
    for (int d = 0; same && d < x->rank; d++) same = ix->dims[d] == x->dims[d];
    if (!same)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'I' ('%s') has shape %s; expected X's %s", obn_in_name(ctx, IN_I),
                           obn_shape_str(ix->rank, ix->dims, is, sizeof is), xs);
    udims[0] = x->dims[0];
    udims[1] = x->dims[1];
    for (size_t i = 0; i < a->n_kernel; i++) {
        int64_t st = a->n_strides ? a->strides[i] : 1, pb = a->n_pads ? a->pads[i] : 0;
        int64_t pe = a->n_pads ? a->pads[a->n_kernel + i] : 0, in = x->dims[2 + i], o;
        if (__builtin_mul_overflow(in > 0 ? in - 1 : 0, st, &o) || __builtin_add_overflow(o, a->kernel[i], &o))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "output size of axis %zu overflows", i);
        o -= pb + pe;
        if (o < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "output size of axis %zu is negative (%lld): pads %lld+%lld too large",
                               i, (long long)o, (long long)pb, (long long)pe);
        udims[2 + i] = in == 0 ? 0 : o;
    }
    memcpy(dims, udims, sizeof(int64_t) * (size_t)x->rank);
    if (!obn_has_input(ctx, IN_SHAPE)) return OBN_OK;
    size_t count;
    OBN_TRY(obn_check_input_dtype(ctx, IN_SHAPE, "output_shape", i64));
    OBN_TRY(obn_read_int_input(ctx, IN_SHAPE, "output_shape", OBN_MAX_RANK, dims, &count));
    bool ok = count == (size_t)x->rank && dims[0] == x->dims[0] && dims[1] == x->dims[1];
    for (int d = 2; ok && d < x->rank; d++) ok = dims[d] >= udims[d];
    if (!ok) {
        char us[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'output_shape' ('%s') must hold %d sizes, N and C of X %s, each at least the "
                           "unpooled shape's %s",
                           obn_in_name(ctx, IN_SHAPE), x->rank, xs, obn_shape_str(x->rank, udims, us, sizeof us));
    }
    return OBN_OK;
}

static obn_status unpool_infer(obn_op_ctx *ctx)
{
    int64_t udims[OBN_MAX_RANK], dims[OBN_MAX_RANK];
    OBN_TRY(unpool_shape(ctx, udims, dims));
    return obn_set_output(ctx, 0, ctx->inputs[IN_X]->dtype, ctx->inputs[IN_X]->rank, dims);
}

static obn_status unpool_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[IN_X];
    const int64_t *idx = ctx->inputs[IN_I]->data;
    obn_tensor *y = ctx->outputs[0];
    int64_t udims[OBN_MAX_RANK], dims[OBN_MAX_RANK];
    OBN_TRY(unpool_shape(ctx, udims, dims));
    int64_t unumel = obn_dims_product(udims, 0, x->rank);
    size_t es = obn_dtype_size(x->dtype);
    memset(y->data, 0, (size_t)y->numel * es);
    for (int64_t i = 0; i < x->numel; i++) {
        if (idx[i] < 0 || idx[i] >= unumel)
            return obn_ctx_err(ctx, OBN_E_RUNTIME,
                               "index %lld (element %lld of 'I' ('%s')) is outside the unpooled tensor of %lld elements",
                               (long long)idx[i], (long long)i, obn_in_name(ctx, IN_I), (long long)unumel);
        /* U's flat index -> Y's: the same coordinates in Y's (larger) shape */
        int64_t rem = idx[i], at = 0, stride = 1;
        for (int d = x->rank - 1; d >= 0; d--) {
            at += (rem % udims[d]) * stride;
            rem /= udims[d];
            stride *= dims[d];
        }
        memcpy((char *)y->data + (size_t)at * es, (const char *)x->data + (size_t)i * es, es);
    }
    return OBN_OK;
}

static const int versions[] = {9, 11, 22, 0};
static const char *const attr_names[] = {"kernel_shape", "pads", "strides", NULL};
static const obn_op_sig unpool_sigs[] = {{9, "X I ?output_shape", "output"}, {0}};

const obn_op obn_op_max_unpool = {
    .domain = "",
    .op_type = "MaxUnpool",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = unpool_sigs,
    .attrs_size = sizeof(unpool_attrs),
    .parse = unpool_parse,
    .infer = unpool_infer,
    .run = unpool_run,
};
OBN_REGISTER_OP(obn_op_max_unpool);
