#include "select.h"

#include <omp.h>
#include <string.h>

/* Enough elements per parallel region to pay for waking threads. */
#define SELECT_PAR_MIN 4096

/* For arg-min, reflect the keys so that the minimum becomes the maximum;
 * a float NaN keeps the top key so that it still wins. */
static inline uint64_t arg_key(obn_key_type t, const void *x, int64_t i, bool want_max, bool nan_wins)
{
    uint64_t k = obn_order_key(t, x, i);
    if (want_max || (nan_wins && k == OBN_KEY_NAN)) return k;
    return ~k;
}

static int64_t arg_one(obn_key_type t, const void *x, int64_t base, int64_t n, int64_t stride, bool want_max,
                       bool last)
{
    bool nan_wins = obn_key_type_is_float(t);
    int64_t best = 0;
    uint64_t best_key = arg_key(t, x, base, want_max, nan_wins);
    for (int64_t j = 1; j < n; j++) {
        uint64_t k = arg_key(t, x, base + j * stride, want_max, nan_wins);
        if (k > best_key || (last && k == best_key)) {
            best_key = k;
            best = j;
        }
    }
    return best;
}

void obn_argreduce(obn_key_type t, const void *x, int64_t outer, int64_t n, int64_t inner, bool want_max, bool last,
                   int64_t *out, int threads)
{
    int64_t vectors = outer * inner;
#pragma omp parallel for schedule(static) num_threads(threads) if (vectors > 1 && vectors * n > SELECT_PAR_MIN)
    for (int64_t v = 0; v < vectors; v++) {
        int64_t o = v / inner, i = v % inner;
        out[v] = arg_one(t, x, o * n * inner + i, n, inner, want_max, last);
    }
}

/* a ranks before b in the result: better key, then lower position. */
static inline bool better(const obn_topk_entry *a, const obn_topk_entry *b, bool largest)
{
    if (a->key != b->key) return largest ? a->key > b->key : a->key < b->key;
    return a->pos < b->pos;
}

/* Heap whose root is the worst kept entry. */
static void sift_down(obn_topk_entry *h, int64_t size, int64_t at, bool largest)
{
    for (;;) {
        int64_t l = 2 * at + 1, r = l + 1, worst = at;
        if (l < size && better(&h[worst], &h[l], largest)) worst = l;
        if (r < size && better(&h[worst], &h[r], largest)) worst = r;
        if (worst == at) return;
        obn_topk_entry tmp = h[at];
        h[at] = h[worst];
        h[worst] = tmp;
        at = worst;
    }
}

static void sift_up(obn_topk_entry *h, int64_t at, bool largest)
{
    while (at > 0) {
        int64_t parent = (at - 1) / 2;
        if (!better(&h[parent], &h[at], largest)) return;
        obn_topk_entry tmp = h[at];
        h[at] = h[parent];
        h[parent] = tmp;
        at = parent;
    }
}

/* Keeps the k best of the vector in a heap (O(n log k)), then pops the worst
 * into the last free output slot until the heap is empty. values and
 * indices point at the vector's first output element (stride as in x). */
static void topk_one(obn_key_type t, const char *x, size_t es, int64_t base, int64_t n, int64_t stride, int64_t k,
                     bool largest, char *values, int64_t *indices, obn_topk_entry *heap)
{
    int64_t size = 0;
    for (int64_t j = 0; j < n; j++) {
        obn_topk_entry e = {obn_order_key(t, x, base + j * stride), j};
        if (size < k) {
            heap[size] = e;
            sift_up(heap, size++, largest);
        } else if (better(&e, &heap[0], largest)) {
            heap[0] = e;
            sift_down(heap, size, 0, largest);
        }
    }
    while (size > 0) {
        int64_t slot = --size;
        indices[slot * stride] = heap[0].pos;
        memcpy(values + (size_t)(slot * stride) * es, x + (size_t)(base + heap[0].pos * stride) * es, es);
        heap[0] = heap[size];
        sift_down(heap, size, 0, largest);
    }
}

int obn_topk_threads(int64_t outer, int64_t n, int64_t inner, int threads)
{
    int64_t vectors = outer * inner;
    if (threads < 1 || vectors < 2 || vectors * n <= SELECT_PAR_MIN) return 1;
    return vectors < threads ? (int)vectors : threads;
}

void obn_topk(obn_key_type t, const void *x, size_t elem_size, int64_t outer, int64_t n, int64_t inner, int64_t k,
              bool largest, void *values, int64_t *indices, obn_topk_entry *scratch, int threads)
{
    int64_t vectors = outer * inner;
    int nt = obn_topk_threads(outer, n, inner, threads);
    if (k == 0) return;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t v = 0; v < vectors; v++) {
        int64_t o = v / inner, i = v % inner, out = o * k * inner + i;
        topk_one(t, x, elem_size, o * n * inner + i, n, inner, k, largest, (char *)values + (size_t)out * elem_size,
                 indices + out, scratch + (size_t)omp_get_thread_num() * (size_t)k);
    }
}
