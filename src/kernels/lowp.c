#include "lowp.h"

#include <math.h>
#include <string.h>

#include "simd_clones.h"

/* Shape of a sign/exponent/mantissa format. `uz` formats (FNUZ) have one
 * NaN, 0x80, and no negative zero; the others keep the sign on NaN. */
typedef struct {
    int mbits, bias, sign_shift;
    uint8_t max_code;   /* magnitude bits of the largest finite value */
    uint8_t inf_code;   /* magnitude bits of inf; 0 if the format has none */
    uint8_t nan_code;   /* magnitude bits of NaN (uz: the whole pattern) */
    bool uz;
} mf_spec;

static const mf_spec mf_specs[] = {
    [OBN_MF_E4M3FN] = {3, 7, 7, 0x7e, 0, 0x7f, false},
    [OBN_MF_E4M3FNUZ] = {3, 8, 7, 0x7f, 0, 0x80, true},
    [OBN_MF_E5M2] = {2, 15, 7, 0x7b, 0x7c, 0x7e, false},
    [OBN_MF_E5M2FNUZ] = {2, 16, 7, 0x7f, 0, 0x80, true},
    /* no NaN: ONNX's reference (ml_dtypes) gives NaN the pattern of -0 */
    [OBN_MF_E2M1] = {1, 1, 3, 0x7, 0, 0x8, false},
};

/* E2M1 cannot represent NaN/inf/overflow at all: it always clamps. */
static unsigned effective_sat(obn_minifloat fmt, unsigned sat)
{
    return fmt == OBN_MF_E2M1 ? OBN_MF_SAT_FINITE | OBN_MF_SAT_INF : sat;
}

/* Sign applied to a magnitude code; uz formats have no -0 and an unsigned
 * NaN. */
static uint8_t with_sign(const mf_spec *f, uint32_t code, uint32_t sign)
{
    if (f->uz && (code == 0 || code == f->nan_code)) return (uint8_t)code;
    return (uint8_t)(code | sign << f->sign_shift);
}

/* Code of a value the format cannot hold (|v| overflows, or is inf). */
static uint32_t unrepresentable(const mf_spec *f, bool saturate)
{
    if (saturate) return f->max_code;
    return f->inf_code ? f->inf_code : f->nan_code;
}

/* Round-to-nearest-even of sig / 2^shift (shift in 1..63). */
static uint64_t rne_shift(uint64_t sig, int shift)
{
    uint64_t q = sig >> shift, rem = sig & ((UINT64_C(1) << shift) - 1), half = UINT64_C(1) << (shift - 1);
    return q + (rem > half || (rem == half && (q & 1)));
}

uint8_t obn_f64_to_minifloat(double v, obn_minifloat fmt, unsigned sat)
{
    const mf_spec *f = &mf_specs[fmt];
    sat = effective_sat(fmt, sat);
    uint64_t u;
    memcpy(&u, &v, 8);
    uint32_t sign = (uint32_t)(u >> 63);
    uint64_t a = u & ~(UINT64_C(1) << 63);
    int biased = (int)(a >> 52);
    uint64_t sig = (a & ((UINT64_C(1) << 52) - 1)) | UINT64_C(1) << 52;
    if (biased == 0x7ff) {
        if (a != UINT64_C(0x7ff) << 52) return with_sign(f, f->nan_code, sign);
        return with_sign(f, unrepresentable(f, sat & OBN_MF_SAT_INF), sign);
    }
    /* double subnormals (and zero) are far below every format's smallest
     * step: they round to zero */
    if (biased == 0) return with_sign(f, 0, sign);
    int e = biased - 1023, emin = 1 - f->bias;
    uint64_t code;
    if (e >= emin) {
        /* normal: rebias the exponent; a carry out of the rounded mantissa
         * rolls into it (mbits >= 1, so the tie-to-even bit is the code's) */
        code = ((uint64_t)(e + f->bias) << f->mbits) + rne_shift(sig & ((UINT64_C(1) << 52) - 1), 52 - f->mbits);
    } else {
        /* subnormal: count steps of 2^(emin - mbits); beyond 2^-54 of a step nothing is left */
        int shift = 52 - f->mbits + (emin - e);
        code = shift > 60 ? 0 : rne_shift(sig, shift);
    }
    if (code > f->max_code) return with_sign(f, unrepresentable(f, sat & OBN_MF_SAT_FINITE), sign);
    return with_sign(f, (uint32_t)code, sign);
}

float obn_minifloat_to_f32(uint8_t bits, obn_minifloat fmt)
{
    const mf_spec *f = &mf_specs[fmt];
    uint32_t sign = (uint32_t)bits >> f->sign_shift & 1u;
    uint32_t mag = bits & ((1u << f->sign_shift) - 1);
    /* NaN keeps its sign, except the one NaN of the FNUZ formats (E2M1 has
     * none: its nan_code, -0, never matches a magnitude) */
    if (f->uz ? bits == 0x80 : mag == f->nan_code || (f->inf_code && mag > f->inf_code))
        return f->uz || !sign ? NAN : -NAN;
    if (f->inf_code && mag == f->inf_code) return sign ? -INFINITY : INFINITY;
    int ex = (int)(mag >> f->mbits), m = (int)(mag & ((1u << f->mbits) - 1));
    float v = ex == 0 ? ldexpf((float)m, 1 - f->bias - f->mbits)
                      : ldexpf((float)((1 << f->mbits) + m), ex - f->bias - f->mbits);
    return sign ? -v : v;
}

