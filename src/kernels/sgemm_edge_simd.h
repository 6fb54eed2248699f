/* The SGEMM's column-edge tile, written once for any vector width and
 * compiled per ISA level: sgemm_avx2.c (6x16 tile, 8 lanes) and
 * sgemm_avx512.c (14x32 tile, 16 lanes) define the vector type and
 * operations below, then include this file. Internal to the SGEMM.
 *
 * A last column panel holds cols < NR = 2L columns (C of 7x7 = 49 columns
 * is one 32-column panel and one of 17; 14x14 = 196 leaves 4). The full
 * micro-kernel would spend all 2 * MR vector FMAs per depth step on it; this
 * one spends what the columns need:
 *   - a whole L-column half: MR FMAs per step (one vector per row), as the
 *     micro-kernel's rows do;
 *   - the r < MR columns left after it: one FMA per column per step, with the
 *     roles turned round: the MR values of the A panel at depth k (contiguous
 *     in the packed layout, one masked vector load) times a broadcast of
 *     B[k][j], so a vector accumulates column j of the tile. With few
 *     columns the depth is split into P interleaved phases (P independent
 *     accumulators per column) so that the FMA latency is covered.
 * A remainder of MR columns or more is cheaper as another half.
 *
 * The raw sums go to an MR x NR buffer (row stride NR, columns >= cols
 * unspecified) that the caller stores with obn_sgemm_store_tile (alpha,
 * beta, biases, clamp), as for every other edge tile. Sums are in depth
 * order per phase, then the phases added: the rounding differs from the
 * full kernel's by the usual reassociation bound.
 *
 * The including file defines:
 *   SE_ISA           suffix of the function defined here
 *   SE_L, SE_MR      lanes per vector (NR = 2 * SE_L), rows of the tile (<= SE_L)
 *   se_v             vector type
 *   se_load(p)       full load; se_load_rows(p): the first SE_MR lanes (masked,
 *                    no access past them), the rest zero
 *   se_store(p, v), se_set1(s), se_zero(), se_fma(a, b, c) = a * b + c, se_add */
#include <stdint.h>

#define OBN_SE_CAT2(a, b) a##_##b
#define OBN_SE_CAT(a, b) OBN_SE_CAT2(a, b)
#define OBN_SE_FN(name) OBN_SE_CAT(name, SE_ISA)
#define SE_NR (2 * SE_L)

/* Columns [j0, j0 + L) of the tile: one accumulator per row. */
static inline __attribute__((always_inline)) void OBN_SE_FN(se_half)(int64_t kc, const float *a, const float *b,
                                                                     int j0, float *acc)
{
    se_v s[SE_MR];
#pragma GCC unroll 16
    for (int i = 0; i < SE_MR; i++) s[i] = se_zero();
    for (int64_t p = 0; p < kc; p++) {
        se_v bv = se_load(b + p * SE_NR + j0);
#pragma GCC unroll 16
        for (int i = 0; i < SE_MR; i++) s[i] = se_fma(se_set1(a[p * SE_MR + i]), bv, s[i]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < SE_MR; i++) se_store(acc + i * SE_NR + j0, s[i]);
}

/* R columns from j0, one vector of MR rows per column and phase (R, P are
 * constants in each instance: the accumulators stay in registers). */
static inline __attribute__((always_inline)) void OBN_SE_FN(se_columns)(const int R, const int P, int64_t kc,
                                                                        const float *a, const float *b, int j0,
                                                                        float *acc)
{
    se_v s[4][SE_MR];
#pragma GCC unroll 4
    for (int q = 0; q < P; q++)
#pragma GCC unroll 16
        for (int j = 0; j < R; j++) s[q][j] = se_zero();
    int64_t p = 0;
    for (; p + P <= kc; p += P)
#pragma GCC unroll 4
        for (int q = 0; q < P; q++) {
            se_v av = se_load_rows(a + (p + q) * SE_MR);
            const float *bk = b + (p + q) * SE_NR + j0;
#pragma GCC unroll 16
            for (int j = 0; j < R; j++) s[q][j] = se_fma(av, se_set1(bk[j]), s[q][j]);
        }
    for (; p < kc; p++) {
        se_v av = se_load_rows(a + p * SE_MR);
        const float *bk = b + p * SE_NR + j0;
#pragma GCC unroll 16
        for (int j = 0; j < R; j++) s[0][j] = se_fma(av, se_set1(bk[j]), s[0][j]);
    }
#pragma GCC unroll 16
    for (int j = 0; j < R; j++) {
        se_v v = s[0][j];
#pragma GCC unroll 4
        for (int q = 1; q < P; q++) v = se_add(v, s[q][j]);
        float col[SE_L];
        se_store(col, v);
        for (int i = 0; i < SE_MR; i++) acc[i * SE_NR + j0 + j] = col[i];
    }
}

/* Phases per column count: at least 4 accumulators in flight for 1-3
 * columns, 8 or more for 4-7. */
#define SE_COLS(R)                                                                                         \
    case R:                                                                                                \
        OBN_SE_FN(se_columns)(R, (R) <= 2 ? 4 : (R) <= 7 ? 2 : 1, kc, a, b, j0, acc);                     \
        break;

/* The raw MR x cols tile (0 < cols < NR) into acc[MR][NR]. */
static void OBN_SE_FN(ukernel_cols)(int cols, int64_t kc, const float *a, const float *b, float *acc)
{
    int j0 = 0;
    if (cols >= SE_L) {
        OBN_SE_FN(se_half)(kc, a, b, 0, acc);
        j0 = SE_L;
    }
    int r = cols - j0;
    if (r == 0) return;
    if (r >= SE_MR) {
        OBN_SE_FN(se_half)(kc, a, b, j0, acc);
        return;
    }
    switch (r) {
        SE_COLS(1) SE_COLS(2) SE_COLS(3) SE_COLS(4) SE_COLS(5)
#if SE_MR > 6
        SE_COLS(6) SE_COLS(7) SE_COLS(8) SE_COLS(9) SE_COLS(10) SE_COLS(11) SE_COLS(12) SE_COLS(13)
#endif
    default:
        break;
    }
}
