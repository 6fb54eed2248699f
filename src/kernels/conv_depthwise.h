/* Internal to conv.c: the depthwise kernels. */
#ifndef OBN_KERNELS_CONV_DEPTHWISE_H
#define OBN_KERNELS_CONV_DEPTHWISE_H

#include "conv.h"
#include "im2col.h"

/* groups == in_channels, out_channels = in_channels * multiplier, nd 1 or 2.
 * Parallel over the batch * out_channels output planes. */
void obn_conv_depthwise(const obn_conv_shape *s, const float *x, const float *w, const obn_conv_epilogue *ep,
                        float *y, int threads);

/* Whether the in-place vector kernel (conv_dw_simd.h) computes this
 * depthwise shape at the current ISA level: AVX2 or above, 2-D, 3x3 or 5x5,
 * the same stride 1 or 2 in both directions, dilation 1. */
int obn_dw_simd_applicable(const obn_conv_shape *s);

/* One plane of it, per ISA (conv_dw_avx2.c, conv_dw_avx512.c). */
void obn_dw_plane_avx2(const obn_conv2d_geom *g, const float *x, const float *w, float bias,
                       const obn_conv_epilogue *ep, float *y);
void obn_dw_plane_avx512(const obn_conv2d_geom *g, const float *x, const float *w, float bias,
                         const obn_conv_epilogue *ep, float *y);

#endif
