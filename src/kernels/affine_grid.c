#include "affine_grid.h"

static double base_coord(int64_t i, int64_t size, bool align_corners)
{
    if (size <= 1) return 0.0;
    return align_corners ? -1.0 + 2.0 * (double)i / (double)(size - 1) : (2.0 * (double)i + 1.0) / (double)size - 1.0;
}

void obn_affine_grid(const void *theta, void *grid, obn_kfmt f, int nd, int64_t batch, const int64_t *spatial,
                     bool align_corners)
{
    int64_t depth = nd == 3 ? spatial[0] : 1, h = spatial[nd - 2], w = spatial[nd - 1];
    int cols = nd + 1;
    int64_t out = 0;
    for (int64_t b = 0; b < batch; b++) {
        double t[12];
        for (int i = 0; i < nd * cols; i++) t[i] = obn_kload(theta, f, b * nd * cols + i);
        for (int64_t k = 0; k < depth; k++)
            for (int64_t r = 0; r < h; r++)
                for (int64_t c = 0; c < w; c++) {
                    double p[3] = {base_coord(c, w, align_corners), base_coord(r, h, align_corners),
                                   base_coord(k, depth, align_corners)};
                    for (int row = 0; row < nd; row++) {
                        double v = t[row * cols + nd];
                        for (int j = 0; j < nd; j++) v += t[row * cols + j] * p[j];
                        obn_kstore(grid, f, out++, v);
                    }
                }
    }
}
