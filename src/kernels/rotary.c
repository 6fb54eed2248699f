#include "rotary.h"

void obn_rotary_vector_f32(const float *x, float *y, const float *cos, const float *sin, int64_t rot_dim,
                           int64_t dim, int interleaved)
{
    int64_t half = rot_dim / 2;
    /* pair i is (x[a * i], x[a * i + b]): a = 2, b = 1 interleaved, else
     * a = 1, b = half */
    int64_t a = interleaved ? 2 : 1, b = interleaved ? 1 : half;
    for (int64_t i = 0; i < half; i++) {
        float x1 = x[a * i], x2 = x[a * i + b];
        y[a * i] = x1 * cos[i] - x2 * sin[i];
        y[a * i + b] = x1 * sin[i] + x2 * cos[i];
    }
    for (int64_t i = rot_dim; i < dim; i++) y[i] = x[i];
}
