/* Split (1, 2, 11, 13, 18): cuts the input along `axis` (default 0;
 * negative counts from the end, as exporters emit it even for versions < 11)
 * into the outputs. Part sizes come from `split` (an attribute in 1/2/11, an
 * optional input in 1, 13 and 18) or are equal: before 18 the axis must then
 * divide evenly; Split-18 instead takes exactly one of the `split` input and
 * the `num_outputs` attribute (which must equal the number of outputs), and
 * cuts ceil(dim / num_outputs) per part, the last part keeping the rest.
 * Any storable type; omitted outputs are skipped. */
#include "kernels/copy.h"
#include "op_helpers.h"
#include "string_tensor.h"

#define SPLIT_MAX_OUTPUTS 1024

typedef struct {
    int64_t axis;
    int n_split;         /* attribute; -1 if absent */
    int64_t num_outputs; /* Split-18 attribute; 0 if absent */
} split_attrs;

static obn_status split_parse(const obn_node *n, int v, void *out)
{
    split_attrs *a = out;
    if (v >= 13 && obn_node_attr(n, "split"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'split' is not part of Split-%d (it is an input)", v);
    if (v < 18 && obn_node_attr(n, "num_outputs"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'num_outputs' is not part of Split-%d", v);
    OBN_TRY(obn_attr_get_int(n, "axis", 0, &a->axis));
    OBN_TRY(obn_attr_get_int(n, "num_outputs", 0, &a->num_outputs));
    if (obn_node_attr(n, "num_outputs") && (a->num_outputs < 1 || a->num_outputs != (int64_t)n->n_outputs))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'num_outputs' is %lld, but the node has %d outputs",
                            (long long)a->num_outputs, n->n_outputs);
    const obn_attr *s = obn_node_attr(n, "split");
    if (s && s->type != OBN_ATTR_INTS)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'split' has type %s, expected INTS", obn_attr_type_name(s->type));
    a->n_split = s ? (int)(s->n < SPLIT_MAX_OUTPUTS ? s->n : SPLIT_MAX_OUTPUTS) : -1;
    return OBN_OK;
}

/* Split-18 without the `split` input: num_outputs parts of
 * ceil(dim / num_outputs), the last one what remains (refused when nothing,
 * not even an empty part, remains for it: 5 into 4 parts of 2). */
static obn_status num_outputs_sizes(const obn_op_ctx *ctx, int axis, int64_t dim, int64_t *sizes)
{
    const split_attrs *a = ctx->attrs;
    if (a->num_outputs == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "Split-%d needs exactly one of input 'split' and attribute 'num_outputs'",
                           ctx->since_version);
    int64_t n = a->num_outputs, part = dim / n + (dim % n != 0), last = dim - part * (n - 1);
    if (last < 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "axis %d of size %lld cannot be split into %lld parts of %lld with a smaller last part", axis,
                           (long long)dim, (long long)n, (long long)part);
    for (int64_t k = 0; k < n - 1; k++) sizes[k] = part;
    sizes[n - 1] = last;
    return OBN_OK;
}

/* Part sizes along the axis into sizes[0..n_outputs). */
static obn_status split_sizes(const obn_op_ctx *ctx, int *axis, int64_t *sizes)
{
    const split_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int n = ctx->n_outputs;
    if (n > SPLIT_MAX_OUTPUTS) return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "has %d outputs (at most %d supported)", n, SPLIT_MAX_OUTPUTS);
    if (x->rank == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "cannot split a scalar");
    OBN_TRY(obn_norm_axis(ctx, a->axis, x->rank, false, axis));
    int64_t dim = x->dims[*axis];
    bool from_input = obn_has_input(ctx, 1);
    if (from_input && (ctx->since_version == 2 || ctx->since_version == 11))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "Split-%d takes 'split' as an attribute, not an input", ctx->since_version);
    if (from_input && a->n_split >= 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'split' is given both as input and attribute");
    if (from_input && a->num_outputs > 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "Split-%d needs exactly one of input 'split' and attribute 'num_outputs'",
                           ctx->since_version);
    size_t count = 0;
    if (from_input) {
        OBN_TRY(obn_read_int_input(ctx, 1, "split", SPLIT_MAX_OUTPUTS, sizes, &count));
    } else if (a->n_split >= 0) {
        const obn_attr *s = obn_node_attr(ctx->node, "split");
        count = s->n;
        if (count > SPLIT_MAX_OUTPUTS)
            return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "attribute 'split' has %zu values (at most %d)", count, SPLIT_MAX_OUTPUTS);
        for (size_t i = 0; i < count; i++) sizes[i] = s->ints[i];
    } else if (ctx->since_version >= 18) {
        return num_outputs_sizes(ctx, *axis, dim, sizes);
    } else {
        if (dim % n != 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "axis %d of size %lld cannot be split into %d equal parts", *axis,
                               (long long)dim, n);
        for (int k = 0; k < n; k++) sizes[k] = dim / n;
        return OBN_OK;
    }
    if ((int)count != n)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'split' has %zu values for %d outputs", count, n);
    int64_t total = 0;
    for (int k = 0; k < n; k++) {
        if (sizes[k] < 0 || sizes[k] > dim - total)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'split' sizes do not add up to axis %d of size %lld", *axis,
                               (long long)dim);
        total += sizes[k];
    }
    if (total != dim)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'split' sizes add up to %lld, but axis %d has size %lld",
                           (long long)total, *axis, (long long)dim);
    return OBN_OK;
}

