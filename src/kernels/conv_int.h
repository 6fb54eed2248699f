/* Integer convolution (ConvInteger, QLinearConv), NC(D)(H)W, any number of
 * spatial axes up to OBN_CONV_MAX_DIMS, groups, strides, dilations and
 * padding as obn_conv_shape describes. x and w hold the 8-bit values minus
 * their zero points as int16, so the padding is 0 in that domain (the
 * zero point of the original values) and every product is exact; the sums
 * accumulate in 32 bits and wrap, as ONNX allows. Per image and group:
 * im2col into `col` (K x N int16, K = C/groups * kernel volume, N = output
 * positions), then W_g [M/groups x K] x col on obn_igemm_s16. No ONNX
 * knowledge here. */
#ifndef OBN_KERNELS_CONV_INT_H
#define OBN_KERNELS_CONV_INT_H

#include <stddef.h>
#include <stdint.h>

#include "conv.h"

/* Bytes of the im2col matrix obn_conv_s16 needs in `col`. */
size_t obn_conv_s16_col_bytes(const obn_conv_shape *s);

/* y [batch, out_channels, out...] = conv(x, w), int32. */
void obn_conv_s16(const obn_conv_shape *s, const int16_t *x, const int16_t *w, int32_t *y, int16_t *col,
                  int threads);

#endif
