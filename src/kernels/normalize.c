#include "normalize.h"

#include <math.h>
#include <omp.h>

#include "simd_clones.h"

/* Below this many elements a parallel region costs more than it saves. */
#define OBN_NORM_PARALLEL_MIN OBN_STREAM_CHUNK

/* Element conversions the typed kernels below are instantiated with:
 * storage -> compute type and back (float16/bfloat16 compute in float). */
#define CVT_SAME(v) (v)
#define CVT_F32(v) ((float)(v))
#define CVT_F16_LOAD(v) obn_f16_to_f32(v)
#define CVT_F16_STORE(v) obn_f32_to_f16((float)(v))
#define CVT_BF16_LOAD(v) obn_bf16_to_f32(v)
#define CVT_BF16_STORE(v) obn_f32_to_bf16((float)(v))

/* One row: statistics in double, then the affine map in the compute type T.
 * p0 is the row's first parameter; run the elements per parameter. */
#define DEFINE_NORM_ROW(SUFFIX, T)                                                                       \
    OBN_CLONES                                                                                           \
    static void norm_row_##SUFFIX(const obn_norm_rows *d, int64_t r, const T *x, T *y)                   \
    {                                                                                                    \
        int64_t len = d->len, runs = d->runs, run = runs ? len / runs : 0;                               \
        double mean = 0.0, sq = 0.0;                                                                     \
        if (d->stat == OBN_NORM_RMS) {                                                                   \
            _Pragma("omp simd reduction(+ : sq)") for (int64_t i = 0; i < len; i++) sq += (double)x[i] * x[i]; \
        } else {                                                                                         \
            double sum = 0.0;                                                                            \
            _Pragma("omp simd reduction(+ : sum)") for (int64_t i = 0; i < len; i++) sum += x[i];       \
            mean = sum / (double)len;                                                                    \
            _Pragma("omp simd reduction(+ : sq)") for (int64_t i = 0; i < len; i++) {                   \
                double dv = x[i] - mean;                                                                 \
                sq += dv * dv;                                                                           \
            }                                                                                            \
        }                                                                                                \
        double inv = 1.0 / sqrt(sq / (double)len + d->eps);                                              \
        if (d->mean) obn_kstore(d->mean, d->stat_fmt, r, mean);                                          \
        if (d->inv_std) obn_kstore(d->inv_std, d->stat_fmt, r, inv);                                     \
        const T *sc = d->scale, *bs = d->bias;                                                           \
        /* the mean as hi + lo in T: x - hi is exact near the mean, so a large                          \
         * common offset does not cost float precision in the centring */                                \
        T m = (T)mean, ml = (T)(mean - (double)m), iv = (T)inv;                                          \
        int64_t p0 = (r % d->groups) * runs;                                                             \
        if (run == 1 && runs > 1 && sc) { /* one parameter per element */                               \
            sc += p0;                                                                                    \
            if (bs) {                                                                                    \
                bs += p0;                                                                                \
                for (int64_t i = 0; i < len; i++) y[i] = (x[i] - m - ml) * iv * sc[i] + bs[i];              \
            } else {                                                                                     \
                for (int64_t i = 0; i < len; i++) y[i] = (x[i] - m - ml) * iv * sc[i];                  \
            }                                                                                            \
            return;                                                                                      \
        }                                                                                                \
        for (int64_t j = 0; j < runs; j++) {                                                             \
            T a = sc ? iv * sc[p0 + j] : iv, b = bs ? bs[p0 + j] : (T)0;                                 \
            const T *xr = x + j * run;                                                                   \
            T *yr = y + j * run;                                                                         \
            for (int64_t i = 0; i < run; i++) yr[i] = (xr[i] - m - ml) * a + b;                          \
        }                                                                                                \
    }

DEFINE_NORM_ROW(f32, float)
DEFINE_NORM_ROW(f64, double)

/* Every row, with x and y converted through the thread's scratch row when
 * they are not in the compute format. */
