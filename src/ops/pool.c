/* MaxPool (1, 8, 10, 11, 12, 22), AveragePool (1, 7, 10, 11, 19, 22) and
 * LpPool (1, 2, 11, 18, 22) over 1, 2 or 3 spatial dims. AveragePool takes
 * dilations from 19, LpPool dilations and ceil_mode from 18; the versions 22
 * only add bfloat16 to the spec (not implemented for Max/AveragePool:
 * refused by type). LpPool computes (sum over the window of |x|^p)^(1/p)
 * (p: float attribute in version 1, int from 2 on, default 2; padding adds
 * zeros) for float16/float/double, and bfloat16 from 22 (the half types
 * through float).
 *
 * Output size per spatial axis, with eff_k = (k-1)*dilation + 1:
 *   explicit pads: (in + pb + pe - eff_k) / stride + 1, rounded down, or up
 *     with ceil_mode; a ceil-mode window that would start past the input and
 *     its begin padding is dropped (PyTorch's rule, stated in ONNX 19's text);
 *   VALID: ceil((in - eff_k + 1) / stride);
 *   SAME_UPPER/SAME_LOWER: ceil(in / stride), padded by
 *     max(0, (out-1)*stride + eff_k - in), the odd element at the end (UPPER)
 *     or the beginning (LOWER).
 * MaxPool's optional Indices output holds flat input indices, the spatial
 * part in row-major (storage_order=0) or column-major order. */
#include <string.h>

#include "kernels/pool.h"
#include "op_helpers.h"

#define POOL_MAX_DIMS 3
/* Attribute values beyond this are rejected so that size arithmetic stays
 * far from int64 overflow. */
#define POOL_ATTR_LIMIT ((int64_t)1 << 31)

typedef enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID } auto_pad_mode;

typedef struct {
    bool is_max, is_lp;
    double p; /* LpPool */
    int nd;
    int64_t kernel[POOL_MAX_DIMS], strides[POOL_MAX_DIMS], dilations[POOL_MAX_DIMS];
    int64_t pads[2 * POOL_MAX_DIMS];
    auto_pad_mode auto_pad;
    int ceil_mode, storage_order, count_include_pad;
} pool_attrs;

static obn_status read_list(const obn_node *n, const char *name, int nd, int64_t def, int64_t lo, int64_t *out,
                            int expect)
{
    int64_t buf[2 * POOL_MAX_DIMS + 1];
    size_t count;
    OBN_TRY(obn_attr_get_ints(n, name, 2 * POOL_MAX_DIMS + 1, buf, &count));
    if (count == 0) {
        for (int i = 0; i < expect; i++) out[i] = def;
        return OBN_OK;
    }
    if ((int)count != expect)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' has %zu values, expected %d (kernel_shape has %d)",
                            name, count, expect, nd);
    for (int i = 0; i < expect; i++) {
        if (buf[i] < lo || buf[i] > POOL_ATTR_LIMIT)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' value %lld is out of range [%lld, 2^31]", name,
                                (long long)buf[i], (long long)lo);
        out[i] = buf[i];
    }
    return OBN_OK;
}

static obn_status parse_auto_pad(const obn_node *n, auto_pad_mode *out)
{
    static const char *const modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
    const char *s;
    OBN_TRY(obn_attr_get_string(n, "auto_pad", "NOTSET", &s));
    for (int i = 0; i < 4; i++)
        if (strcmp(s, modes[i]) == 0) {
            *out = (auto_pad_mode)i;
            return OBN_OK;
        }
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'auto_pad' is '%s'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", s);
}

/* LpPool's p: a float in version 1, an int from 2 on; >= 1 keeps the
 * result a norm (and the root defined). */
static obn_status parse_lp_norm(const obn_node *n, int v, double *p)
{
    if (v == 1) {
        float f;
        OBN_TRY(obn_attr_get_float(n, "p", 2.0f, &f));
        *p = f;
    } else {
        int64_t i;
        OBN_TRY(obn_attr_get_int(n, "p", 2, &i));
        *p = (double)i;
    }
    if (!(*p >= 1) || *p > 1e6)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'p' is %g; LpPool needs p >= 1", *p);
    return OBN_OK;
}

