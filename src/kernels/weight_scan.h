/* Scans of constant weights at load and session creation. No ONNX here. */
#ifndef OBN_KERNELS_WEIGHT_SCAN_H
#define OBN_KERNELS_WEIGHT_SCAN_H

#include <stdint.h>

/* For each of `rows` rows of `run` floats: the largest |x| as the bits of a
 * non-negative float (non-negative floats order as their bits), >=
 * 0x7f800000 when the row holds an infinity or a NaN. Rows split over up
 * to `threads` OpenMP threads when there are enough floats. */
void obn_f32_row_abs_max_bits(const float *x, int64_t rows, int64_t run, uint32_t *out, int threads);

#endif
