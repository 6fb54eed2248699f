/* Conv (1, 11, 22; 22 only adds bfloat16 to the spec): N-d convolution with groups, strides, dilations,
 * explicit or automatic padding and an optional bias, in float32, float16,
 * bfloat16 (22) and double. Half floats run the float32 kernels on float32
 * copies (f32_stage.h), double a direct kernel (obn_conv_run_f64).
 *
 * Shapes (ONNX Conv-11): X [N, C, D1..Dn], W [M, C/group, k1..kn], B [M],
 * Y [N, M, O1..On] with, per spatial axis (dk = (k-1)*dilation + 1; obn_conv_forward_shape):
 *   NOTSET      O = floor((D + pad_begin + pad_end - dk) / stride) + 1
 *   VALID       O = floor((D - dk) / stride) + 1           (no padding)
 *   SAME_UPPER  O = ceil(D / stride), total padding
 *   SAME_LOWER  max(0, (O-1)*stride + dk - D) split in half, the odd pixel
 *               at the end (UPPER) or the beginning (LOWER).
 * Constant weights are packed for the GEMM once per plan (prepare). An
 * activation fused into the node by the fuse_activation pass runs in the
 * kernel epilogue (a swish, x * Sigmoid(x) or x * HardSigmoid(x): in one
 * pass right after the kernel). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "f32_stage.h"
#include "fused_act.h"
#include "conv_common.h"
#include "kernels/unary.h"
#include "op_util.h"


typedef obn_conv_attrs conv_attrs;

enum { IN_X, IN_W, IN_B };

static obn_status conv_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    return obn_conv_attrs_parse(n, out);
}

/* The bias: [M]. */
static obn_status check_bias(const obn_op_ctx *ctx)
{
    if (!obn_has_input(ctx, IN_B)) return OBN_OK;
    const obn_tensor *b = ctx->inputs[IN_B], *w = ctx->inputs[IN_W];
    int64_t m = w->dims[0];
    if (b->rank != 1 || b->numel != m) {
        char bs[OBN_SHAPE_STR_CAP], ws[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'B' ('%s') has shape %s, expected [%lld] (M of 'W' %s)",
                           obn_in_name(ctx, IN_B), obn_shape_str(b->rank, b->dims, bs, sizeof bs), (long long)m,
                           obn_shape_str(w->rank, w->dims, ws, sizeof ws));
    }
    return OBN_OK;
}

/* Checks the inputs and fills the kernel's shape description. */
static obn_status conv_shape_of(const obn_op_ctx *ctx, obn_conv_shape *s)
{
    int nd;
    static const obn_dtype before22[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_conv_check_types(ctx, ctx->since_version >= 22 ? OBN_FLOAT_TYPES : before22, &nd));
    OBN_TRY(obn_conv_forward_shape(ctx, ctx->attrs, IN_W, nd, s));
    return check_bias(ctx);
}

static obn_status conv_infer(obn_op_ctx *ctx)
{
    obn_conv_shape s;
    OBN_TRY(conv_shape_of(ctx, &s));
    return obn_conv_set_output(ctx, &s);
}

typedef struct {
    obn_conv_shape shape;
    obn_dtype dtype;
    obn_conv_weights *packed; /* NULL: weights not constant, or depthwise */
    float *w_f32;             /* constant half-float weights widened once */
    size_t stage_bytes;       /* float32 copies of half floats, at the workspace's front */
    size_t workspace_bytes;   /* the kernel's, after them */
} conv_state;

static void conv_free_state(void *p)
{
    conv_state *st = p;
    if (!st) return;
    obn_conv_weights_free(st->packed);
    free(st->w_f32);
    free(st);
}

/* Constant weights prepared once: widened when half floats, then packed;
 * deferred ones (a folded BatchNormalization, runtime/tensor.h) packed from
 * their unscaled originals. */
static obn_status prepare_weights(const obn_op_ctx *ctx, conv_state *st)
{
    const obn_tensor *w = ctx->inputs[IN_W];
    if (w->deferred) {
        int none_needed = 0;
        st->packed = obn_conv_pack_weights_scaled(&st->shape, w->deferred->src->data, w->deferred->scale,
                                                  ctx->threads, &none_needed);
        return st->packed || none_needed ? OBN_OK : OBN_OOM();
    }
    const float *src = w->data;
    if (obn_dtype_is_half(w->dtype)) {
        if (!(st->w_f32 = malloc((size_t)w->numel * sizeof *st->w_f32))) return OBN_OOM();
        obn_f32_widen(w, st->w_f32, ctx->threads);
        src = st->w_f32;
    }
    int none_needed = 0;
    st->packed = obn_conv_pack_weights_scaled(&st->shape, src, NULL, ctx->threads, &none_needed);
    return st->packed || none_needed ? OBN_OK : OBN_OOM();
}

