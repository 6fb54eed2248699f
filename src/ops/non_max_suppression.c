/* NonMaxSuppression (10, 11; the same semantics): boxes [B, N, 4], scores
 * [B, C, N], optional scalars max_output_boxes_per_class (int64, default 0:
 * nothing selected), iou_threshold (float in [0, 1], default 0) and
 * score_threshold (float; a box needs a score above it) ->
 * selected_indices [K, 3] int64 rows (batch, class, box), per batch and
 * class in the order selected (src/kernels/nms.h). center_point_box 0: a box
 * is two opposite corners [y1, x1, y2, x2] in any order; 1: [x_center,
 * y_center, width, height]. The output length depends on the data, so the
 * selection runs when the inputs are known (OBN_DEFER before). */
#include <stdlib.h>
#include <string.h>

#include "kernels/nms.h"
#include "op_helpers.h"

typedef struct {
    int center;
} nms_attrs;

enum { IN_BOXES, IN_SCORES, IN_MAX, IN_IOU, IN_SCORE };

typedef struct {
    int64_t batches, classes, boxes, max_out;
    double iou, score;
    bool has_score;
} nms_params;

static obn_status nms_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    nms_attrs *a = out;
    int64_t c;
    OBN_TRY(obn_attr_int_range(n, "center_point_box", 0, 0, 1, &c));
    a->center = (int)c;
    return OBN_OK;
}

/* Shapes, types and the scalar inputs (OBN_DEFER until their data is known). */
static obn_status nms_params_of(const obn_op_ctx *ctx, nms_params *p)
{
    static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, IN_BOXES, "boxes", OBN_FLOAT32_ONLY));
    OBN_TRY(obn_check_input_dtype(ctx, IN_SCORES, "scores", OBN_FLOAT32_ONLY));
    const obn_tensor *b = ctx->inputs[IN_BOXES], *s = ctx->inputs[IN_SCORES];
    char bs[OBN_SHAPE_STR_CAP], ss[OBN_SHAPE_STR_CAP];
    obn_shape_str(b->rank, b->dims, bs, sizeof bs);
    obn_shape_str(s->rank, s->dims, ss, sizeof ss);
    if (b->rank != 3 || b->dims[2] != 4 || s->rank != 3 || s->dims[0] != b->dims[0] || s->dims[2] != b->dims[1])
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs 'boxes' %s and 'scores' %s must be [B, N, 4] and [B, C, N]",
                           bs, ss);
    p->batches = b->dims[0];
    p->boxes = b->dims[1];
    p->classes = s->dims[1];
    p->max_out = 0;
    p->iou = 0;
    p->has_score = obn_has_input(ctx, IN_SCORE);
    p->score = 0;
    obn_status st = OBN_OK;
    double v;
    if (obn_has_input(ctx, IN_MAX)) {
        OBN_TRY(obn_check_input_dtype(ctx, IN_MAX, "max_output_boxes_per_class", i64));
        obn_status r = obn_read_scalar_input(ctx, IN_MAX, "max_output_boxes_per_class", &v);
        if (r != OBN_OK && r != OBN_DEFER) return r;
        if (r == OBN_OK) p->max_out = obn_load_i64(ctx->inputs[IN_MAX], 0);
        st = st ? st : r;
    }
    for (int k = IN_IOU; k <= IN_SCORE; k++) {
        if (!obn_has_input(ctx, k)) continue;
        const char *role = k == IN_IOU ? "iou_threshold" : "score_threshold";
        OBN_TRY(obn_check_input_dtype(ctx, k, role, OBN_FLOAT32_ONLY));
        obn_status r = obn_read_scalar_input(ctx, k, role, k == IN_IOU ? &p->iou : &p->score);
        if (r != OBN_OK && r != OBN_DEFER) return r;
        st = st ? st : r;
    }
    if (st == OBN_OK && !(p->iou >= 0 && p->iou <= 1))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'iou_threshold' ('%s') is %g; expected a value in [0, 1]",
                           obn_in_name(ctx, IN_IOU), p->iou);
    if (p->max_out < 0) p->max_out = 0;
    return st;
}

