/* Element-wise arithmetic with broadcasting: Add, Sub, Mul, Div (1, 6, 7, 13,
 * 14), Pow (1, 7, 12, 13, 15), Mod (10, 13), PRelu (1, 6, 7, 9, 16).
 *
 * Versions 7+ broadcast numpy-style (PRelu: slope to X only; PRelu 1/6 apply
 * a 1-D slope of C values per channel). Versions 1 and
 * 6 of Add/Sub/Mul/Div/Pow use the legacy rule instead: without
 * broadcast=1 the shapes must be equal; with it, B's shape is matched against
 * A's starting at `axis` (default: B aligned to A's trailing dims).
 * A Relu fused into an Add by the fuse_activation pass (node->act) is applied
 * to each result before it is stored, for every type.
 * float32 runs the broadcast kernel; the other types are computed per element:
 * integers in 64-bit integer arithmetic (Div truncates toward zero, division by
 * zero is a run-time error), float16/bfloat16/double in double. */
#include <math.h>

#include "kernels/binary.h"
#include "op_helpers.h"

typedef enum { K_ADD, K_SUB, K_MUL, K_DIV, K_POW, K_MOD, K_PRELU } arith_kind;

typedef struct {
    arith_kind kind;
    int legacy_broadcast; /* versions 1/6: broadcast attribute */
    int64_t axis;         /* versions 1/6: axis attribute, INT64_MIN if absent */
    int fmod;             /* Mod */
} arith_attrs;

static arith_kind kind_of(const obn_node *n)
{
    const char *t = n->op_type;
    switch (t[0]) {
    case 'A': return K_ADD;
    case 'S': return K_SUB;
    case 'M': return t[1] == 'u' ? K_MUL : K_MOD;
    case 'D': return K_DIV;
    case 'P': return t[1] == 'o' ? K_POW : K_PRELU;
    default: return K_ADD;
    }
}

