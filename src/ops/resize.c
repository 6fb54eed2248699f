/* Resize (10, 11, 13, 18, 19) and Upsample (1, 7, 9, 10).
 *
 * Output sizes: with scales, floor(input_dim * scale) (in double from the
 * stored scale, as the ONNX reference and shape inference compute it; the
 * spec text's extra roi factor for tf_crop_and_resize is applied by neither);
 * with sizes, the sizes, or for keep_aspect_ratio_policy not_larger /
 * not_smaller (18+) one scale for all resized axes, the min / max of
 * size / input_dim, and round(input_dim * scale) (half up). The sampling is
 * src/kernels/resize.h's, per axis with that axis's scale.
 *
 * Inputs by version: 10 "X scales"; 11 "X roi scales ?sizes" where scales
 * is an empty tensor when sizes is used; 13+ roi, scales and sizes optional
 * (the empty name), exactly one of scales and sizes given (an empty scales
 * tensor also counts as not given); 18+ the attribute axes restricts roi,
 * scales and sizes to those axes (the others keep their size). roi is read
 * only for tf_crop_and_resize, where it is required.
 *
 * Resize-10 and Upsample have no coordinate attribute: they sample at
 * x = j / scale (asymmetric) and nearest takes floor(x), so an integer
 * upsampling repeats every element (the examples of Upsample's spec).
 * Upsample-10 is deprecated in the spec; it runs as Upsample-9 (ONNX Runtime
 * does the same). Upsample scales must be >= 1 (the spec's rule).
 *
 * Types: any numeric type and bool (bfloat16 from Resize-13). Nearest copies
 * elements; linear/cubic compute in float for float and in double for the
 * others, integers are truncated toward zero and saturated, bool is
 * value != 0 (the reference converts the result with astype). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/resize.h"
#include "op_helpers.h"

typedef enum { KEEP_STRETCH, KEEP_NOT_LARGER, KEEP_NOT_SMALLER } keep_policy;

typedef struct {
    bool upsample;
    obn_resize_method method;
    float extrapolation;
    keep_policy keep;
    size_t n_axes; /* 18+: the axes attribute (0: all) */
    int64_t axes[OBN_MAX_RANK];
    size_t n_scale_attr; /* Upsample-1/7: scales from attributes */
    float scale_attr[OBN_MAX_RANK];
} resize_attrs;

/* The per-axis geometry and output shape that the inputs give. */
typedef struct {
    int rank;
    obn_resize_geometry g[OBN_MAX_RANK];
    int64_t out_dims[OBN_MAX_RANK];
} resize_shape;

typedef struct {
    obn_resize_axis axes[OBN_MAX_RANK];
    obn_resize_plan plan;
    void *tables;
} resize_state;

/* A string attribute that must be one of `names` (values 0..count-1, a
 * NULL entry is not allowed in this version); `list` lists the allowed
 * values for the message. */
static obn_status parse_choice(const obn_node *n, const char *attr, const char *def, const char *const *names,
                               int count, const char *list, int *out)
{
    const char *s;
    *out = 0;
    OBN_TRY(obn_attr_get_string(n, attr, def, &s));
    for (int i = 0; i < count; i++)
        if (names[i] && strcmp(s, names[i]) == 0) {
            *out = i;
            return OBN_OK;
        }
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is '%s'; expected %s", attr, s, list);
}

/* Attributes a version does not have are refused by name. */
static obn_status refuse_attrs(const obn_node *n, int v, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        if (obn_node_attr(n, names[i]))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of %s-%d", names[i], n->op_type, v);
    return OBN_OK;
}

static obn_status parse_coord(const obn_node *n, int v, obn_resize_method *m)
{
    const char *names[] = {"half_pixel", v >= 19 ? "half_pixel_symmetric" : NULL, "pytorch_half_pixel",
                           "align_corners", "asymmetric", v < 18 ? "tf_half_pixel_for_nn" : NULL,
                           "tf_crop_and_resize"};
    const char *list = v >= 19 ? "half_pixel, half_pixel_symmetric, pytorch_half_pixel, align_corners, asymmetric or "
                                 "tf_crop_and_resize"
                       : v >= 18 ? "half_pixel, pytorch_half_pixel, align_corners, asymmetric or tf_crop_and_resize "
                                   "(half_pixel_symmetric is Resize-19)"
                                 : "half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn or "
                                   "tf_crop_and_resize";
    int c;
    OBN_TRY(parse_choice(n, "coordinate_transformation_mode", "half_pixel", names, 7, list, &c));
    m->coord = (obn_resize_coord)c;
    return OBN_OK;
}

