/* QuantizeLinear and DequantizeLinear (10, 13, 19, 21, 23, 24, 25), and
 * DynamicQuantizeLinear (11, at the end).
 *
 *   Q:  y = saturate(round(x / y_scale) + y_zero_point)   integer targets
 *       y = cast(x / y_scale + y_zero_point, saturate)     float8 / float4e2m1
 *   DQ: y = (x - x_zero_point) * x_scale
 *
 * The scale (and the zero point, which has the scale's shape; [] and [1]
 * count as the same) applies
 *   per tensor: a scalar or a one-element 1-D tensor;
 *   per axis (13+): a 1-D tensor of x.shape[axis] entries;
 *   per block (21+, block_size > 0): x's rank, x's dims except along axis,
 *     where it has ceil(x.shape[axis] / block_size) entries (a last, shorter
 *     block when block_size does not divide the axis).
 * Rounding: round half to even. Integer targets (uint8/int8, 21+: uint16,
 * int16, uint4, int4, 25+: uint2, int2) always saturate to their range; a
 * NaN quotient gives the zero point. Float8 targets (19+) saturate per
 * `saturate` (the Cast rule, kernels/lowp.h); float4e2m1 (23+) always
 * clamps to +-6. Q divides in the `precision` type (23+; default and before
 * 23 the scale's type; float for int32 and float8e8m0 scales): x and the
 * scale are rounded to it and so is the quotient. DQ computes in float32:
 * x - zero point exactly, rounded to float, times the scale, then rounded to
 * the output type (float; 19+ the scale's type; 23+ output_dtype if given).
 * Q's output type is the zero point's, else output_dtype (21+), else uint8.
 * Negative and zero scales are not refused: the formulas apply (a zero scale
 * divides to +-inf, which saturates). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "op_helpers.h"
#include "quant_common.h"

enum { IN_X, IN_SCALE, IN_ZP };

typedef struct {
    int64_t axis, block_size;
    int saturate;
    obn_dtype output_dtype; /* OBN_UNDEFINED: not given */
    obn_dtype precision;    /* OBN_UNDEFINED: not given */
} quant_attrs;

static bool is_quantize(const obn_node *n) { return n->op_type[0] == 'Q'; }

/* An attribute of a later version than the node's is refused. */
static obn_status check_attr_versions(const obn_node *n, int v)
{
    static const struct {
        const char *name;
        int q_since, dq_since;
    } since[] = {{"axis", 13, 13}, {"saturate", 19, 0}, {"block_size", 21, 21}, {"output_dtype", 21, 23},
                 {"precision", 23, 0}};
    bool q = is_quantize(n);
    for (size_t i = 0; i < sizeof since / sizeof since[0]; i++) {
        int first = q ? since[i].q_since : since[i].dq_since;
        if (obn_node_attr(n, since[i].name) && (first == 0 || v < first))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of %s-%d", since[i].name,
                                n->op_type, v);
    }
    return OBN_OK;
}

/* A TensorProto type number attribute (0 = absent). */
static obn_status attr_dtype(const obn_node *n, const char *name, obn_dtype *out)
{
    int64_t t;
    OBN_TRY(obn_attr_get_int(n, name, 0, &t));
    if (t != 0 && (!obn_dtype_is_valid((int)t) || t != (int)t))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is %lld, not a TensorProto data type", name,
                            (long long)t);
    *out = (obn_dtype)t;
    return OBN_OK;
}

static obn_status quant_parse(const obn_node *n, int v, void *out)
{
    quant_attrs *a = out;
    OBN_TRY(check_attr_versions(n, v));
    int64_t saturate;
    OBN_TRY(obn_attr_get_int(n, "axis", 1, &a->axis));
    OBN_TRY(obn_attr_get_int(n, "block_size", 0, &a->block_size));
    OBN_TRY(obn_attr_int_range(n, "saturate", 1, 0, 1, &saturate));
    OBN_TRY(attr_dtype(n, "output_dtype", &a->output_dtype));
    OBN_TRY(attr_dtype(n, "precision", &a->precision));
    a->saturate = (int)saturate;
    if (a->block_size < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'block_size' is %lld; must be >= 0",
                            (long long)a->block_size);
    obn_dtype p = a->precision;
    if (p != OBN_UNDEFINED && p != OBN_FLOAT && p != OBN_FLOAT16 && p != OBN_BFLOAT16)
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute 'precision' is %s; supported: float, float16, bfloat16",
                            obn_dtype_name(p));
    return OBN_OK;
}

/* --- element types per version --- */

typedef struct {
    obn_dtype t;
    int since;
} typed_since;

