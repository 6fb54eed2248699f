#include "weight_scan.h"

#include <omp.h>
#include <string.h>

#include "simd_clones.h"

/* Integer compares on the sign-cleared bits: exact, NaN-safe, and
 * vectorised for each ISA level (clones); memory-bound on large weights. */
OBN_CLONES static void rows_abs_max(const float *x, int64_t r0, int64_t r1, int64_t run, uint32_t *out)
{
    for (int64_t r = r0; r < r1; r++) {
        const float *row = x + r * run;
        int32_t m = 0;
        for (int64_t i = 0; i < run; i++) {
            int32_t b;
            memcpy(&b, &row[i], sizeof b);
            b &= 0x7fffffff;
            m = b > m ? b : m;
        }
        out[r] = (uint32_t)m;
    }
}

/* Parallel above this many floats (1 MiB): below, the region costs more
 * than the scan. */
#define SCAN_PARALLEL_MIN ((int64_t)1 << 18)

void obn_f32_row_abs_max_bits(const float *x, int64_t rows, int64_t run, uint32_t *out, int threads)
{
    int nt = threads > 1 && rows >= threads && rows * run >= SCAN_PARALLEL_MIN ? threads : 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
    {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        rows_abs_max(x, rows * t / n, rows * (t + 1) / n, run, out);
    }
}
