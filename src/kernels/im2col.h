/* Internal to conv.c: im2col written straight into SGEMM panel layout. */
#ifndef OBN_KERNELS_IM2COL_H
#define OBN_KERNELS_IM2COL_H

#include <stdint.h>

#include "conv.h"

/* Columns [n0, n1) (output positions, row-major) of one group's im2col
 * matrix, whose K = cg * kernel volume rows are (input channel, kernel
 * offset), in the layout obn_sgemm_packed_b_view describes: panel q holds
 * columns n0 + q*nr .. + nr-1 at dst + q*K*nr as [K][nr], zero past n1.
 * xg is the group's first input channel; nr is a power of two <= 32.
 * threads > 1 opens a parallel region over panels; 1 runs inline. */
void obn_im2col_panels(const obn_conv_shape *s, const float *xg, int64_t cg, int64_t n0, int64_t n1, int nr,
                       float *dst, int threads);

#endif
