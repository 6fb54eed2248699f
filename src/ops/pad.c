/* Pad (1, 2, 11, 13, 18, 19, 21, 23, 24, 25). Pads are [x1_begin, x2_begin,
 * ..., x1_end, x2_end] (attribute `paddings` in 1, `pads` in 2, an int64
 * input from 11 whose data must be known to plan, else OBN_DEFER); negative
 * pads crop. From 18 an optional input `axes` (int32/int64, negative counts
 * from the end, known at plan time) names the axes the pads apply to, in
 * order; pads then has 2*len(axes) values and the other axes stay unpadded.
 * Modes: constant (value: attribute `value` before 11, optional scalar input
 * `constant_value` from 11, default 0), reflect (mirror without repeating
 * the edge, repeated for pads longer than the axis, as numpy does), edge
 * (repeat the border element), and from 19 wrap (the axis read as a circle:
 * output i along an axis of size n is input (i - pad_begin) mod n, as numpy's
 * wrap mode for any pad length). Any storable type; versions 21+ only add
 * types onnxbn does not store. */
#include <stdint.h>
#include <string.h>

#include "op_helpers.h"

typedef enum { MODE_CONSTANT, MODE_REFLECT, MODE_EDGE, MODE_WRAP } pad_mode;

typedef struct {
    pad_mode mode;
    float value;
    int n_pads; /* attribute form; -1 if absent */
    int64_t pads[2 * OBN_MAX_RANK];
} pad_attrs;

static obn_status pad_parse(const obn_node *n, int v, void *out)
{
    pad_attrs *a = out;
    const char *mode, *list = v == 1 ? "paddings" : "pads";
    OBN_TRY(obn_attr_get_string(n, "mode", "constant", &mode));
    if (strcmp(mode, "constant") == 0) a->mode = MODE_CONSTANT;
    else if (strcmp(mode, "reflect") == 0) a->mode = MODE_REFLECT;
    else if (strcmp(mode, "edge") == 0) a->mode = MODE_EDGE;
    else if (strcmp(mode, "wrap") == 0 && v >= 19) a->mode = MODE_WRAP;
    else if (v >= 19)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is '%s'; expected constant, reflect, edge or wrap", mode);
    else
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is '%s'; expected constant, reflect or edge (wrap is Pad-19)",
                            mode);
    const char *wrong = NULL;
    if (v >= 11 && obn_node_attr(n, "pads")) wrong = "pads";
    if (v >= 11 && obn_node_attr(n, "value")) wrong = "value";
    if (v != 1 && obn_node_attr(n, "paddings")) wrong = "paddings";
    if (v == 1 && obn_node_attr(n, "pads")) wrong = "pads";
    if (wrong) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of Pad-%d", wrong, v);
    OBN_TRY(obn_attr_get_float(n, "value", 0.0f, &a->value));
    a->n_pads = -1;
    if (v < 11) {
        size_t count;
        if (!obn_node_attr(n, list)) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is required by Pad-%d", list, v);
        OBN_TRY(obn_attr_get_ints(n, list, 2 * OBN_MAX_RANK, a->pads, &count));
        a->n_pads = (int)count;
    }
    return OBN_OK;
}

/* Pad-18's `axes` input: pads[i] and pads[i + len(axes)] belong to axis
 * axes[i]; spread them over all axes of x (unnamed axes get 0, 0). */
static obn_status spread_axes_pads(const obn_op_ctx *ctx, const int64_t *given, size_t n, int64_t *pads)
{
    const obn_tensor *x = ctx->inputs[0];
    int64_t axes[OBN_MAX_RANK];
    int norm[OBN_MAX_RANK];
    size_t n_axes;
    OBN_TRY(obn_read_int_input(ctx, 3, "axes", OBN_MAX_RANK, axes, &n_axes));
    OBN_TRY(obn_norm_axes(ctx, "input 'axes'", axes, n_axes, x->rank, norm));
    if (n != 2 * n_axes)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "pads has %zu values; input 'axes' ('%s') names %zu axes, which need %zu", n,
                           obn_in_name(ctx, 3), n_axes, 2 * n_axes);
    for (int d = 0; d < 2 * x->rank; d++) pads[d] = 0;
    for (size_t i = 0; i < n_axes; i++) {
        pads[norm[i]] = given[i];
        pads[x->rank + norm[i]] = given[n_axes + i];
    }
    return OBN_OK;
}

