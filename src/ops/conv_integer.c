/* ConvInteger (10) and QLinearConv (10): the convolution of 8-bit integer
 * tensors (int8 or uint8, each of x and w on its own), with Conv's
 * attributes and geometry (groups, pads / auto_pad, strides, dilations,
 * any number of spatial axes; obn_conv_forward_shape):
 *   ConvInteger  y = conv(x - x_zero_point, w - w_zero_point), int32;
 *   QLinearConv  y = saturate(round((acc + B) * (x_scale * w_scale / y_scale))
 *                + y_zero_point), acc the same integer convolution, B the
 *                optional int32 bias (scale x_scale * w_scale, zero point 0),
 *                round half to even, y of y_zero_point's type.
 * x's zero point (and scale) and y's are per tensor; w's are per tensor or
 * per output channel ([M]). The sums accumulate in 32 bits (wrapping, as
 * the spec allows) on kernels/conv_int. The multiplier is rounded to float
 * twice, x_scale * w_scale and then / y_scale, as the reference computes
 * it in float32; the product with the accumulator is in double. */
#include <stdlib.h>

#include "conv_common.h"
#include "kernels/conv_int.h"
#include "op_helpers.h"
#include "quant_common.h"

/* Input positions of the two operators (-1: none). */
typedef struct {
    int x, w, x_zp, w_zp, x_scale, w_scale, y_scale, y_zp, bias;
    const char *names[9]; /* the spec's names, by position */
} qconv_inputs;

static const qconv_inputs CONV_INTEGER = {0, 1, 2, 3, -1, -1, -1, -1, -1, {"x", "w", "x_zero_point", "w_zero_point"}};
static const qconv_inputs QLINEAR_CONV = {
    0, 3, 2, 5, 1, 4, 6, 7, 8,
    {"x", "x_scale", "x_zero_point", "w", "w_scale", "w_zero_point", "y_scale", "y_zero_point", "B"}};

static const qconv_inputs *inputs_of(const obn_op_ctx *ctx)
{
    return ctx->node->op_type[0] == 'Q' ? &QLINEAR_CONV : &CONV_INTEGER;
}

static obn_status qconv_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    return obn_conv_attrs_parse(n, out);
}

/* Input k (when present) is a scalar or [1], or with per_channel also [M]. */
static obn_status check_param(const obn_op_ctx *ctx, int k, bool per_channel, int64_t m)
{
    if (k < 0 || !obn_has_input(ctx, k)) return OBN_OK;
    const obn_tensor *t = ctx->inputs[k];
    if (t->rank <= 1 && t->numel == 1) return OBN_OK;
    if (per_channel && t->rank == 1 && t->dims[0] == m) return OBN_OK;
    char ts[OBN_SHAPE_STR_CAP];
    const char *name = inputs_of(ctx)->names[k];
    if (per_channel)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input '%s' ('%s') has shape %s; expected a scalar, [1] or [%lld] (per output channel)",
                           name, obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, ts, sizeof ts), (long long)m);
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected a scalar or [1] (per tensor)",
                       name, obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, ts, sizeof ts));
}

static obn_status check_types(const obn_op_ctx *ctx, const qconv_inputs *in)
{
    static const obn_dtype q8[] = {OBN_UINT8, OBN_INT8, OBN_UNDEFINED};
    static const obn_dtype i32[] = {OBN_INT32, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, in->x, "x", q8));
    OBN_TRY(obn_check_input_dtype(ctx, in->w, "w", q8));
    if (obn_has_input(ctx, in->x_zp)) OBN_TRY(obn_check_same_dtype(ctx, in->x_zp, "x_zero_point", in->x, "x"));
    if (obn_has_input(ctx, in->w_zp)) OBN_TRY(obn_check_same_dtype(ctx, in->w_zp, "w_zero_point", in->w, "w"));
    if (in->y_zp < 0) return OBN_OK;
    OBN_TRY(obn_check_input_dtype(ctx, in->y_zp, "y_zero_point", q8));
    OBN_TRY(obn_check_input_dtype(ctx, in->x_scale, "x_scale", OBN_FLOAT32_ONLY));
    OBN_TRY(obn_check_input_dtype(ctx, in->w_scale, "w_scale", OBN_FLOAT32_ONLY));
    OBN_TRY(obn_check_input_dtype(ctx, in->y_scale, "y_scale", OBN_FLOAT32_ONLY));
    if (obn_has_input(ctx, in->bias)) OBN_TRY(obn_check_input_dtype(ctx, in->bias, "B", i32));
    return OBN_OK;
}

