#include "resize.h"

#include <math.h>
#include <string.h>

/* Below this many output elements a pass runs on one thread (a parallel
 * region costs a few microseconds). */
#define PARALLEL_MIN 16384

/* |x| beyond this is clamped before taking floor(): far outside the data a
 * window is pinned to the edge anyway, and the int64 conversion stays
 * defined (also for a NaN or infinite crop). 2^52: every double that large
 * is an integer. */
#define COORD_LIMIT 4503599627370496.0

static double source_coord(const obn_resize_method *m, const obn_resize_geometry *g, int64_t j, int *outside)
{
    double s = g->scale, len = (double)g->in_len, w = g->out_width, x = (double)j;
    *outside = 0;
    switch (m->coord) {
    case OBN_COORD_HALF_PIXEL: return (x + 0.5) / s - 0.5;
    case OBN_COORD_HALF_PIXEL_SYMMETRIC: return len / 2 * (1 - (double)g->out_len / w) + (x + 0.5) / s - 0.5;
    case OBN_COORD_PYTORCH_HALF_PIXEL: return g->out_len > 1 ? (x + 0.5) / s - 0.5 : 0;
    case OBN_COORD_ALIGN_CORNERS: return w == 1 ? 0 : x * (len - 1) / (w - 1);
    case OBN_COORD_ASYMMETRIC: return x / s;
    case OBN_COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / s;
    case OBN_COORD_TF_CROP_AND_RESIZE: {
        double b = g->roi_start, e = g->roi_end;
        double v = w == 1 ? (e - b) * (len - 1) / 2 : x * (e - b) * (len - 1) / (w - 1);
        v += b * (len - 1);
        if (!(v >= 0 && v <= len - 1)) *outside = 1;
        return v;
    }
    }
    return 0;
}

/* First tap of the antialiased windows relative to floor(x):
 * floor(-support / s) + 1 with the kernel's support (1 linear, 2 cubic). */
static int64_t antialias_first(double support, double scale, int64_t max_taps)
{
    double s = scale < 1 ? scale : 1;
    double f = floor(-support / s) + 1;
    if (!(f > -(double)max_taps)) return INT64_MIN;
    return (int64_t)f;
}

int64_t obn_resize_taps(const obn_resize_method *m, double scale, int64_t max_taps)
{
    if (m->mode == OBN_RESIZE_NEAREST) return 1;
    if (!m->antialias) return m->mode == OBN_RESIZE_LINEAR ? 2 : 4;
    int64_t first = antialias_first(m->mode == OBN_RESIZE_LINEAR ? 1 : 2, scale, max_taps / 2);
    if (first == INT64_MIN) return -1;
    int64_t taps = 2 - 2 * first;
    return taps <= max_taps ? taps : -1;
}

/* Keys' cubic convolution kernel with coefficient a at distance d. */
static double cubic_kernel(double a, double d)
{
    d = fabs(d);
    if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
    if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
    return 0;
}

/* Weights of the n taps for the fractional position r in (0, 1]. */
static void window_weights(const obn_resize_method *m, double scale, double r, int64_t n, double *w)
{
    if (m->mode == OBN_RESIZE_LINEAR && !m->antialias) {
        w[0] = 1 - r;
        w[1] = r;
        return;
    }
    if (m->mode == OBN_RESIZE_CUBIC && !m->antialias) {
        for (int k = 0; k < 4; k++) w[k] = cubic_kernel(m->cubic_a, r + 1 - k);
        return;
    }
    /* antialiased: the kernel stretched by 1/s, sampled at the taps */
    double s = scale < 1 ? scale : 1, sum = 0;
    int64_t first = 1 - n / 2;
    for (int64_t k = 0; k < n; k++) {
        double d = s * ((double)(first + k) - r);
        w[k] = m->mode == OBN_RESIZE_LINEAR ? fmax(0, 1 - fabs(d)) : cubic_kernel(m->cubic_a, d);
        sum += w[k];
    }
    for (int64_t k = 0; k < n; k++) w[k] /= sum;
}

