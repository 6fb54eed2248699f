/* Deformable 2-D convolution (DeformConv), NCHW: every kernel tap of every
 * output position samples the input at its regular place plus a learned
 * offset, bilinearly with zeros outside the image, optionally scaled by a
 * mask, and the samples are multiplied by the weights as in a convolution:
 *   y[b, m, i, j] = bias[m] + sum over c in m's group, taps (u, v) of
 *     w[m, c, u, v] * mask * sample(x[b, c], i*sh - ph + u*dh + dy,
 *                                            j*sw - pw + v*dw + dx)
 * with (dy, dx) = offset[b, g*2*K + 2*t + {0, 1}, i, j] and mask =
 * mask[b, g*K + t, i, j] (1 without one) for tap t = u*kw + v of K = kh*kw,
 * g the offset group of channel c. Bilinear sampling reads the four
 * neighbours of (h, w), each outside the image counting as 0, and a point
 * with h <= -1, h >= H, w <= -1 or w >= W is 0. Computed in double through
 * a per-(image, group) column matrix, read and written in format f. No ONNX
 * knowledge here. */
#ifndef OBN_KERNELS_DEFORM_CONV_H
#define OBN_KERNELS_DEFORM_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "kfmt.h"

typedef struct obn_deform_shape {
    int64_t batch, in_channels, out_channels, groups, offset_groups;
    int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
} obn_deform_shape;

/* Doubles of the column matrix obn_deform_conv needs: C/groups*kh*kw rows of
 * oh*ow. */
size_t obn_deform_col_doubles(const obn_deform_shape *s);

/* bias and mask may be NULL. */
void obn_deform_conv(const obn_deform_shape *s, const void *x, const void *w, const void *offset, const void *bias,
                     const void *mask, obn_kfmt f, void *y, double *col, int threads);

#endif
