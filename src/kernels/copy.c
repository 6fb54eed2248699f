#include "copy.h"

#include <string.h>

/* Below this many bytes a copy is not worth waking threads for (about the
 * size of a core's L2 share on current x86). */
#define OBN_COPY_PARALLEL_BYTES ((size_t)1 << 18)

void obn_concat_rows(void *y, int n, const void *const *xs, const size_t *row_bytes, int64_t outer, int threads)
{
    size_t out_row = 0;
    for (int k = 0; k < n; k++) out_row += row_bytes[k];
#pragma omp parallel for schedule(static) num_threads(threads) if (outer > 1 && out_row * (size_t)outer > OBN_COPY_PARALLEL_BYTES)
    for (int64_t o = 0; o < outer; o++) {
        char *dst = (char *)y + (size_t)o * out_row;
        for (int k = 0; k < n; k++) {
            if (row_bytes[k]) memcpy(dst, (const char *)xs[k] + (size_t)o * row_bytes[k], row_bytes[k]);
            dst += row_bytes[k];
        }
    }
}

void obn_split_rows(const void *x, int n, void *const *ys, const size_t *row_bytes, int64_t outer, int threads)
{
    size_t in_row = 0;
    for (int k = 0; k < n; k++) in_row += row_bytes[k];
#pragma omp parallel for schedule(static) num_threads(threads) if (outer > 1 && in_row * (size_t)outer > OBN_COPY_PARALLEL_BYTES)
    for (int64_t o = 0; o < outer; o++) {
        const char *src = (const char *)x + (size_t)o * in_row;
        for (int k = 0; k < n; k++) {
            if (row_bytes[k] && ys[k]) memcpy((char *)ys[k] + (size_t)o * row_bytes[k], src, row_bytes[k]);
            src += row_bytes[k];
        }
    }
}
