#include "pool.h"

#include <float.h>
#include <math.h>

#include "kstop.h"
#include "simd_clones.h"

/* Window of output position o along one axis: kernel taps [lo, hi) fall
 * inside the input, and the window starts at input coordinate *start. */
static inline void tap_range(const obn_pool_geom *g, int a, int64_t o, int64_t *start, int64_t *lo, int64_t *hi)
{
    int64_t s = o * g->stride[a] - g->pad_begin[a], d = g->dilation[a], k = g->kernel[a];
    int64_t l = s < 0 ? (-s + d - 1) / d : 0;
    int64_t h = g->in[a] - s <= 0 ? 0 : (g->in[a] - s + d - 1) / d;
    if (h > k) h = k;
    if (l > h) l = h;
    *start = s;
    *lo = l;
    *hi = h;
}

/* Spatial index of (i0, i1, i2) in the plane, row- or column-major. */
static inline int64_t spatial_index(const obn_pool_geom *g, int64_t i0, int64_t i1, int64_t i2, int col_major)
{
    if (!col_major) return (i0 * g->in[1] + i1) * g->in[2] + i2;
    return (i2 * g->in[1] + i1) * g->in[0] + i0;
}

/* Operations of one output row (for how often a long pool polls). */
static inline double pool_row_work(const obn_pool_geom *g)
{
    return (double)g->out[2] * (double)g->kernel[0] * (double)g->kernel[1] * (double)g->kernel[2];
}

