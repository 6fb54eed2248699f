/* Rotary position embedding of one vector (RoPE), no ONNX knowledge: the
 * first rot_dim of its dim elements form rot_dim/2 pairs (x1, x2) rotated by
 * the angle whose cosine and sine are cos[i], sin[i]:
 *   (x1 cos - x2 sin, x1 sin + x2 cos);
 * interleaved pairs are elements (2i, 2i+1), otherwise (i, i + rot_dim/2).
 * The elements past rot_dim are copied. x and y may be the same. */
#ifndef OBN_KERNELS_ROTARY_H
#define OBN_KERNELS_ROTARY_H

#include <stdint.h>

void obn_rotary_vector_f32(const float *x, float *y, const float *cos, const float *sin, int64_t rot_dim,
                           int64_t dim, int interleaved);

#endif
