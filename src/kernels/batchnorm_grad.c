#include "batchnorm_grad.h"

/* Below this many elements a parallel region costs more than it saves
 * (the same threshold as the forward kernels in batchnorm.c). */
#define OBN_BN_GRAD_PARALLEL_MIN 32768

/* One body for both element types: T is float or double; the arithmetic
 * is in double (the dx formula subtracts nearly equal terms when dy is
 * close to an affine function of x̂, and float sums of many planes lose
 * digits). */
#define OBN_BN_BACKWARD_BODY(T)                                                                          \
    double count = (double)(n * s);                                                                      \
    _Pragma("omp parallel for schedule(static) num_threads(threads) if (n * k * s >= OBN_BN_GRAD_PARALLEL_MIN)") \
    for (int64_t c = 0; c < k; c++) {                                                                    \
        double mean = p->mean[c], inv = p->inv_std[c], sum_dy = 0.0, sum_dy_xh = 0.0;                   \
        for (int64_t b = 0; b < n; b++) {                                                                \
            const T *xp = x + (b * k + c) * s, *gp = dy + (b * k + c) * s;                               \
            for (int64_t i = 0; i < s; i++) {                                                            \
                double g = gp[i];                                                                        \
                sum_dy += g;                                                                             \
                sum_dy_xh += g * ((xp[i] - mean) * inv);                                                 \
            }                                                                                            \
        }                                                                                                \
        double a = p->scale[c] * inv;                                                                    \
        double mean_dy = 0.0, mean_dy_xh = 0.0;                                                          \
        if (p->training && count > 0) {                                                                  \
            mean_dy = sum_dy / count;                                                                    \
            mean_dy_xh = sum_dy_xh / count;                                                              \
        }                                                                                                \
        for (int64_t b = 0; b < n; b++) {                                                                \
            const T *xp = x + (b * k + c) * s, *gp = dy + (b * k + c) * s;                               \
            T *op = dx + (b * k + c) * s;                                                                \
            for (int64_t i = 0; i < s; i++) {                                                            \
                double xh = (xp[i] - mean) * inv;                                                        \
                op[i] = (T)(a * (gp[i] - mean_dy - xh * mean_dy_xh));                                    \
            }                                                                                            \
        }                                                                                                \
        dscale[c] = sum_dy_xh;                                                                            \
        dbias[c] = sum_dy;                                                                                \
    }

void obn_bn_backward_f32(const float *x, const float *dy, int64_t n, int64_t k, int64_t s,
                         const obn_bn_grad_params *p, float *dx, double *dscale, double *dbias, int threads)
{
    OBN_BN_BACKWARD_BODY(float)
}

void obn_bn_backward_f64(const double *x, const double *dy, int64_t n, int64_t k, int64_t s,
                         const obn_bn_grad_params *p, double *dx, double *dscale, double *dbias, int threads)
{
    OBN_BN_BACKWARD_BODY(double)
}
