#include "reduce.h"

#include <math.h>

/* The input as alternating kept / reduced axis groups (unit axes dropped,
 * neighbours of the same kind merged). */
typedef struct {
    int n_kept, n_red;
    int64_t kept_dims[OBN_RED_MAX_RANK], kept_strides[OBN_RED_MAX_RANK];
    int64_t red_dims[OBN_RED_MAX_RANK], red_strides[OBN_RED_MAX_RANK];
    int64_t outputs, count; /* number of outputs, elements per output */
} red_geom;

static void make_geom(red_geom *g, int rank, const int64_t *dims, const unsigned char *reduced)
{
    int64_t strides[OBN_RED_MAX_RANK], s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
    g->n_kept = g->n_red = 0;
    g->outputs = g->count = 1;
    int last_kind = -1;
    for (int d = 0; d < rank; d++) {
        int red = reduced[d] != 0;
        if (red) g->count *= dims[d];
        else g->outputs *= dims[d];
        if (dims[d] == 1) continue;
        int64_t *gd = red ? g->red_dims : g->kept_dims, *gs = red ? g->red_strides : g->kept_strides;
        int *n = red ? &g->n_red : &g->n_kept;
        if (last_kind == red && *n > 0 && gs[*n - 1] == strides[d] * dims[d]) {
            gd[*n - 1] *= dims[d]; /* contiguous with the previous axis of its kind */
            gs[*n - 1] = strides[d];
        } else {
            gd[*n] = dims[d];
            gs[*n] = strides[d];
            (*n)++;
        }
        last_kind = red;
    }
}

static double identity_of(obn_redop op)
{
    switch (op) {
    case OBN_RED_MAX: return -INFINITY;
    case OBN_RED_MIN: return INFINITY;
    case OBN_RED_PROD: return 1.0;
    default: return 0.0;
    }
}

static double finish(obn_redop op, double acc, int64_t count, double shift)
{
    switch (op) {
    case OBN_RED_MEAN: return acc / (double)count;
    case OBN_RED_L2: return sqrt(acc);
    case OBN_RED_LOGSUM: return log(acc);
    case OBN_RED_LOGSUMEXP: return log(acc) + shift;
    default: return acc;
    }
}

/* Walks the reduced elements of one output with an odometer over the
 * reduced groups; BODY sees the element as v. */
#define FOR_REDUCED(g, base, T, x, BODY)                                         \
    do {                                                                         \
        int64_t idx_[OBN_RED_MAX_RANK] = {0}, off_ = (base);                     \
        for (int64_t j_ = 0; j_ < (g)->count; j_++) {                            \
            double v = (double)(x)[off_];                                        \
            BODY;                                                                \
            for (int d_ = (g)->n_red - 1; d_ >= 0; d_--) {                       \
                off_ += (g)->red_strides[d_];                                    \
                if (++idx_[d_] < (g)->red_dims[d_]) break;                       \
                off_ -= (g)->red_strides[d_] * (g)->red_dims[d_];                \
                idx_[d_] = 0;                                                    \
            }                                                                    \
        }                                                                        \
    } while (0)

#define DEFINE_REDUCE_ONE(NAME, T)                                                                  \
    static double NAME(obn_redop op, const red_geom *g, const T *x, int64_t base)                   \
    {                                                                                               \
        double acc = identity_of(op), shift = 0;                                                    \
        switch (op) {                                                                               \
        case OBN_RED_SUM: case OBN_RED_MEAN: case OBN_RED_LOGSUM: FOR_REDUCED(g, base, T, x, acc += v); break; \
        case OBN_RED_SUMSQ: case OBN_RED_L2: FOR_REDUCED(g, base, T, x, acc += v * v); break;       \
        case OBN_RED_L1: FOR_REDUCED(g, base, T, x, acc += fabs(v)); break;                         \
        case OBN_RED_PROD: FOR_REDUCED(g, base, T, x, acc *= v); break;                             \
        case OBN_RED_MAX: FOR_REDUCED(g, base, T, x, acc = (v > acc || v != v) ? v : acc); break;   \
        case OBN_RED_MIN: FOR_REDUCED(g, base, T, x, acc = (v < acc || v != v) ? v : acc); break;   \
        case OBN_RED_LOGSUMEXP:                                                                     \
            shift = -INFINITY;                                                                      \
            FOR_REDUCED(g, base, T, x, shift = v > shift ? v : shift);                              \
            if (!isfinite(shift)) shift = 0;                                                        \
            FOR_REDUCED(g, base, T, x, acc += exp(v - shift));                                      \
            break;                                                                                  \
        }                                                                                           \
        return finish(op, acc, g->count, shift);                                                    \
    }

DEFINE_REDUCE_ONE(reduce_one_f32, float)
DEFINE_REDUCE_ONE(reduce_one_f64, double)

