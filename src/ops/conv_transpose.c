/* ConvTranspose (1, 11, 22; 22 only adds bfloat16 to the spec), float32: N-d transposed convolution with groups,
 * strides, dilations, output_padding, explicit pads or output_shape or
 * automatic padding, and an optional bias.
 *
 * Shapes: X [N, C, D1..Dn], W [C, M/group, k1..kn], B [M], Y [N, M, O1..On].
 * Per spatial axis, with dk = (k-1)*dilation + 1 and
 *   full = stride*(D-1) + output_padding + dk   (the uncropped result):
 *   pads (NOTSET)  O = full - pad_begin - pad_end
 *   VALID          O = full (no padding)
 *   output_shape   O = output_shape; total = full - O is split as below
 *                  (pads are ignored)
 *   SAME_UPPER/    O = D * stride; total = full - O split as below
 *   SAME_LOWER
 * Split of total (ConvTranspose-11): SAME_UPPER puts the odd pixel at the
 * end (pad_begin = total/2), everything else at the beginning (pad_begin =
 * total - total/2). ConvTranspose-1's text has this rule reversed, against
 * its own auto_pad description; ONNX issue #1609 recorded that as a typo
 * and opset 11 fixed the text, so both versions use the fixed rule here, and
 * SAME means O = D * stride in both (version 1's "output size matches the
 * input" was copied from Conv). A negative total (O larger than full) pads
 * nothing: the extra positions are at the end and hold the bias, as
 * output_padding's do; the spec's integer division does not say how a
 * negative total would split.
 * Constant weights are packed for the GEMM once per plan (prepare). */
#include <stdlib.h>

#include "conv_common.h"
#include "kernels/conv_transpose.h"

#define MAXD OBN_CONV_MAX_DIMS

typedef struct {
    obn_conv_attrs c; /* as Conv's */
    int64_t output_padding[MAXD], output_shape[MAXD];
    size_t n_output_padding, n_output_shape;
} convt_attrs;

enum { IN_X, IN_W, IN_B };

static obn_status convt_parse(const obn_node *n, int v, void *out)
{
    convt_attrs *a = out;
    (void)v;
    OBN_TRY(obn_conv_attrs_parse(n, &a->c));
    OBN_TRY(obn_attr_get_ints(n, "output_padding", MAXD, a->output_padding, &a->n_output_padding));
    OBN_TRY(obn_attr_get_ints(n, "output_shape", MAXD, a->output_shape, &a->n_output_shape));
    OBN_TRY(obn_attr_check_min(n, "output_padding", a->output_padding, a->n_output_padding, 0));
    return obn_attr_check_min(n, "output_shape", a->output_shape, a->n_output_shape, 1);
}

/* The attributes' lengths, and W against X, group, kernel_shape and B. */
static obn_status check_weights(const obn_op_ctx *ctx, int nd)
{
    const convt_attrs *t = ctx->attrs;
    const obn_conv_attrs *a = &t->c;
    const obn_tensor *x = ctx->inputs[IN_X], *w = ctx->inputs[IN_W];
    OBN_TRY(obn_conv_check_common(ctx, a, IN_W, nd));
    OBN_TRY(obn_conv_check_len(ctx, "output_padding", t->n_output_padding, nd, nd));
    OBN_TRY(obn_conv_check_len(ctx, "output_shape", t->n_output_shape, nd, nd));
    char xs[OBN_SHAPE_STR_CAP], ws[OBN_SHAPE_STR_CAP];
    obn_shape_str(x->rank, x->dims, xs, sizeof xs);
    obn_shape_str(w->rank, w->dims, ws, sizeof ws);
    int64_t c = x->dims[1], m;
    if (w->dims[0] != c)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'W' ('%s') %s has W.shape[0]=%lld, but 'X' ('%s') %s has C=%lld channels",
                           obn_in_name(ctx, IN_W), ws, (long long)w->dims[0], obn_in_name(ctx, IN_X), xs,
                           (long long)c);
    if (c % a->group != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'X' ('%s') %s has C=%lld channels, not divisible by group=%lld",
                           obn_in_name(ctx, IN_X), xs, (long long)c, (long long)a->group);
    if (__builtin_mul_overflow(w->dims[1], a->group, &m))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "output channels M = W.shape[1]*group = %lld*%lld overflow (input 'W' ('%s') %s)",
                           (long long)w->dims[1], (long long)a->group, obn_in_name(ctx, IN_W), ws);
    if (obn_has_input(ctx, IN_B)) {
        const obn_tensor *b = ctx->inputs[IN_B];
        if (b->rank != 1 || b->numel != m) {
            char bs[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "input 'B' ('%s') has shape %s, expected [%lld] (M = W.shape[1]*group = %lld*%lld, "
                               "'W' %s)",
                               obn_in_name(ctx, IN_B), obn_shape_str(b->rank, b->dims, bs, sizeof bs), (long long)m,
                               (long long)w->dims[1], (long long)a->group, ws);
        }
    }
    return OBN_OK;
}

