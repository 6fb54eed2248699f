/* Col2Im (18): the inverse of im2col (torch's fold). input [N, C*K, L] holds,
 * for every block position l (L of them, row-major over the block grid) and
 * every block offset k (K = prod(block_shape)), the value that goes to image
 * position o_d = l_d*stride_d + k_d*dilation_d - pad_begin_d; values landing
 * on the same position are summed, those in the padding dropped. Output
 * [N, C, *image_shape]. image_shape and block_shape (1-D int64, one entry
 * per spatial dim, up to 6) must be known when planning (OBN_DEFER
 * otherwise): they make the output shape. The grid has
 * (image + pads - dilation*(block-1) - 1) / stride + 1 positions per dim,
 * and their product must be L. float32 runs the transposed convolution's
 * col2im kernel; the other numeric types accumulate in double (floats) or
 * with wrap-around (integers); bool ORs. */
#include <string.h>

#include "kernels/col2im.h"
#include "op_helpers.h"

typedef struct {
    size_t n_dil, n_pads, n_strides;
    int64_t dilations[OBN_CONV_MAX_DIMS], pads[2 * OBN_CONV_MAX_DIMS], strides[OBN_CONV_MAX_DIMS];
} col2im_attrs;

static obn_status col2im_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    col2im_attrs *a = out;
    OBN_TRY(obn_attr_get_ints(n, "dilations", OBN_CONV_MAX_DIMS, a->dilations, &a->n_dil));
    OBN_TRY(obn_attr_get_ints(n, "pads", 2 * OBN_CONV_MAX_DIMS, a->pads, &a->n_pads));
    OBN_TRY(obn_attr_get_ints(n, "strides", OBN_CONV_MAX_DIMS, a->strides, &a->n_strides));
    OBN_TRY(obn_attr_check_min(n, "dilations", a->dilations, a->n_dil, 1));
    OBN_TRY(obn_attr_check_min(n, "strides", a->strides, a->n_strides, 1));
    return obn_attr_check_min(n, "pads", a->pads, a->n_pads, 0);
}

/* An attribute list: absent, or one value per spatial dim (pads: two). */
static obn_status attr_len(const obn_op_ctx *ctx, const char *name, size_t have, size_t want)
{
    if (have == 0 || have == want) return OBN_OK;
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute '%s' has %zu values, expected %zu", name, have, want);
}

/* The geometry as the transposed convolution's shape (in = block grid, out =
 * image, kernel = block); OBN_DEFER while image_shape or block_shape is
 * unknown. */
static obn_status col2im_shape(const obn_op_ctx *ctx, obn_conv_shape *s)
{
    static const obn_dtype int64_only[] = {OBN_INT64, OBN_UNDEFINED};
    const col2im_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", OBN_ALL_TYPES));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "image_shape", int64_only));
    OBN_TRY(obn_check_input_dtype(ctx, 2, "block_shape", int64_only));
    OBN_TRY(obn_check_rank(ctx, 0, "input", 3, 3));
    int64_t image[OBN_CONV_MAX_DIMS + 1], block[OBN_CONV_MAX_DIMS + 1];
    size_t ni, nb;
    obn_status si = obn_read_int_input(ctx, 1, "image_shape", OBN_CONV_MAX_DIMS, image, &ni);
    obn_status sb = obn_read_int_input(ctx, 2, "block_shape", OBN_CONV_MAX_DIMS, block, &nb);
    if (si != OBN_OK && si != OBN_DEFER) return si;
    if (sb != OBN_OK && sb != OBN_DEFER) return sb;
    if (si || sb) return OBN_DEFER;
    if (ni != nb || ni == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs 'image_shape' (%zu values) and 'block_shape' (%zu) must have the same length >= 1",
                           ni, nb);
    OBN_TRY(attr_len(ctx, "dilations", a->n_dil, ni));
    OBN_TRY(attr_len(ctx, "strides", a->n_strides, ni));
    OBN_TRY(attr_len(ctx, "pads", a->n_pads, 2 * ni));
    memset(s, 0, sizeof *s);
    s->nd = (int)ni;
    s->batch = x->dims[0];
    int64_t kvol = 1, grid = 1;
    for (int d = 0; d < s->nd; d++) {
        if (image[d] < 1 || block[d] < 1 || image[d] > ((int64_t)1 << 31) || block[d] > ((int64_t)1 << 31))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "image_shape[%d] = %lld and block_shape[%d] = %lld must be in [1, 2^31]", d,
                               (long long)image[d], d, (long long)block[d]);
        int64_t dil = a->n_dil ? a->dilations[d] : 1, st = a->n_strides ? a->strides[d] : 1;
        int64_t pb = a->n_pads ? a->pads[d] : 0, pe = a->n_pads ? a->pads[ni + d] : 0;
        int64_t span = image[d] + pb + pe - dil * (block[d] - 1) - 1;
        if (span < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "spatial dim %d: a block of %lld (dilation %lld) does not fit the padded image of %lld",
                               d, (long long)block[d], (long long)dil, (long long)(image[d] + pb + pe));
        s->in[d] = span / st + 1;
        s->out[d] = image[d];
        s->kernel[d] = block[d];
        s->stride[d] = st;
        s->dilation[d] = dil;
        s->pad[d] = pb;
        OBN_TRY(obn_mul_dims(ctx, "block volume", kvol, block[d], &kvol));
        OBN_TRY(obn_mul_dims(ctx, "block positions", grid, s->in[d], &grid));
    }
    if (x->dims[1] % kvol != 0 || x->dims[2] != grid) {
        char sh[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') has shape %s; expected [N, C*%lld, %lld] for these blocks",
                           obn_in_name(ctx, 0), obn_shape_str(3, x->dims, sh, sizeof sh), (long long)kvol, (long long)grid);
    }
    s->in_channels = s->out_channels = x->dims[1] / kvol;
    s->groups = 1;
    return OBN_OK;
}

