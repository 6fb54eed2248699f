/* Bit operations on integers, numpy-style broadcast for the binary ones:
 * BitShift (11): Z = X << Y or X >> Y (attribute direction LEFT/RIGHT,
 *   required); a shift by the type's width or more gives 0 (numpy's result;
 *   undefined in C). Types uint8/16/32/64.
 * BitwiseAnd, BitwiseOr, BitwiseXor (18): C = A & B, A | B, A ^ B;
 * BitwiseNot (18): Y = ~X. Types: the signed and unsigned 8- to 64-bit
 *   integers (two's complement bits). */
#include <string.h>

#include "kernels/broadcast.h"
#include "op_helpers.h"

typedef enum { BIT_SHL, BIT_SHR, BIT_AND, BIT_OR, BIT_XOR, BIT_NOT } bit_kind;

typedef struct {
    bit_kind kind;
} bit_attrs;

static obn_status bit_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    bit_attrs *a = out;
    static const char *const names[] = {"BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot"};
    for (int k = 0; k < 4; k++)
        if (strcmp(n->op_type, names[k]) == 0) {
            a->kind = (bit_kind)(BIT_AND + k);
            return OBN_OK;
        }
    if (!obn_node_attr(n, "direction"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'direction' is required");
    const char *dir;
    OBN_TRY(obn_attr_get_string(n, "direction", "", &dir));
    if (strcmp(dir, "LEFT") == 0) a->kind = BIT_SHL;
    else if (strcmp(dir, "RIGHT") == 0) a->kind = BIT_SHR;
    else return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'direction' is '%s'; expected LEFT or RIGHT", dir);
    return OBN_OK;
}

static obn_status bit_infer(obn_op_ctx *ctx)
{
    static const obn_dtype unsigned_types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    static const obn_dtype int_types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8,
                                          OBN_INT16, OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    bit_kind k = ((const bit_attrs *)ctx->attrs)->kind;
    bool shift = k == BIT_SHL || k == BIT_SHR;
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_check_input_dtype(ctx, 0, shift ? "X" : k == BIT_NOT ? "X" : "A", shift ? unsigned_types : int_types));
    if (k == BIT_NOT) return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    OBN_TRY(obn_check_same_dtype(ctx, 1, shift ? "Y" : "B", 0, shift ? "X" : "A"));
    static const int both[2] = {0, 1};
    int rank;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(obn_broadcast_shape(ctx, 2, both, &rank, dims));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, rank, dims);
}

/* On the 64-bit patterns of the elements (unsigned: zero-extended, so a
 * right shift brings in zeros); stores keep the low bits. */
static uint64_t bit_op(bit_kind k, uint64_t x, uint64_t y, unsigned bits)
{
    switch (k) {
    case BIT_AND: return x & y;
    case BIT_OR: return x | y;
    case BIT_XOR: return x ^ y;
    case BIT_NOT: return ~x;
    default: return y >= bits ? 0 : k == BIT_SHL ? x << y : x >> y;
    }
}

static obn_status bit_run(obn_op_ctx *ctx)
{
    const bit_attrs *at = ctx->attrs;
    const obn_tensor *a = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    unsigned bits = (unsigned)obn_dtype_size(y->dtype) * 8;
    if (at->kind == BIT_NOT) {
        for (int64_t i = 0; i < y->numel; i++) obn_store_i64(y, i, (int64_t)bit_op(BIT_NOT, obn_load_u64(a, i), 0, bits));
        return OBN_OK;
    }
    const obn_tensor *b = ctx->inputs[1];
    int ranks[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dims, b->dims};
    obn_bcast g;
    obn_bcast_init(&g, y->rank, y->dims, 2, ranks, dims);
    const int64_t sa = obn_bcast_inner_stride(&g, 0), sb = obn_bcast_inner_stride(&g, 1);
    for (int64_t r = 0; r < g.rows; r++) {
        int64_t off[2];
        obn_bcast_row(&g, r, off);
        for (int64_t i = 0; i < g.inner; i++) {
            uint64_t v = bit_op(at->kind, obn_load_u64(a, off[0] + i * sa), obn_load_u64(b, off[1] + i * sb), bits);
            obn_store_i64(y, r * g.inner + i, (int64_t)v); /* stores wrap to the type's width */
        }
    }
    return OBN_OK;
}

static const int shift_versions[] = {11, 0};
static const char *const shift_attr_names[] = {"direction", NULL};
static const obn_op_sig shift_sigs[] = {{11, "X Y", "Z"}, {0}};

static const int bitwise_versions[] = {18, 0};
static const char *const no_attr_names[] = {NULL};
static const obn_op_sig binary_sigs[] = {{18, "A B", "C"}, {0}};
static const obn_op_sig not_sigs[] = {{18, "X", "Y"}, {0}};

#define BITWISE_OP(sym, name, sig)                                                                             \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = bitwise_versions,                    \
                        .attr_names = no_attr_names, .sigs = sig, .attrs_size = sizeof(bit_attrs),           \
                        .parse = bit_parse, .infer = bit_infer, .run = bit_run}

BITWISE_OP(obn_op_bitwise_and, "BitwiseAnd", binary_sigs);
OBN_REGISTER_OP(obn_op_bitwise_and);
BITWISE_OP(obn_op_bitwise_or, "BitwiseOr", binary_sigs);
OBN_REGISTER_OP(obn_op_bitwise_or);
BITWISE_OP(obn_op_bitwise_xor, "BitwiseXor", binary_sigs);
OBN_REGISTER_OP(obn_op_bitwise_xor);
BITWISE_OP(obn_op_bitwise_not, "BitwiseNot", not_sigs);
OBN_REGISTER_OP(obn_op_bitwise_not);

const obn_op obn_op_bitshift = {
    .domain = "",
    .op_type = "BitShift",
    .since_versions = shift_versions,
    .attr_names = shift_attr_names,
    .sigs = shift_sigs,
    .attrs_size = sizeof(bit_attrs),
    .parse = bit_parse,
    .infer = bit_infer,
    .run = bit_run,
};
OBN_REGISTER_OP(obn_op_bitshift);
