/* SGEMM micro-kernel for AVX2 + FMA (compiled with -mavx2 -mfma; only called
 * when src/kernels/cpu.c reports AVX2).
 *
 * Tile 6x16: 16 ymm registers hold 6 rows x 2 vectors = 12 accumulators, two
 * vectors of the B micro-panel and one broadcast of A (15 of 16). Each k step
 * does 12 FMAs for 2 loads + 6 broadcasts, enough to keep both FMA ports
 * busy (the classic Haswell shape, also used by BLIS). */
#include <immintrin.h>

#include "sgemm_ukernel.h"

/* Writes one row of the tile: alpha, beta*C, biases and clamp in registers. */
static inline __attribute__((always_inline)) void store_row(float *c, __m256 v0, __m256 v1,
                                                            const obn_tile_args *t, int row)
{
    if (t->alpha != 1.0f) {
        __m256 al = _mm256_set1_ps(t->alpha);
        v0 = _mm256_mul_ps(v0, al);
        v1 = _mm256_mul_ps(v1, al);
    }
    if (t->beta != 0.0f) {
        __m256 be = _mm256_set1_ps(t->beta);
        v0 = _mm256_fmadd_ps(be, _mm256_loadu_ps(c), v0);
        v1 = _mm256_fmadd_ps(be, _mm256_loadu_ps(c + 8), v1);
    }
    if (t->row_bias) {
        __m256 rb = _mm256_set1_ps(t->row_bias[row]);
        v0 = _mm256_add_ps(v0, rb);
        v1 = _mm256_add_ps(v1, rb);
    }
    if (t->col_bias) {
        v0 = _mm256_add_ps(v0, _mm256_loadu_ps(t->col_bias));
        v1 = _mm256_add_ps(v1, _mm256_loadu_ps(t->col_bias + 8));
    }
    if (t->clamp) {
        /* max(lo, v) / min(hi, v) return v when v is NaN (second operand) */
        __m256 lo = _mm256_set1_ps(t->lo), hi = _mm256_set1_ps(t->hi);
        v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
        v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
    }
    if (t->leaky) { /* v >= 0 ? v : slope*v; NaN fails the test and stays NaN */
        __m256 sl = _mm256_set1_ps(t->slope), z = _mm256_setzero_ps();
        v0 = _mm256_blendv_ps(_mm256_mul_ps(v0, sl), v0, _mm256_cmp_ps(v0, z, _CMP_GE_OQ));
        v1 = _mm256_blendv_ps(_mm256_mul_ps(v1, sl), v1, _mm256_cmp_ps(v1, z, _CMP_GE_OQ));
    }
    _mm256_storeu_ps(c, v0);
    _mm256_storeu_ps(c + 8, v1);
}

/* k steps ahead at which the micro-kernel prefetches its A panel (6 floats a
 * step: 3 KiB ahead, into the next panel near the end of this one): the
 * weights of deep layers come from memory on every run (see
 * sgemm_avx512.c). */
#define OBN_A_PREFETCH_STEPS 128

#define DECL(i) __m256 c##i##0 = _mm256_setzero_ps(), c##i##1 = _mm256_setzero_ps()
#define STEP(i)                                           \
    do {                                                  \
        __m256 ai = _mm256_broadcast_ss(a + (i));         \
        c##i##0 = _mm256_fmadd_ps(ai, b0, c##i##0);       \
        c##i##1 = _mm256_fmadd_ps(ai, b1, c##i##1);       \
    } while (0)
#define STORE(i) store_row(c + (i) * ldc, c##i##0, c##i##1, t, (i))

static void ukernel_6x16(int64_t kc, const float *a, const float *b, float *c, int64_t ldc, const obn_tile_args *t)
{
    DECL(0); DECL(1); DECL(2); DECL(3); DECL(4); DECL(5);
    for (int64_t p = 0; p < kc; p++) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        _mm_prefetch((const char *)(a + 6 * OBN_A_PREFETCH_STEPS), _MM_HINT_T0);
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5);
        a += 6;
        b += 16;
    }
    STORE(0); STORE(1); STORE(2); STORE(3); STORE(4); STORE(5);
}

