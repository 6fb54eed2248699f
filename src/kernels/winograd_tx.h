/* The Winograd F(4x4, 3x3) and F(2x2, 3x3) input and output transforms for
 * eight tiles at a time (one vector lane per tile), written once with GCC/Clang vector
 * extensions and compiled once per ISA level: winograd.c (portable, any
 * x86-64), winograd_avx2.c and winograd_avx512.c include this file with
 * OBN_WINO_ISA set to the suffix of the functions they define. The same
 * source therefore runs, and is tested, on every level (on AVX-512 CPUs,
 * shapes whose GEMMs the 14x32 tile would pad too much run the AVX2 build:
 * see winograd.c). Internal to the
 * Winograd kernel (src/kernels/winograd.c). */
#include <stdint.h>
#include <string.h>

#include "conv.h"

/* Without AVX (the portable build) GCC notes that 32-byte vectors would be
 * passed differently by non-AVX code: true, and irrelevant here, since every
 * such function below is static inline and never crosses an ABI boundary. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#define OBN_WINO_CAT2(a, b) a##_##b
#define OBN_WINO_CAT(a, b) OBN_WINO_CAT2(a, b)
#define OBN_WINO_FN(name) OBN_WINO_CAT(name, OBN_WINO_ISA)

typedef float wv8 __attribute__((vector_size(32)));
typedef float wv4 __attribute__((vector_size(16)));
typedef int32_t wi8 __attribute__((vector_size(32)));

static inline wv4 wld4(const float *p)
{
    wv4 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void wst4(float *p, wv4 v) { memcpy(p, &v, sizeof v); }
static inline wv8 wld8(const float *p)
{
    wv8 v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void wst8(float *p, wv8 v) { memcpy(p, &v, sizeof v); }
/* mask ? a : b, lane by lane (mask lanes are all ones or zero) */
static inline wv8 wsel(wi8 mask, wv8 a, wv8 b) { return (wv8)(((wi8)a & mask) | ((wi8)b & ~mask)); }
static inline wv8 wsplat(float s) { return (wv8){s, s, s, s, s, s, s, s}; }
static inline wv8 wcat(wv4 lo, wv4 hi) { return __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7); }
static inline wv4 wlo(wv8 v) { return __builtin_shufflevector(v, v, 0, 1, 2, 3); }
static inline wv4 whi(wv8 v) { return __builtin_shufflevector(v, v, 4, 5, 6, 7); }

/* Four vectors [tile q, 4 values | tile q+4, 4 values] (q = 0..3) become
 * the four vectors "value j of tiles 0..7" (j = 0..3), and back: the same
 * shuffles both ways (a 4x4 transpose in each 128-bit half). */
static inline void wtranspose(wv8 *a0, wv8 *a1, wv8 *a2, wv8 *a3)
{
    wv8 u0 = __builtin_shufflevector(*a0, *a1, 0, 8, 1, 9, 4, 12, 5, 13);
    wv8 u1 = __builtin_shufflevector(*a0, *a1, 2, 10, 3, 11, 6, 14, 7, 15);
    wv8 u2 = __builtin_shufflevector(*a2, *a3, 0, 8, 1, 9, 4, 12, 5, 13);
    wv8 u3 = __builtin_shufflevector(*a2, *a3, 2, 10, 3, 11, 6, 14, 7, 15);
    *a0 = __builtin_shufflevector(u0, u2, 0, 1, 8, 9, 4, 5, 12, 13);
    *a1 = __builtin_shufflevector(u0, u2, 2, 3, 10, 11, 6, 7, 14, 15);
    *a2 = __builtin_shufflevector(u1, u3, 0, 1, 8, 9, 4, 5, 12, 13);
    *a3 = __builtin_shufflevector(u1, u3, 2, 3, 10, 11, 6, 7, 14, 15);
}

/* t = B^T applied to six values (rows or columns of a patch):
 *   t0 = 4 d0 - 5 d2 + d4          t3 = (d4 - d2) - 2 (d1 - d3)
 *   t1 = (d4 - 4 d2) + (d3 - 4 d1)  t4 = (d4 - d2) + 2 (d1 - d3)
 *   t2 = (d4 - 4 d2) - (d3 - 4 d1)  t5 = 4 d1 - 5 d3 + d5 */
