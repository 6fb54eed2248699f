#include "grid_sample.h"

#include <math.h>

#define D_MAX OBN_GRID_SAMPLE_MAX_DIMS

/* Cubic taps per axis to the power of the dimensions: 4^6. */
#define MAX_TAPS 4096

/* Coordinates are clamped to +-2^52 before floor() and the int64
 * conversion: beyond that no double has a fraction, and every
 * padding mode gives the same result there as at the limit (up to the
 * reflection's period, which such a coordinate cannot resolve anyway). */
#define COORD_LIMIT 4503599627370496.0

/* Parallel regions below this many output values run on one thread. */
#define PARALLEL_MIN 4096

/* Reflects x at lo and hi until it lies in [lo, hi]. */
static double reflect(double x, double lo, double hi)
{
    double range = hi - lo;
    if (range <= 0) return lo;
    if (x < lo) {
        double t = fmod(lo - x, 2 * range);
        return t < range ? lo + t : hi - (t - range);
    }
    if (x > hi) {
        double t = fmod(x - hi, 2 * range);
        return t < range ? hi - t : lo + (t - range);
    }
    return x;
}

typedef struct {
    int64_t len;
    double lo, hi;
    obn_gs_padding padding;
} axis_geom;

/* The data index of integer tap i, or -1 for a zero. */
static int64_t tap_index(const axis_geom *a, int64_t i)
{
    if (i >= 0 && i < a->len) return i;
    switch (a->padding) {
    case OBN_GS_ZEROS: return -1;
    case OBN_GS_BORDER: return i < 0 ? 0 : a->len - 1;
    case OBN_GS_REFLECTION: {
        int64_t r = (int64_t)reflect((double)i, a->lo, a->hi); /* truncates into [0, len - 1] */
        return r < 0 ? 0 : r >= a->len ? a->len - 1 : r;
    }
    }
    return -1;
}

static void cubic_weights(double r, double *w)
{
    const double a = -0.75;
    double x = r + 1;
    w[0] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    w[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
    x = 1 - r;
    w[2] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = 2 - r;
    w[3] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

/* Taps (indices, -1 = zero, and weights) of normalised coordinate g. */
static int axis_taps(const obn_grid_sample_shape *s, const axis_geom *a, double g, int64_t *idx, double *w)
{
    double len = (double)a->len;
    double x = s->align_corners ? (g + 1) / 2 * (len - 1) : ((g + 1) * len - 1) / 2;
    if (x != x) x = a->lo - 1;
    x = fmin(fmax(x, -COORD_LIMIT), COORD_LIMIT);
    if (s->mode == OBN_GS_NEAREST) x = nearbyint(x); /* half to even, as PyTorch and the reference data */
    if (x < a->lo || x > a->hi) {
        if (a->padding == OBN_GS_BORDER) x = fmin(fmax(x, 0), len - 1);
        else if (a->padding == OBN_GS_REFLECTION) x = reflect(x, a->lo, a->hi);
    }
    if (s->mode == OBN_GS_NEAREST) {
        idx[0] = tap_index(a, (int64_t)x);
        w[0] = 1;
        return 1;
    }
    double f = floor(x), r = x - f;
    int n = s->mode == OBN_GS_LINEAR ? 2 : 4;
    int64_t first = (int64_t)f - (n == 4);
    if (n == 2) {
        w[0] = 1 - r;
        w[1] = r;
    } else {
        cubic_weights(r, w);
    }
    for (int t = 0; t < n; t++) idx[t] = tap_index(a, first + t);
    return n;
}

/* The (offset, weight) list of one output location: the product of the
 * per-axis taps, zeros left out. Returns its length. */
static int location_taps(const obn_grid_sample_shape *s, const axis_geom *geo, const int64_t *stride, const double *g,
                         int64_t *off, double *wt)
{
    int64_t idx[D_MAX][4];
    double w[D_MAX][4];
    int n[D_MAX];
    for (int d = 0; d < s->spatial; d++) n[d] = axis_taps(s, &geo[d], g[s->spatial - 1 - d], idx[d], w[d]);
    int count = 0, t[D_MAX] = {0};
    for (;;) {
        int64_t o = 0;
        double weight = 1;
        int zero = 0;
        for (int d = 0; d < s->spatial; d++) {
            if (idx[d][t[d]] < 0) zero = 1;
            o += idx[d][t[d]] * stride[d];
            weight *= w[d][t[d]];
        }
        if (!zero) {
            off[count] = o;
            wt[count++] = weight;
        }
        int d = s->spatial - 1;
        for (; d >= 0; d--) {
            if (++t[d] < n[d]) break;
            t[d] = 0;
        }
        if (d < 0) return count;
    }
}

#define DEFINE_GRID_SAMPLE(NAME, T)                                                                                \
    void NAME(const obn_grid_sample_shape *s, const T *x, const double *grid, T *y, int threads)                 \
    {                                                                                                              \
        axis_geom geo[D_MAX];                                                                                      \
        int64_t stride[D_MAX], plane = 1, locations = 1;                                                           \
        for (int d = s->spatial - 1; d >= 0; d--) {                                                                \
            stride[d] = plane;                                                                                     \
            plane *= s->in_dims[d];                                                                                \
            locations *= s->out_dims[d];                                                                           \
            geo[d].len = s->in_dims[d];                                                                            \
            geo[d].lo = s->align_corners ? 0 : -0.5;                                                               \
            geo[d].hi = s->align_corners ? (double)s->in_dims[d] - 1 : (double)s->in_dims[d] - 0.5;                \
            geo[d].padding = s->padding;                                                                           \
        }                                                                                                          \
        int64_t total = s->n * locations;                                                                          \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (total * s->c > PARALLEL_MIN)")         \
        for (int64_t e = 0; e < total; e++) {                                                                      \
            int64_t b = e / locations, l = e % locations;                                                          \
            int64_t off[MAX_TAPS];                                                                                 \
            double wt[MAX_TAPS];                                                                                   \
            int taps = location_taps(s, geo, stride, grid + e * s->spatial, off, wt);                              \
            const T *img = x + b * s->c * plane;                                                                   \
            T *out = y + b * s->c * locations + l;                                                                 \
            for (int64_t c = 0; c < s->c; c++) {                                                                   \
                const T *p = img + c * plane;                                                                      \
                double acc = 0;                                                                                    \
                for (int k = 0; k < taps; k++) acc += wt[k] * p[off[k]];                                           \
                out[c * locations] = (T)acc;                                                                       \
            }                                                                                                      \
        }                                                                                                          \
    }

DEFINE_GRID_SAMPLE(obn_grid_sample_f32, float)
DEFINE_GRID_SAMPLE(obn_grid_sample_f64, double)