/* Error for an overflowing size on axis i. */
static obn_status overflow_err(const obn_op_ctx *ctx, int i, const char *what)
{
    char xs[OBN_SHAPE_STR_CAP];
    const obn_tensor *x = ctx->inputs[IN_X];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s overflows on spatial axis %d (input 'X' ('%s') %s)", what, i,
                       obn_in_name(ctx, IN_X), obn_shape_str(x->rank, x->dims, xs, sizeof xs));
}

/* Output size and leading padding of spatial axis i (formulas at the top). */
static obn_status axis_geometry(const obn_op_ctx *ctx, obn_conv_shape *s, int i)
{
    const convt_attrs *t = ctx->attrs;
    const obn_conv_attrs *a = &t->c;
    int nd = s->nd;
    int64_t in = s->in[i], k = s->kernel[i], st = s->stride[i], d = s->dilation[i];
    int64_t op = t->n_output_padding ? t->output_padding[i] : 0, dk, full, out, pb, pe, total;
    if (op >= st && op >= d)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "attribute 'output_padding' [%d] is %lld; must be less than the stride (%lld) or the "
                           "dilation (%lld)",
                           i, (long long)op, (long long)st, (long long)d);
    if (__builtin_mul_overflow(k - 1, d, &dk) || __builtin_add_overflow(dk, 1, &dk))
        return overflow_err(ctx, i, "the dilated kernel (k-1)*dilation+1");
    if (__builtin_mul_overflow(st, in - 1, &full) || __builtin_add_overflow(full, op, &full) ||
        __builtin_add_overflow(full, dk, &full))
        return overflow_err(ctx, i, "the output size stride*(in-1) + output_padding + dilated kernel");
    const char *rule;
    if (t->n_output_shape || a->auto_pad == OBN_PAD_SAME_UPPER || a->auto_pad == OBN_PAD_SAME_LOWER) {
        rule = t->n_output_shape ? "output_shape" : obn_auto_pad_name(a->auto_pad);
        if (t->n_output_shape) out = t->output_shape[i];
        else if (__builtin_mul_overflow(in, st, &out)) return overflow_err(ctx, i, "in*stride (auto_pad SAME)");
        if (__builtin_sub_overflow(full, out, &total)) return overflow_err(ctx, i, "the total padding");
        pb = total < 0 ? 0 : a->auto_pad == OBN_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        pe = total - pb;
    } else {
        pb = a->n_pads && a->auto_pad == OBN_PAD_NOTSET ? a->pads[i] : 0;
        pe = a->n_pads && a->auto_pad == OBN_PAD_NOTSET ? a->pads[nd + i] : 0;
        rule = a->auto_pad == OBN_PAD_VALID ? "VALID" : "pads";
        if (__builtin_sub_overflow(full, pb, &out) || __builtin_sub_overflow(out, pe, &out))
            return overflow_err(ctx, i, "the output size minus pads");
    }
    if (out < 1) {
        char xs[OBN_SHAPE_STR_CAP];
        const obn_tensor *x = ctx->inputs[IN_X];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "output spatial axis %d would be empty (%lld): input 'X' ('%s') %s has size %lld there, "
                           "stride %lld, dilated kernel %lld, output_padding %lld, pads %lld+%lld (from %s)",
                           i, (long long)out, obn_in_name(ctx, IN_X), obn_shape_str(x->rank, x->dims, xs, sizeof xs),
                           (long long)in, (long long)st, (long long)dk, (long long)op, (long long)pb, (long long)pe,
                           rule);
    }
    s->out[i] = out;
    s->pad[i] = pb;
    return OBN_OK;
}

/* Checks the inputs and fills the kernel's shape description. */
static obn_status convt_shape_of(const obn_op_ctx *ctx, obn_conv_shape *s)
{
    const obn_conv_attrs *a = &((const convt_attrs *)ctx->attrs)->c;
    const obn_tensor *w = ctx->inputs[IN_W];
    int nd;
    OBN_TRY(obn_conv_check_types(ctx, OBN_FLOAT32_ONLY, &nd));
    OBN_TRY(check_weights(ctx, nd));
    obn_conv_shape_common(ctx, a, IN_W, nd, s);
    s->out_channels = w->dims[1] * a->group; /* checked in check_weights */
    for (int i = 0; i < nd; i++) OBN_TRY(axis_geometry(ctx, s, i));
    return OBN_OK;
}

static obn_status convt_infer(obn_op_ctx *ctx)
{
    obn_conv_shape s;
    OBN_TRY(convt_shape_of(ctx, &s));
    return obn_conv_set_output(ctx, &s);
}

