/* Float convolution, NC(D)(H)W layout, any number of spatial dimensions up
 * to OBN_CONV_MAX_DIMS, with groups, strides, dilations and zero padding.
 *
 * Algorithms (obn_conv_algorithm picks one):
 *   pointwise  1x..x1 kernel, stride 1, no padding: the input plane of a
 *              group already is the GEMM's B matrix (no copy); with a
 *              single position per image (after a global pool) one GEMM
 *              over the batch on the raw weights (a matrix-vector
 *              product at batch 1);
 *   direct     (AVX2) 1-D or 2-D with groups > 1 and few input channels
 *              per group, depthwise shapes the vector depthwise kernel
 *              does not take included: per group, a zero-padded copy
 *              of its input, then register blocks of output channels x
 *              outputs along a row (a GEMM per group would have M = the
 *              few output channels of a group, mostly padding);
 *   depthwise  groups == in_channels, 1-D or 2-D: with AVX2/AVX-512 and
 *              3x3 or 5x5 kernels, stride 1 or 2, dilation 1, an in-place
 *              vector kernel (register blocks of rows x vectors, masked
 *              edge loads, no padded copy: conv_dw_simd.h); otherwise (and
 *              on the portable level) a direct row-by-row kernel;
 *   im2col     everything else: the receptive fields are copied into a
 *              K x N matrix (K = C/groups * kernel volume, N = output
 *              positions) and multiplied by the weights with the packed
 *              SGEMM, in column chunks small enough to stay in L2 between
 *              the copy and the multiply; with several threads each takes
 *              its own share of the columns when there are enough. 1-D and
 *              2-D convolutions fill the chunks from a zero-padded copy of
 *              the input (one plane per horizontal stride phase), so that
 *              every piece is a plain fixed-size copy.
 * Per group, Y[M/g x N] = W[M/g x K] * col[K x N]: the weights are the A
 * operand, so they can be packed once (obn_conv_pack_weights).
 * Epilogue: per-output-channel bias, then a [lo, hi] clamp and/or a leaky
 * slope for negatives, applied inside the GEMM tile / the direct kernel's
 * registers / the depthwise row. No ONNX knowledge here. */
#ifndef OBN_KERNELS_CONV_H
#define OBN_KERNELS_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "sgemm.h"

#define OBN_CONV_MAX_DIMS 6

typedef struct obn_conv_shape {
    int nd;                     /* spatial dimensions, 1..OBN_CONV_MAX_DIMS */
    int64_t batch, in_channels, out_channels, groups;
    int64_t in[OBN_CONV_MAX_DIMS];       /* input spatial sizes */
    int64_t out[OBN_CONV_MAX_DIMS];      /* output spatial sizes */
    int64_t kernel[OBN_CONV_MAX_DIMS];
    int64_t stride[OBN_CONV_MAX_DIMS];
    int64_t dilation[OBN_CONV_MAX_DIMS];
    int64_t pad[OBN_CONV_MAX_DIMS];      /* leading padding; the trailing
                                            padding is implied by out[] */
} obn_conv_shape;

typedef struct obn_conv_epilogue {
    const float *bias; /* out_channels entries, or NULL */
    int clamp;         /* nonzero: clamp to [lo, hi] */
    float lo, hi;
    int leaky;         /* nonzero: negative results times slope (after any clamp) */
    float slope;
} obn_conv_epilogue;

typedef enum obn_conv_algo {
    OBN_CONV_IM2COL,
    OBN_CONV_POINTWISE,
    OBN_CONV_DEPTHWISE,
    OBN_CONV_DIRECT,
    OBN_CONV_WINOGRAD /* src/kernels/winograd.h; needs packed weights, else runs as im2col */
} obn_conv_algo;

/* The algorithm obn_conv_run uses for this shape at the current ISA level
 * (obn_cpu_isa). The caller must have
 * checked the shape (sizes >= 1, channels divisible by groups, out[]
 * consistent with in/kernel/stride/dilation/padding) and that neither x nor
 * y is empty, so every size product here fits in int64. */
obn_conv_algo obn_conv_algorithm(const obn_conv_shape *s);

/* Turns the Winograd algorithm off (0) or on (1, the default) for
 * obn_conv_algorithm in this process; the environment variable
 * OBN_WINOGRAD=0 turns it off at start-up. */
void obn_conv_set_winograd(int enabled);

/* Weights W[out_channels][in_channels/groups][kernel...] prepared once for
 * the algorithm: packed for the GEMM (one packed A per group), or
 * transformed for Winograd. NULL when out of memory; NULL is also acceptable
 * to obn_conv_run (it then packs per call, and runs a Winograd shape as
 * im2col). Depthwise, direct and single-position pointwise shapes need no
 * packing: obn_conv_pack_weights returns NULL and sets *none_needed. */
typedef struct obn_conv_weights obn_conv_weights;
obn_conv_weights *obn_conv_pack_weights(const obn_conv_shape *s, const float *w, int *none_needed);
/* The same for the weights W[oc] * row_scale[oc] (each product in double,
 * rounded once to float: a BatchNormalization folded in; row_scale NULL:
 * W itself), with up to `threads` OpenMP threads. Bit for bit what packing
 * the stored product gives. */
obn_conv_weights *obn_conv_pack_weights_scaled(const obn_conv_shape *s, const float *w, const double *row_scale,
                                               int threads, int *none_needed);
void obn_conv_weights_free(obn_conv_weights *pw);

/* y = the epilogue applied to the bias alone (zero without one): the result
 * of a convolution (or a transposed one) whose input X is empty, for which
 * obn_conv_run must not be called. */
void obn_conv_fill_bias(const obn_conv_shape *s, const obn_conv_epilogue *ep, float *y);

/* Scratch bytes obn_conv_run needs with up to `threads` threads. */
size_t obn_conv_workspace_size(const obn_conv_shape *s, int threads);

/* y = conv(x, w) + bias, clamped. w is always given (the depthwise kernel
 * reads it); pw, when not NULL, must come from the same shape and w. With a
 * NULL or too small workspace the call allocates. Returns 0, or -1 when out
 * of memory. */
int obn_conv_run(const obn_conv_shape *s, const float *x, const float *w, const obn_conv_weights *pw,
                 const obn_conv_epilogue *ep, float *y, void *workspace, size_t workspace_bytes, int threads);

/* The same convolution in double, computed directly (no packing, no
 * workspace; the epilogue is the caller's): y = conv(x, w) + bias, bias
 * NULL for none. For the double models, which are small. */
void obn_conv_run_f64(const obn_conv_shape *s, const double *x, const double *w, const double *bias, double *y,
                      int threads);

#endif
