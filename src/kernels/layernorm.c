#include "layernorm.h"

#include <math.h>

#include "simd_clones.h"

/* Lanes of the partial sums: 16 doubles (two AVX-512 vectors), so the
 * reductions vectorise without reassociating one sum. */
#define LANES 16

/* Sum of x[0..len) - shift, in double. */
OBN_CLONES
static double row_sum(const float *x, int64_t len, double shift, int squares)
{
    double lane[LANES] = {0}, s = 0;
    int64_t i = 0;
    if (squares) {
        for (; i + LANES <= len; i += LANES)
            for (int u = 0; u < LANES; u++) {
                double d = (double)x[i + u] - shift;
                lane[u] += d * d;
            }
        for (; i < len; i++) s += ((double)x[i] - shift) * ((double)x[i] - shift);
    } else {
        for (; i + LANES <= len; i += LANES)
            for (int u = 0; u < LANES; u++) lane[u] += (double)x[i + u];
        for (; i < len; i++) s += x[i];
    }
    for (int u = 0; u < LANES; u++) s += lane[u];
    return s;
}

/* y = (x - m) * inv * scale + bias, the element-wise parameters contiguous
 * (step 1) or one repeated value (step 0); bias may be NULL. */
OBN_CLONES
static void row_apply(const float *x, float *y, int64_t len, float m, float inv, const float *scale,
                      int scale_step, const float *bias, int bias_step)
{
    if (scale_step == 1 && bias && bias_step == 1) {
        for (int64_t i = 0; i < len; i++) y[i] = (x[i] - m) * inv * scale[i] + bias[i];
    } else if (scale_step == 1 && !bias) {
        for (int64_t i = 0; i < len; i++) y[i] = (x[i] - m) * inv * scale[i];
    } else {
        for (int64_t i = 0; i < len; i++) {
            float v = (x[i] - m) * inv * scale[i * scale_step];
            y[i] = bias ? v + bias[i * bias_step] : v;
        }
    }
}

/* Two passes for the statistics (the mean, then the squared deviations
 * from it: no cancellation), both in double, then one for the output; the
 * row stays in L1 between them. */
void obn_layernorm_f32(const float *x, float *y, int64_t rows, int64_t len, const float *scale, int scale_step,
                       const float *bias, int bias_step, float eps, float *mean, float *inv_std, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (rows > 1 && rows * len > 4096)
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * len;
        double mu = len ? row_sum(xr, len, 0.0, 0) / (double)len : 0;
        double var = len ? row_sum(xr, len, mu, 1) / (double)len : 0;
        float inv = (float)(1.0 / sqrt(var + (double)eps)), m = (float)mu;
        row_apply(xr, y + r * len, len, m, inv, scale, scale_step, bias, bias_step);
        if (mean) mean[r] = m;
        if (inv_std) inv_std[r] = inv;
    }
}