static obn_status parse_resize(const obn_node *n, int v, resize_attrs *a)
{
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const roundings[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    static const char *const policies[] = {"stretch", "not_larger", "not_smaller"};
    static const char *const since_11[] = {"coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
                                           "extrapolation_value", "nearest_mode", NULL};
    static const char *const since_18[] = {"antialias", "axes", "keep_aspect_ratio_policy", NULL};
    obn_resize_method *m = &a->method;
    int c;
    OBN_TRY(parse_choice(n, "mode", "nearest", modes, v >= 11 ? 3 : 2,
                         v >= 11 ? "nearest, linear or cubic" : "nearest or linear", &c));
    m->mode = (obn_resize_mode)c;
    if (v < 11) {
        m->coord = OBN_COORD_ASYMMETRIC;
        m->rounding = OBN_ROUND_FLOOR;
        return refuse_attrs(n, v, since_11);
    }
    OBN_TRY(parse_coord(n, v, m));
    OBN_TRY(parse_choice(n, "nearest_mode", "round_prefer_floor", roundings, 4,
                         "round_prefer_floor, round_prefer_ceil, floor or ceil", &c));
    m->rounding = (obn_resize_rounding)c;
    float cubic_a;
    int64_t exclude, antialias = 0;
    OBN_TRY(obn_attr_get_float(n, "cubic_coeff_a", -0.75f, &cubic_a));
    OBN_TRY(obn_attr_int_range(n, "exclude_outside", 0, 0, 1, &exclude));
    OBN_TRY(obn_attr_get_float(n, "extrapolation_value", 0.0f, &a->extrapolation));
    m->cubic_a = cubic_a;
    m->exclude_outside = (int)exclude;
    if (v < 18) return refuse_attrs(n, v, since_18);
    OBN_TRY(obn_attr_int_range(n, "antialias", 0, 0, 1, &antialias));
    m->antialias = (int)antialias;
    OBN_TRY(parse_choice(n, "keep_aspect_ratio_policy", "stretch", policies, 3, "stretch, not_larger or not_smaller",
                         &c));
    a->keep = (keep_policy)c;
    return obn_attr_get_ints(n, "axes", OBN_MAX_RANK, a->axes, &a->n_axes);
}

static obn_status parse_upsample(const obn_node *n, int v, resize_attrs *a)
{
    static const char *const modes_1[] = {"nearest", "bilinear"};
    static const char *const modes_7[] = {"nearest", "linear"};
    a->method.coord = OBN_COORD_ASYMMETRIC;
    a->method.rounding = OBN_ROUND_FLOOR;
    int c;
    OBN_TRY(parse_choice(n, "mode", "nearest", v == 1 ? modes_1 : modes_7, 2,
                         v == 1 ? "nearest or bilinear" : "nearest or linear", &c));
    a->method.mode = c ? OBN_RESIZE_LINEAR : OBN_RESIZE_NEAREST;
    if (v == 1) {
        static const char *const later[] = {"scales", NULL};
        OBN_TRY(refuse_attrs(n, v, later));
        float h, w;
        if (!obn_node_attr(n, "height_scale") || !obn_node_attr(n, "width_scale"))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'height_scale' and 'width_scale' are required by Upsample-1");
        OBN_TRY(obn_attr_get_float(n, "height_scale", 1, &h));
        OBN_TRY(obn_attr_get_float(n, "width_scale", 1, &w));
        const float s[4] = {1, 1, h, w};
        memcpy(a->scale_attr, s, sizeof s);
        a->n_scale_attr = 4;
        return OBN_OK;
    }
    static const char *const v1_only[] = {"height_scale", "width_scale", NULL};
    OBN_TRY(refuse_attrs(n, v, v1_only));
    if (v >= 9) {
        static const char *const v7_only[] = {"scales", NULL};
        return refuse_attrs(n, v, v7_only);
    }
    if (!obn_node_attr(n, "scales"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'scales' is required by Upsample-7");
    return obn_attr_get_floats(n, "scales", OBN_MAX_RANK, a->scale_attr, &a->n_scale_attr);
}

static obn_status resize_parse(const obn_node *n, int v, void *out)
{
    resize_attrs *a = out;
    a->upsample = strcmp(n->op_type, "Upsample") == 0;
    a->method.cubic_a = -0.75;
    return a->upsample ? parse_upsample(n, v, a) : parse_resize(n, v, a);
}

/* Data of the float input k (float16/float/double; `float_only` for the
 * versions whose input is tensor(float)) as doubles; OBN_DEFER when it is
 * not known yet. */
static obn_status read_floats(const obn_op_ctx *ctx, int k, const char *role, bool float_only, size_t max,
                              double *out, size_t *count)
{
    static const obn_dtype t2[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, k, role, float_only ? OBN_FLOAT32_ONLY : t2));
    const obn_tensor *t = ctx->inputs[k];
    if (t->rank != 1) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s, expected a 1-D tensor", role,
                           obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, s, sizeof s));
    }
    *count = (size_t)t->numel;
    if ((uint64_t)t->numel > max)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has %lld values, expected %zu", role,
                           obn_in_name(ctx, k), (long long)t->numel, max);
    if (!t->data) return OBN_DEFER;
    for (int64_t i = 0; i < t->numel; i++) out[i] = obn_load_f64(t, i);
    return OBN_OK;
}

