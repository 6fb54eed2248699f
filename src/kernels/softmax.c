#include "softmax.h"

#include <math.h>

#include "simd_clones.h"

/* One contiguous vector. The exponentials are stored in y and rescaled. */
OBN_CLONES
static void softmax_row_f32(const float *x, float *y, int64_t len, int log_softmax)
{
    float mx = -INFINITY;
    for (int64_t i = 0; i < len; i++) mx = x[i] > mx ? x[i] : mx;
    if (isinf(mx) && mx < 0) mx = 0; /* every input -inf: keep exp finite */
    double sum = 0;
    if (log_softmax) {
        for (int64_t i = 0; i < len; i++) sum += expf(x[i] - mx);
        float shift = mx + (float)log(sum);
        for (int64_t i = 0; i < len; i++) y[i] = x[i] - shift;
    } else {
        for (int64_t i = 0; i < len; i++) {
            y[i] = expf(x[i] - mx);
            sum += y[i];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t i = 0; i < len; i++) y[i] *= inv;
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
