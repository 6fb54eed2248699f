/* Direct N-d convolution in double (see obn_conv_run_f64 in conv.h). */
#include "conv.h"
#include "kstop.h"

/* One output plane (image b, output channel m): every output position
 * walks its receptive field over the input channels of m's group;
 * positions outside the input are the zero padding. */
static void plane_f64(const obn_conv_shape *s, const double *x, const double *w, double bias, double *y, int64_t b,
                      int64_t m)
{
    int nd = s->nd;
    int64_t cg = s->in_channels / s->groups, mg = s->out_channels / s->groups, g = m / mg;
    int64_t in_plane = 1, out_plane = 1, kvol = 1;
    for (int i = 0; i < nd; i++) in_plane *= s->in[i], out_plane *= s->out[i], kvol *= s->kernel[i];
    const double *xg = x + (b * s->in_channels + g * cg) * in_plane;
    const double *wm = w + m * cg * kvol;
    for (int64_t o = 0; o < out_plane; o++) {
        int64_t oi[OBN_CONV_MAX_DIMS], rem = o;
        for (int i = nd - 1; i >= 0; i--) oi[i] = rem % s->out[i], rem /= s->out[i];
        double acc = bias;
        for (int64_t kk = 0; kk < kvol; kk++) {
            int64_t off = 0, mult = 1, krem = kk;
            int inside = 1;
            for (int i = nd - 1; i >= 0 && inside; i--) {
                int64_t ki = krem % s->kernel[i];
                krem /= s->kernel[i];
                int64_t pos = oi[i] * s->stride[i] - s->pad[i] + ki * s->dilation[i];
                inside = pos >= 0 && pos < s->in[i];
                off += pos * mult;
                mult *= s->in[i];
            }
            if (!inside) continue;
            for (int64_t c = 0; c < cg; c++) acc += xg[c * in_plane + off] * wm[c * kvol + kk];
        }
        y[o] = acc;
    }
}

void obn_conv_run_f64(const obn_conv_shape *s, const double *x, const double *w, const double *bias, double *y,
                      int threads)
{
    int64_t out_plane = 1;
    for (int i = 0; i < s->nd; i++) out_plane *= s->out[i];
    int64_t planes = s->batch * s->out_channels;
    const obn_kstop *stop = obn_kstop_get();
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && planes > 1)
    for (int64_t p = 0; p < planes; p++) {
        if (obn_kstop_hit(stop)) continue;
        int64_t b = p / s->out_channels, m = p % s->out_channels;
        plane_f64(s, x, w, bias ? bias[m] : 0.0, y + p * out_plane, b, m);
    }
}