#define DEFINE_MAXPOOL(SCOPE, NAME, T, LOWEST)                                                            \
    SCOPE void NAME(const obn_pool_geom *g, const T *x, T *y, int64_t *indices, int col_major, int threads)    \
    {                                                                                                     \
        const int64_t in_plane = g->in[0] * g->in[1] * g->in[2];                                          \
        const int64_t out_plane = g->out[0] * g->out[1] * g->out[2];                                      \
        const obn_kstop *stop_ = obn_kstop_get();                                                         \
        const int64_t every_ = obn_kstop_every(pool_row_work(g));                                         \
        int stopped_ = 0;                                                                                 \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (g->planes > 1)")             \
        for (int64_t p = 0; p < g->planes; p++) {                                                         \
            const T *xp = x + p * in_plane;                                                               \
            int64_t yo = p * out_plane;                                                                   \
            for (int64_t o0 = 0; o0 < g->out[0]; o0++) {                                                  \
                int64_t s0, l0, h0;                                                                       \
                tap_range(g, 0, o0, &s0, &l0, &h0);                                                       \
                for (int64_t o1 = 0; o1 < g->out[1]; o1++) {                                              \
                    if (obn_kstop_step(stop_, &stopped_, o1, every_)) break;                              \
                    int64_t s1, l1, h1;                                                                   \
                    tap_range(g, 1, o1, &s1, &l1, &h1);                                                   \
                    for (int64_t o2 = 0; o2 < g->out[2]; o2++, yo++) {                                    \
                        int64_t s2, l2, h2;                                                               \
                        tap_range(g, 2, o2, &s2, &l2, &h2);                                               \
                        T best = LOWEST;                                                                  \
                        int64_t bi = -1;                                                                  \
                        for (int64_t k0 = l0; k0 < h0; k0++) {                                            \
                            int64_t i0 = s0 + k0 * g->dilation[0];                                        \
                            for (int64_t k1 = l1; k1 < h1; k1++) {                                        \
                                int64_t i1 = s1 + k1 * g->dilation[1];                                    \
                                const T *row = xp + (i0 * g->in[1] + i1) * g->in[2];                      \
                                for (int64_t k2 = l2; k2 < h2; k2++) {                                    \
                                    int64_t i2 = s2 + k2 * g->dilation[2];                                \
                                    if (row[i2] > best || bi < 0) {                                       \
                                        best = row[i2];                                                   \
                                        bi = spatial_index(g, i0, i1, i2, col_major);                     \
                                    }                                                                     \
                                }                                                                         \
                            }                                                                             \
                        }                                                                                 \
                        y[yo] = best;                                                                     \
                        if (indices) indices[yo] = p * in_plane + (bi < 0 ? 0 : bi);                      \
                    }                                                                                     \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

DEFINE_MAXPOOL(static, maxpool_f32_generic, float, -INFINITY)

/* Widest input row the vectorised 2-D pools take: their per-row buffer
 * lives on the stack (16 KiB). */
#define POOL_ROW_MAX 4096

/* The column windows of one output row: outputs [a, b) have all kernel_w
 * taps inside the input (a plain strided loop); the others are edges. */
static void interior_columns(const obn_pool_geom *g, int64_t *a, int64_t *b)
{
    const int64_t iw = g->in[2], ow = g->out[2], kw = g->kernel[2], sw = g->stride[2], pw = g->pad_begin[2];
    int64_t lo = (pw + sw - 1) / sw, hi = iw - kw + pw >= 0 ? (iw - kw + pw) / sw + 1 : 0;
    if (hi > ow) hi = ow;
    if (lo > hi) lo = hi;
    *a = lo;
    *b = hi;
}

/* Max over the taps [lo, hi) of a row at column x0 + k (the edge windows). */
static inline float row_max(const float *v, int64_t x0, int64_t lo, int64_t hi)
{
    float best = v[x0 + lo];
    for (int64_t k = lo + 1; k < hi; k++) best = v[x0 + k] > best ? v[x0 + k] : best;
    return best;
}

/* yr[j] = max over k < kw of v[j * sw + k], j < n, the taps in order
 * (first, then strictly greater). */
static inline __attribute__((always_inline)) void window_max(float *yr, const float *v, int64_t n, int64_t kw,
                                                             const int64_t sw)
{
    for (int64_t j = 0; j < n; j++) yr[j] = v[j * sw];
    for (int64_t k = 1; k < kw; k++)
        for (int64_t j = 0; j < n; j++) {
            float t = v[j * sw + k];
            yr[j] = t > yr[j] ? t : yr[j];
        }
}

/* 2-D float max pooling without dilation or indices (the max pool of every
 * CNN stem), vectorised over the output width: each output row is the
 * column-wise max of its window's input rows (contiguous), then a strided
 * max across the kernel width. The result equals the generic loop's
 * (first tap inside the input, then strictly greater), NaN included: both
 * give NaN exactly when the window's first tap is NaN. */
OBN_CLONES
static void maxpool2d_f32_plane(const obn_pool_geom *g, const float *xp, float *yp, const obn_kstop *stop)
{
    const int64_t iw = g->in[2], ow = g->out[2], kw = g->kernel[2], sw = g->stride[2], pw = g->pad_begin[2];
    float v[POOL_ROW_MAX];
    int64_t a, b;
    interior_columns(g, &a, &b);
    const int64_t every = obn_kstop_every(pool_row_work(g));
    int stopped = 0;
    for (int64_t oy = 0; oy < g->out[1]; oy++) {
        if (obn_kstop_step(stop, &stopped, oy, every)) return;
        int64_t s1, l1, h1;
        tap_range(g, 1, oy, &s1, &l1, &h1);
        float *yr = yp + oy * ow;
        if (l1 >= h1) { /* no row of the window inside the input */
            for (int64_t ox = 0; ox < ow; ox++) yr[ox] = -INFINITY;
            continue;
        }
        const float *first = xp + (s1 + l1) * iw;
        for (int64_t i = 0; i < iw; i++) v[i] = first[i];
        for (int64_t k1 = l1 + 1; k1 < h1; k1++) {
            const float *row = xp + (s1 + k1) * iw;
            for (int64_t i = 0; i < iw; i++) v[i] = row[i] > v[i] ? row[i] : v[i];
        }
        /* the interior windows start at column a * sw - pw >= 0 */
        float *yi = yr + a;
        const float *vi = v + (b > a ? a * sw - pw : 0);
        if (sw == 1) window_max(yi, vi, b - a, kw, 1); /* constant strides vectorise */
        else if (sw == 2) window_max(yi, vi, b - a, kw, 2);
        else window_max(yi, vi, b - a, kw, sw);
        for (int64_t ox = 0; ox < ow; ox++) {
            if (ox == a) ox = b; /* the interior is done */
            if (ox >= ow) break;
            int64_t x0 = ox * sw - pw, lo = x0 < 0 ? -x0 : 0, hi = iw - x0 < kw ? iw - x0 : kw;
            yr[ox] = lo < hi ? row_max(v, x0, lo, hi) : -INFINITY;
        }
    }
}

/* Planes up to this many floats take the whole-plane max pool below (its
 * two buffers live on the stack: 2 x 32 KiB). */
#define MAXPOOL_PLANE_MAX 8192

/* No padding and every window inside the input (out = (in - k) / s + 1:
 * the 3x3 stride-2 pools of SqueezeNet and Inception, planes of 8x8 to
 * 73x73): per-row loops of a few outputs were mostly loop overhead, so the
 * maxima run over the whole flattened plane instead: across the kernel
 * width at every position, then down kh rows at a row stride, then each
 * output taken out at the stride. Positions wrapping past a row end are
 * computed and never read. Same result as the generic loop, NaN included:
 * each step starts from the window's first tap and takes a later tap only
 * when strictly greater, so a window gives NaN exactly when its first tap
 * (row-major) is NaN. */
static int maxpool_whole_plane(const obn_pool_geom *g)
{
    for (int a = 1; a < 3; a++)
        if (g->pad_begin[a] || g->pad_end[a] || g->out[a] != (g->in[a] - g->kernel[a]) / g->stride[a] + 1 ||
            g->in[a] < g->kernel[a])
            return 0;
    return g->in[1] * g->in[2] <= MAXPOOL_PLANE_MAX;
}

OBN_CLONES
static void maxpool2d_f32_whole_plane(const obn_pool_geom *g, const float *xp, float *yp)
{
    const int64_t iw = g->in[2], ow = g->out[2], oh = g->out[1], kh = g->kernel[1], kw = g->kernel[2];
    const int64_t sh = g->stride[1], sw = g->stride[2];
    const int64_t n = g->in[1] * iw - (kw - 1); /* positions whose kw taps lie in the plane */
    float h[MAXPOOL_PLANE_MAX], v[MAXPOOL_PLANE_MAX];
    for (int64_t i = 0; i < n; i++) h[i] = xp[i];
    for (int64_t k = 1; k < kw; k++)
        for (int64_t i = 0; i < n; i++) h[i] = xp[i + k] > h[i] ? xp[i + k] : h[i];
    /* window tops: rows 0, sh, .. (oh - 1) * sh; the last read is below n */
    const int64_t m = ((oh - 1) * sh) * iw + (ow - 1) * sw + 1;
    for (int64_t i = 0; i < m; i++) v[i] = h[i];
    for (int64_t k = 1; k < kh; k++)
        for (int64_t i = 0; i < m; i++) v[i] = h[i + k * iw] > v[i] ? h[i + k * iw] : v[i];
    for (int64_t oy = 0; oy < oh; oy++) {
        const float *vr = v + oy * sh * iw;
        float *yr = yp + oy * ow;
        if (sw == 2)
            for (int64_t ox = 0; ox < ow; ox++) yr[ox] = vr[2 * ox];
        else
            for (int64_t ox = 0; ox < ow; ox++) yr[ox] = vr[ox * sw];
    }
}

void obn_maxpool_f32(const obn_pool_geom *g, const float *x, float *y, int64_t *indices, int col_major, int threads)
{
    if (indices || g->in[0] != 1 || g->out[0] != 1 || g->kernel[0] != 1 || g->dilation[1] != 1 ||
        g->dilation[2] != 1 || g->in[2] > POOL_ROW_MAX) {
        maxpool_f32_generic(g, x, y, indices, col_major, threads);
        return;
    }
    const int64_t in_plane = g->in[1] * g->in[2], out_plane = g->out[1] * g->out[2];
    const obn_kstop *stop = obn_kstop_get();
    int whole = maxpool_whole_plane(g);
#pragma omp parallel for schedule(static) num_threads(threads) if (g->planes > 1)
    for (int64_t p = 0; p < g->planes; p++) {
        if (whole) { /* small planes: asked once per plane */
            if (!obn_kstop_hit(stop)) maxpool2d_f32_whole_plane(g, x + p * in_plane, y + p * out_plane);
        } else {
            maxpool2d_f32_plane(g, x + p * in_plane, y + p * out_plane, stop);
        }
    }
}
DEFINE_MAXPOOL(, obn_maxpool_f64, double, -INFINITY)
DEFINE_MAXPOOL(, obn_maxpool_i8, int8_t, INT8_MIN)
DEFINE_MAXPOOL(, obn_maxpool_u8, uint8_t, 0)

/* Taps of the window along axis a inside [-pad_begin, in + pad_end). */
static inline int64_t padded_taps(const obn_pool_geom *g, int a, int64_t start)
{
    int64_t d = g->dilation[a], lo_edge = -g->pad_begin[a], hi_edge = g->in[a] + g->pad_end[a];
    int64_t n = 0;
    for (int64_t k = 0; k < g->kernel[a]; k++) {
        int64_t i = start + k * d;
        n += i >= lo_edge && i < hi_edge;
    }
    return n;
}

#define DEFINE_AVGPOOL(NAME, T, ACC)                                                                      \
    NAME(const obn_pool_geom *g, const T *x, T *y, int count_include_pad, int threads)                   \
    {                                                                                                     \
        const int64_t in_plane = g->in[0] * g->in[1] * g->in[2];                                          \
        const int64_t out_plane = g->out[0] * g->out[1] * g->out[2];                                      \
        const obn_kstop *stop_ = obn_kstop_get();                                                         \
        const int64_t every_ = obn_kstop_every(pool_row_work(g));                                         \
        int stopped_ = 0;                                                                                 \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (g->planes > 1)")             \
        for (int64_t p = 0; p < g->planes; p++) {                                                         \
            const T *xp = x + p * in_plane;                                                               \
            T *yp = y + p * out_plane;                                                                    \
            for (int64_t o0 = 0; o0 < g->out[0]; o0++) {                                                  \
                int64_t s0, l0, h0;                                                                       \
                tap_range(g, 0, o0, &s0, &l0, &h0);                                                       \
                int64_t c0 = count_include_pad ? padded_taps(g, 0, s0) : h0 - l0;                         \
                for (int64_t o1 = 0; o1 < g->out[1]; o1++) {                                              \
                    if (obn_kstop_step(stop_, &stopped_, o1, every_)) break;                              \
                    int64_t s1, l1, h1;                                                                   \
                    tap_range(g, 1, o1, &s1, &l1, &h1);                                                   \
                    int64_t c1 = count_include_pad ? padded_taps(g, 1, s1) : h1 - l1;                     \
                    for (int64_t o2 = 0; o2 < g->out[2]; o2++) {                                          \
                        int64_t s2, l2, h2;                                                               \
                        tap_range(g, 2, o2, &s2, &l2, &h2);                                               \
                        int64_t c2 = count_include_pad ? padded_taps(g, 2, s2) : h2 - l2;                 \
                        ACC sum = 0;                                                                      \
                        for (int64_t k0 = l0; k0 < h0; k0++) {                                            \
                            int64_t i0 = s0 + k0 * g->dilation[0];                                        \
                            for (int64_t k1 = l1; k1 < h1; k1++) {                                        \
                                int64_t i1 = s1 + k1 * g->dilation[1];                                    \
                                const T *row = xp + (i0 * g->in[1] + i1) * g->in[2];                      \
                                for (int64_t k2 = l2; k2 < h2; k2++) sum += row[s2 + k2 * g->dilation[2]]; \
                            }                                                                             \
                        }                                                                                 \
                        int64_t count = c0 * c1 * c2;                                                     \
                        yp[(o0 * g->out[1] + o1) * g->out[2] + o2] = count ? (T)(sum / (ACC)count) : (T)NAN; \
                    }                                                                                     \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

DEFINE_AVGPOOL(static void avgpool_f32_generic, float, float)

/* yr[j] = sum over k < kw of v[j * sw + k], j < n */
static inline __attribute__((always_inline)) void window_sum(float *yr, const float *v, int64_t n, int64_t kw,
                                                             const int64_t sw)
{
    for (int64_t j = 0; j < n; j++) yr[j] = v[j * sw];
    for (int64_t k = 1; k < kw; k++)
        for (int64_t j = 0; j < n; j++) yr[j] += v[j * sw + k];
}

/* 2-D float average pooling without dilation, vectorised over the output
 * width like maxpool2d_f32_plane: per output row the column sums of its
 * window's input rows, then a strided sum across the kernel width, divided
 * by the count of the generic loop (rows x columns counted, per
 * count_include_pad). Sums in the order rows then columns: float rounding
 * may differ from the generic loop's in the last bits. */
OBN_CLONES
static void avgpool2d_f32_plane(const obn_pool_geom *g, const float *xp, float *yp, int count_include_pad,
                                const obn_kstop *stop)
{
    const int64_t iw = g->in[2], ow = g->out[2], kw = g->kernel[2], sw = g->stride[2], pw = g->pad_begin[2];
    float v[POOL_ROW_MAX];
    int64_t a, b;
    interior_columns(g, &a, &b);
    int64_t interior_cols = count_include_pad ? padded_taps(g, 2, a * sw - pw) : kw;
    const int64_t every = obn_kstop_every(pool_row_work(g));
    int stopped = 0;
    for (int64_t oy = 0; oy < g->out[1]; oy++) {
        if (obn_kstop_step(stop, &stopped, oy, every)) return;
        int64_t s1, l1, h1;
        tap_range(g, 1, oy, &s1, &l1, &h1);
        int64_t rows = count_include_pad ? padded_taps(g, 1, s1) : h1 - l1;
        float *yr = yp + oy * ow;
        for (int64_t i = 0; i < iw; i++) v[i] = 0.0f;
        for (int64_t k1 = l1; k1 < h1; k1++) {
            const float *row = xp + (s1 + k1) * iw;
            for (int64_t i = 0; i < iw; i++) v[i] += row[i];
        }
        float *yi = yr + a; /* the interior windows start at column a * sw - pw >= 0 */
        const float *vi = v + (b > a ? a * sw - pw : 0);
        if (sw == 1) window_sum(yi, vi, b - a, kw, 1);
        else if (sw == 2) window_sum(yi, vi, b - a, kw, 2);
        else window_sum(yi, vi, b - a, kw, sw);
        int64_t count = rows * interior_cols;
        float div = count ? (float)count : NAN; /* no element counted: NaN, as the generic loop */
        for (int64_t ox = a; ox < b; ox++) yr[ox] /= div;
        for (int64_t ox = 0; ox < ow; ox++) {
            if (ox == a) ox = b; /* the interior is done */
            if (ox >= ow) break;
            int64_t x0 = ox * sw - pw, lo = x0 < 0 ? -x0 : 0, hi = iw - x0 < kw ? iw - x0 : kw;
            float sum = 0.0f;
            for (int64_t k = lo; k < hi; k++) sum += v[x0 + k];
            int64_t n = rows * (count_include_pad ? padded_taps(g, 2, x0) : (hi > lo ? hi - lo : 0));
            yr[ox] = n ? sum / (float)n : NAN;
        }
    }
}

/* Planes up to this many floats take the whole-plane average pool below
 * (its horizontal and vertical sums live on the stack: 2 x 16 KiB). */
#define POOL_PLANE_MAX 4096

/* Stride 1, no padding (every window inside the input: the count is
 * kh * kw whatever count_include_pad says), small planes (Inception's
 * 3x3 average pools after an explicit Pad, 8x8 to 37x37): per-row loops
 * of 8-35 outputs are mostly loop overhead and vector tails, so the sums
 * run over the whole flattened plane instead: horizontal window sums of
 * every position, then vertical sums of kh of them at a row stride (the
 * positions that wrap past a row end are computed and never read), then
 * each output row taken out and divided. Sums across the kernel
 * width first, then rows: float rounding may differ from the generic
 * loop's in the last bits. */
static int avgpool_whole_plane(const obn_pool_geom *g)
{
    return g->stride[1] == 1 && g->stride[2] == 1 && g->pad_begin[1] == 0 && g->pad_begin[2] == 0 &&
           g->pad_end[1] == 0 && g->pad_end[2] == 0 && g->out[1] == g->in[1] - g->kernel[1] + 1 &&
           g->out[2] == g->in[2] - g->kernel[2] + 1 && g->in[1] * g->in[2] <= POOL_PLANE_MAX;
}

OBN_CLONES
static void avgpool2d_f32_whole_plane(const obn_pool_geom *g, const float *xp, float *yp)
{
    const int64_t iw = g->in[2], ow = g->out[2], oh = g->out[1], kh = g->kernel[1], kw = g->kernel[2];
    const int64_t n = g->in[1] * iw - (kw - 1); /* positions whose kw taps lie in the plane */
    float h[POOL_PLANE_MAX];
    for (int64_t i = 0; i < n; i++) h[i] = xp[i];
    for (int64_t k = 1; k < kw; k++)
        for (int64_t i = 0; i < n; i++) h[i] += xp[i + k];
    /* vertical sums at every flat position of an output row start (the
     * last read is h[(ih - 1) * iw + ow - 1] = h[n - 1]) */
    const int64_t m = (oh - 1) * iw + ow;
    float v[POOL_PLANE_MAX];
    for (int64_t i = 0; i < m; i++) v[i] = h[i];
    for (int64_t k = 1; k < kh; k++)
        for (int64_t i = 0; i < m; i++) v[i] += h[i + k * iw];
    const float div = (float)(kh * kw);
    for (int64_t oy = 0; oy < oh; oy++)
        for (int64_t ox = 0; ox < ow; ox++) yp[oy * ow + ox] = v[oy * iw + ox] / div;
}

void obn_avgpool_f32(const obn_pool_geom *g, const float *x, float *y, int count_include_pad, int threads)
{
    if (g->in[0] != 1 || g->out[0] != 1 || g->kernel[0] != 1 || g->dilation[1] != 1 || g->dilation[2] != 1 ||
        g->in[2] > POOL_ROW_MAX) {
        avgpool_f32_generic(g, x, y, count_include_pad, threads);
        return;
    }
    const int64_t in_plane = g->in[1] * g->in[2], out_plane = g->out[1] * g->out[2];
    const obn_kstop *stop = obn_kstop_get();
    int whole = avgpool_whole_plane(g);
#pragma omp parallel for schedule(static) num_threads(threads) if (g->planes > 1)
    for (int64_t p = 0; p < g->planes; p++) {
        if (whole) { /* small planes: asked once per plane */
            if (!obn_kstop_hit(stop)) avgpool2d_f32_whole_plane(g, x + p * in_plane, y + p * out_plane);
        } else {
            avgpool2d_f32_plane(g, x + p * in_plane, y + p * out_plane, count_include_pad, stop);
        }
    }
}
DEFINE_AVGPOOL(void obn_avgpool_f64, double, double)

/* |v|^p, with the common p = 1 and 2 exact and fast. */
static inline double abs_pow(double v, double p)
{
    return p == 2 ? v * v : p == 1 ? fabs(v) : pow(fabs(v), p);
}

static inline double lp_root(double sum, double p)
{
    return p == 2 ? sqrt(sum) : p == 1 ? sum : pow(sum, 1.0 / p);
}

#define DEFINE_LPPOOL(NAME, T)                                                                            \
    void NAME(const obn_pool_geom *g, const T *x, T *y, double p, int threads)                           \
    {                                                                                                     \
        const int64_t in_plane = g->in[0] * g->in[1] * g->in[2];                                          \
        const int64_t out_plane = g->out[0] * g->out[1] * g->out[2];                                      \
        const obn_kstop *stop_ = obn_kstop_get();                                                         \
        const int64_t every_ = obn_kstop_every(pool_row_work(g));                                         \
        int stopped_ = 0;                                                                                 \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (g->planes > 1)")             \
        for (int64_t pl = 0; pl < g->planes; pl++) {                                                      \
            const T *xp = x + pl * in_plane;                                                              \
            T *yp = y + pl * out_plane;                                                                   \
            for (int64_t o0 = 0; o0 < g->out[0]; o0++) {                                                  \
                int64_t s0, l0, h0;                                                                       \
                tap_range(g, 0, o0, &s0, &l0, &h0);                                                       \
                for (int64_t o1 = 0; o1 < g->out[1]; o1++) {                                              \
                    if (obn_kstop_step(stop_, &stopped_, o1, every_)) break;                              \
                    int64_t s1, l1, h1;                                                                   \
                    tap_range(g, 1, o1, &s1, &l1, &h1);                                                   \
                    for (int64_t o2 = 0; o2 < g->out[2]; o2++) {                                          \
                        int64_t s2, l2, h2;                                                               \
                        tap_range(g, 2, o2, &s2, &l2, &h2);                                               \
                        double sum = 0;                                                                   \
                        for (int64_t k0 = l0; k0 < h0; k0++) {                                            \
                            int64_t i0 = s0 + k0 * g->dilation[0];                                        \
                            for (int64_t k1 = l1; k1 < h1; k1++) {                                        \
                                int64_t i1 = s1 + k1 * g->dilation[1];                                    \
                                const T *row = xp + (i0 * g->in[1] + i1) * g->in[2];                      \
                                for (int64_t k2 = l2; k2 < h2; k2++)                                      \
                                    sum += abs_pow(row[s2 + k2 * g->dilation[2]], p);                     \
                            }                                                                             \
                        }                                                                                 \
                        yp[(o0 * g->out[1] + o1) * g->out[2] + o2] = (T)lp_root(sum, p);                  \
                    }                                                                                     \
                }                                                                                         \
            }                                                                                             \
        }                                                                                                 \
    }

DEFINE_LPPOOL(obn_lppool_f32, float)
DEFINE_LPPOOL(obn_lppool_f64, double)

/* Sum of n floats in double, in 8 interleaved partial sums (fixed order,
 * so the loop vectorises without reassociation). */
OBN_CLONES
static double sum_f64(const float *x, int64_t n)
{
    double s[8] = {0, 0, 0, 0, 0, 0, 0, 0}, r = 0;
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int u = 0; u < 8; u++) s[u] += (double)x[i + u];
    for (; i < n; i++) r += x[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + r;
}

void obn_global_avgpool_f32(const float *x, float *y, int64_t planes, int64_t size, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (planes > 1 && planes * size > 4096)
    for (int64_t p = 0; p < planes; p++) y[p] = size ? (float)(sum_f64(x + p * size, size) / (double)size) : NAN;
}

void obn_global_maxpool_f32(const float *x, float *y, int64_t planes, int64_t size, int threads)
{
#pragma omp parallel for schedule(static) num_threads(threads) if (planes > 1 && planes * size > 4096)
    for (int64_t p = 0; p < planes; p++) {
        const float *xp = x + p * size;
        float best = -INFINITY;
        for (int64_t i = 0; i < size; i++)
            if (xp[i] > best || xp[i] != xp[i]) best = xp[i];
        y[p] = best;
    }
}