/* The quantized types (Q's output and zero point, DQ's x and zero point). */
static const typed_since QUANTIZED[] = {
    {OBN_UINT8, 10},        {OBN_INT8, 10},           {OBN_FLOAT8E4M3FN, 19}, {OBN_FLOAT8E4M3FNUZ, 19},
    {OBN_FLOAT8E5M2, 19},   {OBN_FLOAT8E5M2FNUZ, 19}, {OBN_UINT16, 21},       {OBN_INT16, 21},
    {OBN_UINT4, 21},        {OBN_INT4, 21},           {OBN_FLOAT4E2M1, 23},   {OBN_UINT2, 25},
    {OBN_INT2, 25},         {OBN_UNDEFINED, 0}};
/* Q's x; DQ's output (19+, int32 excluded). */
static const typed_since HIGH[] = {
    {OBN_FLOAT, 10}, {OBN_INT32, 10}, {OBN_FLOAT16, 19}, {OBN_BFLOAT16, 19}, {OBN_UNDEFINED, 0}};

/* The entries of `list` taken by version v, OBN_UNDEFINED-terminated. */
static void types_at(const typed_since *list, int v, bool with_int32, obn_dtype *out)
{
    int n = 0;
    for (; list->t != OBN_UNDEFINED; list++)
        if (list->since <= v && (with_int32 || list->t != OBN_INT32)) out[n++] = list->t;
    out[n] = OBN_UNDEFINED;
}

static bool type_in(const obn_dtype *list, obn_dtype t)
{
    for (; *list != OBN_UNDEFINED; list++)
        if (*list == t) return true;
    return false;
}

static void append_type(obn_dtype *list, obn_dtype t)
{
    while (*list != OBN_UNDEFINED) list++;
    list[0] = t;
    list[1] = OBN_UNDEFINED;
}

/* Checks x, the scale and the zero point against the node's version. */
static obn_status check_types(const obn_op_ctx *ctx)
{
    int v = ctx->since_version;
    bool q = is_quantize(ctx->node);
    obn_dtype quantized[16], xs[16], scales[8];
    types_at(QUANTIZED, v, false, quantized);
    const char *sname = q ? "y_scale" : "x_scale", *zname = q ? "y_zero_point" : "x_zero_point";
    if (q) {
        types_at(HIGH, v, true, xs);
    } else {
        memcpy(xs, quantized, sizeof xs);
        append_type(xs, OBN_INT32);
    }
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "x", xs));
    if (v < 19) {
        OBN_TRY(obn_check_input_dtype(ctx, IN_SCALE, sname, OBN_FLOAT32_ONLY));
    } else if (q && v < 23) {
        OBN_TRY(obn_check_same_dtype(ctx, IN_SCALE, sname, IN_X, "x"));
    } else {
        types_at(HIGH, v, q, scales);
        if (v >= 24) append_type(scales, OBN_FLOAT8E8M0);
        OBN_TRY(obn_check_input_dtype(ctx, IN_SCALE, sname, scales));
    }
    if (!obn_has_input(ctx, IN_ZP)) return OBN_OK;
    if (!q) return obn_check_same_dtype(ctx, IN_ZP, zname, IN_X, "x");
    return obn_check_input_dtype(ctx, IN_ZP, zname, quantized);
}

/* --- scale layout --- */

typedef enum { PER_TENSOR, PER_AXIS, PER_BLOCK } quant_mode;

/* x seen as [outer, d, inner] around the axis; the scale index of element
 * (o, i, r) is base(o, i) + r * step. */
typedef struct {
    quant_mode mode;
    int64_t outer, d, inner, block, blocks;
} quant_geom;

static obn_status scale_shape_error(const obn_op_ctx *ctx, const char *expect)
{
    const obn_tensor *x = ctx->inputs[IN_X], *s = ctx->inputs[IN_SCALE];
    char xs[OBN_SHAPE_STR_CAP], ss[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected %s for 'x' ('%s') %s",
                       is_quantize(ctx->node) ? "y_scale" : "x_scale", obn_in_name(ctx, IN_SCALE),
                       obn_shape_str(s->rank, s->dims, ss, sizeof ss), expect, obn_in_name(ctx, IN_X),
                       obn_shape_str(x->rank, x->dims, xs, sizeof xs));
}

