/* An onnxbn plugin with two operators of the domain "com.example":
 *
 *   ScaledTanh-1   Y = alpha * tanh(beta * (X + bias))
 *                  inputs "X ?bias" (bias: 1-D, the size of X's last
 *                  dimension), output "Y"; attributes alpha, beta (float,
 *                  default 1)
 *   ScaledTanh-2   as version 1, plus an optional second output T, the
 *                  tanh before scaling
 *   Dense-1        Y = X W + B over X's last dimension
 *                  inputs "X W ?B" (X [..., K], W [K, N], B [N]), output Y
 *                  [..., N]; when W is constant, prepare packs it
 *                  transposed once per plan so that every output is a dot
 *                  product of two contiguous rows
 *
 * float32 only: other types are refused at planning with a message naming
 * the node and the input.
 *
 * Build (against an installed onnxbn):
 *   cc -shared -fPIC -o libmyops.so myops.c $(pkg-config --cflags --libs onnxbn) -lm
 * Use:
 *   onnxbn run --plugin ./libmyops.so model.onnx
 *   obn_plugin_load(registry, "./libmyops.so") in C, plugins=[...] in Python */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxbn.h"

/* ---------------------------------------------------------------- ScaledTanh */

typedef struct {
    float alpha, beta;
} scaled_tanh_attrs;

static obn_status scaled_tanh_parse(const obn_node *node, void *attrs)
{
    scaled_tanh_attrs *a = attrs;
    obn_status s = obn_node_attr_float(node, "alpha", 1.0f, &a->alpha);
    if (s == OBN_OK) s = obn_node_attr_float(node, "beta", 1.0f, &a->beta);
    if (s == OBN_OK && !isfinite(a->alpha))
        return obn_node_error(node, OBN_E_INVALID_MODEL, "attribute 'alpha' must be finite");
    return s;
}

/* Refuses an input that is not float32, naming it. */
static obn_status want_float(obn_op_ctx *ctx, size_t k, const char *role)
{
    const obn_tensor *t = obn_op_input(ctx, k);
    if (!t || obn_tensor_dtype(t) == OBN_FLOAT) return OBN_OK;
    return obn_node_error(obn_op_node(ctx), OBN_E_UNSUPPORTED, "input '%s' has type %s; only float is supported",
                          role, obn_dtype_name(obn_tensor_dtype(t)));
}

static obn_status scaled_tanh_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_op_input(ctx, 0), *bias = obn_op_input(ctx, 1);
    obn_status s = want_float(ctx, 0, "X");
    if (s == OBN_OK) s = want_float(ctx, 1, "bias");
    if (s != OBN_OK) return s;
    size_t rank = obn_tensor_rank(x);
    const int64_t *dims = obn_tensor_dims(x);
    if (bias) {
        int64_t last = rank ? dims[rank - 1] : 1;
        if (obn_tensor_rank(bias) != 1 || obn_tensor_dims(bias)[0] != last)
            return obn_node_error(obn_op_node(ctx), OBN_E_INVALID_MODEL,
                                  "input 'bias' must be 1-D with %lld elements (X's last dimension)", (long long)last);
    }
    for (size_t k = 0; k < obn_op_output_count(ctx); k++) {
        s = obn_op_set_output(ctx, k, OBN_FLOAT, rank, dims);
        if (s != OBN_OK) return s;
    }
    return OBN_OK;
}

static obn_status scaled_tanh_compute(obn_op_ctx *ctx)
{
    const scaled_tanh_attrs *a = obn_op_attrs(ctx);
    const obn_tensor *x = obn_op_input(ctx, 0), *bias = obn_op_input(ctx, 1);
    obn_tensor *t_out = obn_op_output(ctx, 1); /* version 2 only, and optional */
    const float *xs = obn_tensor_cdata(x);
    const float *bs = bias ? obn_tensor_cdata(bias) : NULL;
    float *ys = obn_tensor_data(obn_op_output(ctx, 0));
    float *ts = t_out ? obn_tensor_data(t_out) : NULL;
    int64_t n = obn_tensor_numel(x);
    int64_t width = bias ? obn_tensor_dims(bias)[0] : 1;
    for (int64_t i = 0; i < n; i++) {
        float t = tanhf(a->beta * (xs[i] + (bs ? bs[i % width] : 0.0f)));
        ys[i] = a->alpha * t;
        if (ts) ts[i] = t;
    }
    return OBN_OK;
}

/* ---------------------------------------------------------------- Dense */

/* Per-plan state: W transposed to [N, K]. */
typedef struct {
    float *wt;
} dense_state;

