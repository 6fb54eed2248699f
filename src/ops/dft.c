/* DFT (17, 20) and STFT (17) on the FFT of kernels/fft: double signals in
 * double, the others in float32.
 *
 * DFT: input [batch, signal dims..., 1 (real) or 2 (re, im)]; the transform
 * runs along `axis` of the whole tensor (17: attribute, default 1; 20:
 * optional scalar int64 input, default -2; never the last, complex, axis)
 * over n = dft_length (optional scalar input; the signal is cut or
 * zero-padded to it) or the axis size. Output last dim 2.
 *   forward: X[k] = sum_j x[j] e^{-2 pi i jk/n}; onesided=1 keeps bins
 *     0..n/2 (rfft);
 *   inverse: x[j] = 1/n sum_k X[k] e^{+2 pi i jk/n}; with onesided=1 the
 *     input is the half spectrum of a real signal (irfft, as numpy: n is
 *     dft_length or 2*(bins-1), bins beyond n/2 are ignored, the imaginary
 *     parts of bins 0 and n/2 too) and the output is real (last dim 1).
 * STFT: signal [batch, length, 1 or 2], frames of frame_length (input, or
 * the window's length) every frame_step samples, each multiplied by the
 * optional window and transformed; output [batch, frames, bins, 2] with
 * frames = 1 + (length - frame_length) / frame_step and bins =
 * frame_length/2 + 1 (onesided=1, the default) or frame_length.
 * Sizes that make the output shape (dft_length, axis, frame_step,
 * frame_length) must be known when planning (OBN_DEFER otherwise).
 * Types: float16, float, double, bfloat16. */
#include <string.h>

#include "kernels/fft.h"
#include "op_helpers.h"

typedef struct {
    bool stft, inverse, onesided;
    int64_t axis; /* DFT-17 */
} dft_attrs;

static obn_status dft_parse(const obn_node *n, int v, void *out)
{
    dft_attrs *a = out;
    a->stft = strcmp(n->op_type, "STFT") == 0;
    int64_t inverse, onesided;
    if (!a->stft && v >= 20 && obn_node_attr(n, "axis"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'axis' is not part of DFT-%d (axis is an input)", v);
    OBN_TRY(obn_attr_get_int(n, "axis", 1, &a->axis));
    OBN_TRY(obn_attr_int_range(n, "inverse", 0, 0, 1, &inverse));
    OBN_TRY(obn_attr_int_range(n, "onesided", a->stft ? 1 : 0, 0, 1, &onesided));
    a->inverse = inverse != 0;
    a->onesided = onesided != 0;
    return OBN_OK;
}

/* A positive scalar size from input k; OBN_DEFER while unknown. */
static obn_status size_input(const obn_op_ctx *ctx, int k, const char *role, int64_t *out)
{
    static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, k, role, index_types));
    double v;
    OBN_TRY(obn_read_scalar_input(ctx, k, role, &v));
    *out = obn_f64_to_i64(v);
    if (*out < 1 || *out > ((int64_t)1 << 31))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') is %lld; must be in [1, 2^31]", role, obn_in_name(ctx, k),
                           (long long)*out);
    return OBN_OK;
}

/* The input's last dim: 1 (real) or 2 (complex). */
static obn_status check_signal(const obn_op_ctx *ctx, const char *role, int min_rank)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, role, OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_rank(ctx, 0, role, min_rank, OBN_MAX_RANK));
    const obn_tensor *x = ctx->inputs[0];
    int64_t c = x->dims[x->rank - 1];
    if (c != 1 && c != 2)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') ends in a dim of %lld; expected 1 (real) or 2 (complex)",
                           role, obn_in_name(ctx, 0), (long long)c);
    return OBN_OK;
}

typedef struct {
    int axis;
    int64_t n;         /* transform length */
    int64_t in_len;    /* input entries along the axis */
    int64_t out_len;   /* output entries along the axis */
    bool irfft;
} dft_geom;

static obn_status dft_geometry(const obn_op_ctx *ctx, dft_geom *g)
{
    const dft_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(check_signal(ctx, "input", 2));
    int64_t axis = a->axis;
    if (ctx->since_version >= 20) {
        axis = -2;
        if (obn_has_input(ctx, 2)) {
            static const obn_dtype int64_only[] = {OBN_INT64, OBN_UNDEFINED};
            OBN_TRY(obn_check_input_dtype(ctx, 2, "axis", int64_only));
            double v;
            OBN_TRY(obn_read_scalar_input(ctx, 2, "axis", &v));
            axis = (int64_t)v;
        }
    }
    int r = x->rank;
    if (axis < -r || axis > r - 2 || axis == -1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "axis %lld is out of range for rank %d (the last axis holds re/im)",
                           (long long)axis, r);
    g->axis = (int)(axis < 0 ? axis + r : axis);
    g->in_len = x->dims[g->axis];
    g->irfft = a->inverse && a->onesided;
    g->n = g->irfft ? 2 * (g->in_len - 1) : g->in_len;
    if (obn_has_input(ctx, 1)) OBN_TRY(size_input(ctx, 1, "dft_length", &g->n));
    if (g->n < 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "the transform along axis %d would have length %lld", g->axis, (long long)g->n);
    g->out_len = a->onesided && !a->inverse ? g->n / 2 + 1 : g->n;
    return OBN_OK;
}

