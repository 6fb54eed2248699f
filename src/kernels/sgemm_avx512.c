/* SGEMM micro-kernel for AVX-512F (compiled with -mavx512f ...; only called
 * when src/kernels/cpu.c reports AVX-512).
 *
 * Tile 14x32: 32 zmm registers hold 14 rows x 2 vectors = 28 accumulators,
 * two vectors of the B micro-panel and one broadcast of A (31 of 32; the
 * compiled loop keeps all of them in registers, no spills). Each k step does
 * 28 FMAs for 2 vector loads and 14 broadcasts, which covers the FMA latency
 * (4 cycles x 2 ports = 8 independent chains needed; 28 available). */
#include <immintrin.h>

#include "sgemm_ukernel.h"

/* Writes one row of the tile: alpha, beta*C, biases and clamp in registers. */
static inline __attribute__((always_inline)) void store_row(float *c, __m512 v0, __m512 v1,
                                                            const obn_tile_args *t, int row)
{
    if (t->alpha != 1.0f) {
        __m512 al = _mm512_set1_ps(t->alpha);
        v0 = _mm512_mul_ps(v0, al);
        v1 = _mm512_mul_ps(v1, al);
    }
    if (t->beta != 0.0f) {
        __m512 be = _mm512_set1_ps(t->beta);
        v0 = _mm512_fmadd_ps(be, _mm512_loadu_ps(c), v0);
        v1 = _mm512_fmadd_ps(be, _mm512_loadu_ps(c + 16), v1);
    }
    if (t->row_bias) {
        __m512 rb = _mm512_set1_ps(t->row_bias[row]);
        v0 = _mm512_add_ps(v0, rb);
        v1 = _mm512_add_ps(v1, rb);
    }
    if (t->col_bias) {
        v0 = _mm512_add_ps(v0, _mm512_loadu_ps(t->col_bias));
        v1 = _mm512_add_ps(v1, _mm512_loadu_ps(t->col_bias + 16));
    }
    if (t->clamp) {
        /* max(lo, v) / min(hi, v) return v when v is NaN (second operand) */
        __m512 lo = _mm512_set1_ps(t->lo), hi = _mm512_set1_ps(t->hi);
        v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, v0));
        v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, v1));
    }
    if (t->leaky) { /* lanes below zero times slope */
        __m512 sl = _mm512_set1_ps(t->slope), z = _mm512_setzero_ps();
        v0 = _mm512_mask_mul_ps(v0, _mm512_cmp_ps_mask(v0, z, _CMP_LT_OQ), v0, sl);
        v1 = _mm512_mask_mul_ps(v1, _mm512_cmp_ps_mask(v1, z, _CMP_LT_OQ), v1, sl);
    }
    _mm512_storeu_ps(c, v0);
    _mm512_storeu_ps(c + 16, v1);
}

/* k steps ahead at which the micro-kernel prefetches its A panel (14 floats
 * a step: 7 KiB ahead, past the panel's end into the next one, which is
 * where the A-streaming loops read next). Pre-packed weights of deep layers
 * come from memory on every run, and the hardware prefetchers alone left
 * the loop waiting for them: on Zen 5, C512->M2048 7x7 with cold weights
 * 0.94 -> 0.61 ms (0.55 ms with the weights in cache, unchanged); 32, 64
 * and 128 steps measured alike. */
#define OBN_A_PREFETCH_STEPS 128

#define DECL(i) __m512 c##i##0 = _mm512_setzero_ps(), c##i##1 = _mm512_setzero_ps()
#define STEP(i)                                           \
    do {                                                  \
        __m512 ai = _mm512_set1_ps(a[i]);                 \
        c##i##0 = _mm512_fmadd_ps(ai, b0, c##i##0);       \
        c##i##1 = _mm512_fmadd_ps(ai, b1, c##i##1);       \
    } while (0)
#define STORE(i) store_row(c + (i) * ldc, c##i##0, c##i##1, t, (i))

static void ukernel_14x32(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                          const obn_tile_args *t)
{
    DECL(0); DECL(1); DECL(2); DECL(3); DECL(4); DECL(5); DECL(6);
    DECL(7); DECL(8); DECL(9); DECL(10); DECL(11); DECL(12); DECL(13);
    for (int64_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        _mm_prefetch((const char *)(a + 14 * OBN_A_PREFETCH_STEPS), _MM_HINT_T0);
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6);
        STEP(7); STEP(8); STEP(9); STEP(10); STEP(11); STEP(12); STEP(13);
        a += 14;
        b += 32;
    }
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5); STORE(6);
    STORE(7); STORE(8); STORE(9); STORE(10); STORE(11); STORE(12); STORE(13);
}

/* The first R rows of a 14x32 tile (R a constant in each instance below, so
 * the loops unroll and the accumulator arrays live in registers). With few
 * rows the FMA chains are latency-bound, but a 1-row edge costs 1/14 of a
 * full tile's FMAs instead of all of them. */
static inline __attribute__((always_inline)) void rows_tile(int R, int64_t kc, const float *a, const float *b,
                                                            float *c, int64_t ldc, const obn_tile_args *t)
{
    __m512 acc0[13], acc1[13];
#pragma GCC unroll 13
    for (int i = 0; i < R; i++) acc0[i] = acc1[i] = _mm512_setzero_ps();
    for (int64_t p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 13
        for (int i = 0; i < R; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
        }
        a += 14;
        b += 32;
    }
#pragma GCC unroll 13
    for (int i = 0; i < R; i++) store_row(c + i * ldc, acc0[i], acc1[i], t, i);
}

