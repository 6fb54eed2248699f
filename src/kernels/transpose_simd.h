/* Internal to kernels/transpose.c: the vector 2-D transposes.
 * y[r * ys + c] = x[c * xs + r] for r < rows, c < cols (4-byte elements). */
#ifndef OBN_KERNELS_TRANSPOSE_SIMD_H
#define OBN_KERNELS_TRANSPOSE_SIMD_H

#include <stdint.h>

void obn_transpose32_2d_avx2(const uint32_t *x, int64_t xs, uint32_t *y, int64_t ys, int64_t rows, int64_t cols);

#endif