static obn_status qconv_shape_of(const obn_op_ctx *ctx, obn_conv_shape *s)
{
    const qconv_inputs *in = inputs_of(ctx);
    OBN_TRY(check_types(ctx, in));
    OBN_TRY(obn_check_rank(ctx, in->x, "x", 3, 2 + OBN_CONV_MAX_DIMS));
    int nd = ctx->inputs[in->x]->rank - 2;
    OBN_TRY(obn_conv_forward_shape(ctx, ctx->attrs, in->w, nd, s));
    int64_t m = s->out_channels;
    OBN_TRY(check_param(ctx, in->x_zp, false, m));
    OBN_TRY(check_param(ctx, in->w_zp, true, m));
    OBN_TRY(check_param(ctx, in->x_scale, false, m));
    OBN_TRY(check_param(ctx, in->w_scale, true, m));
    OBN_TRY(check_param(ctx, in->y_scale, false, m));
    OBN_TRY(check_param(ctx, in->y_zp, false, m));
    if (in->bias >= 0 && obn_has_input(ctx, in->bias)) {
        const obn_tensor *b = ctx->inputs[in->bias];
        if (b->rank != 1 || b->dims[0] != m) {
            char bs[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'B' ('%s') has shape %s, expected [%lld] (M of 'w')",
                               obn_in_name(ctx, in->bias), obn_shape_str(b->rank, b->dims, bs, sizeof bs),
                               (long long)m);
        }
    }
    return OBN_OK;
}

static obn_status qconv_infer(obn_op_ctx *ctx)
{
    obn_conv_shape s;
    OBN_TRY(qconv_shape_of(ctx, &s));
    const qconv_inputs *in = inputs_of(ctx);
    int64_t dims[2 + OBN_CONV_MAX_DIMS] = {s.batch, s.out_channels};
    for (int i = 0; i < s.nd; i++) dims[2 + i] = s.out[i];
    return obn_set_output(ctx, 0, in->y_zp >= 0 ? ctx->inputs[in->y_zp]->dtype : OBN_INT32, 2 + s.nd, dims);
}

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* The widened x and w (int16), the im2col matrix and, for QLinearConv, the
 * int32 accumulator. */
typedef struct {
    obn_conv_shape shape;
    size_t x16, w16, col, acc; /* offsets in the workspace */
    size_t bytes;
} qconv_state;

static obn_status qconv_prepare(obn_op_ctx *ctx, void **state)
{
    qconv_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    obn_status s = qconv_shape_of(ctx, &st->shape);
    if (s != OBN_OK) {
        free(st);
        return s;
    }
    const qconv_inputs *in = inputs_of(ctx);
    st->x16 = 0;
    st->w16 = align64(2 * (size_t)ctx->inputs[in->x]->numel);
    st->col = st->w16 + align64(2 * (size_t)ctx->inputs[in->w]->numel);
    st->acc = st->col + (ctx->outputs[0]->numel ? align64(obn_conv_s16_col_bytes(&st->shape)) : 0);
    st->bytes = st->acc + (in->y_zp >= 0 ? align64(4 * (size_t)ctx->outputs[0]->numel) : 0);
    *state = st;
    return OBN_OK;
}

static size_t qconv_workspace(const obn_op_ctx *ctx)
{
    const qconv_state *st = ctx->state;
    return st ? st->bytes : 0;
}

static int32_t load_q8(const obn_tensor *t, int64_t i)
{
    return t->dtype == OBN_UINT8 ? ((const uint8_t *)t->data)[i] : ((const int8_t *)t->data)[i];
}

/* dst = t - zero point; the zero point of element i is entry i / per of
 * zp when zp has more than one entry (w: per output channel). */
static void widen(const obn_tensor *t, const obn_tensor *zp, int64_t per, int16_t *dst)
{
    bool vec = zp && zp->numel > 1;
    for (int64_t i = 0; i < t->numel; i++) dst[i] = (int16_t)(load_q8(t, i) - (zp ? load_q8(zp, vec ? i / per : 0) : 0));
}

