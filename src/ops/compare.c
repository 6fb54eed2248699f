/* Comparisons and logic with broadcasting, producing bool: Equal (1, 7, 11,
 * 13), Less / Greater (1, 7, 9, 13), LessOrEqual / GreaterOrEqual (12, 16),
 * And / Or / Xor (1, 7), and Not (1). Version 1 of the binary ones uses the
 * legacy broadcast/axis attributes (see binary.c); 7+ broadcast numpy-style.
 * Floats compare as IEEE values (NaN is unequal to everything), integers
 * exactly; Equal-19 compares strings too, byte by byte. */
#include <string.h>

#include "kernels/broadcast.h"
#include "op_helpers.h"
#include "string_tensor.h"

typedef enum { C_EQ, C_LT, C_GT, C_LE, C_GE, C_AND, C_OR, C_XOR, C_NOT } cmp_kind;

typedef struct {
    cmp_kind kind;
    int broadcast;
    int64_t axis;
} cmp_attrs;

static cmp_kind kind_of(const char *t)
{
    static const char *const names[] = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
                                        "And", "Or", "Xor", "Not"};
    for (int k = 0; k < 9; k++)
        if (strcmp(names[k], t) == 0) return (cmp_kind)k;
    return C_EQ;
}

static obn_status cmp_parse(const obn_node *n, int v, void *out)
{
    cmp_attrs *a = out;
    int64_t b;
    a->kind = kind_of(n->op_type);
    if (v >= 7 && (obn_node_attr(n, "broadcast") || obn_node_attr(n, "axis")))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'broadcast'/'axis' are not part of %s-%d (numpy broadcasting applies)",
                            n->op_type, v);
    OBN_TRY(obn_attr_int_range(n, "broadcast", 0, 0, 1, &b));
    OBN_TRY(obn_attr_get_int(n, "axis", INT64_MIN, &a->axis));
    a->broadcast = (int)b;
    return OBN_OK;
}

