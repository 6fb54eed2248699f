/* Sampling an N-D array at the locations of a normalised grid
 * (torch.nn.functional.grid_sample, ONNX GridSample), no ONNX knowledge.
 *
 * x is [N][C][in_0]..[in_{D-1}], grid [N][out_0]..[out_{D-1}][D] with
 * grid[..., 0] the coordinate along the LAST spatial axis (x, then y, ...),
 * y [N][C][out_0]..[out_{D-1}]. Per axis of length L, g in [-1, 1] maps to
 *   align_corners: x = (g + 1) / 2 * (L - 1)   (the corner pixel centres)
 *   otherwise:     x = ((g + 1) * L - 1) / 2   (the corner pixel edges),
 * nearest rounds x half to even; a location outside [lo, hi] ([0, L-1]
 * with align_corners, else [-0.5, L-0.5]) is clamped to [0, L-1] (border) or
 * reflected at lo and hi until inside (reflection). Linear reads floor(x) and
 * floor(x) + 1, cubic floor(x) - 1 .. floor(x) + 2 with Keys' a = -0.75;
 * a tap outside the data reads 0 (zeros), the edge (border) or the reflected
 * index (reflection). N-D values are the tensor product of the per-axis
 * weights. A NaN coordinate counts as below the range. */
#ifndef OBN_KERNELS_GRID_SAMPLE_H
#define OBN_KERNELS_GRID_SAMPLE_H

#include <stdint.h>

#define OBN_GRID_SAMPLE_MAX_DIMS 6

typedef enum { OBN_GS_NEAREST, OBN_GS_LINEAR, OBN_GS_CUBIC } obn_gs_mode;
typedef enum { OBN_GS_ZEROS, OBN_GS_BORDER, OBN_GS_REFLECTION } obn_gs_padding;

typedef struct obn_grid_sample_shape {
    int spatial; /* D, 1..OBN_GRID_SAMPLE_MAX_DIMS */
    int64_t n, c;
    int64_t in_dims[OBN_GRID_SAMPLE_MAX_DIMS];
    int64_t out_dims[OBN_GRID_SAMPLE_MAX_DIMS];
    obn_gs_mode mode;
    obn_gs_padding padding;
    int align_corners;
} obn_grid_sample_shape;

/* Parallel over the output locations of each image (the sampling
 * weights are computed once per location and applied to every channel). */
void obn_grid_sample_f32(const obn_grid_sample_shape *s, const float *x, const double *grid, float *y, int threads);
void obn_grid_sample_f64(const obn_grid_sample_shape *s, const double *x, const double *grid, double *y,
                         int threads);

#endif