/* The boxes of batch b as (y_min, x_min, y_max, x_max). */
static void normalise_boxes(const obn_op_ctx *ctx, int64_t b, int64_t n, double *out)
{
    const nms_attrs *a = ctx->attrs;
    const float *in = (const float *)ctx->inputs[IN_BOXES]->data + b * n * 4;
    for (int64_t i = 0; i < n; i++) {
        const float *x = in + 4 * i;
        double *o = out + 4 * i;
        if (a->center) {
            o[0] = (double)x[1] - x[3] / 2.0;
            o[1] = (double)x[0] - x[2] / 2.0;
            o[2] = (double)x[1] + x[3] / 2.0;
            o[3] = (double)x[0] + x[2] / 2.0;
        } else {
            o[0] = x[0] < x[2] ? x[0] : x[2];
            o[1] = x[1] < x[3] ? x[1] : x[3];
            o[2] = x[0] < x[2] ? x[2] : x[0];
            o[3] = x[1] < x[3] ? x[3] : x[1];
        }
    }
}

/* Scratch: normalised boxes (4 doubles), 2 order and 1 keep index per box. */
static size_t scratch_bytes(int64_t boxes) { return (size_t)boxes * (4 * sizeof(double) + 3 * sizeof(int64_t)); }

/* Runs the selection; writes the rows into out (NULL: only counts). */
static int64_t select_all(const obn_op_ctx *ctx, const nms_params *p, void *scratch, int64_t *out)
{
    double *boxes = scratch;
    int64_t *order = (int64_t *)(boxes + 4 * p->boxes), *keep = order + 2 * p->boxes, total = 0;
    int64_t max_out = p->max_out < p->boxes ? p->max_out : p->boxes;
    const float *scores = ctx->inputs[IN_SCORES]->data;
    for (int64_t b = 0; b < p->batches; b++) {
        normalise_boxes(ctx, b, p->boxes, boxes);
        for (int64_t c = 0; c < p->classes; c++) {
            int64_t k = obn_nms_select(boxes, scores + (b * p->classes + c) * p->boxes, p->boxes, max_out, p->iou,
                                       p->has_score, p->score, order, keep);
            for (int64_t i = 0; out && i < k; i++) {
                out[3 * (total + i)] = b;
                out[3 * (total + i) + 1] = c;
                out[3 * (total + i) + 2] = keep[i];
            }
            total += k;
        }
    }
    return total;
}

static obn_status nms_infer(obn_op_ctx *ctx)
{
    nms_params p;
    OBN_TRY(nms_params_of(ctx, &p));
    if (!ctx->inputs[IN_BOXES]->data || !ctx->inputs[IN_SCORES]->data) return OBN_DEFER;
    void *scratch = malloc(scratch_bytes(p.boxes) + 1);
    if (!scratch) return OBN_OOM();
    const int64_t dims[2] = {select_all(ctx, &p, scratch, NULL), 3};
    free(scratch);
    return obn_set_output(ctx, 0, OBN_INT64, 2, dims);
}

static size_t nms_workspace(const obn_op_ctx *ctx) { return scratch_bytes(ctx->inputs[IN_BOXES]->dims[1]); }

static obn_status nms_run(obn_op_ctx *ctx)
{
    nms_params p;
    OBN_TRY(nms_params_of(ctx, &p));
    select_all(ctx, &p, ctx->workspace, ctx->outputs[0]->data);
    return OBN_OK;
}

static const int versions[] = {10, 11, 0};
static const char *const attr_names[] = {"center_point_box", NULL};
static const obn_op_sig nms_sigs[] = {
    {10, "boxes scores ?max_output_boxes_per_class ?iou_threshold ?score_threshold", "selected_indices"}, {0}};

const obn_op obn_op_non_max_suppression = {
    .domain = "",
    .op_type = "NonMaxSuppression",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = nms_sigs,
    .attrs_size = sizeof(nms_attrs),
    .parse = nms_parse,
    .infer = nms_infer,
    .run = nms_run,
    .workspace = nms_workspace,
};
OBN_REGISTER_OP(obn_op_non_max_suppression);
