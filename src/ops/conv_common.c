/* Attributes and checks Conv and ConvTranspose share (conv_common.h). */
#include "conv_common.h"

#include <string.h>

enum { IN_X, IN_W, IN_B }; /* Conv and ConvTranspose (obn_conv_check_types) */

#define MAXD OBN_CONV_MAX_DIMS

obn_status obn_conv_attrs_parse(const obn_node *n, obn_conv_attrs *a)
{
    OBN_TRY(obn_attr_get_ints(n, "kernel_shape", MAXD, a->kernel_shape, &a->n_kernel_shape));
    OBN_TRY(obn_attr_get_ints(n, "strides", MAXD, a->strides, &a->n_strides));
    OBN_TRY(obn_attr_get_ints(n, "dilations", MAXD, a->dilations, &a->n_dilations));
    OBN_TRY(obn_attr_get_ints(n, "pads", 2 * MAXD, a->pads, &a->n_pads));
    OBN_TRY(obn_attr_get_int(n, "group", 1, &a->group));
    OBN_TRY(obn_attr_get_auto_pad(n, &a->auto_pad));
    OBN_TRY(obn_attr_check_min(n, "kernel_shape", a->kernel_shape, a->n_kernel_shape, 1));
    OBN_TRY(obn_attr_check_min(n, "strides", a->strides, a->n_strides, 1));
    OBN_TRY(obn_attr_check_min(n, "dilations", a->dilations, a->n_dilations, 1));
    OBN_TRY(obn_attr_check_min(n, "pads", a->pads, a->n_pads, 0));
    if (a->group < 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'group' is %lld; must be >= 1", (long long)a->group);
    if (a->auto_pad != OBN_PAD_NOTSET)
        for (size_t i = 0; i < a->n_pads; i++)
            if (a->pads[i] != 0)
                return obn_node_err(n, OBN_E_INVALID_MODEL,
                                    "attributes 'pads' and 'auto_pad' (%s) cannot be used together",
                                    obn_auto_pad_name(a->auto_pad));
    return OBN_OK;
}

obn_status obn_conv_check_types(const obn_op_ctx *ctx, const obn_dtype *allowed, int *nd)
{
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "X", allowed));
    OBN_TRY(obn_check_same_dtype(ctx, IN_W, "W", IN_X, "X"));
    if (obn_has_input(ctx, IN_B)) OBN_TRY(obn_check_same_dtype(ctx, IN_B, "B", IN_X, "X"));
    OBN_TRY(obn_check_rank(ctx, IN_X, "X", 3, 2 + MAXD));
    *nd = ctx->inputs[IN_X]->rank - 2;
    return OBN_OK;
}

obn_status obn_conv_check_len(const obn_op_ctx *ctx, const char *name, size_t have, int want, int nd)
{
    if (have == 0 || have == (size_t)want) return OBN_OK;
    char sh[OBN_SHAPE_STR_CAP];
    const obn_tensor *x = ctx->inputs[IN_X];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                       "attribute '%s' has %zu values, expected %d for input 'X' ('%s') of shape %s (%d spatial "
                       "dimension%s)",
                       name, have, want, obn_in_name(ctx, IN_X), obn_shape_str(x->rank, x->dims, sh, sizeof sh),
                       nd, nd == 1 ? "" : "s");
}

obn_status obn_conv_check_common(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in, int nd)
{
    const obn_tensor *x = ctx->inputs[IN_X], *w = ctx->inputs[w_in];
    OBN_TRY(obn_conv_check_len(ctx, "kernel_shape", a->n_kernel_shape, nd, nd));
    OBN_TRY(obn_conv_check_len(ctx, "strides", a->n_strides, nd, nd));
    OBN_TRY(obn_conv_check_len(ctx, "dilations", a->n_dilations, nd, nd));
    OBN_TRY(obn_conv_check_len(ctx, "pads", a->n_pads, 2 * nd, nd));
    char xs[OBN_SHAPE_STR_CAP], ws[OBN_SHAPE_STR_CAP];
    obn_shape_str(x->rank, x->dims, xs, sizeof xs);
    obn_shape_str(w->rank, w->dims, ws, sizeof ws);
    if (w->rank != x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'W' ('%s') has shape %s, expected rank %d like 'X' %s",
                           obn_in_name(ctx, w_in), ws, x->rank, xs);
    for (int i = 0; i < nd && a->n_kernel_shape; i++)
        if (a->kernel_shape[i] != w->dims[2 + i])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "attribute 'kernel_shape' [%d] is %lld, but input 'W' ('%s') of shape %s has %lld",
                               i, (long long)a->kernel_shape[i], obn_in_name(ctx, w_in), ws,
                               (long long)w->dims[2 + i]);
    for (int i = 0; i < nd; i++)
        if (w->dims[2 + i] < 1)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'W' ('%s') has shape %s: kernel sizes must be >= 1",
                               obn_in_name(ctx, w_in), ws);
    return OBN_OK;
}

void obn_conv_shape_common(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in, int nd, obn_conv_shape *s)
{
    const obn_tensor *x = ctx->inputs[IN_X], *w = ctx->inputs[w_in];
    memset(s, 0, sizeof *s);
    s->nd = nd;
    s->batch = x->dims[0];
    s->in_channels = x->dims[1];
    s->groups = a->group;
    for (int i = 0; i < nd; i++) {
        s->in[i] = x->dims[2 + i];
        s->kernel[i] = w->dims[2 + i];
        s->stride[i] = a->n_strides ? a->strides[i] : 1;
        s->dilation[i] = a->n_dilations ? a->dilations[i] : 1;
    }
}

