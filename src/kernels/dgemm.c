#include "dgemm.h"
#include "kstop.h"

/* Rows of C split over threads; per row the i-k-j order streams rows of B
 * through the inner loop, which the compiler vectorises (no reduction
 * across iterations of it). */
void obn_dgemm(int64_t m, int64_t n, int64_t k, const double *a, int64_t lda, const double *b, int64_t ldb,
               double *c, int64_t ldc, int threads)
{
    double work = (double)m * (double)n * (double)k;
    const obn_kstop *stop = obn_kstop_get();
    const int64_t every = obn_kstop_every((double)n * (double)k);
    int stopped = 0;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && m > 1 && work > 65536.0)
    for (int64_t i = 0; i < m; i++) {
        if (obn_kstop_step(stop, &stopped, i, every)) continue;
        double *ci = c + i * ldc;
        for (int64_t j = 0; j < n; j++) ci[j] = 0.0;
        for (int64_t p = 0; p < k; p++) {
            double av = a[i * lda + p];
            const double *bp = b + p * ldb;
            for (int64_t j = 0; j < n; j++) ci[j] += av * bp[j];
        }
    }
}

void obn_u64gemm(int64_t m, int64_t n, int64_t k, const uint64_t *a, int64_t lda, const uint64_t *b, int64_t ldb,
                 uint64_t *c, int64_t ldc, int threads)
{
    double work = (double)m * (double)n * (double)k;
    const obn_kstop *stop = obn_kstop_get();
    const int64_t every = obn_kstop_every((double)n * (double)k);
    int stopped = 0;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && m > 1 && work > 65536.0)
    for (int64_t i = 0; i < m; i++) {
        if (obn_kstop_step(stop, &stopped, i, every)) continue;
        uint64_t *ci = c + i * ldc;
        for (int64_t j = 0; j < n; j++) ci[j] = 0;
        for (int64_t p = 0; p < k; p++) {
            uint64_t av = a[i * lda + p];
            const uint64_t *bp = b + p * ldb;
            for (int64_t j = 0; j < n; j++) ci[j] += av * bp[j];
        }
    }
}