/* Where scales and sizes come from in this version: input indices (-1:
 * none) and whether each is given (present with at least one value). */
typedef struct {
    int scales, sizes, roi;
    bool has_scales, has_sizes;
} resize_inputs;

static obn_status locate_inputs(const obn_op_ctx *ctx, resize_inputs *in)
{
    const resize_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    in->scales = -1;
    in->sizes = -1;
    in->roi = -1;
    if (a->upsample) {
        in->scales = v >= 9 ? 1 : -1;
    } else if (v < 11) {
        in->scales = 1;
    } else {
        in->roi = obn_has_input(ctx, 1) ? 1 : -1;
        in->scales = obn_has_input(ctx, 2) ? 2 : -1;
        in->sizes = obn_has_input(ctx, 3) ? 3 : -1;
    }
    in->has_scales = in->scales >= 0 && ctx->inputs[in->scales]->numel > 0;
    in->has_sizes = in->sizes >= 0 && ctx->inputs[in->sizes]->numel > 0;
    if (a->upsample || v < 11) {
        if (in->scales >= 0 && !in->has_scales)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'scales' ('%s') is empty", obn_in_name(ctx, 1));
        return OBN_OK;
    }
    if (in->has_scales && in->has_sizes)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs 'scales' ('%s') and 'sizes' ('%s') are both given; %s",
                           obn_in_name(ctx, 2), obn_in_name(ctx, 3),
                           v < 13 ? "'scales' must be an empty tensor when 'sizes' is used" : "exactly one is allowed");
    if (!in->has_scales && !in->has_sizes)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "neither 'scales' nor 'sizes' is given (one of them is required)");
    return OBN_OK;
}

/* Output lengths and scales from the scale values of the resized axes;
 * `what` names their source for messages. */
static obn_status shape_from_scales(const obn_op_ctx *ctx, const char *what, const double *scales, const int *axes,
                                    size_t n, resize_shape *sh)
{
    bool upsample = ((const resize_attrs *)ctx->attrs)->upsample;
    for (size_t i = 0; i < n; i++) {
        obn_resize_geometry *g = &sh->g[axes[i]];
        double s = scales[i];
        if (!(s > 0) || isinf(s) || (upsample && s < 1))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s value %g for axis %d must be %s", what, s, axes[i],
                               upsample ? "finite and >= 1" : "finite and > 0");
        double out = floor((double)g->in_len * s);
        if (out >= 4611686018427387904.0) /* 2^62 */
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "%s value %g makes axis %d (length %lld) overflow: output length %.17g", what, s,
                               axes[i], (long long)g->in_len, out);
        g->out_len = (int64_t)out;
        g->scale = s;
        g->out_width = s * (double)g->in_len;
    }
    return OBN_OK;
}