/* y = saturate(round((acc + B) * multiplier[m]) + y_zero_point). */
static void requantize(const obn_op_ctx *ctx, const qconv_state *st, const int32_t *acc)
{
    const qconv_inputs *in = inputs_of(ctx);
    const obn_tensor *ws = ctx->inputs[in->w_scale], *bias = obn_has_input(ctx, in->bias) ? ctx->inputs[in->bias] : NULL;
    obn_tensor *y = ctx->outputs[0];
    float xs = (float)obn_load_f64(ctx->inputs[in->x_scale], 0), ys = (float)obn_load_f64(ctx->inputs[in->y_scale], 0);
    double zy = (double)load_q8(ctx->inputs[in->y_zp], 0);
    int64_t lo, hi, m_count = st->shape.out_channels, plane = y->numel / (st->shape.batch * m_count);
    obn_quant_range(y->dtype, &lo, &hi);
    for (int64_t i = 0; i < y->numel; i++) {
        int64_t m = (i / plane) % m_count;
        float xw = xs * (float)obn_load_f64(ws, ws->numel > 1 ? m : 0);
        float mult = xw / ys;
        int64_t v = acc[i] + (bias ? ((const int32_t *)bias->data)[m] : 0);
        int64_t q = obn_quant_round((double)v * mult, zy, lo, hi);
        if (y->dtype == OBN_UINT8) ((uint8_t *)y->data)[i] = (uint8_t)q;
        else ((int8_t *)y->data)[i] = (int8_t)q;
    }
}

static obn_status qconv_run(obn_op_ctx *ctx)
{
    const qconv_state *st = ctx->state;
    const qconv_inputs *in = inputs_of(ctx);
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    const obn_tensor *x = ctx->inputs[in->x], *w = ctx->inputs[in->w];
    char *ws = ctx->workspace;
    int16_t *x16 = (int16_t *)(ws + st->x16), *w16 = (int16_t *)(ws + st->w16), *col = (int16_t *)(ws + st->col);
    int32_t *acc = in->y_zp >= 0 ? (int32_t *)(ws + st->acc) : y->data;
    widen(x, obn_has_input(ctx, in->x_zp) ? ctx->inputs[in->x_zp] : NULL, 1, x16);
    widen(w, obn_has_input(ctx, in->w_zp) ? ctx->inputs[in->w_zp] : NULL, w->numel / st->shape.out_channels, w16);
    obn_conv_s16(&st->shape, x16, w16, acc, col, ctx->threads);
    if (in->y_zp >= 0) requantize(ctx, st, acc);
    return OBN_OK;
}

/* 2 * N * M * C/group * kernel volume * output positions */
static double qconv_flops(const obn_op_ctx *ctx)
{
    const qconv_state *st = ctx->state;
    if (!st) return 0.0;
    const obn_conv_shape *s = &st->shape;
    double f = 2.0 * (double)s->batch * (double)s->out_channels * (double)(s->in_channels / s->groups);
    for (int i = 0; i < s->nd; i++) f *= (double)s->kernel[i] * (double)s->out[i];
    return f;
}

static const int versions[] = {10, 0};
static const char *const attr_names[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL};
static const obn_op_sig conv_integer_sigs[] = {{10, "x w ?x_zero_point ?w_zero_point", "y"}, {0}};
static const obn_op_sig qlinear_conv_sigs[] = {
    {10, "x x_scale x_zero_point w w_scale w_zero_point y_scale y_zero_point ?B", "y"}, {0}};

const obn_op obn_op_conv_integer = {
    .domain = "",
    .op_type = "ConvInteger",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = conv_integer_sigs,
    .attrs_size = sizeof(obn_conv_attrs),
    .parse = qconv_parse,
    .infer = qconv_infer,
    .run = qconv_run,
    .prepare = qconv_prepare,
    .free_state = free,
    .workspace = qconv_workspace,
    .flops = qconv_flops,
};
OBN_REGISTER_OP(obn_op_conv_integer);

const obn_op obn_op_qlinear_conv = {
    .domain = "",
    .op_type = "QLinearConv",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = qlinear_conv_sigs,
    .attrs_size = sizeof(obn_conv_attrs),
    .parse = qconv_parse,
    .infer = qconv_infer,
    .run = qconv_run,
    .prepare = qconv_prepare,
    .free_state = free,
    .workspace = qconv_workspace,
    .flops = qconv_flops,
};
OBN_REGISTER_OP(obn_op_qlinear_conv);