/* Offset of output o (kept axes in order) in x. */
static inline int64_t kept_offset(const red_geom *g, int64_t o)
{
    int64_t off = 0;
    for (int d = g->n_kept - 1; d >= 0 && o > 0; d--) {
        off += (o % g->kept_dims[d]) * g->kept_strides[d];
        o /= g->kept_dims[d];
    }
    return off;
}

/* Sum/mean/max/min over the middle axis of [outer][len][inner] with inner > 1:
 * whole rows are combined, so that the loads stay contiguous. */
static int try_rows_f32(obn_redop op, const red_geom *g, const float *x, float *y, int threads)
{
    if (g->n_red != 1 || g->n_kept < 1 || g->n_kept > 2) return 0;
    if (op != OBN_RED_SUM && op != OBN_RED_MEAN && op != OBN_RED_MAX && op != OBN_RED_MIN) return 0;
    int64_t inner = g->kept_strides[g->n_kept - 1] == 1 ? g->kept_dims[g->n_kept - 1] : 1;
    if (inner <= 1 || g->red_strides[0] != inner) return 0;
    int64_t len = g->red_dims[0], outer = g->outputs / inner;
    if (g->n_kept == 2 && g->kept_strides[0] != len * inner) return 0;
#pragma omp parallel for schedule(static) num_threads(threads) if (outer * len * inner > 4096)
    for (int64_t o = 0; o < outer; o++) {
        const float *xo = x + o * len * inner;
        float *yo = y + o * inner;
        for (int64_t i = 0; i < inner; i++) yo[i] = xo[i];
        for (int64_t r = 1; r < len; r++) {
            const float *xr = xo + r * inner;
            if (op == OBN_RED_MAX)
                for (int64_t i = 0; i < inner; i++) yo[i] = xr[i] > yo[i] || xr[i] != xr[i] ? xr[i] : yo[i];
            else if (op == OBN_RED_MIN)
                for (int64_t i = 0; i < inner; i++) yo[i] = xr[i] < yo[i] || xr[i] != xr[i] ? xr[i] : yo[i];
            else
                for (int64_t i = 0; i < inner; i++) yo[i] += xr[i];
        }
        if (op == OBN_RED_MEAN) {
            float inv = 1.0f / (float)len;
            for (int64_t i = 0; i < inner; i++) yo[i] *= inv;
        }
    }
    return 1;
}

/* Sum/mean/sum of squares over a contiguous run (LayerNorm decompositions
 * reduce the last axis): a plain loop the compiler vectorises. */
static int try_contiguous_f32(obn_redop op, const red_geom *g, const float *x, float *y, int threads)
{
    if (g->n_red != 1 || g->red_strides[0] != 1) return 0;
    if (op != OBN_RED_SUM && op != OBN_RED_MEAN && op != OBN_RED_SUMSQ && op != OBN_RED_L2) return 0;
    const int64_t len = g->count;
    const int square = op == OBN_RED_SUMSQ || op == OBN_RED_L2;
#pragma omp parallel for schedule(static) num_threads(threads) if (g->outputs > 1 && g->outputs * len > 4096)
    for (int64_t o = 0; o < g->outputs; o++) {
        const float *r = x + kept_offset(g, o);
        double acc = 0;
        if (square)
            for (int64_t i = 0; i < len; i++) acc += (double)r[i] * r[i];
        else
            for (int64_t i = 0; i < len; i++) acc += r[i];
        y[o] = (float)finish(op, acc, len, 0);
    }
    return 1;
}

void obn_reduce_f32(obn_redop op, const float *x, float *y, int rank, const int64_t *dims,
                    const unsigned char *reduced, int threads)
{
    red_geom g;
    make_geom(&g, rank, dims, reduced);
    if (g.count > 0 && try_rows_f32(op, &g, x, y, threads)) return;
    if (g.count > 0 && try_contiguous_f32(op, &g, x, y, threads)) return;
#pragma omp parallel for schedule(static) num_threads(threads) if (g.outputs > 1 && g.outputs * g.count > 4096)
    for (int64_t o = 0; o < g.outputs; o++)
        y[o] = (float)reduce_one_f32(op, &g, x, kept_offset(&g, o));
}

void obn_reduce_f64(obn_redop op, const double *x, double *y, int rank, const int64_t *dims,
                    const unsigned char *reduced, int threads)
{
    red_geom g;
    make_geom(&g, rank, dims, reduced);
#pragma omp parallel for schedule(static) num_threads(threads) if (g.outputs > 1 && g.outputs * g.count > 4096)
    for (int64_t o = 0; o < g.outputs; o++) y[o] = reduce_one_f64(op, &g, x, kept_offset(&g, o));
}