/* Output lengths and scales from sizes, with keep_aspect_ratio_policy. */
static obn_status shape_from_sizes(const obn_op_ctx *ctx, const int64_t *sizes, const int *axes, size_t n,
                                   resize_shape *sh)
{
    const resize_attrs *a = ctx->attrs;
    const char *name = obn_in_name(ctx, 3);
    for (size_t i = 0; i < n; i++) {
        int64_t in_len = sh->g[axes[i]].in_len;
        if (sizes[i] < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'sizes' ('%s') value %lld for axis %d is negative", name,
                               (long long)sizes[i], axes[i]);
        if (in_len == 0 && sizes[i] > 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "input 'sizes' ('%s') asks for %lld elements on axis %d, which is empty in X", name,
                               (long long)sizes[i], axes[i]);
    }
    double common = 0;
    for (size_t i = 0; i < n && a->keep != KEEP_STRETCH; i++) {
        int64_t in_len = sh->g[axes[i]].in_len;
        double r = in_len ? (double)sizes[i] / (double)in_len : 1;
        if (i == 0 || (a->keep == KEEP_NOT_LARGER ? r < common : r > common)) common = r;
    }
    for (size_t i = 0; i < n; i++) {
        obn_resize_geometry *g = &sh->g[axes[i]];
        if (a->keep == KEEP_STRETCH) {
            g->out_len = sizes[i];
            g->scale = g->in_len ? (double)sizes[i] / (double)g->in_len : 1;
            g->out_width = (double)sizes[i];
            continue;
        }
        double out = floor(common * (double)g->in_len + 0.5);
        if (out >= 4611686018427387904.0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'sizes' ('%s'): axis %d of length %lld overflows at scale %g",
                               name, axes[i], (long long)g->in_len, common);
        g->out_len = (int64_t)out;
        g->scale = common;
        g->out_width = common * (double)g->in_len;
    }
    return OBN_OK;
}

/* The crop of each resized axis for tf_crop_and_resize. */
static obn_status read_roi(const obn_op_ctx *ctx, const resize_inputs *in, const int *axes, size_t n,
                           resize_shape *sh)
{
    if (ctx->since_version < 11 || ((const resize_attrs *)ctx->attrs)->method.coord != OBN_COORD_TF_CROP_AND_RESIZE)
        return OBN_OK;
    if (in->roi < 0 || ctx->inputs[in->roi]->numel == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'roi' is required by coordinate_transformation_mode "
                                                     "tf_crop_and_resize");
    double roi[2 * OBN_MAX_RANK];
    size_t count;
    OBN_TRY(read_floats(ctx, in->roi, "roi", false, 2 * OBN_MAX_RANK, roi, &count));
    if (count != 2 * n)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'roi' ('%s') has %zu values, expected %zu (start and end of "
                                                     "each resized axis)",
                           obn_in_name(ctx, in->roi), count, 2 * n);
    for (size_t i = 0; i < n; i++) {
        sh->g[axes[i]].roi_start = roi[i];
        sh->g[axes[i]].roi_end = roi[n + i];
    }
    return OBN_OK;
}

/* The axes the scale/size values apply to: the axes attribute or all. */
static obn_status resized_axes(const obn_op_ctx *ctx, int rank, int *axes, size_t *n)
{
    const resize_attrs *a = ctx->attrs;
    if (a->n_axes == 0) {
        for (int d = 0; d < rank; d++) axes[d] = d;
        *n = (size_t)rank;
        return OBN_OK;
    }
    *n = a->n_axes;
    return obn_norm_axes(ctx, "axes", a->axes, a->n_axes, rank, axes);
}

static obn_status resize_shape_of(const obn_op_ctx *ctx, resize_shape *sh)
{
    const resize_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    resize_inputs in;
    OBN_TRY(locate_inputs(ctx, &in));
    int axes[OBN_MAX_RANK];
    size_t n;
    OBN_TRY(resized_axes(ctx, x->rank, axes, &n));
    if (a->upsample && ctx->since_version == 1 && x->rank != 4)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has rank %d; Upsample-1 takes 4-D NCHW",
                           obn_in_name(ctx, 0), x->rank);
    sh->rank = x->rank;
    for (int d = 0; d < x->rank; d++)
        sh->g[d] = (obn_resize_geometry){x->dims[d], x->dims[d], 1, (double)x->dims[d], 0, 1};
    bool use_sizes = in.has_sizes;
    int k = use_sizes ? in.sizes : in.scales;
    char what[160];
    if (k >= 0)
        snprintf(what, sizeof what, "input '%s' ('%s')", use_sizes ? "sizes" : "scales", obn_in_name(ctx, k));
    else
        snprintf(what, sizeof what, "%s", ctx->since_version == 1 ? "attribute 'height_scale'/'width_scale'"
                                                                  : "attribute 'scales'");
    double scales[OBN_MAX_RANK];
    int64_t sizes[OBN_MAX_RANK];
    size_t count;
    if (k < 0) { /* Upsample-1/7 attributes */
        count = a->n_scale_attr;
        for (size_t i = 0; i < count; i++) scales[i] = a->scale_attr[i];
    } else if (!use_sizes) {
        OBN_TRY(read_floats(ctx, k, "scales", a->upsample || ctx->since_version < 11, OBN_MAX_RANK, scales, &count));
    } else {
        if (ctx->inputs[k]->dtype != OBN_INT64)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s has type %s, expected int64", what,
                               obn_dtype_name(ctx->inputs[k]->dtype));
        OBN_TRY(obn_read_int_input(ctx, k, "sizes", OBN_MAX_RANK, sizes, &count));
    }
    if (count != n)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s has %zu values, expected %zu (%s)", what, count, n,
                           a->n_axes ? "one per entry of 'axes'" : "one per axis of X");
    OBN_TRY(use_sizes ? shape_from_sizes(ctx, sizes, axes, n, sh) : shape_from_scales(ctx, what, scales, axes, n, sh));
    OBN_TRY(read_roi(ctx, &in, axes, n, sh));
    for (int d = 0; d < x->rank; d++) sh->out_dims[d] = sh->g[d].out_len;
    return OBN_OK;
}

