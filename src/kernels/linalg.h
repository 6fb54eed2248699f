/* Small dense linear algebra in double (no ONNX knowledge). */
#ifndef OBN_KERNELS_LINALG_H
#define OBN_KERNELS_LINALG_H

#include <stdint.h>

/* Determinant of the n x n row-major matrix a, by LU decomposition with
 * partial pivoting; a is overwritten. n = 0 gives 1 (the empty product). */
double obn_det_f64(double *a, int64_t n);

#endif