/* STFT: frame count, bins, and the frame length; OBN_DEFER while a size is
 * unknown. */
static obn_status stft_geometry(const obn_op_ctx *ctx, int64_t *frames, int64_t *bins, int64_t *frame_len)
{
    const dft_attrs *a = ctx->attrs;
    OBN_TRY(check_signal(ctx, "signal", 3));
    OBN_TRY(obn_check_rank(ctx, 0, "signal", 3, 3));
    const obn_tensor *x = ctx->inputs[0];
    int64_t step, fl = 0;
    OBN_TRY(size_input(ctx, 1, "frame_step", &step));
    if (obn_has_input(ctx, 2)) {
        OBN_TRY(obn_check_same_dtype(ctx, 2, "window", 0, "signal"));
        OBN_TRY(obn_check_rank(ctx, 2, "window", 1, 1));
        fl = ctx->inputs[2]->dims[0];
    }
    if (obn_has_input(ctx, 3)) {
        int64_t given;
        OBN_TRY(size_input(ctx, 3, "frame_length", &given));
        if (fl && fl != given)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'window' has %lld values but 'frame_length' is %lld", (long long)fl,
                               (long long)given);
        fl = given;
    }
    if (fl < 1) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "neither 'window' nor 'frame_length' gives the frame length");
    if (a->onesided && x->dims[2] == 2)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "onesided=1 needs a real signal; input 'signal' is complex");
    if (x->dims[1] < fl)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'signal' has %lld samples, fewer than one frame of %lld",
                           (long long)x->dims[1], (long long)fl);
    *frames = 1 + (x->dims[1] - fl) / step;
    *bins = a->onesided ? fl / 2 + 1 : fl;
    if (frame_len) *frame_len = fl;
    return OBN_OK;
}

