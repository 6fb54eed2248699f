/* Internal to conv.c: the direct depthwise kernel. */
#ifndef OBN_KERNELS_CONV_DEPTHWISE_H
#define OBN_KERNELS_CONV_DEPTHWISE_H

#include "conv.h"

/* groups == in_channels, out_channels = in_channels * multiplier, nd 1 or 2.
 * Parallel over the batch * out_channels output planes. */
void obn_conv_depthwise(const obn_conv_shape *s, const float *x, const float *w, const obn_conv_epilogue *ep,
                        float *y, int threads);

#endif