/* Geometry once per plan, and the weights packed when they are constant. */
static obn_status conv_prepare(obn_op_ctx *ctx, void **state)
{
    conv_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    obn_status s = conv_shape_of(ctx, &st->shape);
    if (s != OBN_OK) {
        free(st);
        return s;
    }
    const obn_tensor *w = ctx->inputs[IN_W];
    st->dtype = ctx->inputs[IN_X]->dtype;
    if (st->dtype == OBN_DOUBLE || ctx->outputs[0]->numel == 0) { /* no float kernel, no workspace */
        *state = st;
        return obn_tensor_materialize(ctx->inputs[IN_W]);
    }
    unsigned staged = (1u << IN_X) | (1u << IN_B);
    if (ctx->inputs[IN_X]->numel > 0 && (w->data || w->deferred) && w->numel > 0) s = prepare_weights(ctx, st);
    /* weights run will read: computed now */
    if (s == OBN_OK && w->deferred && !st->packed) s = obn_tensor_materialize(ctx->inputs[IN_W]);
    if (s != OBN_OK) {
        conv_free_state(st);
        return s;
    }
    if (!st->w_f32) staged |= 1u << IN_W;
    st->stage_bytes = obn_f32_stage_bytes(ctx, staged, 1u);
    if (ctx->inputs[IN_X]->numel > 0) st->workspace_bytes = obn_conv_workspace_size(&st->shape, ctx->threads);
    *state = st;
    return OBN_OK;
}

static size_t conv_workspace(const obn_op_ctx *ctx)
{
    const conv_state *st = ctx->state;
    return st ? st->stage_bytes + st->workspace_bytes : 0;
}

/* A swish fused by the fuse_activation pass (x * Sigmoid(x), x *
 * HardSigmoid(x)): one streaming pass over the output after the kernel,
 * with the same float operations as the separate nodes. */
static void apply_swish(const obn_node *n, float *y, int64_t count, int threads)
{
    if (n->act.kind == OBN_ACT_SWISH) obn_unary_f32(OBN_UN_SWISH, y, y, count, 0.0f, 0.0f, threads);
    if (n->act.kind == OBN_ACT_HARD_SWISH)
        obn_unary_f32(OBN_UN_SWISH_HARD, y, y, count, n->act.alpha, n->act.beta, threads);
}

/* Multiply-adds of one image: output positions x output channels x the
 * GEMM depth (input channels per group x kernel volume). In double: a
 * heuristic, and the product of validated sizes may pass int64. */
static double macs_per_image(const obn_conv_shape *s)
{
    double m = (double)s->out_channels * (double)(s->in_channels / s->groups);
    for (int i = 0; i < s->nd; i++) m *= (double)s->kernel[i] * (double)s->out[i];
    return m;
}

/* The batch goes to the kernel a few images at a time when it is large
 * (obn_conv_images_per_call), with a cancellation check between calls;
 * only when the smaller batch keeps the algorithm, so that the packed
 * weights fit it. */
static obn_status conv_run_batches(obn_op_ctx *ctx, const conv_state *st, const float *x, const float *w,
                                   const obn_conv_epilogue *ep, float *y)
{
    const obn_conv_shape *s = &st->shape;
    char *workspace = ctx->workspace ? (char *)ctx->workspace + st->stage_bytes : NULL;
    obn_conv_shape part = *s;
    part.batch = obn_conv_images_per_call(s->batch, macs_per_image(s));
    if (part.batch < s->batch && obn_conv_algorithm(&part) != obn_conv_algorithm(s)) part.batch = s->batch;
    int64_t x_image = ctx->inputs[IN_X]->numel / s->batch, y_image = ctx->outputs[0]->numel / s->batch;
    for (int64_t b = 0; b < s->batch; b += part.batch) {
        if (b) OBN_TRY(obn_op_check_cancel(ctx));
        obn_conv_shape now = part;
        if (s->batch - b < now.batch) now.batch = s->batch - b;
        if (obn_conv_run(&now, x + b * x_image, w, st->packed, ep, y + b * y_image, workspace, st->workspace_bytes,
                         ctx->threads))
            return OBN_OOM();
    }
    return OBN_OK;
}

/* A fused activation on a double output, in double (the float kernels
 * apply theirs in the epilogue). */
