/* GridSample (16, 20, 22): X [N, C, D_1..D_r] sampled at grid
 * [N, O_1..O_r, r] (grid[..., 0] addresses the last axis), Y [N, C, O_1..O_r].
 * Version 16 takes 4-D X only, with modes bilinear (default), nearest and
 * bicubic; 20 takes r = 1..6 spatial axes and names the modes linear
 * (default), nearest and cubic; 22 adds bfloat16. The sampling is
 * src/kernels/grid_sample.h's (the ONNX reference's, with its padding of
 * coordinates and taps).
 *
 * Types: X any numeric type or bool, grid float16/float/double (bfloat16
 * from 22). Float X is computed in float with double weights, others in
 * double; integer results are truncated toward zero and saturated. */
#include <string.h>

#include "kernels/grid_sample.h"
#include "op_helpers.h"

typedef struct {
    obn_gs_mode mode;
    obn_gs_padding padding;
    int align_corners;
} grid_sample_attrs;

static obn_status grid_sample_parse(const obn_node *n, int v, void *out)
{
    grid_sample_attrs *a = out;
    const char *mode, *pad;
    int64_t align;
    OBN_TRY(obn_attr_get_string(n, "mode", v >= 20 ? "linear" : "bilinear", &mode));
    OBN_TRY(obn_attr_get_string(n, "padding_mode", "zeros", &pad));
    OBN_TRY(obn_attr_int_range(n, "align_corners", 0, 0, 1, &align));
    const char *linear = v >= 20 ? "linear" : "bilinear", *cubic = v >= 20 ? "cubic" : "bicubic";
    if (strcmp(mode, linear) == 0) a->mode = OBN_GS_LINEAR;
    else if (strcmp(mode, "nearest") == 0) a->mode = OBN_GS_NEAREST;
    else if (strcmp(mode, cubic) == 0) a->mode = OBN_GS_CUBIC;
    else
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is '%s'; expected %s, nearest or %s (GridSample-%d)",
                            mode, linear, cubic, v);
    if (strcmp(pad, "zeros") == 0) a->padding = OBN_GS_ZEROS;
    else if (strcmp(pad, "border") == 0) a->padding = OBN_GS_BORDER;
    else if (strcmp(pad, "reflection") == 0) a->padding = OBN_GS_REFLECTION;
    else
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'padding_mode' is '%s'; expected zeros, border or reflection",
                            pad);
    a->align_corners = (int)align;
    return OBN_OK;
}

static obn_status grid_sample_shape_of(const obn_op_ctx *ctx, obn_grid_sample_shape *s, int64_t *out_dims)
{
    const grid_sample_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *g = ctx->inputs[1];
    char xs[OBN_SHAPE_STR_CAP], gs[OBN_SHAPE_STR_CAP];
    obn_shape_str(x->rank, x->dims, xs, sizeof xs);
    obn_shape_str(g->rank, g->dims, gs, sizeof gs);
    int r = x->rank - 2;
    if (ctx->since_version < 20 && x->rank != 4)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; GridSample-16 takes 4-D [N, C, H, W]",
                           obn_in_name(ctx, 0), xs);
    if (r < 1 || r > OBN_GRID_SAMPLE_MAX_DIMS)
        return obn_ctx_err(ctx, r < 1 ? OBN_E_INVALID_MODEL : OBN_E_UNSUPPORTED,
                           "input 'X' ('%s') has shape %s; 1 to %d spatial axes after [N, C] are supported",
                           obn_in_name(ctx, 0), xs, OBN_GRID_SAMPLE_MAX_DIMS);
    if (g->rank != x->rank || g->dims[0] != x->dims[0] || g->dims[g->rank - 1] != r)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'grid' ('%s') has shape %s; X %s needs [%lld, out..., %d] with %d output axes",
                           obn_in_name(ctx, 1), gs, xs, (long long)x->dims[0], r, r);
    s->spatial = r;
    s->n = x->dims[0];
    s->c = x->dims[1];
    out_dims[0] = s->n;
    out_dims[1] = s->c;
    for (int d = 0; d < r; d++) {
        s->in_dims[d] = x->dims[2 + d];
        s->out_dims[d] = g->dims[1 + d];
        out_dims[2 + d] = g->dims[1 + d];
        if (s->in_dims[d] == 0 && s->out_dims[d] > 0 && s->n * s->c > 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s: cannot sample an empty axis",
                               obn_in_name(ctx, 0), xs);
    }
    s->mode = a->mode;
    s->padding = a->padding;
    s->align_corners = a->align_corners;
    return OBN_OK;
}

