/* Ops that change only the shape; the data is copied unchanged:
 * Reshape (1, 5, 13, 14, 19, 21, 23, 24, 25), Flatten (1, 9, 11, 13, 21, 23,
 * 24, 25), Squeeze and Unsqueeze (1, 11, 13, 21, 23, 24, 25); the versions
 * from 19 only add element types onnxbn does not store.
 *
 * Reshape-1 takes the shape as an attribute, 5+ as an input whose data must
 * be known to plan (otherwise OBN_DEFER: the session plans per run). In the
 * shape, 0 copies the input's dim at that index (a literal 0 with
 * allowzero=1, version 14) and one -1 is inferred from the element count.
 * Squeeze/Unsqueeze take axes as an attribute before 13 and as an input from
 * 13 on (Squeeze's optional: without axes every size-1 dim goes). Every
 * storable type, strings included. */
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef enum { R_RESHAPE, R_FLATTEN, R_SQUEEZE, R_UNSQUEEZE } reshape_kind;

typedef struct {
    reshape_kind kind;
    int allowzero;
    int64_t axis;                  /* Flatten */
    int n_list;                    /* attribute list (shape or axes); -1: absent */
    int64_t list[OBN_MAX_RANK];
} reshape_attrs;

static obn_status reshape_parse(const obn_node *n, int v, void *out)
{
    reshape_attrs *a = out;
    const char *t = n->op_type;
    a->kind = t[0] == 'R' ? R_RESHAPE : t[0] == 'F' ? R_FLATTEN : t[0] == 'S' ? R_SQUEEZE : R_UNSQUEEZE;
    const char *list_name = a->kind == R_RESHAPE ? "shape" : "axes";
    bool list_attr = (a->kind == R_RESHAPE && v < 5) || ((a->kind == R_SQUEEZE || a->kind == R_UNSQUEEZE) && v < 13);
    if (!list_attr && obn_node_attr(n, list_name))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of %s-%d (it is an input)", list_name, t, v);
    if (obn_node_attr(n, "allowzero") && v < 14)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'allowzero' is not part of Reshape-%d", v);
    if (obn_node_attr(n, "consumed_inputs") && !(a->kind == R_RESHAPE && v == 1))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' is not part of %s-%d", t, v);
    int64_t allowzero;
    OBN_TRY(obn_attr_int_range(n, "allowzero", 0, 0, 1, &allowzero));
    a->allowzero = (int)allowzero;
    OBN_TRY(obn_attr_get_int(n, "axis", 1, &a->axis));
    a->n_list = -1;
    if (list_attr) {
        size_t count;
        OBN_TRY(obn_attr_get_ints(n, list_name, OBN_MAX_RANK, a->list, &count));
        if (obn_node_attr(n, list_name)) a->n_list = (int)count;
    }
    if (a->kind == R_RESHAPE && v < 5 && a->n_list < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'shape' is required by Reshape-%d", v);
    if (a->kind == R_UNSQUEEZE && v < 13 && a->n_list < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'axes' is required by Unsqueeze-%d", v);
    return OBN_OK;
}

/* The list of Reshape's shape / Squeeze's or Unsqueeze's axes, from the
 * attribute or input 1. *present = false when neither is given. */
static obn_status read_list(const obn_op_ctx *ctx, const char *role, int64_t *list, size_t *n, bool *present)
{
    const reshape_attrs *a = ctx->attrs;
    *present = true;
    if (a->n_list >= 0) {
        *n = (size_t)a->n_list;
        memcpy(list, a->list, *n * sizeof *list);
        return OBN_OK;
    }
    if (!obn_has_input(ctx, 1)) {
        *present = false;
        *n = 0;
        return OBN_OK;
    }
    if (ctx->inputs[1]->dtype != OBN_INT64)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has type %s, expected int64", role,
                           obn_in_name(ctx, 1), obn_dtype_name(ctx->inputs[1]->dtype));
    return obn_read_int_input(ctx, 1, role, OBN_MAX_RANK, list, n);
}

static obn_status reshape_dims(const obn_op_ctx *ctx, int *rank, int64_t *dims)
{
    const reshape_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    size_t n;
    bool present;
    OBN_TRY(read_list(ctx, "shape", dims, &n, &present));
    int infer_at = -1;
    int64_t known = 1;
    bool has_zero = false;
    for (size_t d = 0; d < n; d++) {
        if (dims[d] == -1) {
            if (infer_at >= 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "shape has more than one -1");
            infer_at = (int)d;
            continue;
        }
        if (dims[d] < -1) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "shape has invalid dim %lld", (long long)dims[d]);
        if (dims[d] == 0 && !a->allowzero) {
            if ((int)d >= x->rank)
                return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "shape dim %zu is 0 (copy the input's) but the input has rank %d",
                                   d, x->rank);
            dims[d] = x->dims[d];
        }
        has_zero |= dims[d] == 0;
        OBN_TRY(obn_mul_dims(ctx, "shape", known, dims[d], &known));
    }
    if (a->allowzero && has_zero && infer_at >= 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "shape has both a 0 and a -1 with allowzero=1");
    char sx[OBN_SHAPE_STR_CAP];
    if (infer_at >= 0) {
        if (known == 0 || x->numel % known != 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "cannot reshape input '%s' %s (%lld elements): the -1 dim is not a whole number",
                               obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, sx, sizeof sx), (long long)x->numel);
        dims[infer_at] = x->numel / known;
        known = x->numel;
    }
    if (known != x->numel) {
        char sy[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "cannot reshape input '%s' %s (%lld elements) to %s (%lld elements)",
                           obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, sx, sizeof sx), (long long)x->numel,
                           obn_shape_str((int)n, dims, sy, sizeof sy), (long long)known);
    }
    *rank = (int)n;
    return OBN_OK;
}