static obn_status dft_infer(obn_op_ctx *ctx)
{
    const dft_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int64_t dims[OBN_MAX_RANK];
    if (a->stft) {
        int64_t frames, bins;
        OBN_TRY(stft_geometry(ctx, &frames, &bins, NULL));
        dims[0] = x->dims[0];
        dims[1] = frames;
        dims[2] = bins;
        dims[3] = 2;
        return obn_set_output(ctx, 0, x->dtype, 4, dims);
    }
    dft_geom g;
    OBN_TRY(dft_geometry(ctx, &g));
    memcpy(dims, x->dims, (size_t)x->rank * sizeof *dims);
    dims[g.axis] = g.out_len;
    dims[x->rank - 1] = g.irfft ? 1 : 2;
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

/* A transform's working set: an FFT plan for the length, then the complex
 * vector, in double for double signals and in float for the others (float,
 * float16, bfloat16: computed in float32, as numpy 2 and ONNX Runtime do).
 * A real signal of even length transformed forward takes the real FFT
 * (half the work; the spectrum's bins 0 and n/2 exactly real): its samples
 * lie in the vector's first n elements and the bins 0 .. n/2 come out in
 * `spec`, the rest by conjugate symmetry. */
typedef struct {
    bool f64, real;
    int64_t n;
    void *plan;
    double *d, *dspec;
    float *f, *fspec;
} dft_work;

/* A real signal transformed forward (STFT always is). */
static bool real_forward(const obn_op_ctx *ctx)
{
    const dft_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    return x->dims[x->rank - 1] == 1 && (a->stft || !a->inverse);
}

static bool use_real(int64_t n, bool real_fwd) { return real_fwd && n >= 2 && n % 2 == 0; }

static size_t plan_bytes(int64_t n, bool f64, bool real)
{
    size_t b = real ? (f64 ? obn_rfft_plan_bytes_f64(n) : obn_rfft_plan_bytes_f32(n))
                    : (f64 ? obn_fft_plan_bytes_f64(n) : obn_fft_plan_bytes_f32(n));
    return (b + 63) / 64 * 64;
}

/* plan, vector of 2n, and (real) spectrum of n + 2 */
static size_t work_bytes(int64_t n, bool f64, bool real)
{
    return plan_bytes(n, f64, real) + (size_t)(3 * n + 2) * (f64 ? sizeof(double) : sizeof(float));
}

static void work_init(dft_work *w, const obn_op_ctx *ctx, int64_t n)
{
    void *mem = ctx->workspace;
    bool f64 = ctx->inputs[0]->dtype == OBN_DOUBLE;
    w->f64 = f64;
    w->real = use_real(n, real_forward(ctx));
    w->n = n;
    w->plan = mem;
    char *v = (char *)mem + plan_bytes(n, f64, w->real);
    size_t es = f64 ? sizeof(double) : sizeof(float);
    w->d = f64 ? (double *)v : NULL;
    w->f = f64 ? NULL : (float *)v;
    w->dspec = f64 ? (double *)(v + 2 * (size_t)n * es) : NULL;
    w->fspec = f64 ? NULL : (float *)(v + 2 * (size_t)n * es);
    if (w->real) {
        if (f64) obn_rfft_plan_f64(mem, n);
        else obn_rfft_plan_f32(mem, n);
    } else {
        if (f64) obn_fft_plan_f64(mem, n);
        else obn_fft_plan_f32(mem, n);
    }
}

/* A value rounded to the working type. */
static inline double work_cast(const dft_work *w, double v) { return w->f64 ? v : (double)(float)v; }

static inline void work_set(dft_work *w, int64_t e, double v)
{
    if (w->f64) w->d[e] = v;
    else w->f[e] = (float)v;
}

/* Input: sample j (re, im; im ignored and zero for the real transform).
 * A value written is rounded once to the vector's type, so a product of two
 * values of that type, formed in double, is the type's own product. */
static inline void work_put(dft_work *w, int64_t j, double re, double im)
{
    if (w->real) {
        work_set(w, j, re);
    } else {
        work_set(w, 2 * j, re);
        work_set(w, 2 * j + 1, im);
    }
}

static void work_clear(dft_work *w)
{
    size_t bytes = (size_t)w->n * 2 * (w->f64 ? sizeof(double) : sizeof(float));
    memset(w->f64 ? (void *)w->d : (void *)w->f, 0, bytes);
}

/* Complex vector element e (2k: re of point k, 2k+1: im), before the
 * transform (complex mode only). */
static inline double work_get(const dft_work *w, int64_t e) { return w->f64 ? w->d[e] : (double)w->f[e]; }

/* Element e of the real transform's spectrum. */
static inline double spec_get(const dft_work *w, int64_t e) { return w->f64 ? w->dspec[e] : (double)w->fspec[e]; }

static void work_fft(dft_work *w, int sign)
{
    if (w->real) {
        if (w->f64) obn_rfft_f64(w->plan, w->d, w->dspec);
        else obn_rfft_f32(w->plan, w->f, w->fspec);
    } else if (w->f64) {
        obn_fft_f64(w->plan, w->d, sign);
    } else {
        obn_fft_f32(w->plan, w->f, sign);
    }
}

/* Bin k of the result, k in [0, n). */
static inline void work_bin(const dft_work *w, int64_t k, double *re, double *im)
{
    if (!w->real) {
        *re = work_get(w, 2 * k);
        *im = work_get(w, 2 * k + 1);
        return;
    }
    int64_t b = k <= w->n / 2 ? k : w->n - k;
    *re = spec_get(w, 2 * b);
    *im = k <= w->n / 2 ? spec_get(w, 2 * b + 1) : -spec_get(w, 2 * b + 1);
}

static size_t dft_workspace(const obn_op_ctx *ctx)
{
    const dft_attrs *a = ctx->attrs;
    int64_t n = 0, frames, bins;
    dft_geom g;
    if (a->stft ? stft_geometry(ctx, &frames, &bins, &n) != OBN_OK : dft_geometry(ctx, &g) != OBN_OK) return 0;
    if (!a->stft) n = g.n;
    return work_bytes(n, ctx->inputs[0]->dtype == OBN_DOUBLE, use_real(n, real_forward(ctx)));
}

/* The full spectrum of a real signal from its first bins (Hermitian
 * symmetry), as numpy's irfft reads them. */
static void hermitian_fill(dft_work *w, int64_t n, int64_t given)
{
    int64_t half = n / 2, used = given < half + 1 ? given : half + 1;
    for (int64_t k = used; k <= half; k++) {
        work_set(w, 2 * k, 0);
        work_set(w, 2 * k + 1, 0);
    }
    work_set(w, 1, 0);
    if (n % 2 == 0) work_set(w, 2 * half + 1, 0);
    for (int64_t k = half + 1; k < n; k++) {
        work_set(w, 2 * k, work_get(w, 2 * (n - k)));
        work_set(w, 2 * k + 1, -work_get(w, 2 * (n - k) + 1));
    }
}

static void dft_vectors(obn_op_ctx *ctx, const dft_geom *g)
{
    const dft_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    dft_work w;
    int r = x->rank;
    work_init(&w, ctx, g->n);
    int64_t c = x->dims[r - 1], oc = g->irfft ? 1 : 2, outer = obn_dims_product(x->dims, 0, g->axis);
    int64_t inner = obn_dims_product(x->dims, g->axis + 1, r - 1);
    int64_t take = g->irfft ? g->in_len : (g->in_len < g->n ? g->in_len : g->n);
    /* the inverse's 1/n, in the working type (one rounding per product) */
    double scale = a->inverse ? (w.f64 ? 1.0 / (double)g->n : (double)(float)(1.0 / (double)g->n)) : 1.0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            work_clear(&w);
            for (int64_t j = 0; j < take && j < g->n; j++) {
                int64_t at = ((o * g->in_len + j) * inner + i) * c;
                work_put(&w, j, obn_load_f64(x, at), c == 2 ? obn_load_f64(x, at + 1) : 0);
            }
            if (g->irfft) hermitian_fill(&w, g->n, g->in_len);
            work_fft(&w, a->inverse ? 1 : -1);
            for (int64_t k = 0; k < g->out_len; k++) {
                int64_t at = ((o * g->out_len + k) * inner + i) * oc;
                double re, im;
                work_bin(&w, k, &re, &im);
                obn_store_f64(y, at, work_cast(&w, re * scale));
                if (oc == 2) obn_store_f64(y, at + 1, work_cast(&w, im * scale));
            }
        }
}

