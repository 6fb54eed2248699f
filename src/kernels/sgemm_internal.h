/* Internal to the SGEMM files (sgemm.c, sgemm_pack.c): packed operands,
 * packing routines and the generic tile store. */
#ifndef OBN_KERNELS_SGEMM_INTERNAL_H
#define OBN_KERNELS_SGEMM_INTERNAL_H

#include <stdint.h>

#include "sgemm_ukernel.h"

struct obn_sgemm_packed {
    const obn_sgemm_kernel *kr; /* the kernel whose MR/NR shaped the panels */
    char side;                  /* 'a' or 'b' */
    int64_t rows, cols;         /* op(A): m x k; op(B): k x n */
    float *data;                /* 64-byte aligned panels over the full depth k */
    size_t bytes;
};

/* Kernel for the current ISA level (obn_cpu_isa). */
const obn_sgemm_kernel *obn_sgemm_current_kernel(void);

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
 * tiles of every kernel. Bias pointers must cover rows / cols entries. */
static inline void obn_sgemm_store_tile(const float *acc, int64_t ldacc, float *c, int64_t ldc, int64_t rows,
                                        int64_t cols, const obn_tile_args *t)
{
    for (int64_t i = 0; i < rows; i++) {
        float *cr = c + i * ldc;
        for (int64_t j = 0; j < cols; j++) {
            float v = acc ? t->alpha * acc[i * ldacc + j] : 0.0f;
            if (t->beta != 0.0f) v += t->beta * cr[j];
            if (t->row_bias) v += t->row_bias[i];
            if (t->col_bias) v += t->col_bias[j];
            if (t->clamp) {
                v = v < t->lo ? t->lo : v; /* NaN passes through both */
                v = v > t->hi ? t->hi : v;
            }
            if (t->leaky && v < 0.0f) v *= t->slope;
            cr[j] = v;
        }
    }
}

#endif
