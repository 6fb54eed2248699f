#include "layernorm.h"

#include <math.h>

void obn_layernorm_f32(const float *x, float *y, int64_t rows, int64_t len, const float *scale, int scale_step,
                       const float *bias, int bias_step, float eps, float *mean, float *inv_std, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (rows > 1 && rows * len > 4096)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * len;
        float *yr = y + r * len;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < len; i++) sum += xr[i];
        double mu = len ? sum / (double)len : 0;
        for (int64_t i = 0; i < len; i++) {
            double d = xr[i] - mu;
            sq += d * d;
        }
        double var = len ? sq / (double)len : 0;
        float inv = (float)(1.0 / sqrt(var + (double)eps)), m = (float)mu;
        for (int64_t i = 0; i < len; i++) {
            float v = (xr[i] - m) * inv * scale[i * scale_step];
            yr[i] = bias ? v + bias[i * bias_step] : v;
        }
        if (mean) mean[r] = m;
        if (inv_std) inv_std[r] = inv;
    }
}