static obn_status flatten_dims(const obn_op_ctx *ctx, int *rank, int64_t *dims)
{
    const reshape_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (a->axis < 0 && ctx->since_version < 11)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'axis' is %lld; Flatten-%d takes [0, rank]",
                           (long long)a->axis, ctx->since_version);
    if (a->axis < -x->rank || a->axis > x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'axis' is %lld, outside [-%d, %d] for the input's rank",
                           (long long)a->axis, x->rank, x->rank);
    int axis = (int)(a->axis < 0 ? a->axis + x->rank : a->axis);
    dims[0] = obn_dims_product(x->dims, 0, axis);
    dims[1] = obn_dims_product(x->dims, axis, x->rank);
    *rank = 2;
    return OBN_OK;
}

static obn_status squeeze_dims(const obn_op_ctx *ctx, int *rank, int64_t *dims)
{
    const obn_tensor *x = ctx->inputs[0];
    int64_t axes[OBN_MAX_RANK];
    int norm[OBN_MAX_RANK];
    size_t n;
    bool present;
    OBN_TRY(read_list(ctx, "axes", axes, &n, &present));
    bool drop[OBN_MAX_RANK] = {false};
    if (!present) {
        for (int d = 0; d < x->rank; d++) drop[d] = x->dims[d] == 1;
    } else {
        OBN_TRY(obn_norm_axes(ctx, "axes", axes, n, x->rank, norm));
        for (size_t i = 0; i < n; i++) {
            if (x->dims[norm[i]] != 1) {
                char s[OBN_SHAPE_STR_CAP];
                return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "cannot squeeze axis %d of input '%s' %s: its size is %lld, not 1",
                                   norm[i], obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, s, sizeof s),
                                   (long long)x->dims[norm[i]]);
            }
            drop[norm[i]] = true;
        }
    }
    int r = 0;
    for (int d = 0; d < x->rank; d++)
        if (!drop[d]) dims[r++] = x->dims[d];
    *rank = r;
    return OBN_OK;
}