static obn_status arith_parse(const obn_node *n, int v, void *out)
{
    arith_attrs *a = out;
    int64_t b = 0, fmod = 0;
    a->kind = kind_of(n);
    a->axis = INT64_MIN;
    bool legacy = v < 7 && a->kind != K_PRELU && a->kind != K_MOD;
    if (!legacy && (obn_node_attr(n, "broadcast") || obn_node_attr(n, "axis")))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'broadcast'/'axis' are not part of %s-%d (numpy broadcasting applies)",
                            n->op_type, v);
    if (v > 1 && obn_node_attr(n, "consumed_inputs"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'consumed_inputs' is not part of %s-%d", n->op_type, v);
    if (a->kind != K_MOD && obn_node_attr(n, "fmod"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'fmod' is not part of %s", n->op_type);
    OBN_TRY(obn_attr_int_range(n, "broadcast", 0, 0, 1, &b));
    OBN_TRY(obn_attr_get_int(n, "axis", INT64_MIN, &a->axis));
    OBN_TRY(obn_attr_int_range(n, "fmod", 0, 0, 1, &fmod));
    a->legacy_broadcast = (int)b;
    a->fmod = (int)fmod;
    return OBN_OK;
}

/* PRelu 1/6: a 1-D slope of C values applies per channel (axis 1), as in
 * Caffe; numpy alignment (with the last axis) only came with version 7. */
static bool legacy_channel_slope(const obn_op_ctx *ctx)
{
    const arith_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *s = ctx->inputs[1];
    return a->kind == K_PRELU && ctx->since_version < 7 && s->rank == 1 && s->numel > 1 && x->rank >= 2 &&
           s->dims[0] == x->dims[1];
}

static bool is_legacy(const obn_op_ctx *ctx)
{
    const arith_attrs *a = ctx->attrs;
    return ctx->since_version < 7 && a->kind != K_PRELU && a->kind != K_MOD;
}

static const obn_dtype *allowed_a(const obn_op_ctx *ctx)
{
    static const obn_dtype v1[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype v6[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT32, OBN_INT64,
                                   OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype v13[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32,
                                    OBN_INT64, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype pow12[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    static const obn_dtype pow13[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32,
                                      OBN_INT64, OBN_UNDEFINED};
    static const obn_dtype prelu9[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_INT32, OBN_INT64,
                                       OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype prelu16[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_INT32,
                                        OBN_INT64, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    const arith_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    switch (a->kind) {
    case K_POW: return v >= 13 ? pow13 : v >= 12 ? pow12 : v1;
    case K_PRELU: return v >= 16 ? prelu16 : v >= 9 ? prelu9 : v1;
    case K_MOD: return OBN_NUMERIC_TYPES;
    default: return v >= 14 ? OBN_NUMERIC_TYPES : v >= 13 ? v13 : v >= 6 ? v6 : v1;
    }
}

static obn_status arith_infer(obn_op_ctx *ctx)
{
    const arith_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, a->kind == K_PRELU ? "X" : "A", allowed_a(ctx)));
    if (a->kind == K_POW && ctx->since_version >= 12) {
        OBN_TRY(obn_check_input_dtype(ctx, 1, "Y", OBN_NUMERIC_TYPES));
    } else {
        OBN_TRY(obn_check_same_dtype(ctx, 1, a->kind == K_PRELU ? "slope" : "B", 0, a->kind == K_PRELU ? "X" : "A"));
    }
    if (a->kind == K_MOD && obn_dtype_is_float(ctx->inputs[0]->dtype) && !a->fmod)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "floating-point inputs need attribute fmod=1");
    const obn_tensor *x = ctx->inputs[0];
    if (is_legacy(ctx)) {
        int64_t bdims[OBN_MAX_RANK];
        OBN_TRY(obn_legacy_broadcast_dims(ctx, a->legacy_broadcast, a->axis, bdims));
        return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    }
    if (legacy_channel_slope(ctx)) return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    int rank;
    int64_t dims[OBN_MAX_RANK];
    static const int both[2] = {0, 1};
    OBN_TRY(obn_broadcast_shape(ctx, 2, both, &rank, dims));
    if (a->kind == K_PRELU) { /* unidirectional: the output keeps X's shape */
        bool same = rank == x->rank;
        for (int d = 0; same && d < rank; d++) same = dims[d] == x->dims[d];
        if (!same) {
            char sx[OBN_SHAPE_STR_CAP], ss[OBN_SHAPE_STR_CAP];
            const obn_tensor *s = ctx->inputs[1];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'slope' ('%s') %s cannot be broadcast to 'X' %s",
                               obn_in_name(ctx, 1), obn_shape_str(s->rank, s->dims, ss, sizeof ss),
                               obn_shape_str(x->rank, x->dims, sx, sizeof sx));
        }
    }
    return obn_set_output(ctx, 0, x->dtype, rank, dims);
}

static void make_geometry(const obn_op_ctx *ctx, obn_bcast *g)
{
    const obn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1], *y = ctx->outputs[0];
    int64_t bdims[OBN_MAX_RANK];
    int ranks[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dims, b->dims};
    if (is_legacy(ctx)) {
        const arith_attrs *at = ctx->attrs;
        obn_legacy_broadcast_dims(ctx, at->legacy_broadcast, at->axis, bdims); /* checked by infer */
        ranks[1] = a->rank;
        dims[1] = bdims;
    } else if (legacy_channel_slope(ctx)) {
        for (int d = 0; d < a->rank; d++) bdims[d] = d == 1 ? b->dims[0] : 1;
        ranks[1] = a->rank;
        dims[1] = bdims;
    }
    obn_bcast_init(g, y->rank, y->dims, 2, ranks, dims);
}

static int64_t ipow(int64_t base, int64_t e)
{
    if (e < 0) return base == 1 ? 1 : base == -1 ? (e % 2 ? -1 : 1) : 0;
    uint64_t r = 1, b = (uint64_t)base; /* wrapping arithmetic */
    while (e) {
        if (e & 1) r *= b;
        b *= b;
        e >>= 1;
    }
    return (int64_t)r;
}

/* Signed 64-bit arithmetic with wrap-around; *bad set on division by zero. */
static int64_t int_op(const arith_attrs *at, int64_t u, int64_t v, bool *bad)
{
    switch (at->kind) {
    case K_ADD: return (int64_t)((uint64_t)u + (uint64_t)v);
    case K_SUB: return (int64_t)((uint64_t)u - (uint64_t)v);
    case K_MUL: return (int64_t)((uint64_t)u * (uint64_t)v);
    case K_DIV:
    case K_MOD: {
        if (v == 0) {
            *bad = true;
            return 0;
        }
        if (v == -1) return at->kind == K_DIV ? (int64_t)(0 - (uint64_t)u) : 0;
        if (at->kind == K_DIV) return u / v;
        int64_t r = u % v;
        if (!at->fmod && r != 0 && ((r < 0) != (v < 0))) r += v; /* sign of the divisor */
        return r;
    }
    case K_POW: return ipow(u, v);
    case K_PRELU: return u >= 0 ? u : (int64_t)((uint64_t)u * (uint64_t)v);
    }
    return 0;
}

static uint64_t uint_op(const arith_attrs *at, uint64_t u, uint64_t v, bool *bad)
{
    switch (at->kind) {
    case K_ADD: return u + v;
    case K_SUB: return u - v;
    case K_MUL: return u * v;
    case K_DIV: case K_MOD:
        if (v == 0) {
            *bad = true;
            return 0;
        }
        return at->kind == K_DIV ? u / v : u % v;
    case K_POW: return (uint64_t)ipow((int64_t)u, (int64_t)v);
    case K_PRELU: return u;
    }
    return 0;
}

static double float_op(const arith_attrs *at, double u, double v)
{
    switch (at->kind) {
    case K_ADD: return u + v;
    case K_SUB: return u - v;
    case K_MUL: return u * v;
    case K_DIV: return u / v;
    case K_POW: return pow(u, v);
    case K_MOD: return fmod(u, v);
    case K_PRELU: return u >= 0 ? u : u * v;
    }
    return 0;
}

/* Every type but float32: per element through the geometry. */
static obn_status run_generic(obn_op_ctx *ctx, const obn_bcast *g)
{
    const arith_attrs *at = ctx->attrs;
    const obn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    obn_tensor *y = ctx->outputs[0];
    const int64_t sa = obn_bcast_inner_stride(g, 0), sb = obn_bcast_inner_stride(g, 1);
    const bool fl = obn_dtype_is_float(y->dtype), uns = obn_dtype_is_unsigned(y->dtype);
    const bool float_exp = obn_dtype_is_float(b->dtype); /* Pow: integer base, float exponent */
    const bool relu = ctx->node->act.kind == OBN_ACT_RELU;   /* fused by fuse_activation (Add only) */
    bool bad = false;
    for (int64_t r = 0; r < g->rows; r++) {
        int64_t off[2];
        obn_bcast_row(g, r, off);
        for (int64_t i = 0; i < g->inner; i++) {
            int64_t ia = off[0] + i * sa, ib = off[1] + i * sb, iy = r * g->inner + i;
            if (fl) {
                double v = float_op(at, obn_load_f64(a, ia), obn_load_f64(b, ib));
                obn_store_f64(y, iy, relu && v < 0 ? 0.0 : v);
            } else if (at->kind == K_POW && float_exp) {
                obn_store_i64(y, iy, obn_f64_to_i64(pow((double)obn_load_i64(a, ia), obn_load_f64(b, ib))));
            } else if (uns) {
                obn_store_i64(y, iy, (int64_t)uint_op(at, obn_load_u64(a, ia), obn_load_u64(b, ib), &bad));
            } else {
                obn_store_i64(y, iy, int_op(at, obn_load_i64(a, ia), obn_load_i64(b, ib), &bad));
                if (relu && obn_load_i64(y, iy) < 0) obn_store_i64(y, iy, 0); /* on the stored (wrapped) value */
            }
        }
    }
    if (bad) return obn_ctx_err(ctx, OBN_E_RUNTIME, "integer division by zero");
    return OBN_OK;
}

static obn_status arith_run(obn_op_ctx *ctx)
{
    static const obn_binop kernel_op[] = {OBN_BIN_ADD, OBN_BIN_SUB, OBN_BIN_MUL, OBN_BIN_DIV,
                                          OBN_BIN_POW, OBN_BIN_FMOD, OBN_BIN_PRELU};
    const arith_attrs *at = ctx->attrs;
    obn_bcast g;
    make_geometry(ctx, &g);
    if (ctx->inputs[0]->dtype == OBN_FLOAT && ctx->inputs[1]->dtype == OBN_FLOAT) {
        obn_binary_f32_act(kernel_op[at->kind], &g, ctx->inputs[0]->data, ctx->inputs[1]->data,
                           ctx->outputs[0]->data, ctx->node->act.kind == OBN_ACT_RELU, ctx->threads);
        return OBN_OK;
    }
    return run_generic(ctx, &g);
}

static const char *const legacy_attrs[] = {"broadcast", "axis", "consumed_inputs", NULL};
static const char *const mod_attrs[] = {"fmod", NULL};
static const char *const prelu_attrs[] = {"consumed_inputs", NULL};
static const int arith_versions[] = {1, 6, 7, 13, 14, 0};
static const int pow_versions[] = {1, 7, 12, 13, 15, 0};
static const int mod_versions[] = {10, 13, 0};
static const int prelu_versions[] = {1, 6, 7, 9, 16, 0};

static const obn_op_sig arith_sigs[] = {{1, "A B", "C"}, {0}};
static const obn_op_sig pow_sigs[] = {{1, "X Y", "Z"}, {0}};
static const obn_op_sig prelu_sigs[] = {{1, "X slope", "Y"}, {0}};

#define ARITH_OP(sym, name, vers, attrs, sig)                                                         \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs,   \
                        .sigs = sig,                                                                  \
                        .attrs_size = sizeof(arith_attrs), .parse = arith_parse, .infer = arith_infer, \
                        .run = arith_run}

ARITH_OP(obn_op_add, "Add", arith_versions, legacy_attrs, arith_sigs);
OBN_REGISTER_OP(obn_op_add);
ARITH_OP(obn_op_sub, "Sub", arith_versions, legacy_attrs, arith_sigs);
OBN_REGISTER_OP(obn_op_sub);
ARITH_OP(obn_op_mul, "Mul", arith_versions, legacy_attrs, arith_sigs);
OBN_REGISTER_OP(obn_op_mul);
ARITH_OP(obn_op_div, "Div", arith_versions, legacy_attrs, arith_sigs);
OBN_REGISTER_OP(obn_op_div);
ARITH_OP(obn_op_pow, "Pow", pow_versions, legacy_attrs, pow_sigs);
OBN_REGISTER_OP(obn_op_pow);
ARITH_OP(obn_op_mod, "Mod", mod_versions, mod_attrs, arith_sigs);
OBN_REGISTER_OP(obn_op_mod);
ARITH_OP(obn_op_prelu, "PRelu", prelu_versions, prelu_attrs, prelu_sigs);
OBN_REGISTER_OP(obn_op_prelu);
