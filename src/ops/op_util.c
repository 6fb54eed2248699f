#include "op_util.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernels/half.h"

const obn_dtype OBN_FLOAT_TYPES[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_UNDEFINED};
const obn_dtype OBN_FLOAT32_ONLY[] = {OBN_FLOAT, OBN_UNDEFINED};
const obn_dtype OBN_NUMERIC_TYPES[] = {OBN_FLOAT, OBN_DOUBLE, OBN_FLOAT16, OBN_BFLOAT16, OBN_INT8,
                                       OBN_INT16, OBN_INT32, OBN_INT64, OBN_UINT8, OBN_UINT16,
                                       OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
const obn_dtype OBN_ALL_TYPES[] = {OBN_FLOAT, OBN_DOUBLE, OBN_FLOAT16, OBN_BFLOAT16, OBN_INT8,
                                   OBN_INT16, OBN_INT32, OBN_INT64, OBN_UINT8, OBN_UINT16,
                                   OBN_UINT32, OBN_UINT64, OBN_BOOL, OBN_UNDEFINED};
const obn_dtype OBN_ALL_TYPES_NO_BF16[] = {OBN_FLOAT, OBN_DOUBLE, OBN_FLOAT16, OBN_INT8, OBN_INT16,
                                           OBN_INT32, OBN_INT64, OBN_UINT8, OBN_UINT16, OBN_UINT32,
                                           OBN_UINT64, OBN_BOOL, OBN_UNDEFINED};

obn_status obn_node_err(const obn_node *n, obn_status code, const char *fmt, ...)
{
    char msg[768], d[OBN_NODE_DESC_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return obn_err(code, "%s: %s", obn_node_desc(n, d, sizeof d), msg);
}

static obn_status wrong_type(const obn_node *n, const obn_attr *a, obn_attr_type want)
{
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' has type %s, expected %s", a->name,
                        obn_attr_type_name(a->type), obn_attr_type_name(want));
}

obn_status obn_attr_get_int(const obn_node *n, const char *name, int64_t def, int64_t *out)
{
    const obn_attr *a = obn_node_attr(n, name);
    *out = def;
    if (!a) return OBN_OK;
    if (a->type != OBN_ATTR_INT) return wrong_type(n, a, OBN_ATTR_INT);
    *out = a->i;
    return OBN_OK;
}

obn_status obn_attr_get_float(const obn_node *n, const char *name, float def, float *out)
{
    const obn_attr *a = obn_node_attr(n, name);
    *out = def;
    if (!a) return OBN_OK;
    if (a->type != OBN_ATTR_FLOAT) return wrong_type(n, a, OBN_ATTR_FLOAT);
    *out = a->f;
    return OBN_OK;
}

obn_status obn_attr_get_string(const obn_node *n, const char *name, const char *def, const char **out)
{
    const obn_attr *a = obn_node_attr(n, name);
    *out = def;
    if (!a) return OBN_OK;
    if (a->type != OBN_ATTR_STRING) return wrong_type(n, a, OBN_ATTR_STRING);
    *out = a->s;
    return OBN_OK;
}

obn_status obn_attr_get_ints(const obn_node *n, const char *name, size_t max, int64_t *out, size_t *count)
{
    const obn_attr *a = obn_node_attr(n, name);
    *count = 0;
    if (!a) return OBN_OK;
    if (a->type != OBN_ATTR_INTS) return wrong_type(n, a, OBN_ATTR_INTS);
    if (a->n > max)
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute '%s' has %zu values (at most %zu supported)",
                            name, a->n, max);
    if (a->n) memcpy(out, a->ints, a->n * sizeof *out);
    *count = a->n;
    return OBN_OK;
}

obn_status obn_attr_get_floats(const obn_node *n, const char *name, size_t max, float *out, size_t *count)
{
    const obn_attr *a = obn_node_attr(n, name);
    *count = 0;
    if (!a) return OBN_OK;
    if (a->type != OBN_ATTR_FLOATS) return wrong_type(n, a, OBN_ATTR_FLOATS);
    if (a->n > max)
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute '%s' has %zu values (at most %zu supported)",
                            name, a->n, max);
    if (a->n) memcpy(out, a->floats, a->n * sizeof *out);
    *count = a->n;
    return OBN_OK;
}

