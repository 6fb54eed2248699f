/* The col2im scatter-add of the transposed convolution (conv_transpose.c)
 * and of the Col2Im operator (ops/col2im.c). */
#ifndef OBN_KERNELS_COL2IM_H
#define OBN_KERNELS_COL2IM_H

#include <stdint.h>

#include "conv.h"

/* Adds columns [n0, n1) of one group's column matrix into the group's mg
 * output planes yg (each of prod(s->out) floats). The matrix has mg * kernel
 * volume rows, (output channel j, kernel offset k...) in row-major order,
 * stored at cols + row * ldc; column p is input position n0 + p (row-major
 * over s->in). Row (j, k) adds column p to plane j at output position
 * o_d = i_d*stride_d + k_d*dilation_d - pad_d, when every o_d lies in
 * [0, out_d). With init set, each plane is first filled with bias[j] (0 when
 * bias is NULL). threads > 1 opens a parallel region over the channels
 * (each thread owns whole planes: no two threads write the same float). */
void obn_col2im_add(const obn_conv_shape *s, int64_t mg, const float *cols, int64_t ldc, int64_t n0, int64_t n1,
                    const float *bias, int init, float *yg, int threads);

#endif
