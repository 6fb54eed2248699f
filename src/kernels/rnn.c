#include "rnn.h"

#include <math.h>
#include <string.h>

#include "sgemm.h"

int obn_rnn_gates(obn_rnn_cell cell) { return cell == OBN_RNN_SIMPLE ? 1 : cell == OBN_RNN_GRU ? 3 : 4; }

static float act(obn_rnn_fn fn, float x)
{
    switch (fn.kind) {
    case OBN_RNN_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case OBN_RNN_TANH: return tanhf(x);
    case OBN_RNN_RELU: return x > 0 ? x : 0;
    case OBN_RNN_AFFINE: return fn.alpha * x + fn.beta;
    case OBN_RNN_LEAKY_RELU: return x >= 0 ? x : fn.alpha * x;
    case OBN_RNN_THRESHOLDED_RELU: return x > fn.alpha ? x : 0;
    case OBN_RNN_SCALED_TANH: return fn.alpha * tanhf(fn.beta * x);
    case OBN_RNN_HARD_SIGMOID: return fmaxf(0, fminf(1, fn.alpha * x + fn.beta));
    case OBN_RNN_ELU: return x >= 0 ? x : fn.alpha * expm1f(x);
    case OBN_RNN_SOFTSIGN: return x / (1 + fabsf(x));
    default: return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x));
    }
}

static inline float clipped(const obn_rnn_dir *d, float v)
{
    if (d->clip <= 0) return v;
    return v > d->clip ? d->clip : v < -d->clip ? -d->clip : v;
}

/* The GEMMs of a direction: the input projection over every row of x,
 * and the per-step recurrent product over `cols` gate columns. */
static obn_sgemm_call proj_call(const obn_rnn_dir *d, float *xw, const float *bias)
{
    int64_t gh = obn_rnn_gates(d->cell) * d->hidden;
    obn_sgemm_call c = {.m = d->seq * d->batch, .n = gh, .k = d->input, .alpha = 1, .beta = 0,
                        .a = {.data = d->x, .ld = d->input}, .b = {.data = d->w, .ld = d->input, .trans = 1},
                        .c = xw, .ldc = gh};
    c.ep.bias_kind = OBN_BIAS_COL;
    c.ep.bias = bias;
    return c;
}

static obn_sgemm_call rec_call(const obn_rnn_dir *d, const float *h, const float *r_rows, int64_t cols, float *out)
{
    int64_t gh = obn_rnn_gates(d->cell) * d->hidden;
    obn_sgemm_call c = {.m = d->batch, .n = cols, .k = d->hidden, .alpha = 1, .beta = 0,
                        .a = {.data = h, .ld = d->hidden}, .b = {.data = r_rows, .ld = d->hidden, .trans = 1},
                        .c = out, .ldc = gh};
    return c;
}

/* Scratch layout (floats): xw [seq*batch][G*H], rec [batch][G*H], h, c,
 * rh [batch][H], bias [G*H], then the SGEMM's packing buffers. */
static size_t sgemm_floats(const obn_rnn_dir *d, int threads)
{
    obn_sgemm_call a = proj_call(d, NULL, NULL), b = rec_call(d, NULL, d->r, obn_rnn_gates(d->cell) * d->hidden, NULL);
    size_t wa = obn_sgemm_workspace_size(&a, threads), wb = obn_sgemm_workspace_size(&b, threads);
    return ((wa > wb ? wa : wb) + sizeof(float) - 1) / sizeof(float);
}

size_t obn_rnn_workspace_floats(const obn_rnn_dir *d, int threads)
{
    size_t gh = (size_t)(obn_rnn_gates(d->cell) * d->hidden);
    return (size_t)(d->seq * d->batch) * gh + (size_t)d->batch * (gh + 3 * (size_t)d->hidden) + gh +
           sgemm_floats(d, threads);
}

/* Wb + Rb per gate column; a GRU with linear_before_reset keeps Rbh out
 * (it is added inside the reset product). */
static void fold_bias(const obn_rnn_dir *d, float *bias)
{
    int64_t gh = obn_rnn_gates(d->cell) * d->hidden;
    for (int64_t j = 0; j < gh; j++) {
        bool keep_rb = !(d->cell == OBN_RNN_GRU && d->linear_before_reset && j >= 2 * d->hidden);
        bias[j] = (d->wb ? d->wb[j] : 0) + (d->rb && keep_rb ? d->rb[j] : 0);
    }
}

static void lstm_cell(const obn_rnn_dir *d, const float *xw, const float *rec, float *h, float *c)
{
    int64_t H = d->hidden;
    const float *pi = d->p, *po = d->p ? d->p + H : NULL, *pf = d->p ? d->p + 2 * H : NULL;
    for (int64_t j = 0; j < H; j++) {
        float cp = c[j];
        float i = act(d->f, clipped(d, xw[j] + rec[j] + (pi ? pi[j] * cp : 0)));
        float f = d->input_forget ? 1 - i : act(d->f, clipped(d, xw[2 * H + j] + rec[2 * H + j] + (pf ? pf[j] * cp : 0)));
        float g = act(d->g, clipped(d, xw[3 * H + j] + rec[3 * H + j]));
        float cn = f * cp + i * g;
        float o = act(d->f, clipped(d, xw[H + j] + rec[H + j] + (po ? po[j] * cn : 0)));
        c[j] = cn;
        h[j] = o * act(d->h, cn);
    }
}

