#include "op_helpers.h"

#include <math.h>
#include <string.h>

uint64_t obn_load_u64(const obn_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case OBN_UINT64: return ((const uint64_t *)p)[i];
    case OBN_UINT32: return ((const uint32_t *)p)[i];
    case OBN_UINT16: return ((const uint16_t *)p)[i];
    case OBN_UINT8: case OBN_BOOL: return ((const uint8_t *)p)[i];
    default: return (uint64_t)obn_load_i64(t, i);
    }
}

void obn_store_i64(obn_tensor *t, int64_t i, int64_t v)
{
    void *p = t->data;
    uint64_t u = (uint64_t)v;
    switch (t->dtype) {
    case OBN_INT64: ((int64_t *)p)[i] = v; break;
    case OBN_UINT64: ((uint64_t *)p)[i] = u; break;
    case OBN_INT32: case OBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)u; break;
    case OBN_INT16: case OBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)u; break;
    case OBN_INT8: case OBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)u; break;
    case OBN_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: obn_store_f64(t, i, (double)v); break;
    }
}

void obn_store_f64_saturate(obn_tensor *y, int64_t i, double v)
{
    if (obn_dtype_is_float(y->dtype) || y->dtype == OBN_BOOL) {
        obn_store_f64(y, i, v);
        return;
    }
    if (v != v) v = 0;
    v = trunc(v);
    if (y->dtype == OBN_UINT64) {
        ((uint64_t *)y->data)[i] = v <= 0 ? 0 : v >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)v;
        return;
    }
    if (y->dtype == OBN_INT64) {
        obn_store_i64(y, i, obn_f64_to_i64(v));
        return;
    }
    static const struct { obn_dtype t; double lo, hi; } range[] = {
        {OBN_INT8, -128, 127},         {OBN_INT16, -32768, 32767}, {OBN_INT32, -2147483648.0, 2147483647.0},
        {OBN_UINT8, 0, 255},           {OBN_UINT16, 0, 65535},     {OBN_UINT32, 0, 4294967295.0}};
    for (size_t k = 0; k < sizeof range / sizeof range[0]; k++)
        if (range[k].t == y->dtype) v = fmin(fmax(v, range[k].lo), range[k].hi);
    obn_store_f64(y, i, v);
}

void obn_copy_elem(obn_tensor *dst, int64_t di, const obn_tensor *src, int64_t si)
{
    size_t es = obn_dtype_elem_bytes(src->dtype);
    memcpy((char *)dst->data + (size_t)di * es, (const char *)src->data + (size_t)si * es, es);
}

obn_status obn_broadcast_shape(const obn_op_ctx *ctx, int n, const int *which, int *rank, int64_t *dims)
{
    int r = 0;
    for (int i = 0; i < n; i++)
        if (ctx->inputs[which[i]]->rank > r) r = ctx->inputs[which[i]]->rank;
    for (int d = 0; d < r; d++) dims[d] = 1;
    for (int i = 0; i < n; i++) {
        const obn_tensor *t = ctx->inputs[which[i]];
        for (int d = 0; d < t->rank; d++) {
            int od = r - t->rank + d;
            int64_t v = t->dims[d];
            if (v == dims[od] || v == 1) continue;
            if (dims[od] == 1) {
                dims[od] = v;
                continue;
            }
            char s1[OBN_SHAPE_STR_CAP], s2[OBN_SHAPE_STR_CAP];
            const obn_tensor *a = ctx->inputs[which[0]];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "inputs '%s' %s and '%s' %s cannot be broadcast together (output axis %d: %lld vs %lld)",
                               obn_in_name(ctx, which[0]), obn_shape_str(a->rank, a->dims, s1, sizeof s1),
                               obn_in_name(ctx, which[i]), obn_shape_str(t->rank, t->dims, s2, sizeof s2), od,
                               (long long)dims[od], (long long)v);
        }
    }
    *rank = r;
    return OBN_OK;
}

obn_status obn_read_int_input(const obn_op_ctx *ctx, int k, const char *role, size_t max, int64_t *out,
                              size_t *count)
{
    const obn_tensor *t = ctx->inputs[k];
    *count = 0;
    if (t->dtype != OBN_INT64 && t->dtype != OBN_INT32)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has type %s, expected int64 (or int32)", role,
                           obn_in_name(ctx, k), obn_dtype_name(t->dtype));
    if (t->rank > 1) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s, expected a 1-D tensor", role,
                           obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, s, sizeof s));
    }
    if ((uint64_t)t->numel > max)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has %lld values, at most %zu allowed here", role,
                           obn_in_name(ctx, k), (long long)t->numel, max);
    if (!t->data) return OBN_DEFER;
    for (int64_t i = 0; i < t->numel; i++) out[i] = obn_load_i64(t, i);
    *count = (size_t)t->numel;
    return OBN_OK;
}

obn_status obn_read_scalar_input(const obn_op_ctx *ctx, int k, const char *role, double *out)
{
    const obn_tensor *t = ctx->inputs[k];
    if (t->numel != 1 || t->rank > 1) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s, expected a scalar", role,
                           obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, s, sizeof s));
    }
    if (!t->data) return OBN_DEFER;
    *out = obn_load_f64(t, 0);
    return OBN_OK;
}

obn_status obn_norm_axes(const obn_op_ctx *ctx, const char *what, const int64_t *axes, size_t n, int rank,
                         int *out)
{
    bool seen[OBN_MAX_RANK + 1] = {false};
    for (size_t i = 0; i < n; i++) {
        int64_t a = axes[i];
        if (a < -rank || a >= rank)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s: axis %lld is out of range for rank %d", what,
                               (long long)a, rank);
        if (a < 0) a += rank;
        if (seen[a])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s: axis %lld is given twice", what, (long long)axes[i]);
        seen[a] = true;
        out[i] = (int)a;
    }
    return OBN_OK;
}