static int64_t clamp_i64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* The nearest sample of x (f = floor, r in (0, 1] as in the header). */
static int64_t nearest_index(obn_resize_rounding mode, int64_t f, double r)
{
    if (r == 1) return f + 1;
    switch (mode) {
    case OBN_ROUND_PREFER_FLOOR: return r <= 0.5 ? f : f + 1;
    case OBN_ROUND_PREFER_CEIL: return r < 0.5 ? f : f + 1;
    case OBN_ROUND_FLOOR: return f;
    case OBN_ROUND_CEIL: return f + 1;
    }
    return f;
}

/* The window of output j: input indices (clamped later) and weights. */
static void build_window(const obn_resize_method *m, const obn_resize_geometry *g, int64_t n, double x, int64_t *idx,
                         double *w)
{
    if (x != x) x = 0;
    x = fmin(fmax(x, -COORD_LIMIT), COORD_LIMIT);
    double fl = floor(x), r = x - fl;
    if (r == 0) { /* prefer the sample on the left: x = (x - 1) + 1 */
        fl -= 1;
        r = 1;
    }
    int64_t f = (int64_t)fl;
    if (m->mode == OBN_RESIZE_NEAREST) {
        idx[0] = nearest_index(m->rounding, f, r);
        w[0] = 1;
        return;
    }
    int64_t half = n / 2, start = clamp_i64(f - half + 1, -half, g->in_len - half);
    window_weights(m, g->scale, r, n, w);
    double sum = 0;
    for (int64_t k = 0; k < n; k++) {
        idx[k] = start + k;
        if (m->exclude_outside && (idx[k] < 0 || idx[k] >= g->in_len)) w[k] = 0;
        sum += w[k];
    }
    if (m->exclude_outside && sum != 0)
        for (int64_t k = 0; k < n; k++) w[k] /= sum;
}

/* One tap per output when every window has a single sample of weight 1. */
static void collapse_single_taps(obn_resize_axis *t)
{
    int64_t n = t->taps;
    if (n == 1) return;
    for (int64_t j = 0; j < t->out_len; j++) {
        int64_t live = 0;
        for (int64_t k = 0; k < n; k++)
            if (t->weight[j * n + k] != 0) live += t->weight[j * n + k] == 1 ? 1 : 2;
        if (live != 1) return;
    }
    for (int64_t j = 0; j < t->out_len; j++) {
        int64_t keep = 0;
        for (int64_t k = 0; k < n; k++)
            if (t->weight[j * n + k] != 0) keep = t->index[j * n + k];
        t->index[j] = keep;
        t->weight[j] = 1;
    }
    t->taps = 1;
}

void obn_resize_build_axis(const obn_resize_method *m, const obn_resize_geometry *g, obn_resize_axis *t)
{
    int64_t n = obn_resize_taps(m, g->scale, INT64_MAX / 4);
    t->in_len = g->in_len;
    t->out_len = g->out_len;
    t->taps = n;
    t->any_outside = 0;
    for (int64_t j = 0; j < g->out_len; j++) {
        int outside;
        double x = source_coord(m, g, j, &outside);
        build_window(m, g, n, x, t->index + j * n, t->weight + j * n);
        t->outside[j] = (unsigned char)outside;
        t->any_outside |= outside;
        for (int64_t k = 0; k < n; k++) t->index[j * n + k] = clamp_i64(t->index[j * n + k], 0, g->in_len - 1);
    }
    collapse_single_taps(t);
    for (int64_t i = 0; i < t->out_len * t->taps; i++) t->weight_f32[i] = (float)t->weight[i];
    t->identity = t->taps == 1 && t->out_len == t->in_len && !t->any_outside;
    for (int64_t j = 0; t->identity && j < t->out_len; j++) t->identity = t->index[j] == j;
}

