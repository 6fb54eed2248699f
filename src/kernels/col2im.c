/* col2im for the transposed convolution: each row of the column matrix (one
 * output channel, one kernel tap) is read once, sequentially, and added to
 * its output plane along runs of the last input axis, where consecutive
 * columns land stride floats apart. Rows of the same channel write the same
 * plane, so the work is split by channel, never by row. */
#include "col2im.h"

/* Below this many column-matrix floats the scatter runs on one thread (a
 * fork/join costs more than the adds). */
#define OBN_COL2IM_PARALLEL_MIN ((int64_t)1 << 15)

typedef struct {
    const obn_conv_shape *s;
    const float *cols, *bias;
    float *y;
    int64_t ldc, n0, n1, kvol, out_size;
    int64_t out_step[OBN_CONV_MAX_DIMS]; /* floats between neighbours along each output axis */
    int init;
} col2im_job;

/* Inputs [lo, hi) along the last axis whose output i*stride + off lies in
 * [0, out). */
static void valid_inputs(const obn_conv_shape *s, int64_t off, int64_t *lo, int64_t *hi)
{
    int last = s->nd - 1;
    int64_t st = s->stride[last], out = s->out[last];
    *lo = off >= 0 ? 0 : -off / st + (-off % st != 0);
    *hi = out - 1 - off < 0 ? 0 : (out - 1 - off) / st + 1;
    if (*hi > s->in[last]) *hi = s->in[last];
}

/* Adds one row (kernel offset kidx) to plane yc, walking the chunk's input
 * positions in runs along the last axis. */
static void scatter_row(const col2im_job *j, const float *row, const int64_t *kidx, float *yc)
{
    const obn_conv_shape *s = j->s;
    int last = s->nd - 1;
    int64_t iw = s->in[last], sw = s->stride[last], off = kidx[last] * s->dilation[last] - s->pad[last];
    int64_t vlo, vhi, id[OBN_CONV_MAX_DIMS], p = j->n0, ix0 = p % iw, rem = p / iw;
    valid_inputs(s, off, &vlo, &vhi);
    for (int d = last - 1; d >= 0; d--) {
        id[d] = rem % s->in[d];
        rem /= s->in[d];
    }
    while (p < j->n1) {
        int64_t len = iw - ix0 < j->n1 - p ? iw - ix0 : j->n1 - p, base = off;
        int inside = 1;
        for (int d = 0; d < last && inside; d++) {
            int64_t o = id[d] * s->stride[d] + kidx[d] * s->dilation[d] - s->pad[d];
            inside = o >= 0 && o < s->out[d];
            base += o * j->out_step[d];
        }
        if (inside) {
            int64_t a = vlo > ix0 ? vlo : ix0, b = vhi < ix0 + len ? vhi : ix0 + len;
            const float *r = row + (p - j->n0); /* r[ix - ix0] is input column ix of this run */
            if (sw == 1)
                for (int64_t ix = a; ix < b; ix++) yc[base + ix] += r[ix - ix0];
            else
                for (int64_t ix = a; ix < b; ix++) yc[base + ix * sw] += r[ix - ix0];
        }
        p += len;
        ix0 = 0;
        for (int d = last - 1; d >= 0 && ++id[d] == s->in[d]; d--) id[d] = 0;
    }
}

/* Plane c: the bias, then every kernel offset's row. */
static void scatter_channel(const col2im_job *j, int64_t c)
{
    const obn_conv_shape *s = j->s;
    float *yc = j->y + c * j->out_size;
    if (j->init) {
        float v = j->bias ? j->bias[c] : 0.0f;
        for (int64_t i = 0; i < j->out_size; i++) yc[i] = v;
    }
    int64_t kidx[OBN_CONV_MAX_DIMS] = {0};
    for (int64_t k = 0; k < j->kvol; k++) {
        scatter_row(j, j->cols + (c * j->kvol + k) * j->ldc, kidx, yc);
        for (int d = s->nd - 1; d >= 0 && ++kidx[d] == s->kernel[d]; d--) kidx[d] = 0;
    }
}

void obn_col2im_add(const obn_conv_shape *s, int64_t mg, const float *cols, int64_t ldc, int64_t n0, int64_t n1,
                    const float *bias, int init, float *yg, int threads)
{
    col2im_job j = {.s = s, .cols = cols, .bias = bias, .y = yg, .ldc = ldc, .n0 = n0, .n1 = n1, .init = init};
    j.kvol = 1;
    j.out_size = 1;
    for (int d = s->nd - 1; d >= 0; d--) {
        j.out_step[d] = j.out_size;
        j.out_size *= s->out[d];
        j.kvol *= s->kernel[d];
    }
    if (threads > 1 && mg > 1 && (double)mg * (double)j.kvol * (double)(n1 - n0) >= (double)OBN_COL2IM_PARALLEL_MIN) {
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int64_t c = 0; c < mg; c++) scatter_channel(&j, c);
    } else {
        for (int64_t c = 0; c < mg; c++) scatter_channel(&j, c);
    }
}
