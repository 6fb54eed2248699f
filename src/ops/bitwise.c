/* Bit operations on unsigned integers, numpy-style broadcast:
 * BitShift (11): Z = X << Y or X >> Y (attribute direction LEFT/RIGHT,
 * required); a shift by the type's width or more gives 0 (numpy's result;
 * undefined in C). Types uint8/16/32/64. */
#include <string.h>

#include "kernels/broadcast.h"
#include "op_helpers.h"

typedef enum { BIT_SHL, BIT_SHR } bit_kind;

typedef struct {
    bit_kind kind;
} bit_attrs;

static obn_status bit_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    bit_attrs *a = out;
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
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", unsigned_types));
    OBN_TRY(obn_check_same_dtype(ctx, 1, "Y", 0, "X"));
    static const int both[2] = {0, 1};
    int rank;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(obn_broadcast_shape(ctx, 2, both, &rank, dims));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, rank, dims);
}

static uint64_t bit_op(bit_kind k, uint64_t x, uint64_t y, unsigned bits)
{
    if (y >= bits) return 0;
    return k == BIT_SHL ? x << y : x >> y;
}

static obn_status bit_run(obn_op_ctx *ctx)
{
    const bit_attrs *at = ctx->attrs;
    const obn_tensor *a = ctx->inputs[0], *b = ctx->inputs[1];
    obn_tensor *y = ctx->outputs[0];
    int ranks[2] = {a->rank, b->rank};
    const int64_t *dims[2] = {a->dims, b->dims};
    obn_bcast g;
    obn_bcast_init(&g, y->rank, y->dims, 2, ranks, dims);
    const int64_t sa = obn_bcast_inner_stride(&g, 0), sb = obn_bcast_inner_stride(&g, 1);
    unsigned bits = (unsigned)obn_dtype_size(y->dtype) * 8;
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
