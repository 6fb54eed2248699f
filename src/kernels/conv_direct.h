/* Internal to conv.c: the direct kernel for depthwise and small-group 1-D/2-D
 * convolutions (src/kernels/conv_direct_avx2.c). */
#ifndef OBN_KERNELS_CONV_DIRECT_H
#define OBN_KERNELS_CONV_DIRECT_H

#include <stdint.h>

#include "conv.h"
#include "im2col.h"
#include "kstop.h"

/* Largest kernel area (kh * kw) the direct kernel takes: its tap offsets
 * live in a table on the stack. */
#define OBN_CONV_DIRECT_MAX_TAPS 64

/* One group of cg input and mg output channels: y (mg planes of oh x ow) =
 * conv(padded, w) + bias, then the epilogue's clamp/leaky. padded: the
 * group's input as obn_im2col_pad copies it; w: mg x cg x kh x kw; bias: mg
 * entries or NULL. */
void obn_conv_direct_avx2(const obn_conv2d_geom *g, int64_t cg, int64_t mg, const float *padded, const float *w,
                          const float *bias, const obn_conv_epilogue *ep, float *y, const struct obn_kstop *stop);

#endif
