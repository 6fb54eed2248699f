/* Portable integer GEMM (igemm.h): row i of C accumulates a[i][p] * row p
 * of B, a loop over contiguous rows that compilers vectorise. Unsigned
 * arithmetic gives the wrap-around without undefined behaviour. */
#include "igemm.h"
#include "kstop.h"

/* Multiply-adds below which the product runs on one thread (a thread start
 * costs about as much as this many). */
#define IGEMM_PARALLEL_MACS ((int64_t)1 << 18)

static void igemm_row(int64_t n, int64_t k, const int16_t *a, const int16_t *b, int64_t ldb, uint32_t *c)
{
    for (int64_t j = 0; j < n; j++) c[j] = 0;
    for (int64_t p = 0; p < k; p++) {
        int32_t av = a[p];
        if (av == 0) continue;
        const int16_t *bp = b + p * ldb;
        for (int64_t j = 0; j < n; j++) c[j] += (uint32_t)(av * (int32_t)bp[j]);
    }
}

void obn_igemm_s16(int64_t m, int64_t n, int64_t k, const int16_t *a, int64_t lda, const int16_t *b, int64_t ldb,
                   int32_t *c, int64_t ldc, int threads)
{
    int par = threads > 1 && m > 1 && m * n * k >= IGEMM_PARALLEL_MACS;
    const obn_kstop *stop = obn_kstop_get();
    const int64_t every = obn_kstop_every((double)n * (double)k);
    int stopped = 0;
#pragma omp parallel for schedule(static) num_threads(threads) if (par)
    for (int64_t i = 0; i < m; i++)
        if (!obn_kstop_step(stop, &stopped, i, every)) igemm_row(n, k, a + i * lda, b, ldb, (uint32_t *)(c + i * ldc));
}
