/* Axis permutation of a dense row-major array of any element size:
 * y.shape[i] = x.shape[perm[i]]. No ONNX knowledge. */
#ifndef OBN_KERNELS_TRANSPOSE_H
#define OBN_KERNELS_TRANSPOSE_H

#include <stddef.h>
#include <stdint.h>

#define OBN_TRANSPOSE_MAX_RANK 8

/* perm must be a permutation of 0..rank-1 (rank <= OBN_TRANSPOSE_MAX_RANK);
 * x and y must not overlap. Parallel over independent blocks of y. */
void obn_transpose(const void *x, void *y, size_t elem_size, int rank, const int64_t *dims, const int *perm,
                   int threads);

#endif
