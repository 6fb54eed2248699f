/* Low-precision number formats: the 8-bit floats (E4M3FN, E4M3FNUZ, E5M2,
 * E5M2FNUZ, the unsigned power of two E8M0), the 4-bit float E2M1, and the
 * packing of 4- and 2-bit elements into bytes.
 *
 * Narrowing conversions start from a double, which holds every float32,
 * float16 and bfloat16 value exactly, so each result is rounded once (no
 * double rounding through float). Widening to float is exact for every
 * format here. Bit patterns are passed as uint8_t, low bits first for the
 * 4-bit float (the high nibble is zero). */
#ifndef OBN_KERNELS_LOWP_H
#define OBN_KERNELS_LOWP_H

#include <stdbool.h>
#include <stdint.h>

/* The sign/exponent/mantissa formats with round-to-nearest-even narrowing. */
typedef enum obn_minifloat {
    OBN_MF_E4M3FN,   /* bias 7, no inf, NaN s.1111.111, max 448 */
    OBN_MF_E4M3FNUZ, /* bias 8, no inf, no -0, NaN 0x80, max 240 */
    OBN_MF_E5M2,     /* bias 15, inf s.11111.00, NaN s.11111.xx, max 57344 */
    OBN_MF_E5M2FNUZ, /* bias 16, no inf, no -0, NaN 0x80, max 57344 */
    OBN_MF_E2M1,     /* bias 1, 4 bits, no inf or NaN, max 6 */
} obn_minifloat;

/* How a narrowing conversion treats values it cannot represent:
 *   OBN_MF_SAT_FINITE: a finite value whose rounded magnitude exceeds the
 *     format's maximum becomes +-max (else +-inf where the format has inf,
 *     NaN where it does not);
 *   OBN_MF_SAT_INF: +-inf becomes +-max too (else +-inf or NaN likewise).
 * E2M1 has neither inf nor NaN and always saturates: the flags do not
 * apply to it. NaN stays NaN (E2M1: NaN becomes 0x8, the pattern of -0,
 * as ONNX's reference implementation does). */
enum { OBN_MF_SAT_FINITE = 1u << 0, OBN_MF_SAT_INF = 1u << 1 };

uint8_t obn_f64_to_minifloat(double v, obn_minifloat fmt, unsigned sat);
float obn_minifloat_to_f32(uint8_t bits, obn_minifloat fmt);

/* Array form of obn_minifloat_to_f32 (a 256-entry table). */
void obn_minifloat_to_f32_array(const uint8_t *x, float *y, int64_t n, obn_minifloat fmt);

/* Largest finite value of the format. */
double obn_minifloat_max(obn_minifloat fmt);

/* E8M0 rounding of a positive value to a power of two. */
typedef enum obn_e8m0_round {
    OBN_E8M0_UP,      /* to the next power of two (away from zero) */
    OBN_E8M0_DOWN,    /* to the power of two below (toward zero) */
    OBN_E8M0_NEAREST, /* to the nearer one in value; a tie (1.5*2^k) goes up */
} obn_e8m0_round;

/* E8M0 holds 2^-127 (0x00) .. 2^127 (0xfe); 0xff is NaN. With `saturate`,
 * a result above 2^127 (or +inf) becomes 0xfe and one below 2^-127
 * (including zero and negative values, which E8M0 cannot hold) becomes
 * 0x00; without it they become NaN. NaN stays NaN. */
uint8_t obn_f64_to_e8m0(double v, obn_e8m0_round mode, bool saturate);
float obn_e8m0_to_f32(uint8_t bits);

/* Array form of obn_f64_to_minifloat for float32 sources: the same results,
 * parallel over `threads` for long arrays. */
void obn_f32_to_minifloat_array(const float *x, uint8_t *y, int64_t n, obn_minifloat fmt, unsigned sat,
                                int threads);

/* Sub-byte packing as ONNX stores it: `bits` is 4 or 2; element i goes to
 * byte i*bits/8 at bit offset (i*bits)%8, low bits first; the unused high
 * bits of a last partial byte are zero. Unpacked elements are one per byte:
 * unpack sign-extends from `bits` when `sign_extend` (int4, int2) and
 * zero-fills otherwise; pack keeps the low `bits` bits of each. */
static inline int64_t obn_packed_bytes(int64_t n, int bits) { return (n * bits + 7) / 8; }
/* The low `bits` bits of v as one unpacked element: integer narrowing keeps
 * the low bits (two's complement), sign-extended for int4/int2. */
static inline uint8_t obn_subbyte_from_i64(int64_t v, int bits, bool sign_extend)
{
    uint8_t mask = (uint8_t)((1u << bits) - 1), low = (uint8_t)((uint64_t)v & mask);
    return sign_extend && (low >> (bits - 1)) ? (uint8_t)(low | (uint8_t)~mask) : low;
}
void obn_pack_bits(const uint8_t *src, int64_t n, int bits, uint8_t *dst);
void obn_unpack_bits(const uint8_t *src, int64_t n, int bits, bool sign_extend, uint8_t *dst);

#endif