obn_status obn_attr_get_tensor(const obn_node *n, const char *name, const obn_tensor **out)
{
    const obn_attr *a = obn_node_attr(n, name);
    *out = NULL;
    if (!a) return OBN_OK;
    if (a->type != OBN_ATTR_TENSOR) return wrong_type(n, a, OBN_ATTR_TENSOR);
    *out = a->t;
    return OBN_OK;
}

const char *obn_in_name(const obn_op_ctx *ctx, int k)
{
    if (k >= ctx->n_inputs || !ctx->inputs[k] || !ctx->inputs[k]->name) return "";
    return ctx->inputs[k]->name;
}

const char *obn_out_name(const obn_op_ctx *ctx, int k)
{
    if (k >= ctx->n_outputs || !ctx->outputs[k] || !ctx->outputs[k]->name) return "";
    return ctx->outputs[k]->name;
}

static void dtype_list(const obn_dtype *allowed, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (const obn_dtype *d = allowed; *d != OBN_UNDEFINED && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", d == allowed ? "" : ", ", obn_dtype_name(*d));
}

obn_status obn_check_input_dtype(const obn_op_ctx *ctx, int k, const char *role, const obn_dtype *allowed)
{
    obn_dtype dt = ctx->inputs[k]->dtype;
    for (const obn_dtype *d = allowed; *d != OBN_UNDEFINED; d++)
        if (*d == dt) return OBN_OK;
    char list[256];
    dtype_list(allowed, list, sizeof list);
    return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "input '%s' ('%s') has type %s; supported: %s", role,
                       obn_in_name(ctx, k), obn_dtype_name(dt), list);
}

int obn_all_types_since(obn_dtype dt, int float8_since)
{
    switch (dt) {
    case OBN_FLOAT8E4M3FN: case OBN_FLOAT8E4M3FNUZ: case OBN_FLOAT8E5M2: case OBN_FLOAT8E5M2FNUZ:
        return float8_since ? float8_since : INT32_MAX;
    case OBN_UINT4: case OBN_INT4: return float8_since ? 21 : INT32_MAX;
    case OBN_FLOAT4E2M1: return float8_since ? 23 : INT32_MAX;
    case OBN_FLOAT8E8M0: return float8_since ? 24 : INT32_MAX;
    case OBN_UINT2: case OBN_INT2: return float8_since ? 25 : INT32_MAX;
    default: break;
    }
    for (const obn_dtype *d = OBN_ALL_TYPES; *d != OBN_UNDEFINED; d++)
        if (*d == dt) return 1;
    return INT32_MAX;
}

obn_status obn_check_type_since(const obn_node *n, int since_version, obn_dtype dt, int float8_since,
                                const char *what)
{
    if (since_version >= obn_all_types_since(dt, float8_since)) return OBN_OK;
    /* strings: "all types" of the spec, for the ops that implement them */
    if (dt == OBN_STRING && n->op && (n->op->flags & OBN_OP_STRINGS)) return OBN_OK;
    if (dt == OBN_STRING) /* valid ONNX for many ops: what onnxbn lacks */
        return obn_node_err(n, OBN_E_UNSUPPORTED, "onnxbn's %s-%d does not take element type string (%s)", n->op_type,
                            since_version, what);
    return obn_node_err(n, OBN_E_INVALID_MODEL, "%s-%d does not support element type %s (%s)", n->op_type,
                        since_version, obn_dtype_name(dt), what);
}

obn_status obn_check_all_types(const obn_op_ctx *ctx, int k, const char *role, int float8_since)
{
    char what[256];
    snprintf(what, sizeof what, "input '%s' ('%s')", role, obn_in_name(ctx, k));
    return obn_check_type_since(ctx->node, ctx->since_version, ctx->inputs[k]->dtype, float8_since, what);
}

obn_status obn_check_same_dtype(const obn_op_ctx *ctx, int k, const char *role_k, int j, const char *role_j)
{
    if (ctx->inputs[k]->dtype == ctx->inputs[j]->dtype) return OBN_OK;
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has type %s, but '%s' ('%s') has type %s",
                       role_k, obn_in_name(ctx, k), obn_dtype_name(ctx->inputs[k]->dtype), role_j,
                       obn_in_name(ctx, j), obn_dtype_name(ctx->inputs[j]->dtype));
}