static obn_status col2im_infer(obn_op_ctx *ctx)
{
    obn_conv_shape s;
    OBN_TRY(col2im_shape(ctx, &s));
    int64_t dims[2 + OBN_CONV_MAX_DIMS] = {s.batch, s.out_channels};
    for (int d = 0; d < s.nd; d++) dims[2 + d] = s.out[d];
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, 2 + s.nd, dims);
}

/* Other types than float: one accumulator (double or uint64) per output
 * element in the workspace. */
static size_t col2im_workspace(const obn_op_ctx *ctx)
{
    return ctx->inputs[0]->dtype == OBN_FLOAT ? 0 : (size_t)ctx->outputs[0]->numel * sizeof(double);
}

static void col2im_generic(const obn_op_ctx *ctx, const obn_conv_shape *s)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    bool fl = obn_dtype_is_float(x->dtype);
    double *accf = ctx->workspace;
    uint64_t *acci = ctx->workspace;
    memset(ctx->workspace, 0, (size_t)y->numel * sizeof(double));
    int64_t rows = x->dims[1], cols = x->dims[2], kvol = rows / s->out_channels, plane = y->numel / (s->batch * s->out_channels);
    for (int64_t e = 0; e < x->numel; e++) {
        int64_t p = e % cols, row = (e / cols) % rows, n = e / (cols * rows);
        int64_t ch = row / kvol, k = row % kvol, pos = 0;
        bool inside = true;
        for (int d = s->nd - 1; d >= 0; d--) { /* kernel offset and grid position, last dim fastest */
            int64_t kd = k % s->kernel[d], ld = p % s->in[d];
            k /= s->kernel[d];
            p /= s->in[d];
            int64_t o = ld * s->stride[d] + kd * s->dilation[d] - s->pad[d], stride = 1;
            for (int j = d + 1; j < s->nd; j++) stride *= s->out[j];
            inside &= o >= 0 && o < s->out[d];
            pos += o * stride;
        }
        if (!inside) continue;
        int64_t at = (n * s->out_channels + ch) * plane + pos;
        if (fl) accf[at] += obn_load_f64(x, e);
        else acci[at] += obn_load_u64(x, e);
    }
    for (int64_t i = 0; i < y->numel; i++) {
        if (fl) obn_store_f64(y, i, accf[i]);
        else obn_store_i64(y, i, (int64_t)acci[i]);
    }
}

static obn_status col2im_run(obn_op_ctx *ctx)
{
    obn_conv_shape s;
    OBN_TRY(col2im_shape(ctx, &s));
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    if (x->dtype != OBN_FLOAT) {
        col2im_generic(ctx, &s);
        return OBN_OK;
    }
    int64_t rows = x->dims[1], cols = x->dims[2], plane = y->numel / (s.batch * s.out_channels);
    for (int64_t n = 0; n < s.batch; n++)
        obn_col2im_add(&s, s.out_channels, (const float *)x->data + n * rows * cols, cols, 0, cols, NULL, 1,
                       (float *)y->data + n * s.out_channels * plane, ctx->threads);
    return OBN_OK;
}

static const int versions[] = {18, 0};
static const char *const attr_names[] = {"dilations", "pads", "strides", NULL};
static const obn_op_sig col2im_sigs[] = {{18, "input image_shape block_shape", "output"}, {0}};

const obn_op obn_op_col2im = {
    .domain = "",
    .op_type = "Col2Im",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = col2im_sigs,
    .attrs_size = sizeof(col2im_attrs),
    .parse = col2im_parse,
    .infer = col2im_infer,
    .run = col2im_run,
    .workspace = col2im_workspace,
};
OBN_REGISTER_OP(obn_op_col2im);