void obn_minifloat_to_f32_array(const uint8_t *x, float *y, int64_t n, obn_minifloat fmt)
{
    float table[256];
    for (int b = 0; b < 256; b++) table[b] = obn_minifloat_to_f32((uint8_t)b, fmt);
    for (int64_t i = 0; i < n; i++) y[i] = table[x[i]];
}

double obn_minifloat_max(obn_minifloat fmt) { return obn_minifloat_to_f32(mf_specs[fmt].max_code, fmt); }

uint8_t obn_f64_to_e8m0(double v, obn_e8m0_round mode, bool saturate)
{
    if (isnan(v)) return 0xff;
    if (!(v > 0)) return saturate ? 0x00 : 0xff; /* zero and negatives have no code */
    if (isinf(v)) return saturate ? 0xfe : 0xff;
    int ex;
    double frac = frexp(v, &ex); /* v = frac * 2^ex, frac in [0.5, 1) */
    int k = ex - 1;                /* 2^k <= v < 2^(k+1) */
    if (frac != 0.5) {
        if (mode == OBN_E8M0_UP) k++;
        else if (mode == OBN_E8M0_NEAREST && frac >= 0.75) k++;
    }
    if (k > 127) return saturate ? 0xfe : 0xff;
    if (k < -127) return saturate ? 0x00 : 0xff;
    return (uint8_t)(k + 127);
}

float obn_e8m0_to_f32(uint8_t bits) { return bits == 0xff ? NAN : ldexpf(1.0f, (int)bits - 127); }

/* float32 -> minifloat on the bit pattern, with selects instead of branches
 * so that the loop vectorises; the same results as obn_f64_to_minifloat.
 * Target normals rebias the exponent after adding the round-to-nearest-even
 * increment; target subnormals are rounded by the FPU, adding a power of two
 * whose ulp is the format's smallest step (the float8 literature's
 * "denormal mask" trick; exact, as the sum's rounding is the wanted one). */
static inline uint8_t f32_to_mf_bits(uint32_t u, mf_spec f, bool sat_finite, bool sat_inf)
{
    uint32_t sign = u >> 31, a = u & 0x7fffffffu;
    int shift = 23 - f.mbits, emin = 1 - f.bias;
    uint32_t normal = (a + ((1u << (shift - 1)) - 1) + ((a >> shift) & 1u)) >> shift;
    normal -= (uint32_t)(127 - f.bias) << f.mbits;
    uint32_t denorm_bits = (uint32_t)(emin - f.mbits + 23 + 127) << 23, sum_bits;
    float ax, denorm;
    memcpy(&ax, &a, 4);
    memcpy(&denorm, &denorm_bits, 4);
    float sum = ax + denorm;
    memcpy(&sum_bits, &sum, 4);
    uint32_t code = a < (uint32_t)(emin + 127) << 23 ? sum_bits - denorm_bits : normal;
    uint32_t over = unrepresentable(&f, sat_finite), inf = unrepresentable(&f, sat_inf);
    code = code > f.max_code ? over : code;
    code = a == 0x7f800000u ? inf : code;
    code = a > 0x7f800000u ? f.nan_code : code;
    bool unsigned_code = f.uz && (code == 0 || code == f.nan_code);
    return (uint8_t)(unsigned_code ? code : code | sign << f.sign_shift);
}

OBN_CLONES
static void f32_to_mf_chunk(const float *x, uint8_t *y, int64_t n, mf_spec f, bool sat_finite, bool sat_inf)
{
    for (int64_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &x[i], 4);
        y[i] = f32_to_mf_bits(u, f, sat_finite, sat_inf);
    }
}

void obn_f32_to_minifloat_array(const float *x, uint8_t *y, int64_t n, obn_minifloat fmt, unsigned sat,
                                int threads)
{
    const mf_spec f = mf_specs[fmt];
    sat = effective_sat(fmt, sat);
    bool sat_finite = sat & OBN_MF_SAT_FINITE, sat_inf = sat & OBN_MF_SAT_INF;
    int64_t chunks = (n + OBN_STREAM_CHUNK - 1) / OBN_STREAM_CHUNK;
#pragma omp parallel for schedule(static) num_threads(threads) if (chunks > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t off = c * OBN_STREAM_CHUNK;
        int64_t len = n - off < OBN_STREAM_CHUNK ? n - off : OBN_STREAM_CHUNK;
        f32_to_mf_chunk(x + off, y + off, len, f, sat_finite, sat_inf);
    }
}

void obn_pack_bits(const uint8_t *src, int64_t n, int bits, uint8_t *dst)
{
    if (n == 0) return; /* dst may be NULL then */
    int per_byte = 8 / bits;
    uint8_t mask = (uint8_t)((1u << bits) - 1);
    memset(dst, 0, (size_t)obn_packed_bytes(n, bits));
    for (int64_t i = 0; i < n; i++)
        dst[i / per_byte] |= (uint8_t)((src[i] & mask) << (i % per_byte * bits));
}

void obn_unpack_bits(const uint8_t *src, int64_t n, int bits, bool sign_extend, uint8_t *dst)
{
    int per_byte = 8 / bits;
    for (int64_t i = 0; i < n; i++)
        dst[i] = obn_subbyte_from_i64(src[i / per_byte] >> (i % per_byte * bits), bits, sign_extend);
}