static obn_status resize_infer(obn_op_ctx *ctx)
{
    static const obn_dtype upsample_1[] = {OBN_BOOL, OBN_INT32, OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE,
                                           OBN_UNDEFINED};
    static const obn_dtype no_bf16[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8, OBN_INT16,
                                        OBN_INT32, OBN_INT64,  OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BOOL,
                                        OBN_UNDEFINED};
    static const obn_dtype with_bf16[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8,
                                          OBN_INT16, OBN_INT32,  OBN_INT64,  OBN_BFLOAT16, OBN_FLOAT16,
                                          OBN_FLOAT, OBN_DOUBLE, OBN_BOOL,   OBN_UNDEFINED};
    const resize_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    const obn_dtype *types = a->upsample ? (v == 1 ? upsample_1 : no_bf16) : v >= 13 ? with_bf16 : no_bf16;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", types));
    resize_shape sh;
    OBN_TRY(resize_shape_of(ctx, &sh));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, sh.rank, sh.out_dims);
}

static void resize_free_state(void *p)
{
    resize_state *st = p;
    if (!st) return;
    free(st->tables);
    free(st);
}

/* Builds every axis's sampling table from the (now known) inputs. */
static obn_status resize_prepare(obn_op_ctx *ctx, void **state)
{
    const resize_attrs *a = ctx->attrs;
    resize_shape sh;
    OBN_TRY(resize_shape_of(ctx, &sh));
    int64_t taps[OBN_MAX_RANK];
    size_t bytes[OBN_MAX_RANK], total = 0;
    for (int d = 0; d < sh.rank; d++) {
        /* an antialiasing window wider than the axis plus its edge pads
         * only repeats edge values: at most 4 * in_len + 8 taps occur when
         * the output is not empty (s >= 1 / (2 * in_len)) */
        int64_t limit = 4 * sh.g[d].in_len + 8;
        taps[d] = sh.g[d].out_len ? obn_resize_taps(&a->method, sh.g[d].scale, limit) : 1;
        if (taps[d] < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "antialiasing window for scale %g on axis %d is wider than the axis",
                               sh.g[d].scale, d);
        /* index, weight, weight_f32, outside; 8-byte aligned per axis */
        size_t e = (size_t)(sh.g[d].out_len * taps[d]);
        bytes[d] = (e * (sizeof(int64_t) + sizeof(double) + sizeof(float)) + (size_t)sh.g[d].out_len + 7) & ~(size_t)7;
        total += bytes[d];
    }
    resize_state *st = calloc(1, sizeof *st);
    char *mem = malloc(total + 1);
    if (!st || !mem) {
        free(st);
        free(mem);
        return OBN_OOM();
    }
    st->tables = mem;
    for (int d = 0; d < sh.rank; d++) {
        size_t e = (size_t)(sh.g[d].out_len * taps[d]);
        obn_resize_axis *t = &st->axes[d];
        t->index = (int64_t *)mem;
        t->weight = (double *)(mem + e * sizeof(int64_t));
        t->weight_f32 = (float *)(mem + e * (sizeof(int64_t) + sizeof(double)));
        t->outside = (unsigned char *)(mem + e * (sizeof(int64_t) + sizeof(double) + sizeof(float)));
        mem += bytes[d];
        obn_resize_build_axis(&a->method, &sh.g[d], t);
    }
    obn_resize_plan_init(&st->plan, sh.rank, st->axes);
    *state = st;
    return OBN_OK;
}

static bool computes_in_double(obn_dtype t) { return t != OBN_FLOAT && t != OBN_DOUBLE; }