#define DEFINE_NORM_ROWS(SUFFIX, T, KF, TO, FROM)                                                        \
    static void norm_rows_##SUFFIX(const obn_norm_rows *d, const void *x, void *y, char *scratch,       \
                                   size_t per, int threads)                                              \
    {                                                                                                    \
        int64_t len = d->len;                                                                            \
        size_t xs = obn_kfmt_size(d->x_fmt), ys = obn_kfmt_size(d->y_fmt);                               \
        int direct_x = d->x_fmt == KF, direct_y = d->y_fmt == KF;                                        \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (d->rows > 1 && d->rows * len >= OBN_NORM_PARALLEL_MIN)") \
        for (int64_t r = 0; r < d->rows; r++) {                                                          \
            T *buf = per ? (T *)(scratch + per * (size_t)omp_get_thread_num()) : NULL;                   \
            const char *xb = (const char *)x + (size_t)(r * len) * xs;                                   \
            char *yb = (char *)y + (size_t)(r * len) * ys;                                               \
            const T *xr = direct_x ? (const T *)xb : buf;                                                \
            T *yr = direct_y ? (T *)yb : buf;                                                            \
            if (!direct_x) TO(xb, d->x_fmt, buf, len);                                                   \
            norm_row_##SUFFIX(d, r, xr, yr);                                                             \
            if (!direct_y) FROM(buf, yb, d->y_fmt, len);                                                 \
        }                                                                                                \
    }

DEFINE_NORM_ROWS(f32, float, OBN_KF32, obn_krow_to_f32, obn_krow_from_f32)
DEFINE_NORM_ROWS(f64, double, OBN_KF64, obn_krow_to_f64, obn_krow_from_f64)

size_t obn_norm_rows_scratch(const obn_norm_rows *d)
{
    if (d->x_fmt == d->compute && d->y_fmt == d->compute) return 0;
    size_t n = (size_t)(d->len > 0 ? d->len : 1);
    return n * obn_kfmt_size(d->compute);
}

int obn_norm_rows_run(const obn_norm_rows *d, const void *x, void *y, void *scratch, size_t scratch_bytes,
                      int threads)
{
    size_t per = obn_norm_rows_scratch(d);
    if (threads < 1) threads = 1;
    if (per) {
        size_t slots = scratch ? scratch_bytes / per : 0;
        if (slots == 0) return -1;
        if ((size_t)threads > slots) threads = (int)slots;
    }
    if (d->compute == OBN_KF64) norm_rows_f64(d, x, y, scratch, per, threads);
    else norm_rows_f32(d, x, y, scratch, per, threads);
    return 0;
}

/* ---- mean-variance normalisation over arbitrary axes ---- */

/* The input as groups of kept and of reduced axes (unit axes dropped,
 * neighbours of one kind that are contiguous merged), each with its
 * element stride. */
typedef struct {
    int n_kept, n_red;
    int64_t kept_dims[OBN_MVN_MAX_RANK], kept_strides[OBN_MVN_MAX_RANK];
    int64_t red_dims[OBN_MVN_MAX_RANK], red_strides[OBN_MVN_MAX_RANK];
    int64_t kept, count; /* number of statistics, elements per statistic */
} mvn_geom;

static void mvn_geometry(mvn_geom *g, int rank, const int64_t *dims, const unsigned char *reduced)
{
    int64_t strides[OBN_MVN_MAX_RANK], s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
    g->n_kept = g->n_red = 0;
    g->kept = g->count = 1;
    for (int d = 0; d < rank; d++) {
        int red = reduced[d] != 0;
        if (red) g->count *= dims[d];
        else g->kept *= dims[d];
        if (dims[d] == 1) continue;
        int64_t *gd = red ? g->red_dims : g->kept_dims, *gs = red ? g->red_strides : g->kept_strides;
        int *n = red ? &g->n_red : &g->n_kept;
        if (*n > 0 && gs[*n - 1] == strides[d] * dims[d]) {
            gd[*n - 1] *= dims[d];
            gs[*n - 1] = strides[d];
        } else {
            gd[*n] = dims[d];
            gs[*n] = strides[d];
            (*n)++;
        }
    }
}

/* Offset of index o over the first n kept groups. */
static int64_t kept_offset(const mvn_geom *g, int n, int64_t o)
{
    int64_t off = 0;
    for (int d = n - 1; d >= 0; d--) {
        off += (o % g->kept_dims[d]) * g->kept_strides[d];
        o /= g->kept_dims[d];
    }
    return off;
}

/* Advances an odometer over the first n reduced groups; false at the end. */
static int next_reduced(const mvn_geom *g, int n, int64_t *idx, int64_t *off)
{
    for (int d = n - 1; d >= 0; d--) {
        *off += g->red_strides[d];
        if (++idx[d] < g->red_dims[d]) return 1;
        *off -= g->red_strides[d] * g->red_dims[d];
        idx[d] = 0;
    }
    return 0;
}

/* Kept coordinates handled together when the innermost axis is kept: the
 * statistics of one block live on the stack (2 KiB of doubles each). */
#define MVN_BLOCK 256

/* The innermost group is reduced and contiguous: each statistic is a set of
 * contiguous runs of `run` elements, one per step of the outer reduced
 * groups. Work item = one statistic. */
#define DEFINE_MVN_RUNS(SUFFIX, T, C, LD, ST)                                                            \
    static void mvn_runs_##SUFFIX(const mvn_geom *g, const T *x, T *y, double eps, int threads)         \
    {                                                                                                    \
        int n_outer = g->n_red - 1;                                                                      \
        int64_t run = g->red_dims[n_outer];                                                              \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (g->kept > 1 && g->kept * g->count >= OBN_NORM_PARALLEL_MIN)") \
        for (int64_t k = 0; k < g->kept; k++) {                                                          \
            int64_t base = kept_offset(g, g->n_kept, k), idx[OBN_MVN_MAX_RANK] = {0}, off = 0;           \
            double sum = 0.0, sq = 0.0;                                                                  \
            do {                                                                                         \
                const T *xr = x + base + off;                                                            \
                _Pragma("omp simd reduction(+ : sum)") for (int64_t i = 0; i < run; i++) sum += LD(xr[i]); \
            } while (next_reduced(g, n_outer, idx, &off));                                               \
            double mean = sum / (double)g->count;                                                        \
            do {                                                                                         \
                const T *xr = x + base + off;                                                            \
                _Pragma("omp simd reduction(+ : sq)") for (int64_t i = 0; i < run; i++) {               \
                    double dv = LD(xr[i]) - mean;                                                        \
                    sq += dv * dv;                                                                       \
                }                                                                                        \
            } while (next_reduced(g, n_outer, idx, &off));                                               \
            C m = (C)mean, ml = (C)(mean - (double)m), inv = (C)(1.0 / (sqrt(sq / (double)g->count) + eps)); \
            do {                                                                                         \
                const T *xr = x + base + off;                                                            \
                T *yr = y + base + off;                                                                  \
                for (int64_t i = 0; i < run; i++) yr[i] = ST(((C)LD(xr[i]) - m - ml) * inv);             \
            } while (next_reduced(g, n_outer, idx, &off));                                               \
        }                                                                                                \
    }

/* The innermost group is kept: a block of up to MVN_BLOCK neighbouring kept
 * coordinates is accumulated together, element-wise over each contiguous
 * row of the block, for every step of the reduced groups. */
#define DEFINE_MVN_BLOCKS(SUFFIX, T, C, LD, ST)                                                          \
    static void mvn_blocks_##SUFFIX(const mvn_geom *g, const T *x, T *y, double eps, int threads)       \
    {                                                                                                    \
        int64_t inner = g->kept_dims[g->n_kept - 1], outer = g->kept / inner;                            \
        int64_t blocks = (inner + MVN_BLOCK - 1) / MVN_BLOCK;                                            \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (outer * blocks > 1 && g->kept * g->count >= OBN_NORM_PARALLEL_MIN)") \
        for (int64_t w = 0; w < outer * blocks; w++) {                                                   \
            int64_t j0 = (w % blocks) * MVN_BLOCK, nb = inner - j0 < MVN_BLOCK ? inner - j0 : MVN_BLOCK;  \
            int64_t base = kept_offset(g, g->n_kept - 1, w / blocks) + j0;                               \
            int64_t idx[OBN_MVN_MAX_RANK] = {0}, off = 0;                                                \
            double mean[MVN_BLOCK] = {0}, sq[MVN_BLOCK] = {0};                                           \
            do {                                                                                         \
                const T *xr = x + base + off;                                                            \
                for (int64_t j = 0; j < nb; j++) mean[j] += LD(xr[j]);                                   \
            } while (next_reduced(g, g->n_red, idx, &off));                                              \
            for (int64_t j = 0; j < nb; j++) mean[j] /= (double)g->count;                                \
            do {                                                                                         \
                const T *xr = x + base + off;                                                            \
                for (int64_t j = 0; j < nb; j++) {                                                       \
                    double dv = LD(xr[j]) - mean[j];                                                     \
                    sq[j] += dv * dv;                                                                    \
                }                                                                                        \
            } while (next_reduced(g, g->n_red, idx, &off));                                              \
            C m[MVN_BLOCK], ml[MVN_BLOCK], inv[MVN_BLOCK]; /* mean as hi + lo, as in the rows */           \
            for (int64_t j = 0; j < nb; j++) {                                                           \
                m[j] = (C)mean[j];                                                                       \
                ml[j] = (C)(mean[j] - (double)m[j]);                                                     \
                inv[j] = (C)(1.0 / (sqrt(sq[j] / (double)g->count) + eps));                              \
            }                                                                                            \
            do {                                                                                         \
                const T *xr = x + base + off;                                                            \
                T *yr = y + base + off;                                                                  \
                for (int64_t j = 0; j < nb; j++) yr[j] = ST(((C)LD(xr[j]) - m[j] - ml[j]) * inv[j]);     \
            } while (next_reduced(g, g->n_red, idx, &off));                                              \
        }                                                                                                \
    }


DEFINE_MVN_RUNS(f32, float, float, CVT_SAME, CVT_SAME)
DEFINE_MVN_RUNS(f64, double, double, CVT_SAME, CVT_SAME)
DEFINE_MVN_RUNS(f16, uint16_t, float, CVT_F16_LOAD, CVT_F16_STORE)
DEFINE_MVN_RUNS(bf16, uint16_t, float, CVT_BF16_LOAD, CVT_BF16_STORE)
DEFINE_MVN_BLOCKS(f32, float, float, CVT_SAME, CVT_SAME)
DEFINE_MVN_BLOCKS(f64, double, double, CVT_SAME, CVT_SAME)
DEFINE_MVN_BLOCKS(f16, uint16_t, float, CVT_F16_LOAD, CVT_F16_STORE)
DEFINE_MVN_BLOCKS(bf16, uint16_t, float, CVT_BF16_LOAD, CVT_BF16_STORE)

void obn_mvn(const void *x, void *y, obn_kfmt fmt, int rank, const int64_t *dims, const unsigned char *reduced,
             double eps, int threads)
{
    mvn_geom g;
    mvn_geometry(&g, rank, dims, reduced);
    if (g.kept * g.count == 0) return;
    /* The runs form needs a contiguous innermost reduced group; with none
     * (every element its own statistic, or a single element) the blocks
     * form treats the whole tensor as kept, each with one element. */
    int inner_reduced = g.n_red > 0 && g.red_strides[g.n_red - 1] == 1;
    if (!inner_reduced && g.n_kept == 0) { /* a single element */
        g.kept_dims[0] = 1;
        g.kept_strides[0] = 1;
        g.n_kept = 1;
    }
    switch (fmt) {
    case OBN_KF32:
        if (inner_reduced) mvn_runs_f32(&g, x, y, eps, threads);
        else mvn_blocks_f32(&g, x, y, eps, threads);
        break;
    case OBN_KF64:
        if (inner_reduced) mvn_runs_f64(&g, x, y, eps, threads);
        else mvn_blocks_f64(&g, x, y, eps, threads);
        break;
    case OBN_KF16:
        if (inner_reduced) mvn_runs_f16(&g, x, y, eps, threads);
        else mvn_blocks_f16(&g, x, y, eps, threads);
        break;
    case OBN_KBF16:
        if (inner_reduced) mvn_runs_bf16(&g, x, y, eps, threads);
        else mvn_blocks_bf16(&g, x, y, eps, threads);
        break;
    }
}

/* ---- local response normalisation ---- */

/* Work item = one batch entry and a block of up to LRN_BLOCK positions of
 * the [S] plane; the window sum of squares of the block lives on the stack.
 * The sum is taken directly (size is small, typically 3-5) rather than by a
 * running add/subtract, which would drift. */
#define LRN_BLOCK 256

#define DEFINE_LRN(SUFFIX, T, C, LD, ST, POW)                                                            \
    static void lrn_##SUFFIX(const obn_lrn_desc *d, const T *x, T *y, int threads)                      \
    {                                                                                                    \
        int64_t c = d->c, s = d->s, blocks = (s + LRN_BLOCK - 1) / LRN_BLOCK;                            \
        C scale = (C)(d->alpha / (double)d->size), bias = (C)d->bias, nbeta = (C)-d->beta;               \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (d->n * blocks > 1 && d->n * c * s >= OBN_NORM_PARALLEL_MIN)") \
        for (int64_t w = 0; w < d->n * blocks; w++) {                                                    \
            int64_t b = w / blocks, j0 = (w % blocks) * LRN_BLOCK;                                       \
            int64_t nb = s - j0 < LRN_BLOCK ? s - j0 : LRN_BLOCK;                                        \
            const T *xb = x + b * c * s + j0;                                                            \
            T *yb = y + b * c * s + j0;                                                                  \
            C acc[LRN_BLOCK];                                                                            \
            for (int64_t ch = 0; ch < c; ch++) {                                                         \
                int64_t lo = ch - d->before > 0 ? ch - d->before : 0;                                    \
                int64_t hi = ch + d->after < c - 1 ? ch + d->after : c - 1;                              \
                for (int64_t j = 0; j < nb; j++) acc[j] = 0;                                             \
                for (int64_t i = lo; i <= hi; i++) {                                                     \
                    const T *xi = xb + i * s;                                                            \
                    for (int64_t j = 0; j < nb; j++) {                                                   \
                        C v = LD(xi[j]);                                                                 \
                        acc[j] += v * v;                                                                 \
                    }                                                                                    \
                }                                                                                        \
                const T *xc = xb + ch * s;                                                               \
                T *yc = yb + ch * s;                                                                     \
                for (int64_t j = 0; j < nb; j++) yc[j] = ST(LD(xc[j]) * POW(bias + scale * acc[j], nbeta)); \
            }                                                                                            \
        }                                                                                                \
    }

DEFINE_LRN(f32, float, float, CVT_SAME, CVT_SAME, powf)
DEFINE_LRN(f64, double, double, CVT_SAME, CVT_SAME, pow)
DEFINE_LRN(f16, uint16_t, float, CVT_F16_LOAD, CVT_F16_STORE, powf)
DEFINE_LRN(bf16, uint16_t, float, CVT_BF16_LOAD, CVT_BF16_STORE, powf)

void obn_lrn(const obn_lrn_desc *d, const void *x, void *y, obn_kfmt fmt, int threads)
{
    if (d->n * d->c * d->s == 0) return;
    switch (fmt) {
    case OBN_KF32: lrn_f32(d, x, y, threads); break;
    case OBN_KF64: lrn_f64(d, x, y, threads); break;
    case OBN_KF16: lrn_f16(d, x, y, threads); break;
    case OBN_KBF16: lrn_bf16(d, x, y, threads); break;
    }
}

/* ---- Lp normalisation along one axis ---- */

/* Work item = one outer index and a block of up to LP_BLOCK inner
 * positions (a single contiguous row when inner == 1). Norms in double;
 * a zero norm gives zero outputs. */
#define LP_BLOCK 256

#define DEFINE_LP(SUFFIX, T, LD, ST)                                                                     \
    static void lp_row_##SUFFIX(const T *x, T *y, int64_t len, int p)                                    \
    {                                                                                                    \
        double acc = 0.0;                                                                                \
        if (p == 1) {                                                                                    \
            _Pragma("omp simd reduction(+ : acc)") for (int64_t i = 0; i < len; i++) acc += fabs((double)LD(x[i])); \
        } else {                                                                                         \
            _Pragma("omp simd reduction(+ : acc)") for (int64_t i = 0; i < len; i++) {                  \
                double v = LD(x[i]);                                                                     \
                acc += v * v;                                                                            \
            }                                                                                            \
            acc = sqrt(acc);                                                                             \
        }                                                                                                \
        for (int64_t i = 0; i < len; i++) y[i] = ST(acc == 0.0 ? 0.0 : LD(x[i]) / acc);                 \
    }                                                                                                    \
    static void lp_block_##SUFFIX(const T *x, T *y, int64_t len, int64_t inner, int64_t nb, int p)       \
    {                                                                                                    \
        double acc[LP_BLOCK] = {0};                                                                      \
        for (int64_t l = 0; l < len; l++) {                                                              \
            const T *xl = x + l * inner;                                                                 \
            if (p == 1)                                                                                  \
                for (int64_t j = 0; j < nb; j++) acc[j] += fabs((double)LD(xl[j]));                      \
            else                                                                                         \
                for (int64_t j = 0; j < nb; j++) acc[j] += (double)LD(xl[j]) * LD(xl[j]);                \
        }                                                                                                \
        if (p == 2)                                                                                      \
            for (int64_t j = 0; j < nb; j++) acc[j] = sqrt(acc[j]);                                      \
        for (int64_t l = 0; l < len; l++)                                                                \
            for (int64_t j = 0; j < nb; j++)                                                             \
                y[l * inner + j] = ST(acc[j] == 0.0 ? 0.0 : LD(x[l * inner + j]) / acc[j]);              \
    }                                                                                                    \
    static void lp_##SUFFIX(const T *x, T *y, int64_t outer, int64_t len, int64_t inner, int p, int threads) \
    {                                                                                                    \
        int64_t blocks = (inner + LP_BLOCK - 1) / LP_BLOCK;                                              \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (outer * blocks > 1 && outer * len * inner >= OBN_NORM_PARALLEL_MIN)") \
        for (int64_t w = 0; w < outer * blocks; w++) {                                                   \
            int64_t o = w / blocks, j0 = (w % blocks) * LP_BLOCK;                                        \
            const T *xo = x + o * len * inner + j0;                                                      \
            T *yo = y + o * len * inner + j0;                                                            \
            if (inner == 1) lp_row_##SUFFIX(xo, yo, len, p);                                             \
            else lp_block_##SUFFIX(xo, yo, len, inner, inner - j0 < LP_BLOCK ? inner - j0 : LP_BLOCK, p); \
        }                                                                                                \
    }

DEFINE_LP(f32, float, CVT_SAME, CVT_F32)
DEFINE_LP(f64, double, CVT_SAME, CVT_SAME)
DEFINE_LP(f16, uint16_t, CVT_F16_LOAD, CVT_F16_STORE)
DEFINE_LP(bf16, uint16_t, CVT_BF16_LOAD, CVT_BF16_STORE)

void obn_lpnorm(const void *x, void *y, obn_kfmt fmt, int64_t outer, int64_t len, int64_t inner, int p, int threads)
{
    if (outer * len * inner == 0) return;
    switch (fmt) {
    case OBN_KF32: lp_f32(x, y, outer, len, inner, p, threads); break;
    case OBN_KF64: lp_f64(x, y, outer, len, inner, p, threads); break;
    case OBN_KF16: lp_f16(x, y, outer, len, inner, p, threads); break;
    case OBN_KBF16: lp_bf16(x, y, outer, len, inner, p, threads); break;
    }
}