/* z and r of a GRU step; the new state once the h gate's recurrent part is
 * in rec_h (without the reset applied when linear_before_reset is 0). */
static void gru_cell(const obn_rnn_dir *d, const float *xw, const float *rec, const float *rh_rec, float *h)
{
    int64_t H = d->hidden;
    const float *rbh = d->rb ? d->rb + 2 * H : NULL;
    for (int64_t j = 0; j < H; j++) {
        float z = act(d->f, clipped(d, xw[j] + rec[j]));
        float r = act(d->f, clipped(d, xw[H + j] + rec[H + j]));
        float hr = d->linear_before_reset ? r * (rec[2 * H + j] + (rbh ? rbh[j] : 0)) : rh_rec[j];
        float ht = act(d->g, clipped(d, xw[2 * H + j] + hr));
        h[j] = (1 - z) * ht + z * h[j];
    }
}

int obn_rnn_run(const obn_rnn_dir *d, float *ws, int threads)
{
    int64_t H = d->hidden, B = d->batch, gh = obn_rnn_gates(d->cell) * H;
    float *xw = ws, *rec = xw + d->seq * B * gh, *h = rec + B * gh, *c = h + B * H, *rh = c + B * H, *bias = rh + B * H;
    float *gemm_ws = bias + gh;
    size_t gemm_bytes = sgemm_floats(d, threads) * sizeof(float);
    for (int64_t b = 0; b < B; b++) {
        for (int64_t j = 0; j < H; j++) {
            h[b * H + j] = d->h0 ? d->h0[b * d->s_bs + j] : 0;
            c[b * H + j] = d->c0 ? d->c0[b * d->s_bs + j] : 0;
        }
        for (int64_t t = 0; d->y && t < d->seq; t++) memset(d->y + t * d->y_ts + b * d->y_bs, 0, (size_t)H * sizeof(float));
    }
    fold_bias(d, bias);
    obn_sgemm_call proj = proj_call(d, xw, bias);
    if (d->seq * B > 0 && obn_sgemm_run(&proj, gemm_ws, gemm_bytes, threads)) return 1;
    bool split = d->cell == OBN_RNN_GRU && !d->linear_before_reset; /* h gate after the reset */
    for (int64_t s = 0; s < d->seq; s++) {
        obn_sgemm_call rc = rec_call(d, h, d->r, split ? 2 * H : gh, rec);
        if (obn_sgemm_run(&rc, gemm_ws, gemm_bytes, threads)) return 1;
        if (split) { /* (r . H) R_h^T needs r first */
            for (int64_t b = 0; b < B; b++)
                for (int64_t j = 0; j < H; j++) {
                    int64_t len = d->seq_lens ? d->seq_lens[b] : d->seq, t = d->reverse ? len - 1 - s : s;
                    const float *xb = xw + (t < 0 ? 0 : t * d->x_ts + b * d->x_bs) * gh;
                    float r = act(d->f, clipped(d, xb[H + j] + rec[b * gh + H + j]));
                    rh[b * H + j] = r * h[b * H + j];
                }
            obn_sgemm_call hc = rec_call(d, rh, d->r + 2 * H * H, H, rec + 2 * H);
            if (obn_sgemm_run(&hc, gemm_ws, gemm_bytes, threads)) return 1;
        }
        for (int64_t b = 0; b < B; b++) {
            int64_t len = d->seq_lens ? d->seq_lens[b] : d->seq;
            if (s >= len) continue; /* finished: state kept, output stays zero */
            int64_t t = d->reverse ? len - 1 - s : s;
            const float *xb = xw + (t * d->x_ts + b * d->x_bs) * gh, *rb = rec + b * gh;
            float *hb = h + b * H;
            if (d->cell == OBN_RNN_LSTM) lstm_cell(d, xb, rb, hb, c + b * H);
            else if (d->cell == OBN_RNN_GRU) gru_cell(d, xb, rb, rb + 2 * H, hb);
            else
                for (int64_t j = 0; j < H; j++) hb[j] = act(d->f, clipped(d, xb[j] + rb[j]));
            if (d->y) memcpy(d->y + t * d->y_ts + b * d->y_bs, hb, (size_t)H * sizeof(float));
        }
    }
    for (int64_t b = 0; b < B; b++) {
        if (d->yh) memcpy(d->yh + b * d->s_bs, h + b * H, (size_t)H * sizeof(float));
        if (d->yc) memcpy(d->yc + b * d->s_bs, c + b * H, (size_t)H * sizeof(float));
    }
    return 0;
}
