/* SequenceAt (11): the tensor at `position` of input_sequence; negative
 * positions count from the back, valid range [-n, n-1]. */
#include "seq_util.h"

static obn_status at_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status at_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, 0, "input_sequence", OBN_KIND_SEQUENCE));
    OBN_TRY(obn_seq_check_kind(ctx, 1, "position", OBN_KIND_TENSOR));
    return OBN_DEFER; /* the shape is the item's: known with the data */
}

static obn_status at_run(obn_op_ctx *ctx)
{
    const obn_tensor *seq = ctx->inputs[0];
    int64_t pos;
    OBN_TRY(obn_seq_position(ctx, 1, seq->numel, false, &pos));
    const obn_tensor *item = obn_value_items(seq)[pos];
    if (item->kind != OBN_KIND_TENSOR) return obn_op_copy_output(ctx, 0, item); /* a nested sequence */
    return obn_seq_tensor_output(ctx, 0, item);
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig at_sigs[] = {{11, "input_sequence position", "tensor"}, {0}};

const obn_op obn_op_sequence_at = {
    .domain = "",
    .op_type = "SequenceAt",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = at_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = at_parse,
    .infer = at_infer,
    .run = at_run,
};
OBN_REGISTER_OP(obn_op_sequence_at);