static obn_status dense_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_op_input(ctx, 0), *w = obn_op_input(ctx, 1), *b = obn_op_input(ctx, 2);
    const obn_node *node = obn_op_node(ctx);
    obn_status s = want_float(ctx, 0, "X");
    if (s == OBN_OK) s = want_float(ctx, 1, "W");
    if (s == OBN_OK) s = want_float(ctx, 2, "B");
    if (s != OBN_OK) return s;
    size_t rank = obn_tensor_rank(x);
    if (rank < 1 || obn_tensor_rank(w) != 2)
        return obn_node_error(node, OBN_E_INVALID_MODEL, "X must have rank >= 1 and W rank 2 (got %zu and %zu)", rank,
                              obn_tensor_rank(w));
    int64_t k = obn_tensor_dims(x)[rank - 1], wk = obn_tensor_dims(w)[0], n = obn_tensor_dims(w)[1];
    if (wk != k)
        return obn_node_error(node, OBN_E_INVALID_MODEL, "X's last dimension is %lld but W has %lld rows",
                              (long long)k, (long long)wk);
    if (b && (obn_tensor_rank(b) != 1 || obn_tensor_dims(b)[0] != n))
        return obn_node_error(node, OBN_E_INVALID_MODEL, "B must be 1-D with %lld elements", (long long)n);
    int64_t dims[OBN_MAX_RANK];
    memcpy(dims, obn_tensor_dims(x), rank * sizeof *dims);
    dims[rank - 1] = n;
    return obn_op_set_output(ctx, 0, OBN_FLOAT, rank, dims);
}

/* Packs a constant W; a W computed at run time is read as it is. */
static obn_status dense_prepare(obn_op_ctx *ctx, void **state)
{
    const obn_tensor *w = obn_op_input(ctx, 1);
    const float *ws = obn_tensor_cdata(w);
    if (!ws) return OBN_OK;
    int64_t k = obn_tensor_dims(w)[0], n = obn_tensor_dims(w)[1];
    dense_state *st = malloc(sizeof *st);
    float *wt = malloc((size_t)(k * n > 0 ? k * n : 1) * sizeof *wt);
    if (!st || !wt) {
        free(st);
        free(wt);
        return obn_node_error(obn_op_node(ctx), OBN_E_OUT_OF_MEMORY, "cannot allocate the packed weights");
    }
    for (int64_t i = 0; i < k; i++)
        for (int64_t j = 0; j < n; j++) wt[j * k + i] = ws[i * n + j];
    st->wt = wt;
    *state = st;
    return OBN_OK;
}

static void dense_free_state(void *state, void *user_data)
{
    (void)user_data;
    dense_state *st = state;
    free(st->wt);
    free(st);
}

static obn_status dense_compute(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_op_input(ctx, 0), *w = obn_op_input(ctx, 1), *b = obn_op_input(ctx, 2);
    const dense_state *st = obn_op_state(ctx);
    const float *xs = obn_tensor_cdata(x), *ws = obn_tensor_cdata(w), *bs = b ? obn_tensor_cdata(b) : NULL;
    float *ys = obn_tensor_data(obn_op_output(ctx, 0));
    int64_t k = obn_tensor_dims(w)[0], n = obn_tensor_dims(w)[1];
    int64_t rows = n ? obn_tensor_numel(obn_op_output(ctx, 0)) / n : 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < n; j++) {
            double acc = bs ? bs[j] : 0.0;
            if (st)
                for (int64_t i = 0; i < k; i++) acc += (double)xs[r * k + i] * st->wt[j * k + i];
            else
                for (int64_t i = 0; i < k; i++) acc += (double)xs[r * k + i] * ws[i * n + j];
            ys[r * n + j] = (float)acc;
        }
    return OBN_OK;
}

static void dense_describe(const obn_op_ctx *ctx, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", obn_op_state(ctx) ? "packed W" : "direct");
}

/* ---------------------------------------------------------------- registration */

static const char *const scaled_tanh_attr_names[] = {"alpha", "beta", NULL};

static obn_status register_ops(obn_op_registry *registry)
{
    obn_custom_op tanh1 = {
        .abi_version = OBN_OP_ABI_VERSION,
        .domain = "com.example",
        .op_type = "ScaledTanh",
        .since_version = 1,
        .inputs = "X ?bias",
        .outputs = "Y",
        .attributes = scaled_tanh_attr_names,
        .attrs_size = sizeof(scaled_tanh_attrs),
        .parse = scaled_tanh_parse,
        .infer = scaled_tanh_infer,
        .compute = scaled_tanh_compute,
    };
    obn_custom_op tanh2 = tanh1;
    tanh2.since_version = 2;
    tanh2.outputs = "Y ?T";
    obn_custom_op dense = {
        .abi_version = OBN_OP_ABI_VERSION,
        .domain = "com.example",
        .op_type = "Dense",
        .since_version = 1,
        .inputs = "X W ?B",
        .outputs = "Y",
        .infer = dense_infer,
        .compute = dense_compute,
        .prepare = dense_prepare,
        .free_state = dense_free_state,
        .describe = dense_describe,
    };
    obn_status s = obn_op_registry_add(registry, &tanh1);
    if (s == OBN_OK) s = obn_op_registry_add(registry, &tanh2);
    if (s == OBN_OK) s = obn_op_registry_add(registry, &dense);
    return s;
}

OBN_PLUGIN_REGISTER(register_ops)
