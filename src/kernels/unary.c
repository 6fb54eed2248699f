#include "unary.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "simd_clones.h"
#include "vmath.h"

static inline float sign_f(float x) { return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x; }

/* log(1 + exp(x)) without overflow for large x */
static inline float softplus_f(float x) { return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

/* The constants of the Gelu spec: 1/sqrt(2) and sqrt(2/pi). */
#define GELU_RSQRT2 0.70710678118654752440
#define GELU_SQRT_2_PI 0.79788456080286535588

/* 1 / (1 + e^-x) from e = e^-|x| <= 1, which cannot overflow. */
static inline float sigmoid_f(float x)
{
    float e = obn_exp_nonpos(-fabsf(x));
    float s = 1.0f / (1.0f + e), es = e * s; /* both computed: the select vectorises */
    return x < 0.0f ? es : s;
}

/* clamp to [0, 1] as fmaxf(0, fminf(1, v)) does (NaN gives 1), written with
 * comparisons so that it vectorises */
static inline float clamp01(float v)
{
    float m = v < 1.0f ? v : 1.0f;
    return m > 0.0f ? m : 0.0f;
}

#define MAP(EXPR)                                                          \
    do {                                                                   \
        for (int64_t i = 0; i < n; i++) { float v = x[i]; y[i] = (EXPR); } \
    } while (0)

OBN_CLONES
static void run_f32(obn_unop op, const float *x, float *y, int64_t n, float alpha, float beta)
{
    switch (op) {
    case OBN_UN_SIGMOID: MAP(sigmoid_f(v)); break;
    case OBN_UN_HARDSIGMOID: MAP(clamp01(alpha * v + beta)); break;
    case OBN_UN_HARDSWISH: MAP(v * clamp01(v * (1.0f / 6.0f) + 0.5f)); break;
    case OBN_UN_TANH: MAP(tanhf(v)); break;
    case OBN_UN_EXP: MAP(expf(v)); break;
    case OBN_UN_LOG: MAP(logf(v)); break;
    case OBN_UN_SQRT: MAP(sqrtf(v)); break;
    case OBN_UN_ABS: MAP(fabsf(v)); break;
    case OBN_UN_NEG: MAP(-v); break;
    case OBN_UN_FLOOR: MAP(floorf(v)); break;
    case OBN_UN_CEIL: MAP(ceilf(v)); break;
    case OBN_UN_ROUND: MAP(nearbyintf(v)); break;
    case OBN_UN_RECIPROCAL: MAP(1.0f / v); break;
    case OBN_UN_ERF: MAP(obn_erf_f(v)); break;
    case OBN_UN_SIGN: MAP(sign_f(v)); break;
    case OBN_UN_ELU: MAP(v >= 0.0f ? v : alpha * expm1f(v)); break;
    case OBN_UN_SELU: MAP(v > 0.0f ? beta * v : beta * alpha * expm1f(v)); break;
    case OBN_UN_CELU: MAP(fmaxf(0.0f, v) + fminf(0.0f, alpha * expm1f(v / alpha))); break;
    case OBN_UN_SOFTPLUS: MAP(softplus_f(v)); break;
    case OBN_UN_SOFTSIGN: MAP(v / (1.0f + fabsf(v))); break;
    case OBN_UN_THRESHOLDED_RELU: MAP(v > alpha ? v : 0.0f); break;
    case OBN_UN_SIN: MAP(sinf(v)); break;
    case OBN_UN_COS: MAP(cosf(v)); break;
    case OBN_UN_LEAKY_RELU: MAP(v >= 0.0f ? v : alpha * v); break;
    case OBN_UN_TAN: MAP(tanf(v)); break;
    case OBN_UN_ASIN: MAP(asinf(v)); break;
    case OBN_UN_ACOS: MAP(acosf(v)); break;
    case OBN_UN_ATAN: MAP(atanf(v)); break;
    case OBN_UN_SINH: MAP(sinhf(v)); break;
    case OBN_UN_COSH: MAP(coshf(v)); break;
    case OBN_UN_ASINH: MAP(asinhf(v)); break;
    case OBN_UN_ACOSH: MAP(acoshf(v)); break;
    case OBN_UN_ATANH: MAP(atanhf(v)); break;
    case OBN_UN_SWISH: MAP(v * sigmoid_f(v)); break;
    case OBN_UN_SWISH_HARD: MAP(v * clamp01(alpha * v + beta)); break;
    case OBN_UN_SWISH_ALPHA: MAP(v * sigmoid_f(alpha * v)); break;
    case OBN_UN_GELU: MAP(obn_gelu_f(v)); break;
    case OBN_UN_GELU_TANH: MAP(0.5f * v * (1.0f + tanhf((float)GELU_SQRT_2_PI * (v + 0.044715f * v * v * v)))); break;
    case OBN_UN_MISH: MAP(v * tanhf(softplus_f(v))); break;
    }
}

void obn_unary_f32(obn_unop op, const float *x, float *y, int64_t n, float alpha, float beta, int threads)
{
    int64_t chunks = (n + OBN_STREAM_CHUNK - 1) / OBN_STREAM_CHUNK;
#pragma omp parallel for schedule(static) num_threads(threads) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t off = c * OBN_STREAM_CHUNK;
        int64_t len = n - off < OBN_STREAM_CHUNK ? n - off : OBN_STREAM_CHUNK;
        run_f32(op, x + off, y + off, len, alpha, beta);
    }
}

