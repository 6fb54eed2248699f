/* Block copies for the data-movement ops (any element type, counted in
 * bytes). */
#ifndef OBN_KERNELS_COPY_H
#define OBN_KERNELS_COPY_H

#include <stddef.h>
#include <stdint.h>

/* Concatenation along an axis: the output is `outer` rows, each the
 * concatenation of one row of every input (row_bytes[k] bytes from xs[k]).
 * Parallel over rows. */
void obn_concat_rows(void *y, int n, const void *const *xs, const size_t *row_bytes, int64_t outer, int threads);

/* The inverse: row o of x is cut into pieces, piece k going to ys[k]. */
void obn_split_rows(const void *x, int n, void *const *ys, const size_t *row_bytes, int64_t outer, int threads);

#endif