static obn_status blocked_geometry(const obn_op_ctx *ctx, int axis, quant_geom *g)
{
    const quant_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[IN_X], *s = ctx->inputs[IN_SCALE];
    g->mode = PER_BLOCK;
    g->block = a->block_size;
    g->blocks = g->d / g->block + (g->d % g->block != 0);
    bool ok = s->rank == x->rank;
    for (int i = 0; ok && i < x->rank; i++) ok = s->dims[i] == (i == axis ? g->blocks : x->dims[i]);
    if (ok) return OBN_OK;
    char want[OBN_SHAPE_STR_CAP + 64], ws[OBN_SHAPE_STR_CAP];
    int64_t dims[OBN_MAX_RANK];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = g->blocks;
    snprintf(want, sizeof want, "%s (block_size %lld along axis %d)", obn_shape_str(x->rank, dims, ws, sizeof ws),
             (long long)a->block_size, axis);
    return scale_shape_error(ctx, want);
}

/* Per tensor, per axis or per block from the scale's shape and the
 * attributes; the zero point must have the scale's shape. */
static obn_status quant_geometry(const obn_op_ctx *ctx, quant_geom *g)
{
    const quant_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[IN_X], *s = ctx->inputs[IN_SCALE];
    memset(g, 0, sizeof *g);
    g->outer = g->d = 1;
    g->inner = x->numel;
    if (s->rank <= 1 && s->numel == 1 && a->block_size == 0) {
        g->mode = PER_TENSOR;
    } else if (ctx->since_version < 13) {
        return scale_shape_error(ctx, "a scalar (per-tensor quantization only before version 13)");
    } else {
        int axis;
        if (x->rank == 0) return scale_shape_error(ctx, "a scalar");
        OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, &axis));
        g->outer = obn_dims_product(x->dims, 0, axis);
        g->d = x->dims[axis];
        g->inner = obn_dims_product(x->dims, axis + 1, x->rank);
        if (a->block_size > 0) {
            OBN_TRY(blocked_geometry(ctx, axis, g));
        } else if (s->rank == 1 && s->dims[0] == g->d) {
            g->mode = PER_AXIS;
        } else {
            char want[96];
            snprintf(want, sizeof want, "a scalar or [%lld] (per axis %d)", (long long)g->d, axis);
            return scale_shape_error(ctx, want);
        }
    }
    if (obn_has_input(ctx, IN_ZP)) {
        const obn_tensor *z = ctx->inputs[IN_ZP];
        bool same = g->mode == PER_TENSOR ? z->rank <= 1 && z->numel == 1 /* [] and [1] alike */
                                          : z->rank == s->rank &&
                                                memcmp(z->dims, s->dims, sizeof(int64_t) * (size_t)s->rank) == 0;
        if (!same) {
            char zs[OBN_SHAPE_STR_CAP], ss[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s, but the scale has %s",
                               is_quantize(ctx->node) ? "y_zero_point" : "x_zero_point", obn_in_name(ctx, IN_ZP),
                               obn_shape_str(z->rank, z->dims, zs, sizeof zs),
                               obn_shape_str(s->rank, s->dims, ss, sizeof ss));
        }
    }
    return OBN_OK;
}

/* Scale index of the first element of row (o, i) and its step along r. */
static int64_t param_base(const quant_geom *g, int64_t o, int64_t i, int64_t *step)
{
    *step = g->mode == PER_BLOCK;
    switch (g->mode) {
    case PER_AXIS: return i;
    case PER_BLOCK: return (o * g->blocks + i / g->block) * g->inner;
    default: return 0;
    }
}

/* --- output types --- */

static obn_status quantize_output_type(const obn_op_ctx *ctx, obn_dtype *out)
{
    const quant_attrs *a = ctx->attrs;
    obn_dtype allowed[16];
    types_at(QUANTIZED, ctx->since_version, false, allowed);
    if (a->output_dtype != OBN_UNDEFINED && !type_in(allowed, a->output_dtype))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'output_dtype' is %s, not a quantized type of %s-%d",
                           obn_dtype_name(a->output_dtype), ctx->node->op_type, ctx->since_version);
    if (!obn_has_input(ctx, IN_ZP)) {
        *out = a->output_dtype != OBN_UNDEFINED ? a->output_dtype : OBN_UINT8;
        return OBN_OK;
    }
    *out = ctx->inputs[IN_ZP]->dtype;
    if (a->output_dtype != OBN_UNDEFINED && a->output_dtype != *out)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'output_dtype' is %s, but 'y_zero_point' ('%s') is %s",
                           obn_dtype_name(a->output_dtype), obn_in_name(ctx, IN_ZP), obn_dtype_name(*out));
    return OBN_OK;
}

