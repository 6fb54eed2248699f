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

/* A 1-D or 2-D convolution seen as 2-D (1-D as H = 1: one row, kernel 1,
 * stride 1, no padding), and the padded copy obn_im2col_pad makes of its
 * input: hp rows of wq floats per phase plane, sw phase planes per channel.
 * Shared by the im2col, direct and depthwise kernels. */
typedef struct obn_conv2d_geom {
    int64_t ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
    int64_t hp, wq;
} obn_conv2d_geom;

obn_conv2d_geom obn_conv2d_geometry(const obn_conv_shape *s);

/* The same panels for 1-D and 2-D convolutions, read from a zero-padded
 * copy of the group's input made once per image-group by obn_im2col_pad:
 * every panel row is then one fixed-size copy per output row it touches, with
 * no bounds checks. With a horizontal stride s the copy holds s phase
 * planes (columns p, p+s, p+2s, ... of the padded rows), so that strided
 * taps are contiguous too.
 *
 * obn_im2col_padded_floats: size of the copy, including the slack the
 * fixed-size reads run into past its end. obn_im2col_panels_padded writes up
 * to OBN_SGEMM_MAX_NR floats past the last panel (dst needs that slack). */
int64_t obn_im2col_padded_floats(const obn_conv_shape *s, int64_t cg);
void obn_im2col_pad(const obn_conv_shape *s, const float *xg, int64_t cg, float *padded, int threads);
void obn_im2col_panels_padded(const obn_conv_shape *s, const float *padded, int64_t cg, int64_t n0, int64_t n1,
                              int nr, float *dst, int threads);

#endif