/* C = W.shape[1] * group and M divisible by group. */
static obn_status check_groups(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in)
{
    const obn_tensor *x = ctx->inputs[IN_X], *w = ctx->inputs[w_in];
    char xs[OBN_SHAPE_STR_CAP], ws[OBN_SHAPE_STR_CAP];
    obn_shape_str(x->rank, x->dims, xs, sizeof xs);
    obn_shape_str(w->rank, w->dims, ws, sizeof ws);
    int64_t c = x->dims[1], m = w->dims[0], cg = w->dims[1];
    if (cg > INT64_MAX / a->group || cg * a->group != c)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'X' ('%s') %s has C=%lld channels, but 'W' ('%s') %s with group=%lld needs "
                           "W.shape[1]*group = %lld*%lld",
                           obn_in_name(ctx, IN_X), xs, (long long)c, obn_in_name(ctx, w_in), ws, (long long)a->group,
                           (long long)cg, (long long)a->group);
    if (m % a->group != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'W' ('%s') %s has M=%lld output channels, not divisible by group=%lld",
                           obn_in_name(ctx, w_in), ws, (long long)m, (long long)a->group);
    return OBN_OK;
}

/* Output size and leading padding of spatial axis i (dk = (k-1)*dilation + 1):
 *   NOTSET      O = floor((D + pad_begin + pad_end - dk) / stride) + 1
 *   VALID       O = floor((D - dk) / stride) + 1           (no padding)
 *   SAME_UPPER  O = ceil(D / stride), total padding
 *   SAME_LOWER  max(0, (O-1)*stride + dk - D) split in half, the odd pixel
 *               at the end (UPPER) or the beginning (LOWER). */
static obn_status axis_geometry(const obn_op_ctx *ctx, const obn_conv_attrs *a, obn_conv_shape *s, int i)
{
    int nd = s->nd;
    int64_t in = s->in[i], k = s->kernel[i], st = s->stride[i], d = s->dilation[i], dk, span, out;
    int64_t pb = a->n_pads ? a->pads[i] : 0, pe = a->n_pads ? a->pads[nd + i] : 0;
    if (__builtin_mul_overflow(k - 1, d, &dk) || __builtin_add_overflow(dk, 1, &dk))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "kernel %lld with dilation %lld overflows on axis %d",
                           (long long)k, (long long)d, i);
    if (a->auto_pad == OBN_PAD_SAME_UPPER || a->auto_pad == OBN_PAD_SAME_LOWER) {
        out = in / st + (in % st != 0);
        int64_t total = (out - 1) * st + dk - in; /* <= dk - 1 + st: no overflow */
        if (total < 0) total = 0;
        pb = a->auto_pad == OBN_PAD_SAME_UPPER ? total / 2 : total - total / 2;
        pe = total - pb;
    } else {
        if (a->auto_pad == OBN_PAD_VALID) pb = pe = 0;
        if (__builtin_add_overflow(in, pb, &span) || __builtin_add_overflow(span, pe, &span))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "padding %lld+%lld overflows on axis %d", (long long)pb,
                               (long long)pe, i);
        out = span < dk ? 0 : (span - dk) / st + 1;
    }
    if (out < 1) {
        char xs[OBN_SHAPE_STR_CAP];
        const obn_tensor *x = ctx->inputs[IN_X];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "output spatial axis %d would be empty: input 'X' ('%s') %s has size %lld there, dilated "
                           "kernel %lld, pads %lld+%lld, stride %lld (auto_pad %s)",
                           i, obn_in_name(ctx, IN_X), obn_shape_str(x->rank, x->dims, xs, sizeof xs), (long long)in,
                           (long long)dk, (long long)pb, (long long)pe, (long long)st, obn_auto_pad_name(a->auto_pad));
    }
    s->out[i] = out;
    s->pad[i] = pb;
    return OBN_OK;
}

obn_status obn_conv_forward_shape(const obn_op_ctx *ctx, const obn_conv_attrs *a, int w_in, int nd,
                                  obn_conv_shape *s)
{
    OBN_TRY(obn_conv_check_common(ctx, a, w_in, nd));
    OBN_TRY(check_groups(ctx, a, w_in));
    obn_conv_shape_common(ctx, a, w_in, nd, s);
    s->out_channels = ctx->inputs[w_in]->dims[0];
    for (int i = 0; i < nd; i++) OBN_TRY(axis_geometry(ctx, a, s, i));
    return OBN_OK;
}

obn_status obn_conv_set_output(obn_op_ctx *ctx, const obn_conv_shape *s)
{
    int64_t dims[2 + MAXD] = {s->batch, s->out_channels};
    for (int i = 0; i < s->nd; i++) dims[2 + i] = s->out[i];
    return obn_set_output(ctx, 0, ctx->inputs[IN_X]->dtype, 2 + s->nd, dims);
}

int64_t obn_conv_images_per_call(int64_t batch, double macs_per_image)
{
    if (macs_per_image * (double)batch <= OBN_CONV_CHUNK_MACS) return batch;
    double n = OBN_CONV_CHUNK_MACS / macs_per_image;
    return n < 1.0 ? 1 : (int64_t)n;
}
