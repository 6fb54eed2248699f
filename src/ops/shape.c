/* Shape (1, 13, 15, 19, 21, 23, 24, 25) and Size (1, 13, 19, 21, 23, 24,
 * 25): int64 facts about the input's shape (19+ only add element types
 * onnxbn does not store).
 * Both are OBN_OP_SHAPE_ONLY, so the planner computes them as soon as the
 * input's shape is known, which lets the shape arithmetic after them fold.
 * Shape-15 slices the dims with `start`/`end` (negative counts from the end,
 * clamped to [0, rank]). */
#include "op_helpers.h"

typedef struct {
    int64_t start, end;
} shape_attrs;

static obn_status shape_parse(const obn_node *n, int v, void *out)
{
    shape_attrs *a = out;
    if (v < 15 && (obn_node_attr(n, "start") || obn_node_attr(n, "end")))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'start'/'end' are not part of Shape-%d", v);
    OBN_TRY(obn_attr_get_int(n, "start", 0, &a->start));
    return obn_attr_get_int(n, "end", INT64_MAX, &a->end);
}

static void shape_range(const obn_op_ctx *ctx, int *lo, int *hi)
{
    const shape_attrs *a = ctx->attrs;
    int64_t r = ctx->inputs[0]->rank, s = a->start, e = a->end;
    if (s < 0) s += r;
    if (e < 0) e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    *lo = (int)s;
    *hi = (int)(e < s ? s : e);
}

static obn_status shape_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_all_types(ctx, 0, "data", 19));
    int lo, hi;
    shape_range(ctx, &lo, &hi);
    int64_t n = hi - lo;
    return obn_set_output(ctx, 0, OBN_INT64, 1, &n);
}

static obn_status shape_run(obn_op_ctx *ctx)
{
    int lo, hi;
    shape_range(ctx, &lo, &hi);
    int64_t *y = ctx->outputs[0]->data;
    for (int d = lo; d < hi; d++) y[d - lo] = ctx->inputs[0]->dims[d];
    return OBN_OK;
}

static const int shape_versions[] = {1, 13, 15, 19, 21, 23, 24, 25, 0};
static const char *const shape_attr_names[] = {"start", "end", NULL};

static const obn_op_sig shape_sigs[] = {{1, "data", "shape"}, {0}};

const obn_op obn_op_shape = {
    .domain = "",
    .op_type = "Shape",
    .since_versions = shape_versions,
    .attr_names = shape_attr_names,
    .sigs = shape_sigs,
    .attrs_size = sizeof(shape_attrs),
    .flags = OBN_OP_SHAPE_ONLY | OBN_OP_STRINGS, /* reads the shape only: any type */
    .parse = shape_parse,
    .infer = shape_infer,
    .run = shape_run,
};
OBN_REGISTER_OP(obn_op_shape);

static obn_status size_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status size_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_all_types(ctx, 0, "data", 19));
    return obn_set_output(ctx, 0, OBN_INT64, 0, NULL);
}

static obn_status size_run(obn_op_ctx *ctx)
{
    *(int64_t *)ctx->outputs[0]->data = ctx->inputs[0]->numel;
    return OBN_OK;
}

static const int size_versions[] = {1, 13, 19, 21, 23, 24, 25, 0};
static const char *const no_attrs[] = {NULL};

static const obn_op_sig size_sigs[] = {{1, "data", "size"}, {0}};

const obn_op obn_op_size = {
    .domain = "",
    .op_type = "Size",
    .since_versions = size_versions,
    .attr_names = no_attrs,
    .sigs = size_sigs,
    .flags = OBN_OP_SHAPE_ONLY | OBN_OP_STRINGS, /* reads the shape only: any type */
    .parse = size_parse,
    .infer = size_infer,
    .run = size_run,
};
OBN_REGISTER_OP(obn_op_size);