static const obn_dtype *allowed(const obn_op_ctx *ctx)
{
    static const obn_dtype boolean[] = {OBN_BOOL, OBN_UNDEFINED};
    static const obn_dtype eq7[] = {OBN_BOOL, OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    static const obn_dtype lt7[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    const cmp_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    switch (a->kind) {
    case C_EQ: return v >= 11 ? OBN_ALL_TYPES : eq7;
    case C_LT: case C_GT: return v >= 9 ? OBN_NUMERIC_TYPES : lt7;
    case C_LE: case C_GE: return OBN_NUMERIC_TYPES;
    default: return boolean;
    }
}

static obn_status cmp_infer(obn_op_ctx *ctx)
{
    const cmp_attrs *a = ctx->attrs;
    static const obn_dtype strings[] = {OBN_STRING, OBN_UNDEFINED};
    bool string_ok = a->kind == C_EQ && ctx->since_version >= 19 && ctx->inputs[0]->dtype == OBN_STRING;
    OBN_TRY(obn_check_input_dtype(ctx, 0, a->kind == C_NOT ? "X" : "A", string_ok ? strings : allowed(ctx)));
    const obn_tensor *x = ctx->inputs[0];
    if (a->kind == C_NOT) return obn_set_output(ctx, 0, OBN_BOOL, x->rank, x->dims);
    OBN_TRY(obn_check_same_dtype(ctx, 1, "B", 0, "A"));
    if (ctx->since_version < 7) {
        int64_t bdims[OBN_MAX_RANK];
        OBN_TRY(obn_legacy_broadcast_dims(ctx, a->broadcast, a->axis, bdims));
        return obn_set_output(ctx, 0, OBN_BOOL, x->rank, x->dims);
    }
    int rank;
    int64_t dims[OBN_MAX_RANK];
    static const int both[2] = {0, 1};
    OBN_TRY(obn_broadcast_shape(ctx, 2, both, &rank, dims));
    return obn_set_output(ctx, 0, OBN_BOOL, rank, dims);
}

static bool order(cmp_kind k, int c) /* c: -1, 0, 1 for <, ==, > */
{
    switch (k) {
    case C_EQ: return c == 0;
    case C_LT: return c < 0;
    case C_GT: return c > 0;
    case C_LE: return c <= 0;
    case C_GE: return c >= 0;
    default: return false;
    }
}

static bool compare_at(cmp_kind k, const obn_tensor *a, int64_t ia, const obn_tensor *b, int64_t ib)
{
    obn_dtype t = a->dtype;
    if (k >= C_AND) {
        bool u = ((const uint8_t *)a->data)[ia] != 0, v = ((const uint8_t *)b->data)[ib] != 0;
        return k == C_AND ? u && v : k == C_OR ? u || v : u != v;
    }
    if (obn_dtype_is_float(t)) {
        double u = obn_load_f64(a, ia), v = obn_load_f64(b, ib);
        if (u != u || v != v) return false; /* unordered: every comparison is false */
        return order(k, u < v ? -1 : u > v ? 1 : 0);
    }
    if (obn_dtype_is_unsigned(t)) {
        uint64_t u = obn_load_u64(a, ia), v = obn_load_u64(b, ib);
        return order(k, u < v ? -1 : u > v ? 1 : 0);
    }
    int64_t u = obn_load_i64(a, ia), v = obn_load_i64(b, ib);
    return order(k, u < v ? -1 : u > v ? 1 : 0);
}

static void compare_f32(cmp_kind k, const float *a, int64_t sa, const float *b, int64_t sb, uint8_t *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        float u = a[i * sa], v = b[i * sb];
        switch (k) {
        case C_EQ: y[i] = u == v; break;
        case C_LT: y[i] = u < v; break;
        case C_GT: y[i] = u > v; break;
        case C_LE: y[i] = u <= v; break;
        default: y[i] = u >= v; break;
        }
    }
}

static obn_status cmp_run(obn_op_ctx *ctx)
{
    const cmp_attrs *at = ctx->attrs;
    const obn_tensor *a = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    uint8_t *yd = y->data;
    if (at->kind == C_NOT) {
        const uint8_t *x = a->data;
        for (int64_t i = 0; i < y->numel; i++) yd[i] = !x[i];
        return OBN_OK;
    }
    const obn_tensor *b = ctx->inputs[1];
    int64_t bdims[OBN_MAX_RANK];
    int ranks[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dims, b->dims};
    if (ctx->since_version < 7) {
        obn_legacy_broadcast_dims(ctx, at->broadcast, at->axis, bdims); /* checked by infer */
        ranks[1] = a->rank;
        dims[1] = bdims;
    }
    obn_bcast g;
    obn_bcast_init(&g, y->rank, y->dims, 2, ranks, dims);
    const int64_t sa = obn_bcast_inner_stride(&g, 0), sb = obn_bcast_inner_stride(&g, 1);
    for (int64_t r = 0; r < g.rows; r++) {
        int64_t off[2];
        obn_bcast_row(&g, r, off);
        uint8_t *yr = yd + r * g.inner;
        if (a->dtype == OBN_STRING) {
            const char *const *sa_ = (const char *const *)a->data + off[0], *const *sb_ = (const char *const *)b->data + off[1];
            for (int64_t i = 0; i < g.inner; i++) yr[i] = obn_str_equal(sa_[i * sa], sb_[i * sb]);
            continue;
        }
        if (a->dtype == OBN_FLOAT && at->kind < C_AND) {
            compare_f32(at->kind, (const float *)a->data + off[0], sa, (const float *)b->data + off[1], sb, yr, g.inner);
            continue;
        }
        for (int64_t i = 0; i < g.inner; i++) yr[i] = compare_at(at->kind, a, off[0] + i * sa, b, off[1] + i * sb);
    }
    return OBN_OK;
}

static const char *const legacy_attrs[] = {"broadcast", "axis", NULL};
static const char *const no_attrs[] = {NULL};
static const int eq_versions[] = {1, 7, 11, 13, 19, 0};
static const int lt_versions[] = {1, 7, 9, 13, 0};
static const int le_versions[] = {12, 16, 0};
static const int logic_versions[] = {1, 7, 0};
static const int not_versions[] = {1, 0};

static const obn_op_sig binary_sigs[] = {{1, "A B", "C"}, {0}};
static const obn_op_sig not_sigs[] = {{1, "X", "Y"}, {0}};

#define CMP_OP(sym, name, vers, attrs, sig, fl)                                                     \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, \
                        .sigs = sig, .flags = fl,                                                   \
                        .attrs_size = sizeof(cmp_attrs), .parse = cmp_parse, .infer = cmp_infer,  \
                        .run = cmp_run}

CMP_OP(obn_op_equal, "Equal", eq_versions, legacy_attrs, binary_sigs, OBN_OP_STRINGS);
OBN_REGISTER_OP(obn_op_equal);
CMP_OP(obn_op_less, "Less", lt_versions, legacy_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_less);
CMP_OP(obn_op_greater, "Greater", lt_versions, legacy_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_greater);
CMP_OP(obn_op_less_or_equal, "LessOrEqual", le_versions, no_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_less_or_equal);
CMP_OP(obn_op_greater_or_equal, "GreaterOrEqual", le_versions, no_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_greater_or_equal);
CMP_OP(obn_op_and, "And", logic_versions, legacy_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_and);
CMP_OP(obn_op_or, "Or", logic_versions, legacy_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_or);
CMP_OP(obn_op_xor, "Xor", logic_versions, legacy_attrs, binary_sigs, 0);
OBN_REGISTER_OP(obn_op_xor);
CMP_OP(obn_op_not, "Not", not_versions, no_attrs, not_sigs, 0);
OBN_REGISTER_OP(obn_op_not);
