/* Softmax and log-softmax along one axis of x viewed as [outer][len][inner]
 * (inner = 1 when the axis is the last). Parallel over the independent
 * vectors. Subtracts the maximum first, so large inputs do not overflow. */
#ifndef OBN_KERNELS_SOFTMAX_H
#define OBN_KERNELS_SOFTMAX_H

#include <stdint.h>

void obn_softmax_f32(const float *x, float *y, int64_t outer, int64_t len, int64_t inner, int log_softmax,
                     int threads);
void obn_softmax_f64(const double *x, double *y, int64_t outer, int64_t len, int64_t inner, int log_softmax,
                     int threads);

#endif
