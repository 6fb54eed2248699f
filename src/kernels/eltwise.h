/* Element-wise float kernels (activations), parallel over the flat range. */
#ifndef OBN_KERNELS_ELTWISE_H
#define OBN_KERNELS_ELTWISE_H

#include <stdint.h>

/* y = clamp(x, lo, hi) (Relu is lo=0, hi=+inf). x and y may alias. */
void obn_clamp_f32(const float *x, float *y, int64_t n, float lo, float hi, int threads);
/* y = x >= 0 ? x : alpha*x */
void obn_leaky_relu_f32(const float *x, float *y, int64_t n, float alpha, int threads);
/* y *= b, element-wise over n (the gate product of SwiGLU). */
void obn_mul_inplace_f32(float *y, const float *b, int64_t n, int threads);

#endif
