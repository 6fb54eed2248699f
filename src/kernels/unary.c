#include "unary.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "simd_clones.h"

static inline float sign_f(float x) { return x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : x; }

/* log(1 + exp(x)) without overflow for large x */
static inline float softplus_f(float x) { return x > 0.0f ? x + log1pf(expf(-x)) : log1pf(expf(x)); }

/* The constants of the Gelu spec: 1/sqrt(2) and sqrt(2/pi). */
#define GELU_RSQRT2 0.70710678118654752440
#define GELU_SQRT_2_PI 0.79788456080286535588

/* exp(t) for t <= 0 (NaN passes through) in branch-free arithmetic that the
 * compiler vectorises, unlike a call to expf. t = n*ln2 + r with
 * n = round(t / ln2) and |r| <= ln2/2, ln2 split into a part with few
 * mantissa bits (n*ln2_hi is exact) and the rest; e^r by its Taylor series
 * to degree 7 (remainder < 0.35^8/8! = 5e-9, under half an ulp near 1);
 * 2^n built in the exponent field. The float n comes from the 1.5*2^23
 * rounding trick (no float-to-int conversion, which NaN would make
 * undefined); below -87.3 (2^n would be subnormal) the result is 0. */
static inline float exp_nonpos(float t)
{
    const float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440054690583e-4f;
    const float round_magic = 12582912.0f; /* 1.5 * 2^23 */
    float tc = t < -87.3f ? -87.3f : t;
    float kf = tc * log2e + round_magic;
    float n = kf - round_magic;
    float r = (tc - n * ln2_hi) - n * ln2_lo;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t kbits, sbits;
    memcpy(&kbits, &kf, sizeof kbits);
    sbits = (kbits + 127u) << 23; /* low bits of kf hold n; (n + 127) << 23 is 2^n */
    float scale;
    memcpy(&scale, &sbits, sizeof scale);
    float e = p * scale;
    return t < -87.3f ? 0.0f : e;
}

/* 1 / (1 + e^-x) from e = e^-|x| <= 1, which cannot overflow. */
static inline float sigmoid_f(float x)
{
    float e = exp_nonpos(-fabsf(x));
    float s = 1.0f / (1.0f + e), es = e * s; /* both computed: the select vectorises */
    return x < 0.0f ? es : s;
}

/* erf(x) in branch-free arithmetic that vectorises (erff does not): both
 * forms are computed and one selected.
 *   |x| < 0.75: the Maclaurin series 2/sqrt(pi) * sum (-1)^n x^(2n+1) /
 *               (n! (2n+1)) to n = 8 (the next term is below 2e-10 of the
 *               result there);
 *   otherwise:  1 - erfc(|x|) with erfc(z) = t exp(-z^2 + P(t)),
 *               t = 1 / (1 + z/2), P the Chebyshev fit of Numerical Recipes'
 *               erfcc (relative error of erfc < 1.2e-7, of erf < 6e-8 from
 *               z = 0.75 on, where erfc <= 0.29); the exponent is <= 0, so
 *               exp_nonpos applies and large |x| give exactly 1.
 * The sign is restored at the end; NaN propagates. */
static inline float erf_f(float x)
{
    float z = fabsf(x), z2 = z * z;
    float s = 1.0f / 685440.0f; /* (-1)^n / (n! (2n+1)), n = 8 down to 0 */
    s = s * z2 - 1.0f / 75600.0f;
    s = s * z2 + 1.0f / 9360.0f;
    s = s * z2 - 1.0f / 1320.0f;
    s = s * z2 + 1.0f / 216.0f;
    s = s * z2 - 1.0f / 42.0f;
    s = s * z2 + 1.0f / 10.0f;
    s = s * z2 - 1.0f / 3.0f;
    s = s * z2 + 1.0f;
    float small = 1.12837916709551257f * z * s;
    float t = 1.0f / (1.0f + 0.5f * z);
    float p = 0.17087277f;
    p = p * t - 0.82215223f;
    p = p * t + 1.48851587f;
    p = p * t - 1.13520398f;
    p = p * t + 0.27886807f;
    p = p * t - 0.18628806f;
    p = p * t + 0.09678418f;
    p = p * t + 0.37409196f;
    p = p * t + 1.00002368f;
    p = p * t - 1.26551223f;
    float large = 1.0f - t * exp_nonpos(p - z2);
    float r = z < 0.75f ? small : large;
    return x < 0.0f ? -r : x > 0.0f ? r : x; /* x itself for 0, -0 and NaN */
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
    case OBN_UN_ERF: MAP(erf_f(v)); break;
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
    case OBN_UN_GELU: MAP(0.5f * v * (1.0f + erff(v * (float)GELU_RSQRT2))); break;
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
