/* Signal generators (17): the windows HannWindow, HammingWindow and
 * BlackmanWindow of `size` points (scalar int32/int64 input), and
 * MelWeightMatrix. The output type is output_datatype (default float; any
 * numeric type, integers truncate the values); the sizes must be known when
 * planning (OBN_DEFER otherwise: they make the output shape).
 * Windows, with N = size (periodic=1, the default) or size - 1 (symmetric):
 *   Hann     0.5 - 0.5 cos(2 pi n/N)
 *   Hamming  25/46 - 21/46 cos(2 pi n/N)
 *   Blackman 0.42 - 0.5 cos(2 pi n/N) + 0.08 cos(4 pi n/N)
 * MelWeightMatrix [dft_length/2 + 1, num_mel_bins]: the num_mel_bins + 2
 * points mel(lower) + i * (mel(upper) - mel(lower)) / (num_mel_bins + 2) on
 * the mel scale mel(f) = 2595 log10(1 + f/700) (so the last point stays
 * below upper_edge_hertz, as in the ONNX reference), each mapped back to
 * hertz and to
 * the DFT bin floor((dft_length + 1) * f / sample_rate); band m is the
 * triangle rising from its left point to its centre (value 1) and falling
 * to its right point (a band whose left and centre bins coincide is 1 at
 * the centre); bins outside the matrix are dropped. Computed in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op_helpers.h"

typedef enum { WIN_HANN, WIN_HAMMING, WIN_BLACKMAN, WIN_MEL } win_kind;

typedef struct {
    win_kind kind;
    bool periodic;
    obn_dtype out;
} win_attrs;

static const obn_dtype out_types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_INT8,    OBN_INT16, OBN_INT32,
                                      OBN_INT64, OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_BFLOAT16, OBN_UNDEFINED};

static obn_status win_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    win_attrs *a = out;
    const char *t = n->op_type;
    a->kind = t[0] == 'M' ? WIN_MEL : t[1] == 'a' ? (t[2] == 'n' ? WIN_HANN : WIN_HAMMING) : WIN_BLACKMAN;
    int64_t periodic, dt;
    OBN_TRY(obn_attr_int_range(n, "periodic", 1, 0, 1, &periodic));
    OBN_TRY(obn_attr_get_int(n, "output_datatype", OBN_FLOAT, &dt));
    a->periodic = periodic != 0;
    a->out = (obn_dtype)dt;
    for (const obn_dtype *k = out_types; *k != OBN_UNDEFINED; k++)
        if (*k == dt) return OBN_OK;
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'output_datatype' (%lld) is not a numeric type of %s",
                        (long long)dt, t);
}

static const obn_dtype index_types[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};

/* Scalar int input k, >= lo; OBN_DEFER while unknown. */
static obn_status int_scalar(const obn_op_ctx *ctx, int k, const char *role, int64_t lo, int64_t *out)
{
    OBN_TRY(obn_check_input_dtype(ctx, k, role, index_types));
    double v;
    OBN_TRY(obn_read_scalar_input(ctx, k, role, &v));
    *out = obn_load_i64(ctx->inputs[k], 0);
    if (*out < lo || *out > ((int64_t)1 << 31))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') is %lld; must be in [%lld, 2^31]", role,
                           obn_in_name(ctx, k), (long long)*out, (long long)lo);
    return OBN_OK;
}

static obn_status win_infer(obn_op_ctx *ctx)
{
    const win_attrs *a = ctx->attrs;
    if (a->kind != WIN_MEL) {
        int64_t size;
        OBN_TRY(int_scalar(ctx, 0, "size", 0, &size));
        return obn_set_output(ctx, 0, a->out, 1, &size);
    }
    int64_t bins, dft_len, rate;
    OBN_TRY(int_scalar(ctx, 0, "num_mel_bins", 1, &bins));
    OBN_TRY(int_scalar(ctx, 1, "dft_length", 1, &dft_len));
    OBN_TRY(int_scalar(ctx, 2, "sample_rate", 1, &rate));
    OBN_TRY(obn_check_input_dtype(ctx, 3, "lower_edge_hertz", OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_same_dtype(ctx, 4, "upper_edge_hertz", 3, "lower_edge_hertz"));
    double lo, hi;
    OBN_TRY(obn_read_scalar_input(ctx, 3, "lower_edge_hertz", &lo));
    OBN_TRY(obn_read_scalar_input(ctx, 4, "upper_edge_hertz", &hi));
    if (!isfinite(lo) || !isfinite(hi) || lo <= -700 || hi <= -700)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "the band edges %g and %g Hz are not frequencies on the mel scale", lo, hi);
    int64_t dims[2] = {dft_len / 2 + 1, bins};
    return obn_set_output(ctx, 0, a->out, 2, dims);
}

