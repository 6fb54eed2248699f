/* SequenceEmpty (11): an empty sequence of element type `dtype` (default
 * float). */
#include "seq_util.h"

typedef struct {
    obn_dtype dtype;
} empty_attrs;

static obn_status empty_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    empty_attrs *a = out;
    int64_t dt;
    OBN_TRY(obn_attr_get_int(n, "dtype", OBN_FLOAT, &dt));
    if (dt < 0 || dt > INT32_MAX || !obn_dtype_is_valid((int)dt))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'dtype' is %lld, not an ONNX element type", (long long)dt);
    if (!obn_dtype_is_storable((int)dt))
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute 'dtype': element type %s is not supported",
                            obn_dtype_name((obn_dtype)dt));
    a->dtype = (obn_dtype)dt;
    return OBN_OK;
}

static obn_status empty_infer(obn_op_ctx *ctx)
{
    (void)ctx;
    return OBN_DEFER; /* made by run, while planning */
}

static obn_status empty_run(obn_op_ctx *ctx)
{
    const empty_attrs *a = ctx->attrs;
    obn_tensor *seq;
    return obn_seq_make_output(ctx, 0, OBN_KIND_SEQUENCE, a->dtype, 0, &seq);
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {"dtype", NULL};
static const obn_op_sig empty_sigs[] = {{11, "", "output"}, {0}};

const obn_op obn_op_sequence_empty = {
    .domain = "",
    .op_type = "SequenceEmpty",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = empty_sigs,
    .attrs_size = sizeof(empty_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = empty_parse,
    .infer = empty_infer,
    .run = empty_run,
};
OBN_REGISTER_OP(obn_op_sequence_empty);
