/* BitCast (26): the input's bits reinterpreted as the type `to` of the
 * same bit width (required attribute; little-endian, as onnxbn stores
 * everything), same shape. No value conversion, except that a byte read as
 * bool becomes 0 or 1 (bool holds only those). The 4- and 2-bit types are
 * stored one per byte (onnxbn.h): their low bits are the pattern, and int4
 * and int2 are sign-extended from it. Types: every type onnxbn stores (the
 * float8 types, uint4/int4, float4e2m1, float8e8m0, uint2/int2 included);
 * complex is refused as unsupported, string is not allowed. */
#include <string.h>

#include "kernels/lowp.h"
#include "op_helpers.h"

typedef struct {
    obn_dtype to;
} bitcast_attrs;

static int bit_width(obn_dtype dt)
{
    int packed = obn_dtype_packed_bits(dt);
    return packed ? packed : (int)obn_dtype_size(dt) * 8;
}

static obn_status bitcast_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    bitcast_attrs *a = out;
    if (!obn_node_attr(n, "to")) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' is required");
    int64_t t;
    OBN_TRY(obn_attr_get_int(n, "to", 0, &t));
    if (t != (int)t || !obn_dtype_is_valid((int)t) || t == OBN_STRING || t == OBN_UNDEFINED)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'to' is %lld, not a type BitCast allows", (long long)t);
    if (!obn_dtype_is_storable((int)t))
        return obn_node_err(n, OBN_E_UNSUPPORTED, "BitCast to %s is not supported", obn_dtype_name((obn_dtype)t));
    a->to = (obn_dtype)t;
    return OBN_OK;
}

static obn_status bitcast_infer(obn_op_ctx *ctx)
{
    const bitcast_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    if (bit_width(x->dtype) != bit_width(a->to))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') is %s (%d bits) and 'to' is %s (%d bits): the widths differ",
                           obn_in_name(ctx, 0), obn_dtype_name(x->dtype), bit_width(x->dtype), obn_dtype_name(a->to),
                           bit_width(a->to));
    return obn_set_output(ctx, 0, a->to, x->rank, x->dims);
}

static obn_status bitcast_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int bits = obn_dtype_packed_bits(y->dtype);
    const uint8_t *s = x->data;
    uint8_t *d = y->data;
    if (bits) {
        bool sign = obn_dtype_is_signed_subbyte(y->dtype);
        for (int64_t i = 0; i < x->numel; i++) d[i] = obn_subbyte_from_i64(s[i], bits, sign);
    } else if (y->dtype == OBN_BOOL) {
        for (int64_t i = 0; i < x->numel; i++) d[i] = s[i] != 0;
    } else if (x->nbytes && y->data != x->data) {
        memcpy(y->data, x->data, x->nbytes);
    }
    return OBN_OK;
}

static const int versions[] = {26, 0};
static const char *const attr_names[] = {"to", NULL};
static const obn_op_sig bitcast_sigs[] = {{26, "input", "output"}, {0}};

const obn_op obn_op_bitcast = {
    .domain = "",
    .op_type = "BitCast",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = bitcast_sigs,
    .attrs_size = sizeof(bitcast_attrs),
    .parse = bitcast_parse,
    .infer = bitcast_infer,
    .run = bitcast_run,
};
OBN_REGISTER_OP(obn_op_bitcast);
