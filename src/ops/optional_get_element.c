/* OptionalGetElement (15, 18): the value an optional holds (a tensor or a
 * sequence); an empty optional is an error at run time. 18 also takes a
 * tensor or sequence, given back as it is. */
#include "seq_util.h"

static obn_status get_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status get_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    if (ctx->since_version < 18) OBN_TRY(obn_seq_check_kind(ctx, 0, "input", OBN_KIND_OPTIONAL));
    if (x->kind == OBN_KIND_TENSOR) { /* 18: a tensor passes through, a static step */
        OBN_TRY(obn_check_all_types(ctx, 0, "input", 0));
        return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
    }
    return OBN_DEFER; /* the value's kind and shape come with the data */
}

static obn_status get_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    if (x->kind == OBN_KIND_TENSOR) return obn_op_copy_output(ctx, 0, x);
    if (x->kind == OBN_KIND_SEQUENCE) return obn_op_copy_output(ctx, 0, x);
    if (x->numel == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "input '%s' is an empty optional: it has no element to get",
                           obn_in_name(ctx, 0));
    return obn_op_copy_output(ctx, 0, obn_value_items(x)[0]);
}

static const int versions[] = {15, 18, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig get_sigs[] = {{15, "input", "output"}, {0}};

const obn_op obn_op_optional_get_element = {
    .domain = "",
    .op_type = "OptionalGetElement",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = get_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = get_parse,
    .infer = get_infer,
    .run = get_run,
};
OBN_REGISTER_OP(obn_op_optional_get_element);