static obn_status split_infer(obn_op_ctx *ctx)
{
    int64_t sizes[SPLIT_MAX_OUTPUTS];
    int axis;
    OBN_TRY(obn_check_all_types(ctx, 0, "input", 0));
    OBN_TRY(split_sizes(ctx, &axis, sizes));
    const obn_tensor *x = ctx->inputs[0];
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = x->dims[d];
    for (int k = 0; k < ctx->n_outputs; k++) {
        dims[axis] = sizes[k];
        OBN_TRY(obn_set_output(ctx, k, x->dtype, x->rank, dims));
    }
    return OBN_OK;
}

static obn_status split_run(obn_op_ctx *ctx)
{
    int64_t sizes[SPLIT_MAX_OUTPUTS];
    int axis;
    OBN_TRY(split_sizes(ctx, &axis, sizes));
    const obn_tensor *x = ctx->inputs[0];
    size_t inner = (size_t)obn_dims_product(x->dims, axis + 1, x->rank) * obn_dtype_elem_bytes(x->dtype);
    void *ys[SPLIT_MAX_OUTPUTS];
    size_t row_bytes[SPLIT_MAX_OUTPUTS];
    for (int k = 0; k < ctx->n_outputs; k++) {
        ys[k] = obn_has_output(ctx, k) ? ctx->outputs[k]->data : NULL;
        row_bytes[k] = (size_t)sizes[k] * inner;
    }
    obn_split_rows(x->data, ctx->n_outputs, ys, row_bytes, obn_dims_product(x->dims, 0, axis), ctx->threads);
    /* strings: the pointers moved; each output gets copies of its own */
    obn_status s = OBN_OK;
    for (int k = 0; x->dtype == OBN_STRING && k < ctx->n_outputs; k++)
        if (obn_has_output(ctx, k)) s = obn_strings_own_copies(ctx, ctx->outputs[k], s);
    return s;
}

static const int versions[] = {1, 2, 11, 13, 18, 0};
static const char *const attr_names[] = {"axis", "split", "num_outputs", NULL};

static const obn_op_sig split_sigs[] = {{1, "input ?split", "outputs..."}, {2, "input", "outputs..."}, {13, "input ?split", "outputs..."}, {0}};

const obn_op obn_op_split = {
    .domain = "",
    .op_type = "Split",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = split_sigs,
    .attrs_size = sizeof(split_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = split_parse,
    .infer = split_infer,
    .run = split_run,
};
OBN_REGISTER_OP(obn_op_split);