static obn_status pool_parse(const obn_node *n, int v, void *out)
{
    pool_attrs *a = out;
    a->is_max = strcmp(n->op_type, "MaxPool") == 0;
    a->is_lp = strcmp(n->op_type, "LpPool") == 0;
    int64_t ks[POOL_MAX_DIMS + 1];
    size_t nk;
    const obn_attr *kattr = obn_node_attr(n, "kernel_shape");
    if (!kattr) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'kernel_shape' is required");
    if (kattr->type == OBN_ATTR_INTS && (kattr->n == 0 || kattr->n > POOL_MAX_DIMS))
        return obn_node_err(n, kattr->n ? OBN_E_UNSUPPORTED : OBN_E_INVALID_MODEL,
                            "attribute 'kernel_shape' has %zu values; onnxbn pools over 1 to %d spatial dims", kattr->n,
                            POOL_MAX_DIMS);
    OBN_TRY(obn_attr_get_ints(n, "kernel_shape", POOL_MAX_DIMS, ks, &nk));
    a->nd = (int)nk;
    for (int i = 0; i < a->nd; i++) {
        if (ks[i] < 1 || ks[i] > POOL_ATTR_LIMIT)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'kernel_shape' value %lld is out of range [1, 2^31]",
                                (long long)ks[i]);
        a->kernel[i] = ks[i];
    }
    const char *wrong = NULL;
    if (obn_node_attr(n, "dilations") && (a->is_max ? v < 10 : v < (a->is_lp ? 18 : 19))) wrong = "dilations";
    if (obn_node_attr(n, "ceil_mode") && v < (a->is_lp ? 18 : 10)) wrong = "ceil_mode";
    if (obn_node_attr(n, "storage_order") && (!a->is_max || v < 8)) wrong = "storage_order";
    if (obn_node_attr(n, "count_include_pad") && (a->is_max || v < 7)) wrong = "count_include_pad";
    if (wrong) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of %s-%d", wrong, n->op_type, v);
    OBN_TRY(read_list(n, "strides", a->nd, 1, 1, a->strides, a->nd));
    OBN_TRY(read_list(n, "dilations", a->nd, 1, 1, a->dilations, a->nd));
    OBN_TRY(read_list(n, "pads", a->nd, 0, 0, a->pads, 2 * a->nd));
    OBN_TRY(parse_auto_pad(n, &a->auto_pad));
    int64_t ceil_mode, storage, include;
    OBN_TRY(obn_attr_int_range(n, "ceil_mode", 0, 0, 1, &ceil_mode));
    OBN_TRY(obn_attr_int_range(n, "storage_order", 0, 0, 1, &storage));
    OBN_TRY(obn_attr_int_range(n, "count_include_pad", 0, 0, 1, &include));
    a->ceil_mode = (int)ceil_mode;
    a->storage_order = (int)storage;
    a->count_include_pad = (int)include;
    if (a->is_lp) OBN_TRY(parse_lp_norm(n, v, &a->p));
    if (a->auto_pad != PAD_NOTSET)
        for (int i = 0; i < 2 * a->nd; i++)
            if (a->pads[i] != 0)
                return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'pads' cannot be used together with auto_pad");
    return OBN_OK;
}

/* The kernel geometry (spatial dims right-aligned in 3-D) and output dims. */
static obn_status pool_geometry(const obn_op_ctx *ctx, obn_pool_geom *g, int64_t *out_dims)
{
    const pool_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    char sh[OBN_SHAPE_STR_CAP];
    if (x->rank != a->nd + 2)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; a %d-D kernel needs rank %d",
                           obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, sh, sizeof sh), a->nd, a->nd + 2);
    int lead = POOL_MAX_DIMS - a->nd;
    for (int i = 0; i < POOL_MAX_DIMS; i++) {
        g->in[i] = g->out[i] = g->kernel[i] = g->stride[i] = g->dilation[i] = 1;
        g->pad_begin[i] = g->pad_end[i] = 0;
    }
    g->planes = x->dims[0] * x->dims[1];
    out_dims[0] = x->dims[0];
    out_dims[1] = x->dims[1];
    for (int i = 0; i < a->nd; i++) {
        int j = lead + i;
        int64_t in = x->dims[2 + i], k = a->kernel[i], s = a->strides[i], d = a->dilations[i];
        int64_t eff = (k - 1) * d + 1, pb = a->pads[i], pe = a->pads[a->nd + i], out;
        if (a->auto_pad == PAD_SAME_UPPER || a->auto_pad == PAD_SAME_LOWER) {
            out = (in + s - 1) / s;
            int64_t total = (out - 1) * s + eff - in;
            if (total < 0) total = 0;
            pb = a->auto_pad == PAD_SAME_UPPER ? total / 2 : total - total / 2;
            pe = total - pb;
        } else {
            if (a->auto_pad == PAD_VALID) pb = pe = 0;
            int64_t avail = in + pb + pe - eff;
            if (avail < 0)
                return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                                   "input 'X' ('%s') %s: spatial axis %d (%lld with pads %lld+%lld) is smaller than the kernel extent %lld",
                                   obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, sh, sizeof sh), i, (long long)in,
                                   (long long)pb, (long long)pe, (long long)eff);
            bool up = a->ceil_mode && a->auto_pad == PAD_NOTSET;
            out = (up ? (avail + s - 1) / s : avail / s) + 1;
            if (up && (out - 1) * s >= in + pb) out--;
        }
        g->in[j] = in;
        g->out[j] = out;
        g->kernel[j] = k;
        g->stride[j] = s;
        g->dilation[j] = d;
        g->pad_begin[j] = pb;
        g->pad_end[j] = pe;
        out_dims[2 + i] = out;
    }
    return OBN_OK;
}