static obn_status grid_sample_infer(obn_op_ctx *ctx)
{
    static const obn_dtype t1_16[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8,   OBN_INT16, OBN_INT32,
                                      OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BOOL, OBN_UNDEFINED};
    static const obn_dtype t1_22[] = {OBN_UINT8,  OBN_UINT16, OBN_UINT32,   OBN_UINT64, OBN_INT8,
                                      OBN_INT16,  OBN_INT32,  OBN_INT64,    OBN_BFLOAT16, OBN_FLOAT16,
                                      OBN_FLOAT,  OBN_DOUBLE, OBN_BOOL,     OBN_UNDEFINED};
    static const obn_dtype t2_16[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    bool v22 = ctx->since_version >= 22;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", v22 ? t1_22 : t1_16));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "grid", v22 ? OBN_FLOAT_TYPES : t2_16));
    obn_grid_sample_shape s;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(grid_sample_shape_of(ctx, &s, dims));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, ctx->inputs[0]->rank, dims);
}

static bool x_in_double(obn_dtype t) { return t != OBN_FLOAT && t != OBN_DOUBLE; }

static size_t grid_sample_workspace(const obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0], *g = ctx->inputs[1];
    size_t n = g->dtype == OBN_DOUBLE ? 0 : (size_t)g->numel;
    if (x_in_double(x->dtype)) n += (size_t)(x->numel + ctx->outputs[0]->numel);
    return n * sizeof(double);
}

static obn_status grid_sample_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0], *g = ctx->inputs[1];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    obn_grid_sample_shape s;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(grid_sample_shape_of(ctx, &s, dims));
    double *ws = ctx->workspace;
    const double *grid = g->data;
    if (g->dtype != OBN_DOUBLE) {
        for (int64_t i = 0; i < g->numel; i++) ws[i] = obn_load_f64(g, i);
        grid = ws;
        ws += g->numel;
    }
    if (x->dtype == OBN_FLOAT) {
        obn_grid_sample_f32(&s, x->data, grid, y->data, ctx->threads);
    } else if (x->dtype == OBN_DOUBLE) {
        obn_grid_sample_f64(&s, x->data, grid, y->data, ctx->threads);
    } else {
        double *xd = ws, *yd = ws + x->numel;
        for (int64_t i = 0; i < x->numel; i++) xd[i] = obn_load_f64(x, i);
        obn_grid_sample_f64(&s, xd, grid, yd, ctx->threads);
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64_saturate(y, i, yd[i]);
    }
    return OBN_OK;
}

static const int versions[] = {16, 20, 22, 0};
static const char *const attr_names[] = {"mode", "padding_mode", "align_corners", NULL};
static const obn_op_sig grid_sample_sigs[] = {{16, "X grid", "Y"}, {0}};

const obn_op obn_op_grid_sample = {
    .domain = "",
    .op_type = "GridSample",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = grid_sample_sigs,
    .attrs_size = sizeof(grid_sample_attrs),
    .parse = grid_sample_parse,
    .infer = grid_sample_infer,
    .run = grid_sample_run,
    .workspace = grid_sample_workspace,
};
OBN_REGISTER_OP(obn_op_grid_sample);