obn_status obn_check_rank(const obn_op_ctx *ctx, int k, const char *role, int lo, int hi)
{
    int r = ctx->inputs[k]->rank;
    if (r >= lo && r <= hi) return OBN_OK;
    char s[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s (rank %d); expected rank %d to %d",
                       role, obn_in_name(ctx, k), obn_shape_str(r, ctx->inputs[k]->dims, s, sizeof s), r, lo, hi);
}

obn_status obn_set_output(obn_op_ctx *ctx, int k, obn_dtype dtype, int rank, const int64_t *dims)
{
    if (!obn_has_output(ctx, k)) return OBN_OK;
    obn_status s = obn_tensor_set_shape(ctx->outputs[k], dtype, rank, dims);
    if (s != OBN_OK) return obn_err_prefix(s, "%s: output: ", ctx->node->name);
    return OBN_OK;
}

int64_t obn_load_i64(const obn_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case OBN_INT64: return ((const int64_t *)p)[i];
    case OBN_INT32: return ((const int32_t *)p)[i];
    case OBN_INT16: return ((const int16_t *)p)[i];
    case OBN_INT8: return ((const int8_t *)p)[i];
    case OBN_UINT8: case OBN_BOOL: return ((const uint8_t *)p)[i];
    case OBN_UINT16: return ((const uint16_t *)p)[i];
    case OBN_UINT32: return ((const uint32_t *)p)[i];
    case OBN_UINT64: return (int64_t)((const uint64_t *)p)[i];
    default: {
        double v = obn_load_f64(t, i);
        if (isnan(v)) return 0;
        if (v >= 9.2e18) return INT64_MAX;
        if (v <= -9.2e18) return INT64_MIN;
        return (int64_t)v;
    }
    }
}

void obn_store_f64(obn_tensor *t, int64_t i, double v)
{
    void *p = t->data;
    switch (t->dtype) {
    case OBN_FLOAT: ((float *)p)[i] = (float)v; break;
    case OBN_DOUBLE: ((double *)p)[i] = v; break;
    case OBN_FLOAT16: ((uint16_t *)p)[i] = obn_f32_to_f16((float)v); break;
    case OBN_BFLOAT16: ((uint16_t *)p)[i] = obn_f32_to_bf16((float)v); break;
    case OBN_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case OBN_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case OBN_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case OBN_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case OBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case OBN_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case OBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case OBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case OBN_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    default: break;
    }
}

int64_t obn_dims_product(const int64_t *dims, int lo, int hi)
{
    int64_t p = 1;
    for (int i = lo; i < hi; i++) p *= dims[i];
    return p;
}

obn_status obn_norm_axis(const obn_op_ctx *ctx, int64_t axis, int rank, bool allow_end, int *out)
{
    int64_t hi = allow_end ? rank : rank - 1;
    if (axis < -(int64_t)(allow_end ? rank + 1 : rank) || axis > hi)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "axis %lld is out of range for rank %d", (long long)axis, rank);
    if (axis < 0) axis += allow_end ? rank + 1 : rank;
    *out = (int)axis;
    return OBN_OK;
}

static const char *const auto_pad_names[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};

const char *obn_auto_pad_name(obn_auto_pad p) { return auto_pad_names[p]; }

obn_status obn_attr_get_auto_pad(const obn_node *n, obn_auto_pad *out)
{
    const char *s;
    OBN_TRY(obn_attr_get_string(n, "auto_pad", "NOTSET", &s));
    for (int i = 0; i < 4; i++)
        if (strcmp(s, auto_pad_names[i]) == 0) {
            *out = (obn_auto_pad)i;
            return OBN_OK;
        }
    return obn_node_err(n, OBN_E_INVALID_MODEL,
                        "attribute 'auto_pad' is \"%s\"; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", s);
}

obn_status obn_attr_check_min(const obn_node *n, const char *name, const int64_t *v, size_t count, int64_t min)
{
    for (size_t i = 0; i < count; i++)
        if (v[i] < min)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' has value %lld at index %zu; must be >= %lld",
                                name, (long long)v[i], i, (long long)min);
    return OBN_OK;
}