static void apply_act_f64(const obn_node *n, double *y, int64_t count)
{
    const obn_fused_act *a = &n->act;
    for (int64_t i = 0; i < count && a->kind != OBN_ACT_NONE; i++) {
        double v = y[i];
        switch (a->kind) {
        case OBN_ACT_RELU:
        case OBN_ACT_CLIP: v = v < a->lo ? a->lo : v > a->hi ? a->hi : v; break;
        case OBN_ACT_LEAKY_RELU: v = v < 0 ? v * a->alpha : v; break;
        case OBN_ACT_SWISH: v = v / (1.0 + exp(-v)); break;
        case OBN_ACT_HARD_SWISH: v = v * fmax(0.0, fmin(1.0, a->alpha * v + a->beta)); break;
        default: break;
        }
        y[i] = v;
    }
}

static obn_status conv_run(obn_op_ctx *ctx)
{
    const conv_state *st = ctx->state;
    const obn_tensor *x = ctx->inputs[IN_X];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    bool has_b = obn_has_input(ctx, IN_B);
    if (st->dtype == OBN_DOUBLE) {
        obn_conv_run_f64(&st->shape, x->data, ctx->inputs[IN_W]->data, has_b ? ctx->inputs[IN_B]->data : NULL,
                         y->data, ctx->threads);
        apply_act_f64(ctx->node, y->data, y->numel);
        return OBN_OK;
    }
    obn_f32_stage stage = obn_f32_stage_begin(ctx);
    const float *xf = obn_f32_stage_input(ctx, IN_X, &stage);
    const float *wf = st->w_f32 ? st->w_f32 : obn_f32_stage_input(ctx, IN_W, &stage);
    const float *bf = has_b ? obn_f32_stage_input(ctx, IN_B, &stage) : NULL;
    float *yf = obn_f32_stage_output(ctx, 0, &stage);
    obn_epilogue_act act = obn_node_epilogue_act(ctx->node);
    obn_conv_epilogue ep = {bf, act.clamp, act.lo, act.hi, act.leaky, act.slope};
    if (x->numel == 0) obn_conv_fill_bias(&st->shape, &ep, yf);
    else OBN_TRY(conv_run_batches(ctx, st, xf, wf, &ep, yf));
    apply_swish(ctx->node, yf, y->numel, ctx->threads);
    obn_f32_stage_finish(ctx, 0, yf);
    return OBN_OK;
}

/* "dw 3x3 s2", "1x1", "g32 3x3 s1", "3x3 s1" (OBN_PROFILE labels). */
static void conv_describe(const obn_op_ctx *ctx, char *buf, size_t cap)
{
    const conv_state *st = ctx->state;
    if (!st || cap == 0) return;
    const obn_conv_shape *s = &st->shape;
    obn_conv_algo algo = obn_conv_algorithm(s);
    size_t n = 0;
    if (algo == OBN_CONV_WINOGRAD) n = (size_t)snprintf(buf, cap, "wino ");
    else if (s->groups > 1 && s->groups == s->in_channels) n = (size_t)snprintf(buf, cap, "dw ");
    else if (s->groups > 1) n = (size_t)snprintf(buf, cap, "g%lld ", (long long)s->groups);
    else buf[0] = '\0';
    for (int i = 0; i < s->nd && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "x" : "", (long long)s->kernel[i]);
    if (n < cap && algo != OBN_CONV_POINTWISE) snprintf(buf + n, cap - n, " s%lld", (long long)s->stride[s->nd - 1]);
}

/* 2 * N * M * C/group * kernel volume * output positions */
static double conv_flops(const obn_op_ctx *ctx)
{
    const conv_state *st = ctx->state;
    if (!st) return 0.0;
    const obn_conv_shape *s = &st->shape;
    double f = 2.0 * (double)s->batch * (double)s->out_channels * (double)(s->in_channels / s->groups);
    for (int i = 0; i < s->nd; i++) f *= (double)s->kernel[i] * (double)s->out[i];
    return f;
}

static const int versions[] = {1, 11, 22, 0};
static const char *const attr_names[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL};

static const obn_op_sig conv_sigs[] = {{1, "X W ?B", "Y"}, {0}};

const obn_op obn_op_conv = {
    .domain = "",
    .op_type = "Conv",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = conv_sigs,
    .flags = OBN_OP_DEFERRED_INPUTS,
    .attrs_size = sizeof(conv_attrs),
    .parse = conv_parse,
    .infer = conv_infer,
    .run = conv_run,
    .prepare = conv_prepare,
    .free_state = conv_free_state,
    .workspace = conv_workspace,
    .describe = conv_describe,
    .flops = conv_flops,
};
OBN_REGISTER_OP(obn_op_conv);
