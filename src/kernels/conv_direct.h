/* Internal to conv.c: the direct kernel for depthwise and small-group 1-D/2-D
 * convolutions (src/kernels/conv_direct_avx2.c). */
#ifndef OBN_KERNELS_CONV_DIRECT_H
#define OBN_KERNELS_CONV_DIRECT_H

#include <stdint.h>

#include "conv.h"

/* One group: cg input channels, mg output channels; the input as the
 * padded copy obn_im2col_pad makes (hp rows of wq floats per phase plane,
 * sw phase planes per channel); 1-D as H = 1. */
/* Largest kernel area (kh * kw) the direct kernel takes: its tap offsets
 * live in a table on the stack. */
#define OBN_CONV_DIRECT_MAX_TAPS 64

typedef struct obn_direct_geom {
    int64_t cg, mg, oh, ow, kh, kw, sh, sw, dh, dw, hp, wq;
} obn_direct_geom;

/* y (mg planes of oh x ow) = conv(padded, w) + bias, then the epilogue's
 * clamp/leaky. w: mg x cg x kh x kw; bias: mg entries or NULL. */
void obn_conv_direct_avx2(const obn_direct_geom *g, const float *padded, const float *w, const float *bias,
                          const obn_conv_epilogue *ep, float *y);

#endif
