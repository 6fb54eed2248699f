#include "batchnorm.h"
#include "simd_clones.h"

/* Below this many elements a parallel region costs more than it saves
 * (thread wake-up is a few microseconds; 32K floats stream in about that). */
#define OBN_BN_PARALLEL_MIN 32768

OBN_CLONES
static void plane_f32(const float *x, float *y, int64_t s, float a, float b, int relu)
{
    if (relu) {
        for (int64_t i = 0; i < s; i++) {
            float v = x[i] * a + b;
            y[i] = v > 0.0f ? v : 0.0f;
        }
    } else {
        for (int64_t i = 0; i < s; i++) y[i] = x[i] * a + b;
    }
}

void obn_bn_apply_f32(const float *x, float *y, int64_t n, int64_t k, int64_t s, const float *scale,
                      const float *shift, int relu, int threads)
{
    int64_t planes = n * k;
    if (s == 1) { /* [N][K]: one pass per row keeps the loop vectorisable */
#pragma omp parallel for schedule(static) num_threads(threads) if (planes >= OBN_BN_PARALLEL_MIN)
        for (int64_t b = 0; b < n; b++) {
            const float *xr = x + b * k;
            float *yr = y + b * k;
            for (int64_t c = 0; c < k; c++) {
                float v = xr[c] * scale[c] + shift[c];
                yr[c] = relu && v < 0.0f ? 0.0f : v;
            }
        }
        return;
    }
#pragma omp parallel for schedule(static) num_threads(threads) if (planes * s >= OBN_BN_PARALLEL_MIN)
    for (int64_t p = 0; p < planes; p++) {
        int64_t c = p % k;
        plane_f32(x + p * s, y + p * s, s, scale[c], shift[c], relu);
    }
}

void obn_bn_apply_f64(const double *x, double *y, int64_t n, int64_t k, int64_t s, const double *scale,
                      const double *shift, int relu, int threads)
{
    int64_t planes = n * k;
#pragma omp parallel for schedule(static) num_threads(threads) if (planes * s >= OBN_BN_PARALLEL_MIN)
    for (int64_t p = 0; p < planes; p++) {
        int64_t c = p % k;
        const double *xp = x + p * s;
        double *yp = y + p * s;
        for (int64_t i = 0; i < s; i++) {
            double v = xp[i] * scale[c] + shift[c];
            yp[i] = relu && v < 0.0 ? 0.0 : v;
        }
    }
}

void obn_bn_apply_half(const uint16_t *x, uint16_t *y, obn_kfmt fmt, int64_t n, int64_t k, int64_t s,
                       const float *scale, const float *shift, int relu, int threads)
{
    int64_t planes = n * k;
#pragma omp parallel for schedule(static) num_threads(threads) if (planes * s >= OBN_BN_PARALLEL_MIN)
    for (int64_t p = 0; p < planes; p++) {
        int64_t c = p % k;
        for (int64_t i = 0; i < s; i++) {
            float v = obn_half_load(x[p * s + i], fmt) * scale[c] + shift[c];
            y[p * s + i] = obn_half_store(relu && v < 0.0f ? 0.0f : v, fmt);
        }
    }
}

void obn_bn_stats(const void *x, obn_kfmt fmt, int64_t n, int64_t k, int64_t s, double *mean, double *var,
                  int threads)
{
    double count = (double)(n * s);
#pragma omp parallel for schedule(static) num_threads(threads) if (n * k * s >= OBN_BN_PARALLEL_MIN)
    for (int64_t c = 0; c < k; c++) {
        double sum = 0.0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < s; i++) sum += obn_kload(x, fmt, (b * k + c) * s + i);
        double m = count > 0 ? sum / count : 0.0;
        double sq = 0.0;
        for (int64_t b = 0; b < n; b++)
            for (int64_t i = 0; i < s; i++) {
                double d = obn_kload(x, fmt, (b * k + c) * s + i) - m;
                sq += d * d;
            }
        mean[c] = m;
        var[c] = count > 0 ? sq / count : 0.0;
    }
}
