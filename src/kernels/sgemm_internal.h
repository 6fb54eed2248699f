/* Internal to the SGEMM files (sgemm.c, sgemm_pack.c): packed operands,
 * packing routines and the generic tile store. */
#ifndef OBN_KERNELS_SGEMM_INTERNAL_H
#define OBN_KERNELS_SGEMM_INTERNAL_H

#include <stdint.h>

#include "sgemm_ukernel.h"

/* Pre-packed op(A) up to this size stays in L2 (half of a 512 KiB Zen 2/3
 * L2) while every column panel of B streams past it once
 * (gemm_thread_stream); larger ones, with B at most
 * OBN_SGEMM_STREAM_A_MAX_COLS columns wide (7x7 and 14x14 images at batch 1:
 * 64 and 224 padded), are streamed past B one K block at a time
 * (gemm_thread_stream_a). The convolutions size their im2col chunks by the
 * same bounds (src/kernels/conv.c). */
#define OBN_SGEMM_STREAM_A_BYTES ((int64_t)256 << 10)
#define OBN_SGEMM_STREAM_A_MAX_COLS 384

/* Kernel for the current ISA level (obn_cpu_isa). */
const obn_sgemm_kernel *obn_sgemm_current_kernel(void);

/* obn_sgemm_pack_a_groups for a given kernel (one the CPU supports), not
 * the current level's: the convolutions pick the narrower AVX2 tile on
 * AVX-512 CPUs where it pads their GEMMs less (src/kernels/conv.c). */
struct obn_sgemm_packed_groups;
struct obn_sgemm_packed_groups *obn_sgemm_pack_a_groups_for(const obn_sgemm_kernel *kr, int64_t groups, int64_t m,
                                                            int64_t k, const float *a, int64_t group_stride,
                                                            int64_t lda, int trans);
/* The same for a not transposed A whose row i (of all groups: group g's
 * rows are row_scale + g * m) is first scaled by row_scale[i] in double and
 * rounded to float (row_scale NULL: A itself): what packing the stored
 * product would give; row panels split over up to `threads` OpenMP
 * threads. */
struct obn_sgemm_packed_groups *obn_sgemm_pack_a_groups_scaled_for(const obn_sgemm_kernel *kr, int64_t groups,
                                                                   int64_t m, int64_t k, const float *a,
                                                                   int64_t group_stride, int64_t lda,
                                                                   const double *row_scale, int threads);

/* Packs op(A) rows [i0, i0+rows) x depth [p0, p0+kc) into ceil(rows/mr)
 * panels of [kc][mr] (panel stride kc*mr), zero-padding the last one. */
void obn_sgemm_pack_a_panels(const float *a, int64_t lda, int trans, int64_t i0, int64_t rows, int64_t p0,
                             int64_t kc, int mr, float *dst);

/* Packs panels [q0, q1) of op(B) depth [p0, p0+kc) x columns [j0, j0+cols)
 * into [kc][nr] panels, panel q at dst + (q - q0)*kc*nr, zero-padding the
 * last one. */
void obn_sgemm_pack_b_panels(const float *b, int64_t ldb, int trans, int64_t p0, int64_t kc, int64_t j0,
                             int64_t cols, int nr, int64_t q0, int64_t q1, float *dst);

/* Writes rows x cols of an accumulator tile (row stride ldacc; NULL = zeros)
 * to C per the tile args: the portable micro-kernel's store and the edge
 * tiles of every kernel. Bias pointers must cover rows / cols entries. One
 * branch-free pass per step, so each inner loop vectorises. */
static inline void obn_sgemm_store_tile(const float *acc, int64_t ldacc, float *c, int64_t ldc, int64_t rows,
                                        int64_t cols, const obn_tile_args *t)
{
    for (int64_t i = 0; i < rows; i++) {
        float *cr = c + i * ldc;
        const float *ar = acc ? acc + i * ldacc : NULL;
        float alpha = t->alpha, beta = t->beta;
        if (!ar)
            for (int64_t j = 0; j < cols; j++) cr[j] = beta != 0.0f ? beta * cr[j] : 0.0f;
        else if (beta != 0.0f)
            for (int64_t j = 0; j < cols; j++) cr[j] = alpha * ar[j] + beta * cr[j];
        else
            for (int64_t j = 0; j < cols; j++) cr[j] = alpha * ar[j];
        if (t->row_bias)
            for (int64_t j = 0; j < cols; j++) cr[j] += t->row_bias[i];
        if (t->col_bias)
            for (int64_t j = 0; j < cols; j++) cr[j] += t->col_bias[j];
        if (t->clamp)
            for (int64_t j = 0; j < cols; j++) { /* NaN passes through both */
                float v = cr[j] < t->lo ? t->lo : cr[j];
                cr[j] = v > t->hi ? t->hi : v;
            }
        if (t->leaky)
            for (int64_t j = 0; j < cols; j++) cr[j] = cr[j] < 0.0f ? cr[j] * t->slope : cr[j];
    }
}

#endif
