#include "roi_align.h"

#include <math.h>

/* One bilinear sample: the four corner offsets (in the plane) and weights;
 * all weights 0 for a sample outside the image. */
typedef struct {
    int64_t pos[4];
    double w[4];
} sample;

static sample make_sample(double y, double x, int64_t h, int64_t w)
{
    sample s = {{0, 0, 0, 0}, {0, 0, 0, 0}};
    if (!(y >= -1.0 && y <= (double)h && x >= -1.0 && x <= (double)w)) return s;
    if (y <= 0) y = 0;
    if (x <= 0) x = 0;
    int64_t y_lo = (int64_t)y, x_lo = (int64_t)x, y_hi, x_hi;
    if (y_lo >= h - 1) {
        y_hi = y_lo = h - 1;
        y = (double)y_lo;
    } else {
        y_hi = y_lo + 1;
    }
    if (x_lo >= w - 1) {
        x_hi = x_lo = w - 1;
        x = (double)x_lo;
    } else {
        x_hi = x_lo + 1;
    }
    double ly = y - (double)y_lo, lx = x - (double)x_lo, hy = 1 - ly, hx = 1 - lx;
    s.pos[0] = y_lo * w + x_lo;
    s.pos[1] = y_lo * w + x_hi;
    s.pos[2] = y_hi * w + x_lo;
    s.pos[3] = y_hi * w + x_hi;
    s.w[0] = hy * hx;
    s.w[1] = hy * lx;
    s.w[2] = ly * hx;
    s.w[3] = ly * lx;
    return s;
}

/* The bins of one region (grid sizes in double until checked). */
typedef struct {
    double start_h, start_w, bin_h, bin_w;
    double grid_h, grid_w;
} region;

static region region_of(const obn_roi_align_shape *s, const double *roi)
{
    double off = s->half_pixel ? 0.5 : 0, ss = s->spatial_scale;
    region r;
    r.start_w = roi[0] * ss - off;
    r.start_h = roi[1] * ss - off;
    double width = roi[2] * ss - off - r.start_w, height = roi[3] * ss - off - r.start_h;
    if (!s->half_pixel) { /* legacy: malformed regions become 1 x 1 */
        width = fmax(width, 1);
        height = fmax(height, 1);
    }
    r.bin_h = height / (double)s->out_h;
    r.bin_w = width / (double)s->out_w;
    r.grid_h = s->sampling_ratio > 0 ? (double)s->sampling_ratio : ceil(height / (double)s->out_h);
    r.grid_w = s->sampling_ratio > 0 ? (double)s->sampling_ratio : ceil(width / (double)s->out_w);
    return r;
}

int64_t obn_roi_align_bad_roi(const obn_roi_align_shape *s, const double *rois, int64_t num_rois, double max_samples)
{
    for (int64_t r = 0; r < num_rois; r++) {
        const double *roi = rois + 4 * r;
        if (!isfinite(roi[0]) || !isfinite(roi[1]) || !isfinite(roi[2]) || !isfinite(roi[3])) return r;
        region g = region_of(s, roi);
        if (!(fmax(g.grid_h, 1) * fmax(g.grid_w, 1) <= max_samples)) return r;
    }
    return -1;
}

#define DEFINE_ROI_ALIGN(NAME, T)                                                                                  \
    void NAME(const obn_roi_align_shape *s, const T *x, const double *rois, const int64_t *batch, int64_t num_rois, \
              T *y, int threads)                                                                                   \
    {                                                                                                              \
        int64_t planes = num_rois * s->c, bins = s->out_h * s->out_w;                                              \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (planes * bins > 1024)")                \
        for (int64_t p = 0; p < planes; p++) {                                                                     \
            int64_t r = p / s->c, c = p % s->c;                                                                    \
            region g = region_of(s, rois + 4 * r);                                                                 \
            /* an empty region (grid <= 0) samples nothing: the bins are 0 */                                      \
            int64_t gh = g.grid_h > 0 ? (int64_t)g.grid_h : 0, gw = g.grid_w > 0 ? (int64_t)g.grid_w : 0;          \
            double count = gh * gw > 0 ? (double)(gh * gw) : 1;                                                    \
            const T *img = x + (batch[r] * s->c + c) * s->h * s->w;                                                \
            T *out = y + p * bins;                                                                                 \
            for (int64_t ph = 0; ph < s->out_h; ph++)                                                              \
                for (int64_t pw = 0; pw < s->out_w; pw++) {                                                        \
                    double acc = 0, best = 0;                                                                      \
                    int first = 1;                                                                                 \
                    for (int64_t iy = 0; iy < gh; iy++) {                                                          \
                        double yy = g.start_h + (double)ph * g.bin_h + ((double)iy + 0.5) * g.bin_h / (double)gh;   \
                        for (int64_t ix = 0; ix < gw; ix++) {                                                      \
                            double xx = g.start_w + (double)pw * g.bin_w + ((double)ix + 0.5) * g.bin_w / (double)gw; \
                            sample sm = make_sample(yy, xx, s->h, s->w);                                           \
                            if (!s->max_mode) {                                                                    \
                                for (int k = 0; k < 4; k++) acc += sm.w[k] * img[sm.pos[k]];                       \
                                continue;                                                                          \
                            }                                                                                      \
                            double v = sm.w[0] * img[sm.pos[0]];                                                   \
                            for (int k = 1; k < 4; k++) v = fmax(v, sm.w[k] * img[sm.pos[k]]);                     \
                            best = first ? v : fmax(best, v);                                                      \
                            first = 0;                                                                             \
                        }                                                                                          \
                    }                                                                                              \
                    out[ph * s->out_w + pw] = (T)(s->max_mode ? best : acc / count);                               \
                }                                                                                                  \
        }                                                                                                          \
    }

DEFINE_ROI_ALIGN(obn_roi_align_f32, float)
DEFINE_ROI_ALIGN(obn_roi_align_f64, double)