static double window_at(win_kind k, int64_t n, double len)
{
    const double two_pi = 6.283185307179586476925286766559;
    double c = cos(two_pi * (double)n / len);
    switch (k) {
    case WIN_HANN: return 0.5 - 0.5 * c;
    case WIN_HAMMING: return 25.0 / 46.0 - 21.0 / 46.0 * c;
    default: return 0.42 - 0.5 * c + 0.08 * cos(2 * two_pi * (double)n / len);
    }
}

static void store_value(obn_tensor *y, int64_t i, double v)
{
    if (obn_dtype_is_float(y->dtype)) obn_store_f64(y, i, v);
    else obn_store_i64(y, i, obn_f64_to_i64(v));
}

/* The DFT bin of each of the num_mel_bins + 2 band edges. */
static void mel_points(int64_t bins, int64_t dft_len, int64_t rate, double lo, double hi, int64_t *point)
{
    double mlo = 2595.0 * log10(1 + lo / 700.0), mhi = 2595.0 * log10(1 + hi / 700.0);
    double step = (mhi - mlo) / (double)(bins + 2);
    for (int64_t i = 0; i < bins + 2; i++) {
        double hz = 700.0 * (pow(10.0, (mlo + (double)i * step) / 2595.0) - 1);
        point[i] = (int64_t)floor((double)(dft_len + 1) * hz / (double)rate);
    }
}

static obn_status mel_run(obn_op_ctx *ctx)
{
    obn_tensor *y = ctx->outputs[0];
    int64_t bins = obn_load_i64(ctx->inputs[0], 0), dft_len = obn_load_i64(ctx->inputs[1], 0);
    int64_t rate = obn_load_i64(ctx->inputs[2], 0), rows = y->dims[0];
    int64_t *point = malloc((size_t)(bins + 2) * sizeof *point);
    if (!point) return OBN_OOM();
    mel_points(bins, dft_len, rate, obn_load_f64(ctx->inputs[3], 0), obn_load_f64(ctx->inputs[4], 0), point);
    memset(y->data, 0, y->nbytes);
    for (int64_t m = 0; m < bins; m++) {
        int64_t left = point[m], centre = point[m + 1], right = point[m + 2];
        for (int64_t j = left; j <= centre; j++)
            if (j >= 0 && j < rows) store_value(y, j * bins + m, centre == left ? 1.0 : (double)(j - left) / (double)(centre - left));
        for (int64_t j = centre; j < right; j++)
            if (j >= 0 && j < rows) store_value(y, j * bins + m, (double)(right - j) / (double)(right - centre));
    }
    free(point);
    return OBN_OK;
}

static obn_status win_run(obn_op_ctx *ctx)
{
    const win_attrs *a = ctx->attrs;
    if (a->kind == WIN_MEL) return mel_run(ctx);
    obn_tensor *y = ctx->outputs[0];
    double len = (double)(a->periodic ? y->numel : y->numel - 1);
    for (int64_t n = 0; n < y->numel; n++) store_value(y, n, len > 0 ? window_at(a->kind, n, len) : 1.0);
    return OBN_OK;
}

static const int versions[] = {17, 0};
static const char *const win_attr_names[] = {"output_datatype", "periodic", NULL};
static const char *const mel_attr_names[] = {"output_datatype", NULL};
static const obn_op_sig win_sigs[] = {{17, "size", "output"}, {0}};
static const obn_op_sig mel_sigs[] = {
    {17, "num_mel_bins dft_length sample_rate lower_edge_hertz upper_edge_hertz", "output"}, {0}};

#define WIN_OP(sym, name, attrs, sig)                                                                          \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = versions, .attr_names = attrs,       \
                        .sigs = sig, .attrs_size = sizeof(win_attrs), .parse = win_parse, .infer = win_infer, \
                        .run = win_run}

WIN_OP(obn_op_hann_window, "HannWindow", win_attr_names, win_sigs);
OBN_REGISTER_OP(obn_op_hann_window);
WIN_OP(obn_op_hamming_window, "HammingWindow", win_attr_names, win_sigs);
OBN_REGISTER_OP(obn_op_hamming_window);
WIN_OP(obn_op_blackman_window, "BlackmanWindow", win_attr_names, win_sigs);
OBN_REGISTER_OP(obn_op_blackman_window);
WIN_OP(obn_op_mel_weight_matrix, "MelWeightMatrix", mel_attr_names, mel_sigs);
OBN_REGISTER_OP(obn_op_mel_weight_matrix);
