#include "conv_int.h"
#include "kstop.h"

#include "igemm.h"

static int64_t kernel_volume(const obn_conv_shape *s)
{
    int64_t v = 1;
    for (int i = 0; i < s->nd; i++) v *= s->kernel[i];
    return v;
}

static int64_t out_positions(const obn_conv_shape *s)
{
    int64_t v = 1;
    for (int i = 0; i < s->nd; i++) v *= s->out[i];
    return v;
}

size_t obn_conv_s16_col_bytes(const obn_conv_shape *s)
{
    return (size_t)(s->in_channels / s->groups * kernel_volume(s) * out_positions(s)) * sizeof(int16_t);
}

/* Row r = (input channel c, kernel offset kk) of the group's im2col matrix:
 * the input value each output position reads through that tap, 0 where it
 * falls in the padding. The output index runs as a multi-index (last axis
 * fastest) so that no position needs divisions. */
static void im2col_row(const obn_conv_shape *s, const int16_t *xc, int64_t kk, int16_t *row)
{
    int nd = s->nd;
    int64_t ki[OBN_CONV_MAX_DIMS], oi[OBN_CONV_MAX_DIMS] = {0}, n = out_positions(s);
    for (int i = nd - 1; i >= 0; i--) ki[i] = kk % s->kernel[i], kk /= s->kernel[i];
    for (int64_t o = 0; o < n; o++) {
        int64_t off = 0;
        int inside = 1;
        for (int i = 0; i < nd && inside; i++) {
            int64_t pos = oi[i] * s->stride[i] - s->pad[i] + ki[i] * s->dilation[i];
            inside = pos >= 0 && pos < s->in[i];
            off = off * s->in[i] + pos;
        }
        row[o] = inside ? xc[off] : 0;
        for (int i = nd - 1; i >= 0 && ++oi[i] == s->out[i]; i--) oi[i] = 0;
    }
}

void obn_conv_s16(const obn_conv_shape *s, const int16_t *x, const int16_t *w, int32_t *y, int16_t *col,
                  int threads)
{
    int64_t cg = s->in_channels / s->groups, mg = s->out_channels / s->groups, kvol = kernel_volume(s);
    int64_t k = cg * kvol, n = out_positions(s), in_plane = 1;
    for (int i = 0; i < s->nd; i++) in_plane *= s->in[i];
    const obn_kstop *stop = obn_kstop_get();
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t g = 0; g < s->groups && !obn_kstop_hit(stop); g++) {
            const int16_t *xg = x + (b * s->in_channels + g * cg) * in_plane;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && k > 1)
            for (int64_t r = 0; r < k; r++) im2col_row(s, xg + (r / kvol) * in_plane, r % kvol, col + r * n);
            obn_igemm_s16(mg, n, k, w + g * mg * k, k, col, n, y + (b * s->out_channels + g * mg) * n, n, threads);
        }
}
