/* Integer matrix product with 32-bit accumulation (MatMulInteger,
 * QLinearMatMul, ConvInteger, QLinearConv):
 *   C[m x n] = A[m x k] * B[k x n], row-major with leading dimensions.
 * The operands are int16: the ops pass 8-bit values minus their zero
 * points, so every product is exact in 32 bits; the sums wrap modulo 2^32
 * (ONNX lets only the 32-bit accumulation overflow). Parallel over the
 * rows of C with `threads` (1: inline, for callers already in a parallel
 * region). */
#ifndef OBN_KERNELS_IGEMM_H
#define OBN_KERNELS_IGEMM_H

#include <stdint.h>

void obn_igemm_s16(int64_t m, int64_t n, int64_t k, const int16_t *a, int64_t lda, const int16_t *b, int64_t ldb,
                   int32_t *c, int64_t ldc, int threads);

#endif
