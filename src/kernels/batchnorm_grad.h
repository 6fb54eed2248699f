/* Backward pass of batch normalisation (Ioffe & Szegedy 2015, section 3).
 * No ONNX knowledge: x and dy are viewed as [N][K][S] (batch, channels,
 * elements per channel plane) and the forward pass was
 *     y = scale[k] * x̂ + bias[k],   x̂ = (x - mean[k]) * inv_std[k].
 * With M = N*S values per channel:
 *     dbias[k]  = Σ dy
 *     dscale[k] = Σ dy·x̂
 *     training (mean and inv_std are the batch statistics of x, so they
 *     depend on x):  dx = scale*inv_std * (dy - dbias/M - x̂*dscale/M)
 *     frozen (constant statistics, inference mode): dx = scale*inv_std * dy
 * One pass per channel reduces Σdy and Σdy·x̂ (in double), a second writes
 * dx; channels are independent and shared among threads (static schedule). */
#ifndef OBN_KERNELS_BATCHNORM_GRAD_H
#define OBN_KERNELS_BATCHNORM_GRAD_H

#include <stdint.h>

/* Per-channel parameters of length k, in double whatever the data type;
 * dscale and dbias (length k) are written in double too, for the caller to
 * store in the parameters' type. dx may alias dy (each element is read
 * before it is written). */
typedef struct obn_bn_grad_params {
    const double *scale, *mean, *inv_std;
    int training; /* 1: batch-statistics formula; 0: frozen statistics */
} obn_bn_grad_params;

void obn_bn_backward_f32(const float *x, const float *dy, int64_t n, int64_t k, int64_t s,
                         const obn_bn_grad_params *p, float *dx, double *dscale, double *dbias, int threads);
void obn_bn_backward_f64(const double *x, const double *dy, int64_t n, int64_t k, int64_t s,
                         const obn_bn_grad_params *p, double *dx, double *dscale, double *dbias, int threads);

#endif