static obn_status dequantize_output_type(const obn_op_ctx *ctx, obn_dtype *out)
{
    const quant_attrs *a = ctx->attrs;
    obn_dtype s = ctx->inputs[IN_SCALE]->dtype;
    *out = ctx->since_version < 19 ? OBN_FLOAT : a->output_dtype != OBN_UNDEFINED ? a->output_dtype : s;
    if (*out == OBN_FLOAT || *out == OBN_FLOAT16 || *out == OBN_BFLOAT16) return OBN_OK;
    if (a->output_dtype == OBN_UNDEFINED)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'x_scale' ('%s') is %s, which cannot be the output type: attribute 'output_dtype' "
                           "is required",
                           obn_in_name(ctx, IN_SCALE), obn_dtype_name(s));
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'output_dtype' is %s; expected float, float16 or bfloat16",
                       obn_dtype_name(*out));
}

static obn_status quant_infer(obn_op_ctx *ctx)
{
    OBN_TRY(check_types(ctx));
    quant_geom g;
    OBN_TRY(quant_geometry(ctx, &g));
    obn_dtype out = OBN_UNDEFINED;
    OBN_TRY(is_quantize(ctx->node) ? quantize_output_type(ctx, &out) : dequantize_output_type(ctx, &out));
    const obn_tensor *x = ctx->inputs[IN_X];
    return obn_set_output(ctx, 0, out, x->rank, x->dims);
}

/* --- kernels --- */

static obn_dtype division_precision(const obn_op_ctx *ctx)
{
    const quant_attrs *a = ctx->attrs;
    obn_dtype s = ctx->inputs[IN_SCALE]->dtype;
    if (a->precision != OBN_UNDEFINED) return a->precision;
    return s == OBN_FLOAT16 || s == OBN_BFLOAT16 ? s : OBN_FLOAT;
}

typedef struct {
    obn_dtype precision;
    bool is_float;    /* float8 / float4e2m1 target */
    obn_minifloat fmt;
    unsigned sat;
    int64_t lo, hi;
} quantize_target;

static void store_quantized(obn_tensor *y, int64_t i, const quantize_target *t, double q, double zp)
{
    if (t->is_float) {
        ((uint8_t *)y->data)[i] = obn_f64_to_minifloat(q + zp, t->fmt, t->sat);
        return;
    }
    int64_t v = obn_quant_round(q, zp, t->lo, t->hi);
    if (obn_dtype_packed_bits(y->dtype)) ((uint8_t *)y->data)[i] = (uint8_t)(int8_t)v;
    else obn_store_i64(y, i, v);
}

static void quantize_row(const obn_op_ctx *ctx, const quantize_target *t, int64_t first, int64_t n, int64_t pbase,
                         int64_t pstep)
{
    const obn_tensor *x = ctx->inputs[IN_X], *s = ctx->inputs[IN_SCALE];
    const obn_tensor *z = obn_has_input(ctx, IN_ZP) ? ctx->inputs[IN_ZP] : NULL;
    obn_tensor *y = ctx->outputs[0];
    for (int64_t r = 0; r < n; r++) {
        int64_t j = pbase + r * pstep;
        float scale = obn_quant_to_precision(obn_load_f64(s, j), t->precision);
        float xp = obn_quant_to_precision(obn_load_f64(x, first + r), t->precision);
        double q = obn_quant_to_precision((double)xp / scale, t->precision);
        store_quantized(y, first + r, t, q, z ? obn_load_f64(z, j) : 0.0);
    }
}

static void dequantize_row(const obn_op_ctx *ctx, int64_t first, int64_t n, int64_t pbase, int64_t pstep)
{
    const obn_tensor *x = ctx->inputs[IN_X], *s = ctx->inputs[IN_SCALE];
    const obn_tensor *z = obn_has_input(ctx, IN_ZP) ? ctx->inputs[IN_ZP] : NULL;
    obn_tensor *y = ctx->outputs[0];
    for (int64_t r = 0; r < n; r++) {
        int64_t j = pbase + r * pstep;
        float dx = (float)(obn_load_f64(x, first + r) - (z ? obn_load_f64(z, j) : 0.0));
        obn_store_f64(y, first + r, dx * (float)obn_load_f64(s, j));
    }
}

/* Rows of `inner` elements in parallel above this many elements. */
#define QUANT_PARALLEL_MIN ((int64_t)1 << 15)