/* Four k steps in flight (8 accumulators) hide the 4-cycle FMA latency. */
static void gemv_panel_16(int64_t depth, const float *x, int64_t xs, const float *panel, float *out)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    int64_t k = 0;
    for (; k + 4 <= depth; k += 4, panel += 64) {
        __m256 x0 = _mm256_set1_ps(x[k * xs]), x1 = _mm256_set1_ps(x[(k + 1) * xs]);
        __m256 x2 = _mm256_set1_ps(x[(k + 2) * xs]), x3 = _mm256_set1_ps(x[(k + 3) * xs]);
        s0 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(panel), s0);
        s1 = _mm256_fmadd_ps(x0, _mm256_loadu_ps(panel + 8), s1);
        s2 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(panel + 16), s2);
        s3 = _mm256_fmadd_ps(x1, _mm256_loadu_ps(panel + 24), s3);
        s4 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(panel + 32), s4);
        s5 = _mm256_fmadd_ps(x2, _mm256_loadu_ps(panel + 40), s5);
        s6 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(panel + 48), s6);
        s7 = _mm256_fmadd_ps(x3, _mm256_loadu_ps(panel + 56), s7);
    }
    for (; k < depth; k++, panel += 16) {
        __m256 xk = _mm256_set1_ps(x[k * xs]);
        s0 = _mm256_fmadd_ps(xk, _mm256_loadu_ps(panel), s0);
        s1 = _mm256_fmadd_ps(xk, _mm256_loadu_ps(panel + 8), s1);
    }
    s0 = _mm256_add_ps(_mm256_add_ps(s0, s2), _mm256_add_ps(s4, s6));
    s1 = _mm256_add_ps(_mm256_add_ps(s1, s3), _mm256_add_ps(s5, s7));
    _mm256_storeu_ps(out, s0);
    _mm256_storeu_ps(out + 8, s1);
}

/* The column-edge tile (sgemm_edge_simd.h) at 8 lanes, 6 rows. */
#define SE_ISA avx2
#define SE_L 8
#define SE_MR 6
typedef __m256 se_v;
static inline se_v se_load(const float *p) { return _mm256_loadu_ps(p); }
static inline se_v se_load_rows(const float *p)
{
    return _mm256_maskload_ps(p, _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0));
}
static inline void se_store(float *p, se_v v) { _mm256_storeu_ps(p, v); }
static inline se_v se_set1(float s) { return _mm256_set1_ps(s); }
static inline se_v se_zero(void) { return _mm256_setzero_ps(); }
static inline se_v se_fma(se_v a, se_v b, se_v c) { return _mm256_fmadd_ps(a, b, c); }
static inline se_v se_add(se_v a, se_v b) { return _mm256_add_ps(a, b); }
#include "sgemm_edge_simd.h"

/* Blocking for AVX2 parts (Haswell .. Zen 3: 32 KiB L1d, 256-512 KiB L2,
 * several MiB of L3):
 *   kc 256: B micro-panel 256*16*4 = 16 KiB, half of L1;
 *   mc 120: A block 120*256*4 = 120 KiB, under half of a 256 KiB L2
 *           (a multiple of MR = 6);
 *   nc 3072: B block 256*3072*4 = 3 MiB, a share of L3. */
const obn_sgemm_kernel obn_sgemm_kernel_avx2 = {
    .name = "avx2 6x16", .isa = OBN_ISA_AVX2, .mr = 6, .nr = 16, .kc = 256, .mc = 120, .nc = 3072,
    .ukernel = ukernel_6x16, .ukernel_cols = ukernel_cols_avx2, .gemv_panel = gemv_panel_16,
};
