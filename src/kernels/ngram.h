/* Counting skip-grams of integer tokens against a pool (TfIdfVectorizer).
 * The pool is a CSR-like list: level n (n-grams of n tokens, n = 1..levels)
 * holds count[n-1] n-grams, stored back to back as n tokens each from
 * tokens + start[n-1]; n-grams are numbered across levels in that order.
 * For each n in [min_n, max_n] and each skip s in [0, max_skip] (only s = 0
 * for 1-grams: a single token has no gaps), every start position i of the
 * sequence whose n-gram seq[i], seq[i + (s+1)], ..., seq[i + (n-1)(s+1)]
 * fits is looked up, and a match adds 1 to hits[its number]. No ONNX
 * knowledge here. */
#ifndef OBN_KERNELS_NGRAM_H
#define OBN_KERNELS_NGRAM_H

#include <stdint.h>

typedef struct obn_ngram_pool {
    const int64_t *tokens;
    const int64_t *start; /* per level: offset of its first token */
    const int64_t *count; /* per level: n-grams */
    int levels;
} obn_ngram_pool;

/* hits has one entry per pool n-gram; it is added to, not cleared. */
void obn_ngram_count(const int64_t *seq, int64_t len, const obn_ngram_pool *pool, int min_n, int max_n, int64_t max_skip,
                     float *hits);

#endif