obn_status obn_mul_dims(const obn_op_ctx *ctx, const char *what, int64_t a, int64_t b, int64_t *out)
{
    if (a < 0 || b < 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s: negative size (%lld x %lld)", what, (long long)a,
                           (long long)b);
    if (a != 0 && b > INT64_MAX / a)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%s: size %lld x %lld overflows", what, (long long)a,
                           (long long)b);
    *out = a * b;
    return OBN_OK;
}

unsigned obn_minifloat_saturation(obn_dtype to, bool saturate, int version)
{
    if (!saturate) return 0;
    bool fnuz = to == OBN_FLOAT8E4M3FNUZ || to == OBN_FLOAT8E5M2FNUZ;
    return OBN_MF_SAT_FINITE | (fnuz && version < 24 ? 0u : OBN_MF_SAT_INF);
}

obn_status obn_attr_int_range(const obn_node *n, const char *name, int64_t def, int64_t lo, int64_t hi,
                              int64_t *out)
{
    OBN_TRY(obn_attr_get_int(n, name, def, out));
    if (*out < lo || *out > hi)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' must be in [%lld, %lld], got %lld", name,
                            (long long)lo, (long long)hi, (long long)*out);
    return OBN_OK;
}

/* B's dims laid out in A's rank under the version-1/6 rule. */
obn_status obn_legacy_broadcast_dims(const obn_op_ctx *ctx, int broadcast, int64_t axis_attr, int64_t *bdims)
{
    const obn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    char sa[OBN_SHAPE_STR_CAP], sb[OBN_SHAPE_STR_CAP];
    for (int d = 0; d < a->rank; d++) bdims[d] = 1;
    if (!broadcast) {
        bool same = a->rank == b->rank;
        for (int d = 0; same && d < a->rank; d++) same = a->dims[d] == b->dims[d];
        if (!same)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "inputs 'A' %s and 'B' %s differ in shape and broadcast=0 (%s-%d needs broadcast=1 to broadcast)",
                               obn_shape_str(a->rank, a->dims, sa, sizeof sa),
                               obn_shape_str(b->rank, b->dims, sb, sizeof sb), ctx->node->op_type, ctx->since_version);
        for (int d = 0; d < a->rank; d++) bdims[d] = b->dims[d];
        return OBN_OK;
    }
    if (b->numel == 1) return OBN_OK; /* a scalar in any rank */
    int64_t axis = axis_attr == INT64_MIN ? a->rank - b->rank : axis_attr;
    if (axis < 0) axis += a->rank;
    if (b->rank > a->rank || axis < 0 || axis + b->rank > a->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'B' %s cannot be broadcast to 'A' %s at axis %lld",
                           obn_shape_str(b->rank, b->dims, sb, sizeof sb), obn_shape_str(a->rank, a->dims, sa, sizeof sa),
                           (long long)axis);
    for (int d = 0; d < b->rank; d++) {
        int64_t ad = a->dims[axis + d];
        if (b->dims[d] != ad && b->dims[d] != 1)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                               "input 'B' %s does not match 'A' %s at axis %lld (dim %d: %lld vs %lld)",
                               obn_shape_str(b->rank, b->dims, sb, sizeof sb),
                               obn_shape_str(a->rank, a->dims, sa, sizeof sa), (long long)axis, d,
                               (long long)b->dims[d], (long long)ad);
        bdims[axis + d] = b->dims[d];
    }
    return OBN_OK;
}

obn_status obn_attr_get_scatter_red(const obn_node *n, bool with_max_min, obn_scatter_red *out)
{
    static const char *const names[] = {"none", "add", "mul", "max", "min"};
    const char *r;
    OBN_TRY(obn_attr_get_string(n, "reduction", "none", &r));
    for (int i = 0; i < (with_max_min ? 5 : 3); i++)
        if (strcmp(r, names[i]) == 0) {
            *out = (obn_scatter_red)i;
            return OBN_OK;
        }
    if (with_max_min)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'reduction' is '%s'; expected none, add, mul, max or min", r);
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'reduction' is '%s'; expected none, add or mul (max/min are %s-18)", r,
                        n->op_type);
}

static double combine_f64(obn_scatter_red r, double a, double b)
{
    switch (r) {
    case OBN_SCATTER_ADD: return a + b;
    case OBN_SCATTER_MUL: return a * b;
    case OBN_SCATTER_MAX: return a > b || a != a ? a : b;
    case OBN_SCATTER_MIN: return a < b || a != a ? a : b;
    default: return b;
    }
}

void obn_scatter_combine(obn_scatter_red r, obn_tensor *y, int64_t yi, const obn_tensor *u, int64_t ui)
{
    if (obn_dtype_is_float(y->dtype)) {
        obn_store_f64(y, yi, combine_f64(r, obn_load_f64(y, yi), obn_load_f64(u, ui)));
        return;
    }
    uint64_t a = obn_load_u64(y, yi), b = obn_load_u64(u, ui), v;
    bool uns = obn_dtype_is_unsigned(y->dtype), a_above = uns ? a > b : (int64_t)a > (int64_t)b;
    switch (r) {
    case OBN_SCATTER_ADD: v = a + b; break;
    case OBN_SCATTER_MUL: v = a * b; break;
    case OBN_SCATTER_MAX: v = a_above ? a : b; break;
    case OBN_SCATTER_MIN: v = a_above ? b : a; break;
    default: v = b; break;
    }
    obn_store_i64(y, yi, (int64_t)v);
}
