/* Branch-free float math that GCC vectorises inside the OBN_CLONES
 * streaming loops (libm's expf/erff calls do not vectorise): the exponential
 * of a non-positive argument (softmax after subtracting the maximum,
 * sigmoid, erfc) and erf, used by the unary kernels, Softmax and GELU. */
#ifndef OBN_KERNELS_VMATH_H
#define OBN_KERNELS_VMATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* exp(t) for t <= 0 (NaN passes through) in branch-free arithmetic that the
 * compiler vectorises, unlike a call to expf. t = n*ln2 + r with
 * n = round(t / ln2) and |r| <= ln2/2, ln2 split into a part with few
 * mantissa bits (n*ln2_hi is exact) and the rest; e^r by its Taylor series
 * to degree 7 (remainder < 0.35^8/8! = 5e-9, under half an ulp near 1);
 * 2^n built in the exponent field. The float n comes from the 1.5*2^23
 * rounding trick (no float-to-int conversion, which NaN would make
 * undefined); below -87.3 (2^n would be subnormal) the result is 0. */
static inline float obn_exp_nonpos(float t)
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

/* erf(x) in branch-free arithmetic that vectorises (erff does not): both
 * forms are computed and one selected.
 *   |x| < 0.75: the Maclaurin series 2/sqrt(pi) * sum (-1)^n x^(2n+1) /
 *               (n! (2n+1)) to n = 8 (the next term is below 2e-10 of the
 *               result there);
 *   otherwise:  1 - erfc(|x|) with erfc(z) = t exp(-z^2 + P(t)),
 *               t = 1 / (1 + z/2), P the Chebyshev fit of Numerical Recipes'
 *               erfcc (relative error of erfc < 1.2e-7, of erf < 6e-8 from
 *               z = 0.75 on, where erfc <= 0.29); the exponent is <= 0, so
 *               obn_exp_nonpos applies and large |x| give exactly 1.
 * The sign is restored at the end; NaN propagates. */
static inline float obn_erf_f(float x)
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
    float large = 1.0f - t * obn_exp_nonpos(p - z2);
    float r = z < 0.75f ? small : large;
    return x < 0.0f ? -r : x > 0.0f ? r : x; /* x itself for 0, -0 and NaN */
}

/* GELU, Erf form: x * Phi(x) = x/2 * (1 + erf(x / sqrt(2))) (the Gelu spec's
 * default and PyTorch's nn.GELU()). Phi comes from erfc alone, in the form
 * of obn_erf_f's large branch: with z = |x| / sqrt(2), Phi(x) = erfc(z) / 2
 * for x < 0 and 1 - erfc(z) / 2 otherwise, erfc(z) = t exp(-z^2 + P(t)),
 * t = 1 / (1 + z/2) (Numerical Recipes' erfcc, relative error below 1.2e-7
 * for every z >= 0). Half the work of 1 + erf(...) with both of erf's
 * branches, and more accurate for negative x, where 1 + erf cancels. */
static inline float obn_gelu_f(float x)
{
    float z = fabsf(x) * 0.70710678118654752f;
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
    float half_erfc = 0.5f * t * obn_exp_nonpos(p - z * z);
    float phi = x < 0.0f ? half_erfc : 1.0f - half_erfc;
    return x * phi;
}

#endif
