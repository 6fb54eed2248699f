/* SequenceErase (11): a copy of input_sequence without the item at
 * `position` (default: the last); negative positions count from the back,
 * valid range [-n, n-1]. */
#include "seq_util.h"

static obn_status erase_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status erase_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, 0, "input_sequence", OBN_KIND_SEQUENCE));
    return OBN_DEFER; /* made by run, while planning */
}

static obn_status erase_run(obn_op_ctx *ctx)
{
    const obn_tensor *in = ctx->inputs[0];
    int64_t n = in->numel, pos = n - 1;
    if (obn_has_input(ctx, 1)) {
        OBN_TRY(obn_seq_position(ctx, 1, n, false, &pos));
    } else if (n == 0) {
        return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "cannot erase from an empty sequence ('%s')", obn_in_name(ctx, 0));
    }
    obn_tensor *seq, *const *items = obn_value_items(in);
    OBN_TRY(obn_seq_make_output(ctx, 0, OBN_KIND_SEQUENCE, in->dtype, (size_t)n - 1, &seq));
    for (int64_t i = 0; i < n; i++)
        if (i != pos) obn_value_push(seq, obn_tensor_retain(items[i]));
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig erase_sigs[] = {{11, "input_sequence ?position", "output_sequence"}, {0}};

const obn_op obn_op_sequence_erase = {
    .domain = "",
    .op_type = "SequenceErase",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = erase_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = erase_parse,
    .infer = erase_infer,
    .run = erase_run,
};
OBN_REGISTER_OP(obn_op_sequence_erase);
