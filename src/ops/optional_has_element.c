/* OptionalHasElement (15, 18): a bool scalar, true when `input` holds a
 * value. 15 takes an optional; 18 also a tensor or sequence (true) and no
 * input at all (false). */
#include "seq_util.h"

static obn_status has_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status has_infer(obn_op_ctx *ctx)
{
    if (ctx->since_version < 18) OBN_TRY(obn_seq_check_kind(ctx, 0, "input", OBN_KIND_OPTIONAL));
    return OBN_DEFER; /* known with the data */
}

static obn_status has_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_has_input(ctx, 0) ? ctx->inputs[0] : NULL;
    OBN_TRY(obn_op_alloc_output(ctx, 0, OBN_BOOL, 0, NULL));
    bool has = x && (x->kind != OBN_KIND_OPTIONAL || x->numel > 0);
    *(uint8_t *)ctx->outputs[0]->data = has;
    return OBN_OK;
}

static const int versions[] = {15, 18, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig has_sigs[] = {{15, "input", "output"}, {18, "?input", "output"}, {0}};

const obn_op obn_op_optional_has_element = {
    .domain = "",
    .op_type = "OptionalHasElement",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = has_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = has_parse,
    .infer = has_infer,
    .run = has_run,
};
OBN_REGISTER_OP(obn_op_optional_has_element);
