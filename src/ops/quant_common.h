/* What the quantised operators share (QuantizeLinear, QLinearMatMul,
 * QLinearConv): the integer ranges of the quantized types, rounding half to
 * even with saturation, and rounding to the precision a scale computes in. */
#ifndef OBN_OPS_QUANT_COMMON_H
#define OBN_OPS_QUANT_COMMON_H

#include <math.h>

#include "kernels/half.h"
#include "op_util.h"

/* Range of an integer quantized type (uint8, int8, uint16, int16, uint4,
 * int4, uint2, int2). */
static inline void obn_quant_range(obn_dtype t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case OBN_UINT8: *lo = 0, *hi = 255; break;
    case OBN_INT8: *lo = -128, *hi = 127; break;
    case OBN_UINT16: *lo = 0, *hi = 65535; break;
    case OBN_INT16: *lo = -32768, *hi = 32767; break;
    case OBN_UINT4: *lo = 0, *hi = 15; break;
    case OBN_INT4: *lo = -8, *hi = 7; break;
    case OBN_UINT2: *lo = 0, *hi = 3; break;
    default: *lo = -2, *hi = 1; break; /* int2 */
    }
}

/* round(q) + zp saturated to [lo, hi], half to even (the default rounding
 * mode); a NaN q counts as 0, so it gives the zero point. */
static inline int64_t obn_quant_round(double q, double zp, int64_t lo, int64_t hi)
{
    if (q != q) q = 0;
    double r = nearbyint(q) + zp;
    return r <= (double)lo ? lo : r >= (double)hi ? hi : (int64_t)r;
}

/* v rounded to float16 or bfloat16 when p is one of them, else to float. */
static inline float obn_quant_to_precision(double v, obn_dtype p)
{
    switch (p) {
    case OBN_FLOAT16: return obn_f16_to_f32(obn_f32_to_f16((float)v));
    case OBN_BFLOAT16: return obn_bf16_to_f32(obn_f32_to_bf16((float)v));
    default: return (float)v;
    }
}

#endif
