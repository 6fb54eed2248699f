/* The sampling grid of an affine transform (AffineGrid), for GridSample:
 * grid[b, (d,) h, w, :] = theta[b] x (x_w, y_h, (z_d,) 1), theta [N, 2, 3]
 * (2-D) or [N, 3, 4] (3-D), the base coordinates spanning [-1, 1] along
 * each spatial axis of size S:
 *   align_corners  -1 + 2i / (S - 1)    (the corner pixels' centres at +-1)
 *   otherwise      (2i + 1) / S - 1     (the corner pixels' outer edges)
 * and 0 for S = 1 in both (as PyTorch's affine_grid). The last grid axis
 * is (x, y(, z)): width first. Computed in double, read and written in
 * format f. No ONNX knowledge here. */
#ifndef OBN_KERNELS_AFFINE_GRID_H
#define OBN_KERNELS_AFFINE_GRID_H

#include <stdbool.h>
#include <stdint.h>

#include "kfmt.h"

/* nd = 2 or 3; spatial = (H, W) or (D, H, W). */
void obn_affine_grid(const void *theta, void *grid, obn_kfmt f, int nd, int64_t batch, const int64_t *spatial,
                     bool align_corners);

#endif