void obn_resize_plan_init(obn_resize_plan *p, int rank, const obn_resize_axis *axes)
{
    p->rank = rank;
    p->axes = axes;
    p->n_passes = 0;
    p->gather = 1;
    for (int d = 0; d < rank; d++) {
        if (axes[d].taps != 1) p->gather = 0;
        if (!axes[d].identity) p->order[p->n_passes++] = d;
    }
    /* insertion sort by out_len / in_len, shrinking axes first */
    for (int i = 1; i < p->n_passes; i++)
        for (int k = i; k > 0; k--) {
            const obn_resize_axis *a = &axes[p->order[k - 1]], *b = &axes[p->order[k]];
            if ((double)b->out_len * (double)a->in_len >= (double)a->out_len * (double)b->in_len) break;
            int tmp = p->order[k];
            p->order[k] = p->order[k - 1];
            p->order[k - 1] = tmp;
        }
    p->fused_2d = !p->gather && rank >= 2;
    for (int d = 0; d < rank - 2 && p->fused_2d; d++) p->fused_2d = axes[d].identity;
}

/* Element counts before and after each pass, in pass order. */
static void pass_dims(const obn_resize_plan *p, int pass, int64_t *outer, int64_t *inner)
{
    int64_t dims[OBN_RESIZE_MAX_RANK];
    for (int d = 0; d < p->rank; d++) dims[d] = p->axes[d].in_len;
    for (int k = 0; k < pass; k++) dims[p->order[k]] = p->axes[p->order[k]].out_len;
    int ax = p->order[pass];
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < ax; d++) *outer *= dims[d];
    for (int d = ax + 1; d < p->rank; d++) *inner *= dims[d];
}

size_t obn_resize_workspace(const obn_resize_plan *p, size_t elem_size)
{
    if (p->gather || p->n_passes < 2) return 0;
    int64_t most = 0;
    for (int k = 0; k + 1 < p->n_passes; k++) {
        int64_t outer, inner;
        pass_dims(p, k, &outer, &inner);
        int64_t n = outer * p->axes[p->order[k]].out_len * inner;
        if (n > most) most = n;
    }
    return (size_t)most * elem_size * (p->n_passes > 2 ? 2 : 1);
}

/* Sets every output position whose index along some axis lies outside the
 * crop to the fill element. */
static void fill_outside(const obn_resize_plan *p, void *y, size_t es, const void *fill)
{
    for (int ax = 0; ax < p->rank; ax++) {
        const obn_resize_axis *a = &p->axes[ax];
        if (!a->any_outside) continue;
        int64_t outer = 1, inner = 1;
        for (int d = 0; d < ax; d++) outer *= p->axes[d].out_len;
        for (int d = ax + 1; d < p->rank; d++) inner *= p->axes[d].out_len;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < a->out_len; j++) {
                if (!a->outside[j]) continue;
                char *row = (char *)y + (size_t)((o * a->out_len + j) * inner) * es;
                for (int64_t i = 0; i < inner; i++) memcpy(row + (size_t)i * es, fill, es);
            }
    }
}

/* One pass along an axis of src viewed as [outer][in_len][inner], writing
 * [outer][out_len][inner]; T is float or double. */