/* The begin/end pads of every axis of x into pads[0..2*rank). */
static obn_status read_pads(const obn_op_ctx *ctx, int64_t *pads)
{
    const pad_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    size_t n;
    if (ctx->since_version < 11) {
        n = (size_t)a->n_pads;
        memcpy(pads, a->pads, n * sizeof *pads);
    } else {
        if (ctx->inputs[1]->dtype != OBN_INT64)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'pads' ('%s') has type %s, expected int64", obn_in_name(ctx, 1),
                               obn_dtype_name(ctx->inputs[1]->dtype));
        OBN_TRY(obn_read_int_input(ctx, 1, "pads", 2 * OBN_MAX_RANK, pads, &n));
        if (obn_has_input(ctx, 3)) {
            int64_t given[2 * OBN_MAX_RANK];
            memcpy(given, pads, n * sizeof *pads);
            return spread_axes_pads(ctx, given, n, pads);
        }
    }
    if (n != 2 * (size_t)x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "pads has %zu values; input '%s' of rank %d needs %d", n, obn_in_name(ctx, 0),
                           x->rank, 2 * x->rank);
    return OBN_OK;
}

static const char *const mode_name[] = {"constant", "reflect", "edge", "wrap"};

static obn_status pad_infer(obn_op_ctx *ctx)
{
    const pad_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int v = ctx->since_version;
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype v11[] = {OBN_FLOAT, OBN_DOUBLE, OBN_FLOAT16, OBN_INT8, OBN_INT16, OBN_INT32, OBN_INT64,
                                    OBN_UINT8, OBN_UINT16, OBN_UINT32, OBN_UINT64, OBN_UNDEFINED};
    if (v >= 13) OBN_TRY(obn_check_all_types(ctx, 0, "data", 21));
    else OBN_TRY(obn_check_input_dtype(ctx, 0, "data", v >= 11 ? v11 : legacy));
    if (obn_has_input(ctx, 2)) {
        OBN_TRY(obn_check_same_dtype(ctx, 2, "constant_value", 0, "data"));
        if (ctx->inputs[2]->numel != 1)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'constant_value' ('%s') must hold one value",
                               obn_in_name(ctx, 2));
    }
    int64_t pads[2 * OBN_MAX_RANK], dims[OBN_MAX_RANK];
    OBN_TRY(read_pads(ctx, pads));
    for (int d = 0; d < x->rank; d++) {
        int64_t pb = pads[d], pe = pads[x->rank + d], n = x->dims[d];
        /* |pad| beyond the tensor size limit can only be an error */
        if (pb < -n || pe < -n || pb > ((int64_t)1 << 40) || pe > ((int64_t)1 << 40) || n + pb + pe < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "pads %lld/%lld are invalid for axis %d of size %lld", (long long)pb,
                               (long long)pe, d, (long long)n);
        if (a->mode != MODE_CONSTANT && n == 0 && (pb > 0 || pe > 0))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "cannot %s-pad axis %d of size 0", mode_name[a->mode], d);
        dims[d] = n + pb + pe;
    }
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

/* Input index for output position i - pad_begin = j along an axis of size
 * n, or -1 when it falls in the constant padding. */
static inline int64_t source_index(pad_mode mode, int64_t j, int64_t n)
{
    if (j >= 0 && j < n) return j;
    if (mode == MODE_CONSTANT) return -1;
    if (mode == MODE_EDGE) return j < 0 ? 0 : n - 1;
    if (mode == MODE_WRAP) return (j % n + n) % n;
    if (n == 1) return 0;
    int64_t period = 2 * (n - 1);
    int64_t m = j % period;
    if (m < 0) m += period;
    return m < n ? m : period - m;
}

/* count copies of the element `value` (es bytes) at dst: typed stores for
 * the usual sizes (the padding of small planes is a few elements per row,
 * where a memcpy call per element cost more than the copy of the row). */