#define ROWS_FN(R)                                                                                       \
    static void rows_##R(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,             \
                         const obn_tile_args *t)                                                        \
    {                                                                                                    \
        rows_tile(R, kc, a, b, c, ldc, t);                                                               \
    }
ROWS_FN(1) ROWS_FN(2) ROWS_FN(3) ROWS_FN(4) ROWS_FN(5) ROWS_FN(6) ROWS_FN(7)
ROWS_FN(8) ROWS_FN(9) ROWS_FN(10) ROWS_FN(11) ROWS_FN(12) ROWS_FN(13)

static void ukernel_rows(int rows, int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                         const obn_tile_args *t)
{
    static const obn_ukernel_fn by_rows[13] = {rows_1, rows_2, rows_3, rows_4,  rows_5,  rows_6, rows_7,
                                               rows_8, rows_9, rows_10, rows_11, rows_12, rows_13};
    by_rows[rows - 1](kc, a, b, c, ldc, t);
}

/* Four k steps in flight (8 accumulators) hide the 4-cycle FMA latency. */
static void gemv_panel_32(int64_t depth, const float *x, int64_t xs, const float *panel, float *out)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    int64_t k = 0;
    for (; k + 4 <= depth; k += 4, panel += 128) {
        __m512 x0 = _mm512_set1_ps(x[k * xs]), x1 = _mm512_set1_ps(x[(k + 1) * xs]);
        __m512 x2 = _mm512_set1_ps(x[(k + 2) * xs]), x3 = _mm512_set1_ps(x[(k + 3) * xs]);
        s0 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(panel), s0);
        s1 = _mm512_fmadd_ps(x0, _mm512_loadu_ps(panel + 16), s1);
        s2 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(panel + 32), s2);
        s3 = _mm512_fmadd_ps(x1, _mm512_loadu_ps(panel + 48), s3);
        s4 = _mm512_fmadd_ps(x2, _mm512_loadu_ps(panel + 64), s4);
        s5 = _mm512_fmadd_ps(x2, _mm512_loadu_ps(panel + 80), s5);
        s6 = _mm512_fmadd_ps(x3, _mm512_loadu_ps(panel + 96), s6);
        s7 = _mm512_fmadd_ps(x3, _mm512_loadu_ps(panel + 112), s7);
    }
    for (; k < depth; k++, panel += 32) {
        __m512 xk = _mm512_set1_ps(x[k * xs]);
        s0 = _mm512_fmadd_ps(xk, _mm512_loadu_ps(panel), s0);
        s1 = _mm512_fmadd_ps(xk, _mm512_loadu_ps(panel + 16), s1);
    }
    s0 = _mm512_add_ps(_mm512_add_ps(s0, s2), _mm512_add_ps(s4, s6));
    s1 = _mm512_add_ps(_mm512_add_ps(s1, s3), _mm512_add_ps(s5, s7));
    _mm512_storeu_ps(out, s0);
    _mm512_storeu_ps(out + 16, s1);
}

/* The column-edge tile (sgemm_edge_simd.h) at 16 lanes, 14 rows. */
#define SE_ISA avx512
#define SE_L 16
#define SE_MR 14
typedef __m512 se_v;
static inline se_v se_load(const float *p) { return _mm512_loadu_ps(p); }
static inline se_v se_load_rows(const float *p) { return _mm512_maskz_loadu_ps((__mmask16)0x3fff, p); }
static inline void se_store(float *p, se_v v) { _mm512_storeu_ps(p, v); }
static inline se_v se_set1(float s) { return _mm512_set1_ps(s); }
static inline se_v se_zero(void) { return _mm512_setzero_ps(); }
static inline se_v se_fma(se_v a, se_v b, se_v c) { return _mm512_fmadd_ps(a, b, c); }
static inline se_v se_add(se_v a, se_v b) { return _mm512_add_ps(a, b); }
#include "sgemm_edge_simd.h"

/* Blocking for AVX-512 parts (Skylake-SP .. Sapphire Rapids, Zen 4: 32-48
 * KiB L1d, 1-2 MiB L2):
 *   kc 192: B micro-panel 192*32*4 = 24 KiB, within L1 next to the A stream;
 *   mc 336: A block 336*192*4 = 252 KiB, a quarter of a 1 MiB L2
 *           (24 panels of MR = 14);
 *   nc 3072: B block 192*3072*4 = 2.25 MiB, a share of L3;
 *   kc_packed_b 768: with constant (pre-packed) B the 96 KiB B micro-panel
 *           streams from L2 and C is passed over K/768 times instead of
 *           K/192; measured on Zen 4 (M = 197 and 1576, N x K = 3072 x 768
 *           and 768 x 3072): 10-30% faster than kc. */
const obn_sgemm_kernel obn_sgemm_kernel_avx512 = {
    .name = "avx512 14x32", .isa = OBN_ISA_AVX512, .mr = 14, .nr = 32, .kc = 192, .mc = 336, .nc = 3072,
    .kc_packed_b = 768, .ukernel = ukernel_14x32, .ukernel_rows = ukernel_rows,
    .ukernel_cols = ukernel_cols_avx512, .gemv_panel = gemv_panel_32,
};
