/* SequenceInsert (11): a copy of input_sequence with `tensor` inserted at
 * `position` (default: at the back). Negative positions count from the
 * back; the valid range is [-n, n] for a sequence of n. The tensor's
 * element type must be the sequence's. */
#include "seq_util.h"

enum { IN_SEQ, IN_TENSOR, IN_POS };

static obn_status insert_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status insert_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, IN_SEQ, "input_sequence", OBN_KIND_SEQUENCE));
    OBN_TRY(obn_seq_check_kind(ctx, IN_TENSOR, "tensor", OBN_KIND_TENSOR));
    const obn_tensor *seq = ctx->inputs[IN_SEQ], *t = ctx->inputs[IN_TENSOR];
    if (seq->dtype != OBN_UNDEFINED && t->dtype != seq->dtype)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' (tensor) is %s, the sequence holds %s",
                           obn_in_name(ctx, IN_TENSOR), obn_dtype_name(t->dtype), obn_dtype_name(seq->dtype));
    return OBN_DEFER; /* made by run, while planning */
}

static obn_status insert_run(obn_op_ctx *ctx)
{
    const obn_tensor *in = ctx->inputs[IN_SEQ];
    int64_t n = in->numel, pos = n;
    if (obn_has_input(ctx, IN_POS)) OBN_TRY(obn_seq_position(ctx, IN_POS, n, true, &pos));
    obn_tensor *seq, *item, *const *items = obn_value_items(in);
    OBN_TRY(obn_value_snapshot(ctx->inputs[IN_TENSOR], &item));
    obn_status s = obn_seq_make_output(ctx, 0, OBN_KIND_SEQUENCE, ctx->inputs[IN_TENSOR]->dtype, (size_t)n + 1, &seq);
    if (s != OBN_OK) {
        obn_tensor_release(item);
        return s;
    }
    for (int64_t i = 0; i < pos; i++) obn_value_push(seq, obn_tensor_retain(items[i]));
    obn_value_push(seq, item);
    for (int64_t i = pos; i < n; i++) obn_value_push(seq, obn_tensor_retain(items[i]));
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig insert_sigs[] = {{11, "input_sequence tensor ?position", "output_sequence"}, {0}};

const obn_op obn_op_sequence_insert = {
    .domain = "",
    .op_type = "SequenceInsert",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = insert_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = insert_parse,
    .infer = insert_infer,
    .run = insert_run,
};
OBN_REGISTER_OP(obn_op_sequence_insert);