static obn_status pool_infer(obn_op_ctx *ctx)
{
    static const obn_dtype floats[] = {OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype max12[] = {OBN_FLOAT, OBN_DOUBLE, OBN_INT8, OBN_UINT8, OBN_UNDEFINED};
    static const obn_dtype lp_legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    const pool_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    const obn_dtype *allowed = a->is_lp ? (v >= 22 ? OBN_FLOAT_TYPES : lp_legacy) : a->is_max && v >= 12 ? max12 : floats;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", allowed));
    if (obn_has_output(ctx, 1) && (!a->is_max || ctx->since_version < 8))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s-%d has one output", ctx->node->op_type, ctx->since_version);
    obn_pool_geom g;
    int64_t dims[2 + POOL_MAX_DIMS];
    OBN_TRY(pool_geometry(ctx, &g, dims));
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, dims));
    return obn_set_output(ctx, 1, OBN_INT64, x->rank, dims);
}

/* float16/bfloat16 LpPool: input and output as float. */
static size_t pool_workspace(const obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0], *y = ctx->outputs[0];
    if (x->dtype != OBN_FLOAT16 && x->dtype != OBN_BFLOAT16) return 0;
    return (size_t)(x->numel + y->numel) * sizeof(float);
}

static void lppool_half(const obn_op_ctx *ctx, const obn_pool_geom *g)
{
    const pool_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    float *xf = ctx->workspace, *yf = xf + x->numel;
    for (int64_t i = 0; i < x->numel; i++) xf[i] = (float)obn_load_f64(x, i);
    obn_lppool_f32(g, xf, yf, a->p, ctx->threads);
    for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, yf[i]);
}

static obn_status pool_run(obn_op_ctx *ctx)
{
    const pool_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    obn_pool_geom g;
    int64_t dims[2 + POOL_MAX_DIMS];
    OBN_TRY(pool_geometry(ctx, &g, dims));
    if (a->is_lp) {
        if (x->dtype == OBN_FLOAT) obn_lppool_f32(&g, x->data, y->data, a->p, ctx->threads);
        else if (x->dtype == OBN_DOUBLE) obn_lppool_f64(&g, x->data, y->data, a->p, ctx->threads);
        else lppool_half(ctx, &g);
        return OBN_OK;
    }
    if (!a->is_max) {
        if (x->dtype == OBN_FLOAT) obn_avgpool_f32(&g, x->data, y->data, a->count_include_pad, ctx->threads);
        else obn_avgpool_f64(&g, x->data, y->data, a->count_include_pad, ctx->threads);
        return OBN_OK;
    }
    int64_t *idx = obn_has_output(ctx, 1) ? ctx->outputs[1]->data : NULL;
    int cm = a->storage_order;
    switch (x->dtype) {
    case OBN_FLOAT: obn_maxpool_f32(&g, x->data, y->data, idx, cm, ctx->threads); break;
    case OBN_DOUBLE: obn_maxpool_f64(&g, x->data, y->data, idx, cm, ctx->threads); break;
    case OBN_INT8: obn_maxpool_i8(&g, x->data, y->data, idx, cm, ctx->threads); break;
    default: obn_maxpool_u8(&g, x->data, y->data, idx, cm, ctx->threads); break;
    }
    return OBN_OK;
}

static const int max_versions[] = {1, 8, 10, 11, 12, 22, 0};
static const int avg_versions[] = {1, 7, 10, 11, 19, 22, 0};
static const char *const max_attrs[] = {"kernel_shape", "strides", "pads", "auto_pad", "dilations",
                                        "ceil_mode", "storage_order", NULL};
static const char *const avg_attrs[] = {"kernel_shape", "strides", "pads", "auto_pad", "ceil_mode",
                                        "count_include_pad", "dilations", NULL};

static const obn_op_sig maxpool_sigs[] = {{1, "X", "Y"}, {8, "X", "Y ?Indices"}, {0}};

const obn_op obn_op_maxpool = {
    .domain = "",
    .op_type = "MaxPool",
    .since_versions = max_versions,
    .attr_names = max_attrs,
    .sigs = maxpool_sigs,
    .attrs_size = sizeof(pool_attrs),
    .parse = pool_parse,
    .infer = pool_infer,
    .run = pool_run,
};
OBN_REGISTER_OP(obn_op_maxpool);

static const obn_op_sig averagepool_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_averagepool = {
    .domain = "",
    .op_type = "AveragePool",
    .since_versions = avg_versions,
    .attr_names = avg_attrs,
    .sigs = averagepool_sigs,
    .attrs_size = sizeof(pool_attrs),
    .parse = pool_parse,
    .infer = pool_infer,
    .run = pool_run,
};
OBN_REGISTER_OP(obn_op_averagepool);

static const int lp_versions[] = {1, 2, 11, 18, 22, 0};
static const char *const lp_attrs[] = {"kernel_shape", "strides", "pads", "auto_pad", "p", "dilations", "ceil_mode", NULL};
static const obn_op_sig lppool_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_lppool = {
    .domain = "",
    .op_type = "LpPool",
    .since_versions = lp_versions,
    .attr_names = lp_attrs,
    .sigs = lppool_sigs,
    .attrs_size = sizeof(pool_attrs),
    .parse = pool_parse,
    .infer = pool_infer,
    .run = pool_run,
    .workspace = pool_workspace,
};
OBN_REGISTER_OP(obn_op_lppool);
