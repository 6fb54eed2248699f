#include "deform_conv.h"
#include "kstop.h"

#include <math.h>

size_t obn_deform_col_doubles(const obn_deform_shape *s)
{
    return (size_t)(s->in_channels / s->groups * s->kh * s->kw * s->oh * s->ow);
}

/* x[plane + r*W + c] bilinearly at (h, w), zero outside (see the header). */
static double bilinear(const void *x, obn_kfmt f, int64_t plane, int64_t height, int64_t width, double h, double w)
{
    if (h <= -1.0 || h >= (double)height || w <= -1.0 || w >= (double)width) return 0.0;
    double hf = floor(h), wf = floor(w);
    int64_t h0 = (int64_t)hf, w0 = (int64_t)wf, h1 = h0 + 1, w1 = w0 + 1;
    double lh = h - hf, lw = w - wf, v = 0.0;
    if (h0 >= 0 && w0 >= 0) v += (1 - lh) * (1 - lw) * obn_kload(x, f, plane + h0 * width + w0);
    if (h0 >= 0 && w1 < width) v += (1 - lh) * lw * obn_kload(x, f, plane + h0 * width + w1);
    if (h1 < height && w0 >= 0) v += lh * (1 - lw) * obn_kload(x, f, plane + h1 * width + w0);
    if (h1 < height && w1 < width) v += lh * lw * obn_kload(x, f, plane + h1 * width + w1);
    return v;
}

/* Column matrix of image b, group g: row (c, tap), column output position. */
static void fill_columns(const obn_deform_shape *s, const void *x, const void *offset, const void *mask, obn_kfmt f,
                         int64_t b, int64_t g, double *col, int threads)
{
    int64_t cg = s->in_channels / s->groups, kvol = s->kh * s->kw, opos = s->oh * s->ow;
    int64_t per_og = s->in_channels / s->offset_groups;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && cg * kvol > 1)
    for (int64_t r = 0; r < cg * kvol; r++) {
        int64_t c = g * cg + r / kvol, t = r % kvol, u = t / s->kw, v = t % s->kw, og = c / per_og;
        int64_t plane = (b * s->in_channels + c) * s->ih * s->iw;
        int64_t off_h = ((b * s->offset_groups + og) * 2 * kvol + 2 * t) * opos, off_w = off_h + opos;
        int64_t mrow = ((b * s->offset_groups + og) * kvol + t) * opos;
        for (int64_t o = 0; o < opos; o++) {
            int64_t i = o / s->ow, j = o % s->ow;
            double h = (double)(i * s->sh - s->ph + u * s->dh) + obn_kload(offset, f, off_h + o);
            double w = (double)(j * s->sw - s->pw + v * s->dw) + obn_kload(offset, f, off_w + o);
            double val = bilinear(x, f, plane, s->ih, s->iw, h, w);
            col[r * opos + o] = mask ? val * obn_kload(mask, f, mrow + o) : val;
        }
    }
}

void obn_deform_conv(const obn_deform_shape *s, const void *x, const void *w, const void *offset, const void *bias,
                     const void *mask, obn_kfmt f, void *y, double *col, int threads)
{
    int64_t cg = s->in_channels / s->groups, mg = s->out_channels / s->groups, k = cg * s->kh * s->kw;
    int64_t opos = s->oh * s->ow;
    const obn_kstop *stop = obn_kstop_get();
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t g = 0; g < s->groups && !obn_kstop_hit(stop); g++) {
            fill_columns(s, x, offset, mask, f, b, g, col, threads);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && mg > 1)
            for (int64_t mi = 0; mi < mg; mi++) {
                if (obn_kstop_hit(stop)) continue;
                int64_t m = g * mg + mi;
                double bv = bias ? obn_kload(bias, f, m) : 0.0;
                for (int64_t o = 0; o < opos; o++) {
                    double acc = bv;
                    for (int64_t r = 0; r < k; r++) acc += obn_kload(w, f, m * k + r) * col[r * opos + o];
                    obn_kstore(y, f, (b * s->out_channels + m) * opos + o, acc);
                }
            }
        }
}