static size_t resize_workspace(const obn_op_ctx *ctx)
{
    const resize_state *st = ctx->state;
    obn_dtype t = ctx->inputs[0]->dtype;
    if (st->plan.gather) return 0;
    size_t es = t == OBN_FLOAT ? sizeof(float) : sizeof(double), bytes = obn_resize_workspace(&st->plan, es);
    if (computes_in_double(t)) bytes += (size_t)(ctx->inputs[0]->numel + ctx->outputs[0]->numel) * sizeof(double);
    return bytes;
}

static obn_status resize_run(obn_op_ctx *ctx)
{
    const resize_attrs *a = ctx->attrs;
    const resize_state *st = ctx->state;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    if (st->plan.gather) {
        /* the extrapolation value in X's type */
        uint64_t fill_bits = 0;
        obn_tensor fill = {.dtype = x->dtype, .data = &fill_bits};
        obn_store_f64_saturate(&fill, 0, a->extrapolation);
        obn_resize_gather(&st->plan, x->data, y->data, obn_dtype_size(x->dtype), &fill_bits, ctx->threads);
        return OBN_OK;
    }
    if (x->dtype == OBN_FLOAT) {
        obn_resize_f32(&st->plan, x->data, y->data, a->extrapolation, ctx->workspace, ctx->threads);
        return OBN_OK;
    }
    if (x->dtype == OBN_DOUBLE) {
        obn_resize_f64(&st->plan, x->data, y->data, a->extrapolation, ctx->workspace, ctx->threads);
        return OBN_OK;
    }
    double *xd = ctx->workspace, *yd = xd + x->numel;
    for (int64_t i = 0; i < x->numel; i++) xd[i] = obn_load_f64(x, i);
    obn_resize_f64(&st->plan, xd, yd, a->extrapolation, yd + y->numel, ctx->threads);
    for (int64_t i = 0; i < y->numel; i++) obn_store_f64_saturate(y, i, yd[i]);
    return OBN_OK;
}

static void resize_describe(const obn_op_ctx *ctx, char *buf, size_t cap)
{
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    const resize_attrs *a = ctx->attrs;
    const resize_state *st = ctx->state;
    if (!st || cap == 0) return;
    const char *path = st->plan.gather ? "gather" : st->plan.fused_2d && ctx->inputs[0]->dtype == OBN_FLOAT ? "2d" : "passes";
    snprintf(buf, cap, "%s%s %s", modes[a->method.mode], a->method.antialias ? " aa" : "", path);
}

static const char *const resize_attr_names[] = {"mode", "coordinate_transformation_mode", "cubic_coeff_a",
                                                "exclude_outside", "extrapolation_value", "nearest_mode",
                                                "antialias", "axes", "keep_aspect_ratio_policy", NULL};
static const int resize_versions[] = {10, 11, 13, 18, 19, 0};
static const obn_op_sig resize_sigs[] = {
    {10, "X scales", "Y"}, {11, "X roi scales ?sizes", "Y"}, {13, "X ?roi ?scales ?sizes", "Y"}, {0}};

const obn_op obn_op_resize = {
    .domain = "",
    .op_type = "Resize",
    .since_versions = resize_versions,
    .attr_names = resize_attr_names,
    .sigs = resize_sigs,
    .attrs_size = sizeof(resize_attrs),
    .parse = resize_parse,
    .infer = resize_infer,
    .run = resize_run,
    .prepare = resize_prepare,
    .free_state = resize_free_state,
    .workspace = resize_workspace,
    .describe = resize_describe,
};
OBN_REGISTER_OP(obn_op_resize);

static const char *const upsample_attr_names[] = {"mode", "height_scale", "width_scale", "scales", NULL};
static const int upsample_versions[] = {1, 7, 9, 10, 0};
static const obn_op_sig upsample_sigs[] = {{1, "X", "Y"}, {9, "X scales", "Y"}, {0}};

const obn_op obn_op_upsample = {
    .domain = "",
    .op_type = "Upsample",
    .since_versions = upsample_versions,
    .attr_names = upsample_attr_names,
    .sigs = upsample_sigs,
    .attrs_size = sizeof(resize_attrs),
    .parse = resize_parse,
    .infer = resize_infer,
    .run = resize_run,
    .prepare = resize_prepare,
    .free_state = resize_free_state,
    .workspace = resize_workspace,
    .describe = resize_describe,
};
OBN_REGISTER_OP(obn_op_upsample);
