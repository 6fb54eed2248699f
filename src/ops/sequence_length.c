/* SequenceLength (11): the number of items of input_sequence, as an int64
 * scalar. */
#include "seq_util.h"

static obn_status length_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status length_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, 0, "input_sequence", OBN_KIND_SEQUENCE));
    return OBN_DEFER; /* known with the data */
}

static obn_status length_run(obn_op_ctx *ctx)
{
    OBN_TRY(obn_op_alloc_output(ctx, 0, OBN_INT64, 0, NULL));
    *(int64_t *)ctx->outputs[0]->data = ctx->inputs[0]->numel;
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig length_sigs[] = {{11, "input_sequence", "length"}, {0}};

const obn_op obn_op_sequence_length = {
    .domain = "",
    .op_type = "SequenceLength",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = length_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = length_parse,
    .infer = length_infer,
    .run = length_run,
};
OBN_REGISTER_OP(obn_op_sequence_length);