static inline void wino_bt(const wv8 d[6], wv8 t[6])
{
    const wv8 four = wsplat(4.0f), five = wsplat(5.0f), two = wsplat(2.0f);
    wv8 a = d[4] - four * d[2], b = d[3] - four * d[1];
    wv8 c = d[4] - d[2], e = two * (d[1] - d[3]);
    t[0] = four * d[0] - five * d[2] + d[4];
    t[1] = a + b;
    t[2] = a - b;
    t[3] = c - e;
    t[4] = c + e;
    t[5] = four * d[1] - five * d[3] + d[5];
}

/* o = A^T applied to six values:
 *   o0 = m0 + (m1 + m2) + (m3 + m4)      o2 = (m1 + m2) + 4 (m3 + m4)
 *   o1 = (m1 - m2) + 2 (m3 - m4)         o3 = (m1 - m2) + 8 (m3 - m4) + m5 */
static inline void wino_at(const wv8 m[6], wv8 o[4])
{
    wv8 s12 = m[1] + m[2], d12 = m[1] - m[2], s34 = m[3] + m[4], d34 = m[3] - m[4];
    o[0] = m[0] + s12 + s34;
    o[1] = d12 + wsplat(2.0f) * d34;
    o[2] = s12 + wsplat(4.0f) * s34;
    o[3] = d12 + wsplat(8.0f) * d34 + m[5];
}

/* bias, then the epilogue's clamp (NaN fails both tests and stays NaN) and
 * leaky slope */
static inline wv8 wino_epilogue(wv8 v, float bias, const obn_conv_epilogue *ep)
{
    v += wsplat(bias);
    if (ep->clamp) {
        v = wsel(v < wsplat(ep->lo), wsplat(ep->lo), v);
        v = wsel(v > wsplat(ep->hi), wsplat(ep->hi), v);
    }
    if (ep->leaky) v = wsel(v < wsplat(0.0f), v * wsplat(ep->slope), v);
    return v;
}

/* Input transform of one channel for eight tiles: tile i's 6x6 patch starts
 * at base[i] with row stride rs and may be read 8 floats wide (2 past the
 * patch). Writes transform position xi (= 6 * row + column of V) of tile i
 * to v[xi * xs + i]. */
void OBN_WINO_FN(obn_wino_input8)(const float *const base[8], int64_t rs, float *v, int64_t xs)
{
    wv8 e[6][6]; /* e[r][k]: row r of the patch after B^T along the row */
    for (int r = 0; r < 6; r++) {
        wv8 d[8];
        d[0] = wcat(wld4(base[0] + r * rs), wld4(base[4] + r * rs));
        d[1] = wcat(wld4(base[1] + r * rs), wld4(base[5] + r * rs));
        d[2] = wcat(wld4(base[2] + r * rs), wld4(base[6] + r * rs));
        d[3] = wcat(wld4(base[3] + r * rs), wld4(base[7] + r * rs));
        d[4] = wcat(wld4(base[0] + r * rs + 4), wld4(base[4] + r * rs + 4));
        d[5] = wcat(wld4(base[1] + r * rs + 4), wld4(base[5] + r * rs + 4));
        d[6] = wcat(wld4(base[2] + r * rs + 4), wld4(base[6] + r * rs + 4));
        d[7] = wcat(wld4(base[3] + r * rs + 4), wld4(base[7] + r * rs + 4));
        wtranspose(&d[0], &d[1], &d[2], &d[3]); /* columns 0..3 of row r, lane = tile */
        wtranspose(&d[4], &d[5], &d[6], &d[7]); /* columns 4..7 (6, 7 unused) */
        wino_bt(d, e[r]);
    }
    for (int k = 0; k < 6; k++) {
        wv8 col[6], t[6];
        for (int r = 0; r < 6; r++) col[r] = e[r][k];
        wino_bt(col, t);
        for (int i = 0; i < 6; i++) wst8(v + (i * 6 + k) * xs, t[i]);
    }
}

/* Output transform of one output channel for eight tiles: m[xi * xs + i]
 * holds position xi of tile i; the 4x4 result of tile i, plus bias and the
 * epilogue's clamp / leaky slope, goes to out[i] (row stride os), of which
 * only rows[i] x cols[i] are written (edge tiles; 0 rows: a padding lane). */