static void fill_value(char *dst, int64_t count, const void *value, size_t es)
{
    switch (es) {
    case 4: {
        uint32_t v;
        memcpy(&v, value, 4);
        for (int64_t i = 0; i < count; i++) memcpy(dst + 4 * i, &v, 4);
        break;
    }
    case 8: {
        uint64_t v;
        memcpy(&v, value, 8);
        for (int64_t i = 0; i < count; i++) memcpy(dst + 8 * i, &v, 8);
        break;
    }
    case 2: {
        uint16_t v;
        memcpy(&v, value, 2);
        for (int64_t i = 0; i < count; i++) memcpy(dst + 2 * i, &v, 2);
        break;
    }
    default:
        for (int64_t i = 0; i < count; i++) memcpy(dst + (size_t)i * es, value, es);
    }
}

static obn_status pad_run(obn_op_ctx *ctx)
{
    const pad_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    int64_t pads[2 * OBN_MAX_RANK];
    OBN_TRY(read_pads(ctx, pads));
    size_t es = obn_dtype_size(x->dtype);
    /* the padding value as one element of x's type */
    uint64_t value_bits = 0;
    obn_tensor value = {.dtype = x->dtype, .data = &value_bits};
    if (obn_has_input(ctx, 2)) memcpy(&value_bits, ctx->inputs[2]->data, es);
    else if (ctx->since_version < 11) obn_store_f64(&value, 0, a->value);
    int r = x->rank;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return OBN_OK;
    }
    int64_t strides[OBN_MAX_RANK], s = 1;
    for (int d = r - 1; d >= 0; d--) {
        strides[d] = s;
        s *= x->dims[d];
    }
    int64_t inner = y->dims[r - 1], rows = y->numel / inner, n_last = x->dims[r - 1], pb_last = pads[r - 1];
    int64_t idx[OBN_MAX_RANK] = {0};
    const char *src = x->data;
    char *dst = y->data;
    for (int64_t row = 0; row < rows; row++, dst += (size_t)inner * es) {
        int64_t off = 0;
        bool outside = false;
        for (int d = 0; d < r - 1 && !outside; d++) {
            int64_t i = source_index(a->mode, idx[d] - pads[d], x->dims[d]);
            if (i < 0) outside = true;
            else off += i * strides[d];
        }
        for (int d = r - 2; d >= 0; d--) {
            if (++idx[d] < y->dims[d]) break;
            idx[d] = 0;
        }
        if (a->mode == MODE_CONSTANT) { /* value | the row's stretch of x | value */
            int64_t lo = outside ? inner : pb_last < 0 ? 0 : pb_last < inner ? pb_last : inner;
            int64_t first = lo - pb_last; /* input index at output lo */
            int64_t run = outside ? 0 : n_last - first < inner - lo ? n_last - first : inner - lo;
            if (run < 0) run = 0;
            fill_value(dst, lo, &value_bits, es);
            if (run) memcpy(dst + (size_t)lo * es, src + (size_t)(off + first) * es, (size_t)run * es);
            fill_value(dst + (size_t)(lo + run) * es, inner - lo - run, &value_bits, es);
            continue;
        }
        for (int64_t j = 0; j < inner; j++) {
            int64_t i = outside ? -1 : source_index(a->mode, j - pb_last, n_last);
            const void *from = i < 0 ? (const void *)&value_bits : (const void *)(src + (size_t)(off + i) * es);
            /* copy the whole in-range stretch at once */
            if (i >= 0 && j - pb_last == i) {
                int64_t run = n_last - i < inner - j ? n_last - i : inner - j;
                memcpy(dst + (size_t)j * es, from, (size_t)run * es);
                j += run - 1;
                continue;
            }
            memcpy(dst + (size_t)j * es, from, es);
        }
    }
    return OBN_OK;
}

static const int versions[] = {1, 2, 11, 13, 18, 19, 21, 23, 24, 25, 0};
static const char *const attr_names[] = {"mode", "pads", "paddings", "value", NULL};

static const obn_op_sig pad_sigs[] = {
    {1, "data", "output"}, {11, "data pads ?constant_value", "output"}, {18, "data pads ?constant_value ?axes", "output"}, {0}};

const obn_op obn_op_pad = {
    .domain = "",
    .op_type = "Pad",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = pad_sigs,
    .attrs_size = sizeof(pad_attrs),
    .parse = pad_parse,
    .infer = pad_infer,
    .run = pad_run,
};
OBN_REGISTER_OP(obn_op_pad);