typedef struct {
    obn_conv_shape shape;
    obn_conv_transpose_weights *packed; /* NULL: weights not constant, or nothing to multiply */
    size_t workspace_bytes;
} convt_state;

static void convt_free_state(void *p)
{
    convt_state *st = p;
    if (!st) return;
    obn_sgemm_packed_groups_free(st->packed);
    free(st);
}

/* Geometry once per plan, and the weights packed when they are constant. */
static obn_status convt_prepare(obn_op_ctx *ctx, void **state)
{
    if (ctx->node->act.kind != OBN_ACT_NONE) /* no pass fuses into ConvTranspose: never run without it */
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "a fused activation on ConvTranspose is not supported");
    convt_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    obn_status s = convt_shape_of(ctx, &st->shape);
    if (s != OBN_OK) {
        free(st);
        return s;
    }
    const obn_tensor *w = ctx->inputs[IN_W];
    if (ctx->inputs[IN_X]->numel == 0 || ctx->outputs[0]->numel == 0) { /* no kernel call (see convt_run) */
        *state = st;
        return OBN_OK;
    }
    if (w->data) {
        st->packed = obn_conv_transpose_pack_weights(&st->shape, w->data);
        if (!st->packed) {
            free(st);
            return OBN_OOM();
        }
    }
    st->workspace_bytes = obn_conv_transpose_workspace_size(&st->shape, ctx->threads);
    *state = st;
    return OBN_OK;
}

static size_t convt_workspace(const obn_op_ctx *ctx)
{
    const convt_state *st = ctx->state;
    return st ? st->workspace_bytes : 0;
}

/* Multiply-adds of one image: input positions x input channels x the
 * columns per position (output channels per group x kernel volume). */
static double macs_per_image(const obn_conv_shape *s)
{
    double m = (double)s->in_channels * (double)(s->out_channels / s->groups);
    for (int i = 0; i < s->nd; i++) m *= (double)s->kernel[i] * (double)s->in[i];
    return m;
}

static obn_status convt_run(obn_op_ctx *ctx)
{
    const convt_state *st = ctx->state;
    const obn_tensor *x = ctx->inputs[IN_X], *w = ctx->inputs[IN_W];
    obn_tensor *y = ctx->outputs[0];
    const float *bias = obn_has_input(ctx, IN_B) ? ctx->inputs[IN_B]->data : NULL;
    if (y->numel == 0) return OBN_OK;
    if (x->numel == 0) {
        obn_conv_epilogue ep = {.bias = bias};
        obn_conv_fill_bias(&st->shape, &ep, y->data);
        return OBN_OK;
    }
    /* a large batch goes a few images per call, cancellable in between */
    const obn_conv_shape *s = &st->shape;
    obn_conv_shape part = *s;
    part.batch = obn_conv_images_per_call(s->batch, macs_per_image(s));
    int64_t x_image = x->numel / s->batch, y_image = y->numel / s->batch;
    for (int64_t b = 0; b < s->batch; b += part.batch) {
        if (b) OBN_TRY(obn_op_check_cancel(ctx));
        obn_conv_shape now = part;
        if (s->batch - b < now.batch) now.batch = s->batch - b;
        if (obn_conv_transpose_run(&now, (const float *)x->data + b * x_image, w->data, st->packed, bias,
                                   (float *)y->data + b * y_image, ctx->workspace, st->workspace_bytes, ctx->threads))
            return OBN_OOM();
    }
    return OBN_OK;
}

static const int versions[] = {1, 11, 22, 0};
static const char *const attr_names[] = {"auto_pad",       "dilations",    "group", "kernel_shape",
                                         "output_padding", "output_shape", "pads",  "strides",
                                         NULL};

static const obn_op_sig conv_transpose_sigs[] = {{1, "X W ?B", "Y"}, {0}};

/* 2 * N * C * M/group * kernel volume * input positions */
static double convt_flops(const obn_op_ctx *ctx)
{
    const convt_state *st = ctx->state;
    if (!st) return 0.0;
    const obn_conv_shape *s = &st->shape;
    double f = 2.0 * (double)s->batch * (double)s->in_channels * (double)(s->out_channels / s->groups);
    for (int i = 0; i < s->nd; i++) f *= (double)s->kernel[i] * (double)s->in[i];
    return f;
}

const obn_op obn_op_conv_transpose = {
    .domain = "",
    .op_type = "ConvTranspose",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = conv_transpose_sigs,
    .attrs_size = sizeof(convt_attrs),
    .parse = convt_parse,
    .infer = convt_infer,
    .run = convt_run,
    .prepare = convt_prepare,
    .free_state = convt_free_state,
    .workspace = convt_workspace,
    .flops = convt_flops,
};
OBN_REGISTER_OP(obn_op_conv_transpose);
