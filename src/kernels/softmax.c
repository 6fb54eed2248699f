#include "softmax.h"

#include <math.h>

#include "simd_clones.h"
#include "vmath.h"

/* Lanes of the partial maxima and sums: one AVX-512 vector of floats, so the
 * reductions vectorise without reassociating a single sum. */
#define LANES 16

/* One contiguous vector: the maximum, then e^(x - max) (<= 1, so
 * obn_exp_nonpos applies; NaN propagates) summed in LANES partial sums
 * while stored in y, then one rescale. Each pass is a vectorised loop over
 * a row that stays in L1. */
OBN_CLONES
static void softmax_row_f32(const float *x, float *y, int64_t len, int log_softmax)
{
    float lane_max[LANES], lane_sum[LANES];
    for (int u = 0; u < LANES; u++) lane_max[u] = -INFINITY, lane_sum[u] = 0.0f;
    int64_t i = 0;
    for (; i + LANES <= len; i += LANES)
        for (int u = 0; u < LANES; u++) lane_max[u] = x[i + u] > lane_max[u] ? x[i + u] : lane_max[u];
    float mx = -INFINITY;
    for (; i < len; i++) mx = x[i] > mx ? x[i] : mx;
    for (int u = 0; u < LANES; u++) mx = lane_max[u] > mx ? lane_max[u] : mx;
    if (isinf(mx) && mx < 0) mx = 0; /* every input -inf: keep exp finite */
    float tail = 0.0f;
    if (log_softmax) {
        for (i = 0; i + LANES <= len; i += LANES)
            for (int u = 0; u < LANES; u++) lane_sum[u] += obn_exp_nonpos(x[i + u] - mx);
        for (; i < len; i++) tail += obn_exp_nonpos(x[i] - mx);
    } else {
        for (i = 0; i + LANES <= len; i += LANES)
            for (int u = 0; u < LANES; u++) {
                float e = obn_exp_nonpos(x[i + u] - mx);
                y[i + u] = e;
                lane_sum[u] += e;
            }
        for (; i < len; i++) {
            y[i] = obn_exp_nonpos(x[i] - mx);
            tail += y[i];
        }
    }
    double sum = tail;
    for (int u = 0; u < LANES; u++) sum += lane_sum[u];
    if (log_softmax) {
        float shift = mx + (float)log(sum);
        for (i = 0; i < len; i++) y[i] = x[i] - shift;
    } else {
        float inv = (float)(1.0 / sum);
        for (i = 0; i < len; i++) y[i] *= inv;
    }
}

/* One vector with stride `inner` (axis not last). */
static void softmax_strided_f32(const float *x, float *y, int64_t len, int64_t inner, int log_softmax)
{
    float mx = -INFINITY;
    for (int64_t i = 0; i < len; i++) mx = x[i * inner] > mx ? x[i * inner] : mx;
    if (isinf(mx) && mx < 0) mx = 0;
    double sum = 0;
    for (int64_t i = 0; i < len; i++) sum += expf(x[i * inner] - mx);
    if (log_softmax) {
        float shift = mx + (float)log(sum);
        for (int64_t i = 0; i < len; i++) y[i * inner] = x[i * inner] - shift;
    } else {
        float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < len; i++) y[i * inner] = expf(x[i * inner] - mx) * inv;
    }
}

void obn_softmax_f32(const float *x, float *y, int64_t outer, int64_t len, int64_t inner, int log_softmax,
                     int threads)
{
    int64_t vectors = outer * inner;
#pragma omp parallel for schedule(static) num_threads(threads) if (vectors > 1 && vectors * len > 4096)
    for (int64_t v = 0; v < vectors; v++) {
        int64_t o = v / inner, i = v % inner;
        const float *xv = x + o * len * inner + i;
        float *yv = y + o * len * inner + i;
        if (inner == 1) softmax_row_f32(xv, yv, len, log_softmax);
        else softmax_strided_f32(xv, yv, len, inner, log_softmax);
    }
}

void obn_softmax_f64(const double *x, double *y, int64_t outer, int64_t len, int64_t inner, int log_softmax,
                     int threads)
{
    int64_t vectors = outer * inner;
#pragma omp parallel for schedule(static) num_threads(threads) if (vectors > 1 && vectors * len > 4096)
    for (int64_t v = 0; v < vectors; v++) {
        int64_t o = v / inner, i = v % inner;
        const double *xv = x + o * len * inner + i;
        double *yv = y + o * len * inner + i;
        double mx = -INFINITY, sum = 0;
        for (int64_t k = 0; k < len; k++) mx = xv[k * inner] > mx ? xv[k * inner] : mx;
        if (isinf(mx) && mx < 0) mx = 0;
        for (int64_t k = 0; k < len; k++) sum += exp(xv[k * inner] - mx);
        double shift = mx + log(sum), inv = 1.0 / sum;
        for (int64_t k = 0; k < len; k++)
            yv[k * inner] = log_softmax ? xv[k * inner] - shift : exp(xv[k * inner] - mx) * inv;
    }
}