#define DEFINE_PASS(NAME, T, WEIGHT)                                                                               \
    static void NAME(const T *src, T *dst, int64_t outer, int64_t inner, const obn_resize_axis *a, int threads)  \
    {                                                                                                              \
        int64_t n = a->taps, rows = outer * a->out_len;                                                            \
        if (inner == 1) {                                                                                          \
            _Pragma("omp parallel for schedule(static) num_threads(threads) if (rows > PARALLEL_MIN)")             \
            for (int64_t o = 0; o < outer; o++) {                                                                  \
                const T *s = src + o * a->in_len;                                                                  \
                T *d = dst + o * a->out_len;                                                                       \
                for (int64_t j = 0; j < a->out_len; j++) {                                                         \
                    const int64_t *idx = a->index + j * n;                                                         \
                    const T *w = a->WEIGHT + j * n;                                                                \
                    T acc = 0;                                                                                     \
                    for (int64_t k = 0; k < n; k++) acc += w[k] * s[idx[k]];                                       \
                    d[j] = acc;                                                                                    \
                }                                                                                                  \
            }                                                                                                      \
            return;                                                                                                \
        }                                                                                                          \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (rows * inner > PARALLEL_MIN)")         \
        for (int64_t r = 0; r < rows; r++) {                                                                       \
            int64_t o = r / a->out_len, j = r % a->out_len;                                                        \
            const T *base = src + o * a->in_len * inner;                                                           \
            const int64_t *idx = a->index + j * n;                                                                 \
            const T *w = a->WEIGHT + j * n;                                                                        \
            T *d = dst + r * inner;                                                                                \
            const T *s0 = base + idx[0] * inner;                                                                   \
            for (int64_t i = 0; i < inner; i++) d[i] = w[0] * s0[i];                                               \
            for (int64_t k = 1; k < n; k++) {                                                                      \
                const T *s = base + idx[k] * inner;                                                                \
                T wk = w[k];                                                                                       \
                for (int64_t i = 0; i < inner; i++) d[i] += wk * s[i];                                             \
            }                                                                                                      \
        }                                                                                                          \
    }

DEFINE_PASS(pass_f32, float, weight_f32)
DEFINE_PASS(pass_f64, double, weight)

/* Runs the passes in order through the two halves of the workspace. */
#define DEFINE_PASSES(NAME, T, PASS)                                                                               \
    static void NAME(const obn_resize_plan *p, const T *x, T *y, void *workspace, int threads)                    \
    {                                                                                                              \
        if (p->n_passes == 0) {                                                                                    \
            int64_t n = 1;                                                                                         \
            for (int d = 0; d < p->rank; d++) n *= p->axes[d].in_len;                                              \
            memcpy(y, x, (size_t)n * sizeof(T));                                                                   \
            return;                                                                                                \
        }                                                                                                          \
        size_t half = obn_resize_workspace(p, sizeof(T)) / sizeof(T) / (p->n_passes > 2 ? 2 : 1);                 \
        T *buf[2] = {(T *)workspace, (T *)workspace + half};                                                       \
        const T *src = x;                                                                                          \
        for (int k = 0; k < p->n_passes; k++) {                                                                    \
            int64_t outer, inner;                                                                                  \
            pass_dims(p, k, &outer, &inner);                                                                       \
            T *dst = k == p->n_passes - 1 ? y : buf[k % 2];                                                        \
            PASS(src, dst, outer, inner, &p->axes[p->order[k]], threads);                                          \
            src = dst;                                                                                             \
        }                                                                                                          \
    }

DEFINE_PASSES(passes_f32, float, pass_f32)
DEFINE_PASSES(passes_f64, double, pass_f64)

/* The last two axes in one pass (the others unchanged), parallel over the
 * output rows of all planes: the 2-D image case. */
static void resize_2d_f32(const obn_resize_plan *p, const float *x, float *y, int threads)
{
    const obn_resize_axis *ay = &p->axes[p->rank - 2], *ax = &p->axes[p->rank - 1];
    int64_t planes = 1;
    for (int d = 0; d < p->rank - 2; d++) planes *= p->axes[d].in_len;
    int64_t hin = ay->in_len, win = ax->in_len, hout = ay->out_len, wout = ax->out_len;
    int64_t ty = ay->taps, tx = ax->taps;
    int parallel = planes * hout * wout > PARALLEL_MIN;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (parallel)
    for (int64_t pl = 0; pl < planes; pl++)
        for (int64_t oy = 0; oy < hout; oy++) {
            const float *plane = x + pl * hin * win;
            float *out = y + (pl * hout + oy) * wout;
            const int64_t *iy = ay->index + oy * ty;
            const float *wy = ay->weight_f32 + oy * ty;
            if (ty == 2 && tx == 2) { /* bilinear */
                const float *r0 = plane + iy[0] * win, *r1 = plane + iy[1] * win;
                for (int64_t ox = 0; ox < wout; ox++) {
                    const int64_t *ix = ax->index + ox * 2;
                    const float *wx = ax->weight_f32 + ox * 2;
                    float top = wx[0] * r0[ix[0]] + wx[1] * r0[ix[1]];
                    float bottom = wx[0] * r1[ix[0]] + wx[1] * r1[ix[1]];
                    out[ox] = wy[0] * top + wy[1] * bottom;
                }
                continue;
            }
            for (int64_t ox = 0; ox < wout; ox++) {
                const int64_t *ix = ax->index + ox * tx;
                const float *wx = ax->weight_f32 + ox * tx;
                float acc = 0;
                for (int64_t ky = 0; ky < ty; ky++) {
                    const float *row = plane + iy[ky] * win;
                    float s = 0;
                    for (int64_t kx = 0; kx < tx; kx++) s += wx[kx] * row[ix[kx]];
                    acc += wy[ky] * s;
                }
                out[ox] = acc;
            }
        }
}

void obn_resize_f32(const obn_resize_plan *p, const float *x, float *y, float fill, void *workspace, int threads)
{
    if (p->gather) {
        obn_resize_gather(p, x, y, sizeof(float), &fill, threads);
        return;
    }
    if (p->fused_2d)
        resize_2d_f32(p, x, y, threads);
    else
        passes_f32(p, x, y, workspace, threads);
    fill_outside(p, y, sizeof fill, &fill);
}

void obn_resize_f64(const obn_resize_plan *p, const double *x, double *y, double fill, void *workspace,
                    int threads)
{
    if (p->gather) {
        obn_resize_gather(p, x, y, sizeof(double), &fill, threads);
        return;
    }
    passes_f64(p, x, y, workspace, threads);
    fill_outside(p, y, sizeof fill, &fill);
}

/* Copies row r of the output (the last axis) from its source row. */
#define GATHER_ROW(T)                                                                                              \
    do {                                                                                                           \
        const T *s = (const T *)src;                                                                               \
        T *d = (T *)dst;                                                                                           \
        for (int64_t j = 0; j < last->out_len; j++) d[j] = s[last->index[j]];                                     \
    } while (0)

void obn_resize_gather(const obn_resize_plan *p, const void *x, void *y, size_t es, const void *fill, int threads)
{
    int r = p->rank;
    if (r == 0) {
        memcpy(y, x, es);
        return;
    }
    const obn_resize_axis *last = &p->axes[r - 1];
    int64_t rows = 1, in_stride[OBN_RESIZE_MAX_RANK], stride = 1;
    for (int d = 0; d < r - 1; d++) rows *= p->axes[d].out_len;
    for (int d = r - 1; d >= 0; d--) {
        in_stride[d] = stride;
        stride *= p->axes[d].in_len;
    }
#pragma omp parallel for schedule(static) num_threads(threads) if (rows * last->out_len > PARALLEL_MIN)
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0, u = row;
        for (int d = r - 2; d >= 0; d--) {
            off += p->axes[d].index[u % p->axes[d].out_len] * in_stride[d];
            u /= p->axes[d].out_len;
        }
        const char *src = (const char *)x + (size_t)off * es;
        char *dst = (char *)y + (size_t)(row * last->out_len) * es;
        switch (es) {
        case 1: GATHER_ROW(uint8_t); break;
        case 2: GATHER_ROW(uint16_t); break;
        case 4: GATHER_ROW(uint32_t); break;
        case 8: GATHER_ROW(uint64_t); break;
        default:
            for (int64_t j = 0; j < last->out_len; j++)
                memcpy(dst + (size_t)j * es, src + (size_t)last->index[j] * es, es);
        }
    }
    fill_outside(p, y, es, fill);
}
