/* RoiAlign (10, 16, 22): X [N, C, H, W], rois [R, 4] (x1, y1, x2, y2),
 * batch_indices [R] -> Y [R, C, output_height, output_width]
 * (src/kernels/roi_align.h). Version 10 has no coordinate_transformation_mode
 * and samples without the half-pixel shift (16's output_half_pixel); 16's
 * default is half_pixel; 22 adds bfloat16. batch_indices outside [0, N) and
 * regions that are not finite or need more than 2^24 samples per bin are
 * errors when the op runs (they are data).
 *
 * Types: X and rois float16/float/double (bfloat16 from 22), the 16-bit
 * types computed in float. */
#include <string.h>

#include "kernels/roi_align.h"
#include "op_helpers.h"

/* Samples per bin beyond which a region is refused: 2^24, far more than
 * any feature map needs, and bounded work per output. */
#define MAX_SAMPLES 16777216.0

typedef struct {
    int max_mode, half_pixel;
    int64_t out_h, out_w, sampling_ratio;
    float spatial_scale;
} roi_align_attrs;

static obn_status roi_align_parse(const obn_node *n, int v, void *out)
{
    roi_align_attrs *a = out;
    const char *mode, *coord;
    OBN_TRY(obn_attr_get_string(n, "mode", "avg", &mode));
    if (strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is '%s'; expected avg or max", mode);
    a->max_mode = mode[0] == 'm';
    if (v < 16 && obn_node_attr(n, "coordinate_transformation_mode"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'coordinate_transformation_mode' is not part of RoiAlign-%d", v);
    OBN_TRY(obn_attr_get_string(n, "coordinate_transformation_mode", v >= 16 ? "half_pixel" : "output_half_pixel", &coord));
    if (strcmp(coord, "half_pixel") != 0 && strcmp(coord, "output_half_pixel") != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL,
                            "attribute 'coordinate_transformation_mode' is '%s'; expected half_pixel or output_half_pixel", coord);
    a->half_pixel = strcmp(coord, "half_pixel") == 0;
    OBN_TRY(obn_attr_int_range(n, "output_height", 1, 1, INT64_MAX, &a->out_h));
    OBN_TRY(obn_attr_int_range(n, "output_width", 1, 1, INT64_MAX, &a->out_w));
    OBN_TRY(obn_attr_int_range(n, "sampling_ratio", 0, 0, INT64_MAX, &a->sampling_ratio));
    return obn_attr_get_float(n, "spatial_scale", 1.0f, &a->spatial_scale);
}

static obn_status roi_align_infer(obn_op_ctx *ctx)
{
    static const obn_dtype t1_10[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
    const roi_align_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : t1_10));
    OBN_TRY(obn_check_same_dtype(ctx, 1, "rois", 0, "X"));
    OBN_TRY(obn_check_input_dtype(ctx, 2, "batch_indices", i64));
    const obn_tensor *x = ctx->inputs[0], *rois = ctx->inputs[1], *bi = ctx->inputs[2];
    char s[OBN_SHAPE_STR_CAP];
    if (x->rank != 4)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; expected 4-D [N, C, H, W]",
                           obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, s, sizeof s));
    if (rois->rank != 2 || rois->dims[1] != 4)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'rois' ('%s') has shape %s; expected [num_rois, 4]",
                           obn_in_name(ctx, 1), obn_shape_str(rois->rank, rois->dims, s, sizeof s));
    if (bi->rank != 1 || bi->dims[0] != rois->dims[0])
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'batch_indices' ('%s') has shape %s; expected [%lld]",
                           obn_in_name(ctx, 2), obn_shape_str(bi->rank, bi->dims, s, sizeof s), (long long)rois->dims[0]);
    if ((x->dims[2] == 0 || x->dims[3] == 0) && rois->dims[0] > 0 && x->dims[1] > 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has an empty image (H or W is 0)", obn_in_name(ctx, 0));
    const int64_t dims[4] = {rois->dims[0], x->dims[1], a->out_h, a->out_w};
    return obn_set_output(ctx, 0, x->dtype, 4, dims);
}

static size_t roi_align_workspace(const obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    size_t n = (size_t)ctx->inputs[1]->numel * sizeof(double);
    if (x->dtype != OBN_FLOAT && x->dtype != OBN_DOUBLE) n += (size_t)(x->numel + ctx->outputs[0]->numel) * sizeof(float);
    return n;
}

static obn_status roi_align_run(obn_op_ctx *ctx)
{
    const roi_align_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *rt = ctx->inputs[1], *bt = ctx->inputs[2];
    obn_tensor *y = ctx->outputs[0];
    int64_t num = rt->dims[0];
    const int64_t *batch = bt->data;
    for (int64_t r = 0; r < num; r++)
        if (batch[r] < 0 || batch[r] >= x->dims[0])
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "input 'batch_indices' ('%s') value %lld at %lld is outside [0, %lld)",
                               obn_in_name(ctx, 2), (long long)batch[r], (long long)r, (long long)x->dims[0]);
    double *rois = ctx->workspace;
    for (int64_t i = 0; i < rt->numel; i++) rois[i] = obn_load_f64(rt, i);
    obn_roi_align_shape s = {x->dims[0], x->dims[1], x->dims[2], x->dims[3], a->out_h, a->out_w, a->sampling_ratio,
                             a->spatial_scale, a->half_pixel, a->max_mode};
    int64_t bad = obn_roi_align_bad_roi(&s, rois, num, MAX_SAMPLES);
    if (bad >= 0)
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "input 'rois' ('%s') region %lld [%g, %g, %g, %g] is not finite or needs more "
                                               "than %.0f samples per bin",
                           obn_in_name(ctx, 1), (long long)bad, rois[4 * bad], rois[4 * bad + 1], rois[4 * bad + 2],
                           rois[4 * bad + 3], MAX_SAMPLES);
    if (x->dtype == OBN_FLOAT) {
        obn_roi_align_f32(&s, x->data, rois, batch, num, y->data, ctx->threads);
    } else if (x->dtype == OBN_DOUBLE) {
        obn_roi_align_f64(&s, x->data, rois, batch, num, y->data, ctx->threads);
    } else {
        float *xf = (float *)(rois + rt->numel), *yf = xf + x->numel;
        for (int64_t i = 0; i < x->numel; i++) xf[i] = (float)obn_load_f64(x, i);
        obn_roi_align_f32(&s, xf, rois, batch, num, yf, ctx->threads);
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, yf[i]);
    }
    return OBN_OK;
}

static const int versions[] = {10, 16, 22, 0};
static const char *const attr_names[] = {"mode",         "output_height",  "output_width", "sampling_ratio",
                                         "spatial_scale", "coordinate_transformation_mode", NULL};
static const obn_op_sig roi_align_sigs[] = {{10, "X rois batch_indices", "Y"}, {0}};

const obn_op obn_op_roi_align = {
    .domain = "",
    .op_type = "RoiAlign",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = roi_align_sigs,
    .attrs_size = sizeof(roi_align_attrs),
    .parse = roi_align_parse,
    .infer = roi_align_infer,
    .run = roi_align_run,
    .workspace = roi_align_workspace,
};
OBN_REGISTER_OP(obn_op_roi_align);
