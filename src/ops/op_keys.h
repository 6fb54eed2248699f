/* The order-key type (kernels/order.h) of an ONNX element type, for the ops
 * that compare elements: ArgMax/ArgMin, Hardmax, TopK, Unique. */
#ifndef OBN_OP_KEYS_H
#define OBN_OP_KEYS_H

#include "kernels/order.h"
#include "tensor.h"

/* Only called for numeric (and bool) types the op's infer has accepted. */
static inline obn_key_type obn_key_type_of(obn_dtype dt)
{
    switch (dt) {
    case OBN_FLOAT: return OBN_KEY_F32;
    case OBN_DOUBLE: return OBN_KEY_F64;
    case OBN_FLOAT16: return OBN_KEY_F16;
    case OBN_BFLOAT16: return OBN_KEY_BF16;
    case OBN_INT8: return OBN_KEY_I8;
    case OBN_INT16: return OBN_KEY_I16;
    case OBN_INT32: return OBN_KEY_I32;
    case OBN_INT64: return OBN_KEY_I64;
    case OBN_UINT16: return OBN_KEY_U16;
    case OBN_UINT32: return OBN_KEY_U32;
    case OBN_UINT64: return OBN_KEY_U64;
    default: return OBN_KEY_U8; /* uint8, bool */
    }
}

#endif
