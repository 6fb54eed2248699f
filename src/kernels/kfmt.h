/* Element formats the kernels read and write, and conversions between them
 * and the float/double types the kernels compute in. No ONNX knowledge: the
 * op files map their dtypes onto these. */
#ifndef OBN_KERNELS_KFMT_H
#define OBN_KERNELS_KFMT_H

#include <stddef.h>
#include <stdint.h>

#include "half.h"

typedef enum obn_kfmt { OBN_KF32, OBN_KF64, OBN_KF16, OBN_KBF16 } obn_kfmt;

static inline size_t obn_kfmt_size(obn_kfmt f)
{
    return f == OBN_KF64 ? 8 : f == OBN_KF32 ? 4 : 2;
}

/* float16 (OBN_KF16) or bfloat16 (OBN_KBF16) bits <-> float. */
static inline float obn_half_load(uint16_t v, obn_kfmt f)
{
    return f == OBN_KBF16 ? obn_bf16_to_f32(v) : obn_f16_to_f32(v);
}

static inline uint16_t obn_half_store(float v, obn_kfmt f)
{
    return f == OBN_KBF16 ? obn_f32_to_bf16(v) : obn_f32_to_f16(v);
}

/* Element i of a buffer of any format, as double / stored from double. */
static inline double obn_kload(const void *p, obn_kfmt f, int64_t i)
{
    switch (f) {
    case OBN_KF32: return ((const float *)p)[i];
    case OBN_KF64: return ((const double *)p)[i];
    default: return obn_half_load(((const uint16_t *)p)[i], f);
    }
}

static inline void obn_kstore(void *p, obn_kfmt f, int64_t i, double v)
{
    switch (f) {
    case OBN_KF32: ((float *)p)[i] = (float)v; break;
    case OBN_KF64: ((double *)p)[i] = v; break;
    default: ((uint16_t *)p)[i] = obn_half_store((float)v, f); break;
    }
}

/* n elements of src (format f) into a float / double row, and back. The
 * format test is outside the loops so that each loop is a plain conversion. */
static inline void obn_krow_to_f32(const void *src, obn_kfmt f, float *dst, int64_t n)
{
    if (f == OBN_KF64) {
        for (int64_t i = 0; i < n; i++) dst[i] = (float)((const double *)src)[i];
    } else if (f == OBN_KF32) {
        for (int64_t i = 0; i < n; i++) dst[i] = ((const float *)src)[i];
    } else {
        for (int64_t i = 0; i < n; i++) dst[i] = obn_half_load(((const uint16_t *)src)[i], f);
    }
}

static inline void obn_krow_to_f64(const void *src, obn_kfmt f, double *dst, int64_t n)
{
    if (f == OBN_KF32) {
        for (int64_t i = 0; i < n; i++) dst[i] = ((const float *)src)[i];
    } else if (f == OBN_KF64) {
        for (int64_t i = 0; i < n; i++) dst[i] = ((const double *)src)[i];
    } else {
        for (int64_t i = 0; i < n; i++) dst[i] = obn_half_load(((const uint16_t *)src)[i], f);
    }
}

static inline void obn_krow_from_f32(const float *src, void *dst, obn_kfmt f, int64_t n)
{
    if (f == OBN_KF64) {
        for (int64_t i = 0; i < n; i++) ((double *)dst)[i] = src[i];
    } else if (f == OBN_KF32) {
        for (int64_t i = 0; i < n; i++) ((float *)dst)[i] = src[i];
    } else {
        for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = obn_half_store(src[i], f);
    }
}

static inline void obn_krow_from_f64(const double *src, void *dst, obn_kfmt f, int64_t n)
{
    if (f == OBN_KF32) {
        for (int64_t i = 0; i < n; i++) ((float *)dst)[i] = (float)src[i];
    } else if (f == OBN_KF64) {
        for (int64_t i = 0; i < n; i++) ((double *)dst)[i] = src[i];
    } else {
        for (int64_t i = 0; i < n; i++) ((uint16_t *)dst)[i] = obn_half_store((float)src[i], f);
    }
}

#endif
