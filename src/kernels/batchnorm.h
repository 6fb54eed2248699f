/* BatchNormalization kernels. No ONNX knowledge: x is viewed as [N][K][S]
 * (batch, channels, elements per channel plane) and each channel k has a
 * precomputed affine map y = x*scale[k] + shift[k] (Ioffe & Szegedy 2015, with
 * scale = gamma/sqrt(var+eps), shift = beta - mean*scale folded once). */
#ifndef OBN_KERNELS_BATCHNORM_H
#define OBN_KERNELS_BATCHNORM_H

#include <stdint.h>

#include "kfmt.h"

/* y = x*scale[k] + shift[k]; then max(y, 0) if relu. Parallel over the N*K
 * planes with a static schedule. x and y may alias. */
void obn_bn_apply_f32(const float *x, float *y, int64_t n, int64_t k, int64_t s, const float *scale,
                      const float *shift, int relu, int threads);
void obn_bn_apply_f64(const double *x, double *y, int64_t n, int64_t k, int64_t s, const double *scale,
                      const double *shift, int relu, int threads);
/* float16 (fmt OBN_KF16) or bfloat16 (OBN_KBF16) in and out, float math. */
void obn_bn_apply_half(const uint16_t *x, uint16_t *y, obn_kfmt fmt, int64_t n, int64_t k, int64_t s,
                       const float *scale, const float *shift, int relu, int threads);

/* Per-channel mean and population variance over the N and S axes, in double
 * (two passes: mean, then squared deviations). Parallel over channels. */
void obn_bn_stats(const void *x, obn_kfmt fmt, int64_t n, int64_t k, int64_t s, double *mean, double *var,
                  int threads);

#endif
