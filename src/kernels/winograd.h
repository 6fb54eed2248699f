/* Winograd F(4x4, 3x3) and F(2x2, 3x3) convolution (Lavin & Gray, "Fast
 * Algorithms for Convolutional Neural Networks", CVPR 2016) for 2-D, 3x3,
 * stride 1, dilation 1, one-group float convolutions in NCHW.
 *
 * Each 4x4 block of outputs ("tile") is computed from a 6x6 patch of the
 * (zero-padded) input in three steps:
 *   V = B^T d B     input transform, per input channel and tile (36 values);
 *   M = U V         for each of the 36 transform positions xi, a GEMM
 *                   M_xi[out_ch][tile] = U_xi[out_ch][in_ch] V_xi[in_ch][tile],
 *                   U_xi the transformed weights G g G^T (once per plan);
 *   Y = A^T M A     output transform, with the bias and activation applied.
 * That is 36 multiplications per tile and channel pair where a direct
 * convolution needs 144 (4x fewer), at the cost of the transforms (linear in
 * channels) and 4x the weight memory. Where that leaves too few tiles to fill
 * a GEMM panel (7x7 images at batch 1), F(2x2, 3x3) takes 2x2 tiles from
 * 4x4 patches (16 positions, 2.25x fewer multiplications).
 *
 * Tiles of all images are numbered in one sequence and processed in blocks
 * whose transformed data stays in cache between the three steps; all threads
 * work on one block at a time (transforms split by channel, GEMMs by
 * transform position and row panel). The GEMMs run on the SGEMM
 * micro-kernel of the ISA level the weights were packed for. Accuracy: the
 * transforms' constants are exact in float except 1/6, 1/12 and 1/24 (the
 * weight transform is computed in double); results agree with a direct
 * convolution to about 1e-6 relative to the output magnitude for unit-scale
 * data. No ONNX knowledge here. */
#ifndef OBN_KERNELS_WINOGRAD_H
#define OBN_KERNELS_WINOGRAD_H

#include <stddef.h>

#include "conv.h"

/* Whether the shape is one this kernel computes (2-D, 3x3, stride 1,
 * dilation 1, one group, padding at most 2 on each side). Whether it is
 * also the faster choice is obn_conv_algorithm's decision. */
int obn_winograd_applicable(const obn_conv_shape *s);

/* Transformed weights, packed for the current ISA level's micro-kernel.
 * NULL when out of memory. */
typedef struct obn_winograd_weights obn_winograd_weights;
obn_winograd_weights *obn_winograd_pack(const obn_conv_shape *s, const float *w);
/* The same for the weights W[oc] * row_scale[oc] (in double, rounded to
 * float; row_scale NULL: W itself) with up to `threads` OpenMP threads. */
obn_winograd_weights *obn_winograd_pack_scaled(const obn_conv_shape *s, const float *w, const double *row_scale,
                                               int threads);
void obn_winograd_weights_free(obn_winograd_weights *u);

/* Scratch bytes obn_winograd_run needs (with any thread count). */
size_t obn_winograd_workspace_size(const obn_conv_shape *s, const obn_winograd_weights *u);

/* y = conv(x, w) + bias, through the epilogue. The workspace must hold
 * obn_winograd_workspace_size bytes (64-byte aligned). */
void obn_winograd_run(const obn_conv_shape *s, const float *x, const obn_winograd_weights *u,
                      const obn_conv_epilogue *ep, float *y, void *workspace, int threads);

#endif
