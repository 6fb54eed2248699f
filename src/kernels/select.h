/* Selection along one axis of x viewed as [outer][n][inner]: the index of
 * the largest or smallest element (ArgMax, ArgMin, Hardmax) and the k
 * largest or smallest elements (TopK). Elements are compared through their
 * order keys (order.h). Parallel over the outer*inner independent vectors. */
#ifndef OBN_KERNELS_SELECT_H
#define OBN_KERNELS_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "order.h"

/* out[o*inner + i] = position along the axis of the maximum (want_max) or
 * minimum of vector (o, i); the first one on ties, or the last if `last`.
 * For floats, a NaN wins over every number in both directions (numpy's
 * argmax/argmin). n >= 1. */
void obn_argreduce(obn_key_type t, const void *x, int64_t outer, int64_t n, int64_t inner, bool want_max, bool last,
                   int64_t *out, int threads);

/* One (key, position) entry of the top-k selection. */
typedef struct obn_topk_entry {
    uint64_t key;
    int64_t pos;
} obn_topk_entry;

/* The k (<= n) largest (or smallest) elements of every vector, best first,
 * lower position first among equal keys: indices[o][j][i] (int64) and
 * values[o][j][i] (elements of elem_size bytes copied from x). scratch holds
 * k entries per thread (obn_topk_scratch_bytes). */
void obn_topk(obn_key_type t, const void *x, size_t elem_size, int64_t outer, int64_t n, int64_t inner, int64_t k,
              bool largest, void *values, int64_t *indices, obn_topk_entry *scratch, int threads);

/* Threads the kernel will use for `outer*inner` vectors (the scratch needs
 * one k-entry block per thread). */
int obn_topk_threads(int64_t outer, int64_t n, int64_t inner, int threads);

#endif