static void stft_frames(obn_op_ctx *ctx, int64_t frames, int64_t bins, int64_t fl)
{
    const obn_tensor *x = ctx->inputs[0], *win = obn_has_input(ctx, 2) ? ctx->inputs[2] : NULL;
    obn_tensor *y = ctx->outputs[0];
    dft_work w;
    int64_t step = obn_load_i64(ctx->inputs[1], 0), len = x->dims[1], c = x->dims[2];
    work_init(&w, ctx, fl);
    for (int64_t b = 0; b < x->dims[0]; b++)
        for (int64_t f = 0; f < frames; f++) {
            for (int64_t j = 0; j < fl; j++) {
                int64_t at = (b * len + f * step + j) * c;
                double wv = win ? work_cast(&w, obn_load_f64(win, j)) : 1.0;
                work_put(&w, j, work_cast(&w, obn_load_f64(x, at)) * wv, c == 2 ? work_cast(&w, obn_load_f64(x, at + 1)) * wv : 0);
            }
            work_fft(&w, -1);
            for (int64_t k = 0; k < bins; k++) {
                int64_t at = ((b * frames + f) * bins + k) * 2;
                double re, im;
                work_bin(&w, k, &re, &im);
                obn_store_f64(y, at, re);
                obn_store_f64(y, at + 1, im);
            }
        }
}

static obn_status dft_run(obn_op_ctx *ctx)
{
    const dft_attrs *a = ctx->attrs;
    if (ctx->outputs[0]->numel == 0) return OBN_OK;
    if (a->stft) {
        int64_t frames, bins, fl;
        OBN_TRY(stft_geometry(ctx, &frames, &bins, &fl));
        stft_frames(ctx, frames, bins, fl);
        return OBN_OK;
    }
    dft_geom g;
    OBN_TRY(dft_geometry(ctx, &g));
    dft_vectors(ctx, &g);
    return OBN_OK;
}

static const int dft_versions[] = {17, 20, 0};
static const int stft_versions[] = {17, 0};
static const char *const dft_attr_names[] = {"axis", "inverse", "onesided", NULL};
static const char *const stft_attr_names[] = {"onesided", NULL};
static const obn_op_sig dft_sigs[] = {{17, "input ?dft_length", "output"}, {20, "input ?dft_length ?axis", "output"}, {0}};
static const obn_op_sig stft_sigs[] = {{17, "signal frame_step ?window ?frame_length", "output"}, {0}};

const obn_op obn_op_dft = {
    .domain = "",
    .op_type = "DFT",
    .since_versions = dft_versions,
    .attr_names = dft_attr_names,
    .sigs = dft_sigs,
    .attrs_size = sizeof(dft_attrs),
    .parse = dft_parse,
    .infer = dft_infer,
    .run = dft_run,
    .workspace = dft_workspace,
};
OBN_REGISTER_OP(obn_op_dft);

const obn_op obn_op_stft = {
    .domain = "",
    .op_type = "STFT",
    .since_versions = stft_versions,
    .attr_names = stft_attr_names,
    .sigs = stft_sigs,
    .attrs_size = sizeof(dft_attrs),
    .parse = dft_parse,
    .infer = dft_infer,
    .run = dft_run,
    .workspace = dft_workspace,
};
OBN_REGISTER_OP(obn_op_stft);
