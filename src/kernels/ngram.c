#include "ngram.h"

#include <stdbool.h>

/* The pool n-gram of level n equal to the tokens seq[i], seq[i+step], ...:
 * its number within the level, or -1. A linear scan: pools are small. */
static int64_t find(const int64_t *level, int64_t count, int n, const int64_t *seq, int64_t i, int64_t step)
{
    for (int64_t g = 0; g < count; g++) {
        const int64_t *t = level + g * n;
        bool eq = true;
        for (int k = 0; k < n && eq; k++) eq = t[k] == seq[i + k * step];
        if (eq) return g;
    }
    return -1;
}

void obn_ngram_count(const int64_t *seq, int64_t len, const obn_ngram_pool *pool, int min_n, int max_n, int64_t max_skip,
                     float *hits)
{
    int64_t first = 0; /* number of the level's first n-gram */
    for (int n = 1; n <= pool->levels && n <= max_n; first += pool->count[n - 1], n++) {
        if (n < min_n || pool->count[n - 1] == 0) continue;
        const int64_t *level = pool->tokens + pool->start[n - 1];
        for (int64_t s = 0; s <= (n == 1 ? 0 : max_skip); s++) {
            int64_t step = s + 1, span = (int64_t)(n - 1) * step;
            for (int64_t i = 0; i + span < len; i++) {
                int64_t g = find(level, pool->count[n - 1], n, seq, i, step);
                if (g >= 0) hits[first + g] += 1.0f;
            }
        }
    }
}
