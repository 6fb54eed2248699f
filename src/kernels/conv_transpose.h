/* Float transposed convolution, NC(D)(H)W layout, any number of spatial
 * dimensions up to OBN_CONV_MAX_DIMS, with groups, strides, dilations,
 * leading padding (cropped from the output) and a per-channel bias.
 *
 * The shape reuses obn_conv_shape with the roles of the transposed op:
 *   in[]      spatial sizes of X (the GEMM's columns),
 *   out[]     spatial sizes of Y,
 *   pad[]     leading padding, >= 0: input position i and kernel tap k
 *             land on output position i*stride + k*dilation - pad;
 *             positions past out[] are dropped, and output positions no
 *             (i, k) reaches hold the bias (output_padding, or an
 *             output_shape larger than the full result).
 *   in_channels = C, out_channels = M; W is [C][M/groups][kernel...].
 *
 * Algorithm, per image and group (cg = C/groups, mg = M/groups, kvol =
 * kernel volume, n = input positions):
 *   cols[mg*kvol x n] = W_g^T [mg*kvol x cg] * X_g [cg x n]   (packed SGEMM)
 *   Y_g = bias; col2im scatter-adds every row (channel, tap) of cols into
 *   Y_g at the output positions its columns land on.
 * The GEMM runs over column chunks of at most 8 MiB. A 1x..x1 kernel with
 * stride 1 and no padding whose output equals its input needs no scatter:
 * the GEMM writes Y_g with the bias in its epilogue. W_g^T is the GEMM's A
 * operand, so constant weights are packed once
 * (obn_conv_transpose_pack_weights). No ONNX knowledge here. */
#ifndef OBN_KERNELS_CONV_TRANSPOSE_H
#define OBN_KERNELS_CONV_TRANSPOSE_H

#include <stddef.h>

#include "conv.h"

/* Weights packed once (one packed A = W_g^T per group). NULL when out of
 * memory; NULL is also acceptable to obn_conv_transpose_run (it then reads
 * w directly). The shape must satisfy obn_conv_transpose_run's conditions. */
typedef obn_sgemm_packed_groups obn_conv_transpose_weights; /* freed by obn_sgemm_packed_groups_free */
obn_conv_transpose_weights *obn_conv_transpose_pack_weights(const obn_conv_shape *s, const float *w);

/* Scratch bytes obn_conv_transpose_run needs with up to `threads` threads
 * (same conditions on the shape). */
size_t obn_conv_transpose_workspace_size(const obn_conv_shape *s, int threads);

/* y = conv_transpose(x, w) + bias (bias: out_channels entries, or NULL).
 * The caller must have checked the shape (kernel, stride, dilation >= 1,
 * pad >= 0, channels divisible by groups, out[] from the formulas, so that
 * i*stride + k*dilation - pad does not overflow) and that neither x nor y is
 * empty, so every size product here fits in int64. y is write-only. pw,
 * when not NULL, must come from the same shape and w. With a NULL or too
 * small workspace the call allocates. Returns 0, or -1 when out of memory. */
int obn_conv_transpose_run(const obn_conv_shape *s, const float *x, const float *w,
                           const obn_conv_transpose_weights *pw, const float *bias, float *y, void *workspace,
                           size_t workspace_bytes, int threads);

#endif