double obn_unary_f64(obn_unop op, double v, double alpha, double beta)
{
    switch (op) {
    case OBN_UN_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case OBN_UN_HARDSIGMOID: return fmax(0.0, fmin(1.0, alpha * v + beta));
    case OBN_UN_HARDSWISH: return v * fmax(0.0, fmin(1.0, v / 6.0 + 0.5));
    case OBN_UN_TANH: return tanh(v);
    case OBN_UN_EXP: return exp(v);
    case OBN_UN_LOG: return log(v);
    case OBN_UN_SQRT: return sqrt(v);
    case OBN_UN_ABS: return fabs(v);
    case OBN_UN_NEG: return -v;
    case OBN_UN_FLOOR: return floor(v);
    case OBN_UN_CEIL: return ceil(v);
    case OBN_UN_ROUND: return nearbyint(v);
    case OBN_UN_RECIPROCAL: return 1.0 / v;
    case OBN_UN_ERF: return erf(v);
    case OBN_UN_SIGN: return v > 0 ? 1.0 : v < 0 ? -1.0 : v;
    case OBN_UN_ELU: return v >= 0 ? v : alpha * expm1(v);
    case OBN_UN_SELU: return v > 0 ? beta * v : beta * alpha * expm1(v);
    case OBN_UN_CELU: return fmax(0.0, v) + fmin(0.0, alpha * expm1(v / alpha));
    case OBN_UN_SOFTPLUS: return v > 0 ? v + log1p(exp(-v)) : log1p(exp(v));
    case OBN_UN_SOFTSIGN: return v / (1.0 + fabs(v));
    case OBN_UN_THRESHOLDED_RELU: return v > alpha ? v : 0.0;
    case OBN_UN_SIN: return sin(v);
    case OBN_UN_COS: return cos(v);
    case OBN_UN_LEAKY_RELU: return v >= 0 ? v : alpha * v;
    case OBN_UN_TAN: return tan(v);
    case OBN_UN_ASIN: return asin(v);
    case OBN_UN_ACOS: return acos(v);
    case OBN_UN_ATAN: return atan(v);
    case OBN_UN_SINH: return sinh(v);
    case OBN_UN_COSH: return cosh(v);
    case OBN_UN_ASINH: return asinh(v);
    case OBN_UN_ACOSH: return acosh(v);
    case OBN_UN_ATANH: return atanh(v);
    case OBN_UN_SWISH: return v * (1.0 / (1.0 + exp(-v)));
    case OBN_UN_SWISH_HARD: return v * fmax(0.0, fmin(1.0, alpha * v + beta));
    case OBN_UN_SWISH_ALPHA: return v / (1.0 + exp(-alpha * v));
    case OBN_UN_GELU: return 0.5 * v * (1.0 + erf(v * GELU_RSQRT2));
    case OBN_UN_GELU_TANH: return 0.5 * v * (1.0 + tanh(GELU_SQRT_2_PI * (v + 0.044715 * v * v * v)));
    case OBN_UN_MISH: return v * tanh(v > 0 ? v + log1p(exp(-v)) : log1p(exp(v)));
    }
    return v;
}
