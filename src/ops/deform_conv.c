/* DeformConv (19, 22; 22 adds bfloat16): the deformable convolution of
 * Dai et al. ("Deformable Convolutional Networks", ICCV 2017) with the
 * modulation mask of v2, 2-D: X [N, C, H, W], W [M, C/group, kh, kw],
 * offset [N, offset_group*2*kh*kw, oH, oW] ((dy, dx) per tap), optional B
 * [M] and mask [N, offset_group*kh*kw, oH, oW]; Conv's geometry (pads,
 * strides, dilations, group; obn_conv_forward_shape) and offset_group
 * dividing C. kernels/deform_conv.h has the sampling rule. Other spatial
 * ranks are refused as unsupported. */
#include "conv_common.h"
#include "kernels/deform_conv.h"
#include "norm_common.h"

typedef struct {
    obn_conv_attrs c;
    int64_t offset_group;
} deform_attrs;

enum { IN_X, IN_W, IN_OFFSET, IN_B, IN_MASK };

static obn_status deform_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    deform_attrs *a = out;
    OBN_TRY(obn_conv_attrs_parse(n, &a->c));
    OBN_TRY(obn_attr_get_int(n, "offset_group", 1, &a->offset_group));
    if (a->offset_group < 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'offset_group' is %lld; must be >= 1",
                            (long long)a->offset_group);
    return OBN_OK;
}

/* Input k has shape [N, channels, oH, oW]. */
static obn_status check_map(const obn_op_ctx *ctx, int k, const char *role, const obn_conv_shape *s, int64_t channels)
{
    const obn_tensor *t = ctx->inputs[k];
    if (t->rank == 4 && t->dims[0] == s->batch && t->dims[1] == channels && t->dims[2] == s->out[0] &&
        t->dims[3] == s->out[1])
        return OBN_OK;
    char ts[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected [%lld, %lld, %lld, %lld]", role,
                       obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, ts, sizeof ts), (long long)s->batch,
                       (long long)channels, (long long)s->out[0], (long long)s->out[1]);
}

static obn_status deform_shape_of(const obn_op_ctx *ctx, obn_deform_shape *d)
{
    static const obn_dtype before22[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    const deform_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "X", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : before22));
    static const char *const roles[] = {"X", "W", "offset", "B", "mask"};
    for (int k = IN_W; k <= IN_MASK; k++)
        if (obn_has_input(ctx, k)) OBN_TRY(obn_check_same_dtype(ctx, k, roles[k], IN_X, "X"));
    OBN_TRY(obn_check_rank(ctx, IN_X, "X", 3, 2 + OBN_CONV_MAX_DIMS));
    const obn_tensor *x = ctx->inputs[IN_X];
    if (x->rank != 4)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "input 'X' ('%s') has rank %d; onnxbn's DeformConv is 2-D (rank 4)",
                           obn_in_name(ctx, IN_X), x->rank);
    obn_conv_shape s;
    OBN_TRY(obn_conv_forward_shape(ctx, &a->c, IN_W, 2, &s));
    if (s.in_channels % a->offset_group != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'offset_group' (%lld) does not divide the %lld channels of 'X'",
                           (long long)a->offset_group, (long long)s.in_channels);
    int64_t kvol = s.kernel[0] * s.kernel[1];
    OBN_TRY(check_map(ctx, IN_OFFSET, "offset", &s, a->offset_group * 2 * kvol));
    if (obn_has_input(ctx, IN_MASK)) OBN_TRY(check_map(ctx, IN_MASK, "mask", &s, a->offset_group * kvol));
    if (obn_has_input(ctx, IN_B)) {
        const obn_tensor *b = ctx->inputs[IN_B];
        if (b->rank != 1 || b->dims[0] != s.out_channels) {
            char bs[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'B' ('%s') has shape %s; expected [%lld]",
                               obn_in_name(ctx, IN_B), obn_shape_str(b->rank, b->dims, bs, sizeof bs),
                               (long long)s.out_channels);
        }
    }
    *d = (obn_deform_shape){s.batch,     s.in_channels, s.out_channels, s.groups,    a->offset_group, s.in[0],
                            s.in[1],     s.out[0],      s.out[1],       s.kernel[0], s.kernel[1],     s.stride[0],
                            s.stride[1], s.dilation[0], s.dilation[1],  s.pad[0],    s.pad[1]};
    return OBN_OK;
}

static obn_status deform_infer(obn_op_ctx *ctx)
{
    obn_deform_shape d;
    OBN_TRY(deform_shape_of(ctx, &d));
    int64_t dims[4] = {d.batch, d.out_channels, d.oh, d.ow};
    return obn_set_output(ctx, 0, ctx->inputs[IN_X]->dtype, 4, dims);
}

static size_t deform_workspace(const obn_op_ctx *ctx)
{
    obn_deform_shape d;
    if (deform_shape_of(ctx, &d) != OBN_OK) return 0;
    return obn_deform_col_doubles(&d) * sizeof(double);
}

static obn_status deform_run(obn_op_ctx *ctx)
{
    obn_deform_shape d;
    OBN_TRY(deform_shape_of(ctx, &d));
    if (ctx->outputs[0]->numel == 0) return OBN_OK;
    const void *b = obn_has_input(ctx, IN_B) ? ctx->inputs[IN_B]->data : NULL;
    const void *mask = obn_has_input(ctx, IN_MASK) ? ctx->inputs[IN_MASK]->data : NULL;
    obn_deform_conv(&d, ctx->inputs[IN_X]->data, ctx->inputs[IN_W]->data, ctx->inputs[IN_OFFSET]->data, b, mask,
                    obn_kfmt_of(ctx->inputs[IN_X]->dtype), ctx->outputs[0]->data, ctx->workspace, ctx->threads);
    return OBN_OK;
}

static const int versions[] = {19, 22, 0};
static const char *const attr_names[] = {"dilations", "group", "kernel_shape", "offset_group", "pads", "strides", NULL};
static const obn_op_sig deform_sigs[] = {{19, "X W offset ?B ?mask", "Y"}, {0}};

const obn_op obn_op_deform_conv = {
    .domain = "",
    .op_type = "DeformConv",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = deform_sigs,
    .attrs_size = sizeof(deform_attrs),
    .parse = deform_parse,
    .infer = deform_infer,
    .run = deform_run,
    .workspace = deform_workspace,
};
OBN_REGISTER_OP(obn_op_deform_conv);
