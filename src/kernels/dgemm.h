/* Double-precision (and wrapping integer) matrix multiply, row-major: C = A * B with A m x k
 * (row stride lda), B k x n (ldb), C m x n (ldc; write-only). The double
 * models of the ONNX suites are small, so this is a plain cache-friendly
 * loop rather than a packed GEMM. No ONNX knowledge here. */
#ifndef OBN_KERNELS_DGEMM_H
#define OBN_KERNELS_DGEMM_H

#include <stdint.h>

void obn_dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, const double *b, int64_t ldb,
               double *c, int64_t ldc, int threads);

/* The same product of integers modulo 2^64 (the caller sign- or
 * zero-extends narrower types into uint64 and truncates the results: the
 * low bits of a wrapped sum are those of the narrow type's wrapped sum). */
void obn_u64gemm(int64_t m, int64_t n, int64_t k, const uint64_t *a, int64_t lda, const uint64_t *b, int64_t ldb,
                 uint64_t *c, int64_t ldc, int threads);

#endif
