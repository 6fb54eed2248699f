/* Element-wise binary float kernels over a broadcasting geometry. */
#ifndef OBN_KERNELS_BINARY_H
#define OBN_KERNELS_BINARY_H

#include <stdint.h>

#include "broadcast.h"

typedef enum obn_binop {
    OBN_BIN_ADD,
    OBN_BIN_SUB,
    OBN_BIN_MUL,
    OBN_BIN_DIV,
    OBN_BIN_POW,
    OBN_BIN_MAX,   /* NaN in either input gives NaN (numpy maximum) */
    OBN_BIN_MIN,
    OBN_BIN_PRELU, /* a >= 0 ? a : a*b */
    OBN_BIN_FMOD   /* C fmod: sign of the dividend */
} obn_binop;

/* y = op(a, b) for a 2-input geometry g. Parallel over chunks of rows with a
 * static schedule. y must not alias a or b unless it has the same geometry. */
void obn_binary_f32(obn_binop op, const obn_bcast *g, const float *a, const float *b, float *y, int threads);

/* The same, then y = max(y, 0) (NaN stays NaN, -0 stays -0, as Relu) when
 * relu is nonzero, on each chunk while it is still in cache: an Add of a
 * residual block with its Relu fused in (fuse_activation pass). */
void obn_binary_f32_act(obn_binop op, const obn_bcast *g, const float *a, const float *b, float *y, int relu,
                        int threads);

#endif