static obn_status unsqueeze_dims(const obn_op_ctx *ctx, int *rank, int64_t *dims)
{
    const obn_tensor *x = ctx->inputs[0];
    int64_t axes[OBN_MAX_RANK];
    int norm[OBN_MAX_RANK];
    size_t n;
    bool present; /* always: the attribute (parse) or the input (the signature) */
    OBN_TRY(read_list(ctx, "axes", axes, &n, &present));
    int out_rank = x->rank + (int)n;
    if (out_rank > OBN_MAX_RANK)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "output rank %d exceeds onnxbn's maximum %d", out_rank, OBN_MAX_RANK);
    OBN_TRY(obn_norm_axes(ctx, "axes", axes, n, out_rank, norm));
    bool inserted[OBN_MAX_RANK] = {false};
    for (size_t i = 0; i < n; i++) inserted[norm[i]] = true;
    for (int d = 0, k = 0; d < out_rank; d++) dims[d] = inserted[d] ? 1 : x->dims[k++];
    *rank = out_rank;
    return OBN_OK;
}

static obn_status reshape_infer(obn_op_ctx *ctx)
{
    const reshape_attrs *a = ctx->attrs;
    int rank = 0;
    int64_t dims[OBN_MAX_RANK];
    /* the types of IR 9+ arrive with Reshape-19 and Flatten/Squeeze/Unsqueeze-21 */
    OBN_TRY(obn_check_all_types(ctx, 0, a->kind == R_FLATTEN ? "input" : "data", a->kind == R_RESHAPE ? 19 : 21));
    switch (a->kind) {
    case R_RESHAPE: OBN_TRY(reshape_dims(ctx, &rank, dims)); break;
    case R_FLATTEN: OBN_TRY(flatten_dims(ctx, &rank, dims)); break;
    case R_SQUEEZE: OBN_TRY(squeeze_dims(ctx, &rank, dims)); break;
    case R_UNSQUEEZE: OBN_TRY(unsqueeze_dims(ctx, &rank, dims)); break;
    }
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, rank, dims);
}

static obn_status reshape_run(obn_op_ctx *ctx)
{
    /* equal pointers: the planner made the output a view (OBN_OP_VIEW);
     * strings are copied, never shared */
    return obn_tensor_copy_data(ctx->outputs[0], ctx->inputs[0]);
}

static const int reshape_versions[] = {1, 5, 13, 14, 19, 21, 23, 24, 25, 0};
static const int flatten_versions[] = {1, 9, 11, 13, 21, 23, 24, 25, 0};
static const int squeeze_versions[] = {1, 11, 13, 21, 23, 24, 25, 0};
static const char *const reshape_attr_names[] = {"shape", "allowzero", "consumed_inputs", NULL};
static const char *const flatten_attr_names[] = {"axis", NULL};
static const char *const axes_attr_names[] = {"axes", NULL};

static const obn_op_sig reshape_sigs[] = {{1, "data", "reshaped"}, {5, "data shape", "reshaped"}, {0}};
static const obn_op_sig flatten_sigs[] = {{1, "input", "output"}, {0}};
static const obn_op_sig squeeze_sigs[] = {{1, "data", "squeezed"}, {13, "data ?axes", "squeezed"}, {0}};
static const obn_op_sig unsqueeze_sigs[] = {{1, "data", "expanded"}, {13, "data axes", "expanded"}, {0}};

#define RESHAPE_OP(sym, name, vers, attrs, sig)                                                       \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs,   \
                        .sigs = sig,                                                                  \
                        .attrs_size = sizeof(reshape_attrs), .flags = OBN_OP_VIEW | OBN_OP_STRINGS,   \
                        .parse = reshape_parse, .infer = reshape_infer, .run = reshape_run}

RESHAPE_OP(obn_op_reshape, "Reshape", reshape_versions, reshape_attr_names, reshape_sigs);
OBN_REGISTER_OP(obn_op_reshape);
RESHAPE_OP(obn_op_flatten, "Flatten", flatten_versions, flatten_attr_names, flatten_sigs);
OBN_REGISTER_OP(obn_op_flatten);
RESHAPE_OP(obn_op_squeeze, "Squeeze", squeeze_versions, axes_attr_names, squeeze_sigs);
OBN_REGISTER_OP(obn_op_squeeze);
RESHAPE_OP(obn_op_unsqueeze, "Unsqueeze", squeeze_versions, axes_attr_names, unsqueeze_sigs);
OBN_REGISTER_OP(obn_op_unsqueeze);