static obn_status quant_run(obn_op_ctx *ctx)
{
    const quant_attrs *a = ctx->attrs;
    quant_geom g;
    OBN_TRY(quant_geometry(ctx, &g));
    bool q = is_quantize(ctx->node);
    obn_dtype yt = ctx->outputs[0]->dtype;
    quantize_target t = {.precision = division_precision(ctx), .is_float = obn_dtype_is_minifloat(yt)};
    if (t.is_float) {
        t.fmt = obn_dtype_minifloat(yt);
        t.sat = obn_minifloat_saturation(yt, a->saturate != 0, ctx->since_version);
    } else if (q) {
        obn_quant_range(yt, &t.lo, &t.hi);
    }
    int64_t rows = g.outer * g.d;
    bool par = ctx->inputs[IN_X]->numel >= QUANT_PARALLEL_MIN && ctx->threads > 1;
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (par)
    for (int64_t row = 0; row < rows; row++) {
        int64_t step, base = param_base(&g, row / g.d, row % g.d, &step);
        if (q) quantize_row(ctx, &t, row * g.inner, g.inner, base, step);
        else dequantize_row(ctx, row * g.inner, g.inner, base, step);
    }
    return OBN_OK;
}

/* DynamicQuantizeLinear (11): x float -> y uint8 with the scale and zero
 * point it derives, in float32 as ONNX's reference computes them:
 *   lo = min(0, min x), hi = max(0, max x)  (NaNs ignored; empty x: 0, 0)
 *   y_scale = (hi == lo ? 1 : hi - lo) / 255
 *   y_zero_point = round(clamp(0 - lo / y_scale, 0, 255))
 *   y = saturate(round(x / y_scale) + y_zero_point), half to even. */
static obn_status dynamic_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status dynamic_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "x", OBN_FLOAT32_ONLY));
    const obn_tensor *x = ctx->inputs[IN_X];
    OBN_TRY(obn_set_output(ctx, 0, OBN_UINT8, x->rank, x->dims));
    OBN_TRY(obn_set_output(ctx, 1, OBN_FLOAT, 0, NULL));
    return obn_set_output(ctx, 2, OBN_UINT8, 0, NULL);
}

static obn_status dynamic_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[IN_X];
    const float *p = x->data;
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        lo = fminf(lo, p[i]);
        hi = fmaxf(hi, p[i]);
    }
    float scale = (hi == lo ? 1.0f : hi - lo) / 255.0f;
    int64_t zp = obn_quant_round(fminf(fmaxf(0.0f - lo / scale, 0.0f), 255.0f), 0, 0, 255);
    uint8_t *y = ctx->outputs[0]->data;
    for (int64_t i = 0; i < x->numel; i++) y[i] = (uint8_t)obn_quant_round(p[i] / scale, (double)zp, 0, 255);
    *(float *)ctx->outputs[1]->data = scale;
    *(uint8_t *)ctx->outputs[2]->data = (uint8_t)zp;
    return OBN_OK;
}

static const int versions[] = {10, 13, 19, 21, 23, 24, 25, 0};
static const char *const q_attr_names[] = {"axis", "block_size", "output_dtype", "precision", "saturate", NULL};
static const char *const dq_attr_names[] = {"axis", "block_size", "output_dtype", NULL};
static const obn_op_sig q_sigs[] = {{10, "x y_scale ?y_zero_point", "y"}, {0}};
static const obn_op_sig dq_sigs[] = {{10, "x x_scale ?x_zero_point", "y"}, {0}};

const obn_op obn_op_quantize_linear = {
    .domain = "",
    .op_type = "QuantizeLinear",
    .since_versions = versions,
    .attr_names = q_attr_names,
    .sigs = q_sigs,
    .attrs_size = sizeof(quant_attrs),
    .parse = quant_parse,
    .infer = quant_infer,
    .run = quant_run,
};
OBN_REGISTER_OP(obn_op_quantize_linear);

const obn_op obn_op_dequantize_linear = {
    .domain = "",
    .op_type = "DequantizeLinear",
    .since_versions = versions,
    .attr_names = dq_attr_names,
    .sigs = dq_sigs,
    .attrs_size = sizeof(quant_attrs),
    .parse = quant_parse,
    .infer = quant_infer,
    .run = quant_run,
};
OBN_REGISTER_OP(obn_op_dequantize_linear);

static const int dynamic_versions[] = {11, 0};
static const char *const dynamic_attr_names[] = {NULL};
static const obn_op_sig dynamic_sigs[] = {{11, "x", "y y_scale y_zero_point"}, {0}};

const obn_op obn_op_dynamic_quantize_linear = {
    .domain = "",
    .op_type = "DynamicQuantizeLinear",
    .since_versions = dynamic_versions,
    .attr_names = dynamic_attr_names,
    .sigs = dynamic_sigs,
    .parse = dynamic_parse,
    .infer = dynamic_infer,
    .run = dynamic_run,
};
OBN_REGISTER_OP(obn_op_dynamic_quantize_linear);
