/* Order keys: every numeric element mapped to a uint64 whose unsigned order
 * is the element's numeric order, so that the selection kernels (arg-max,
 * top-k, sorting for unique values) compare one type exactly, whatever the
 * element type. For floats, -0 and +0 get the same key and every NaN the
 * largest key (UINT64_MAX), above +inf, as numpy's sort orders them. */
#ifndef OBN_KERNELS_ORDER_H
#define OBN_KERNELS_ORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "half.h"

typedef enum obn_key_type {
    OBN_KEY_F32,
    OBN_KEY_F64,
    OBN_KEY_F16,
    OBN_KEY_BF16,
    OBN_KEY_I8,
    OBN_KEY_I16,
    OBN_KEY_I32,
    OBN_KEY_I64,
    OBN_KEY_U8, /* also bool */
    OBN_KEY_U16,
    OBN_KEY_U32,
    OBN_KEY_U64
} obn_key_type;

#define OBN_KEY_NAN UINT64_MAX

static inline bool obn_key_type_is_float(obn_key_type t) { return t <= OBN_KEY_BF16; }

/* IEEE order on the bit pattern: negative values reversed, positive ones
 * shifted above them. */
static inline uint64_t obn_key_from_f64(double v)
{
    if (v != v) return OBN_KEY_NAN;
    if (v == 0) v = 0.0;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return (b >> 63) ? ~b : b | (UINT64_C(1) << 63);
}

static inline uint64_t obn_key_from_i64(int64_t v) { return (uint64_t)v ^ (UINT64_C(1) << 63); }

/* Key of element i of x. */
static inline uint64_t obn_order_key(obn_key_type t, const void *x, int64_t i)
{
    switch (t) {
    case OBN_KEY_F32: return obn_key_from_f64(((const float *)x)[i]);
    case OBN_KEY_F64: return obn_key_from_f64(((const double *)x)[i]);
    case OBN_KEY_F16: return obn_key_from_f64(obn_f16_to_f32(((const uint16_t *)x)[i]));
    case OBN_KEY_BF16: return obn_key_from_f64(obn_bf16_to_f32(((const uint16_t *)x)[i]));
    case OBN_KEY_I8: return obn_key_from_i64(((const int8_t *)x)[i]);
    case OBN_KEY_I16: return obn_key_from_i64(((const int16_t *)x)[i]);
    case OBN_KEY_I32: return obn_key_from_i64(((const int32_t *)x)[i]);
    case OBN_KEY_I64: return obn_key_from_i64(((const int64_t *)x)[i]);
    case OBN_KEY_U8: return ((const uint8_t *)x)[i];
    case OBN_KEY_U16: return ((const uint16_t *)x)[i];
    case OBN_KEY_U32: return ((const uint32_t *)x)[i];
    default: return ((const uint64_t *)x)[i];
    }
}

#endif