void OBN_WINO_FN(obn_wino_output8)(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep,
                                   float *const out[8], const int rows[8], const int cols[8], int64_t os)
{
    wv8 f[4][6]; /* f[a][k]: A^T down column k */
    for (int k = 0; k < 6; k++) {
        wv8 col[6];
        for (int i = 0; i < 6; i++) col[i] = wld8(m + (i * 6 + k) * xs);
        wv8 o[4];
        wino_at(col, o);
        for (int a = 0; a < 4; a++) f[a][k] = o[a];
    }
    for (int a = 0; a < 4; a++) {
        wv8 o[4];
        wino_at(f[a], o);
        for (int b = 0; b < 4; b++) o[b] = wino_epilogue(o[b], bias, ep);
        wtranspose(&o[0], &o[1], &o[2], &o[3]); /* o[q] = [tile q row a | tile q+4 row a] */
        for (int q = 0; q < 4; q++) {
            for (int h = 0; h < 2; h++) {
                int i = q + 4 * h;
                if (a >= rows[i]) continue;
                wv4 row = h ? whi(o[q]) : wlo(o[q]);
                float *dst = out[i] + a * os;
                if (cols[i] == 4) {
                    wst4(dst, row);
                } else {
                    float tmp[4];
                    wst4(tmp, row);
                    memcpy(dst, tmp, (size_t)cols[i] * sizeof(float));
                }
            }
        }
    }
}

/* F(2x2, 3x3): B^T and A^T of the points 0, 1, -1 (and infinity):
 *   B^T d = (d0 - d2, d1 + d2, d2 - d1, d1 - d3);  A^T m = (m0 + m1 + m2, m1 - m2 - m3). */
static inline void wino2_bt(const wv8 d[4], wv8 t[4])
{
    t[0] = d[0] - d[2];
    t[1] = d[1] + d[2];
    t[2] = d[2] - d[1];
    t[3] = d[1] - d[3];
}

/* As obn_wino_input8 for F(2x2, 3x3): 4x4 patches (read 4 floats wide),
 * 16 transform positions. */
void OBN_WINO_FN(obn_wino2_input8)(const float *const base[8], int64_t rs, float *v, int64_t xs)
{
    wv8 e[4][4];
    for (int r = 0; r < 4; r++) {
        wv8 d[4];
        for (int q = 0; q < 4; q++) d[q] = wcat(wld4(base[q] + r * rs), wld4(base[q + 4] + r * rs));
        wtranspose(&d[0], &d[1], &d[2], &d[3]);
        wino2_bt(d, e[r]);
    }
    for (int k = 0; k < 4; k++) {
        wv8 col[4] = {e[0][k], e[1][k], e[2][k], e[3][k]}, t[4];
        wino2_bt(col, t);
        for (int i = 0; i < 4; i++) wst8(v + (i * 4 + k) * xs, t[i]);
    }
}

/* As obn_wino_output8 for F(2x2, 3x3): 2x2 outputs per tile. */
void OBN_WINO_FN(obn_wino2_output8)(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep,
                                    float *const out[8], const int rows[8], const int cols[8], int64_t os)
{
    wv8 f[2][4];
    for (int k = 0; k < 4; k++) {
        wv8 m0 = wld8(m + k * xs), m1 = wld8(m + (4 + k) * xs), m2 = wld8(m + (8 + k) * xs),
            m3 = wld8(m + (12 + k) * xs);
        f[0][k] = m0 + m1 + m2;
        f[1][k] = m1 - m2 - m3;
    }
    for (int a = 0; a < 2; a++) {
        wv8 o[2] = {f[a][0] + f[a][1] + f[a][2], f[a][1] - f[a][2] - f[a][3]};
        for (int b = 0; b < 2; b++) o[b] = wino_epilogue(o[b], bias, ep);
        float pairs[16]; /* tile i's two outputs of row a at 2i, 2i+1 */
        wst8(pairs, __builtin_shufflevector(o[0], o[1], 0, 8, 1, 9, 2, 10, 3, 11));
        wst8(pairs + 8, __builtin_shufflevector(o[0], o[1], 4, 12, 5, 13, 6, 14, 7, 15));
        for (int i = 0; i < 8; i++)
            if (a < rows[i]) memcpy(out[i] + a * os, pairs + 2 * i, (size_t)cols[i] * sizeof(float));
    }
}
