/* SequenceConstruct (11): a sequence of its input tensors, in order; they
 * share one element type (shapes may differ). */
#include "seq_util.h"

static obn_status construct_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status construct_infer(obn_op_ctx *ctx)
{
    for (int k = 0; k < ctx->n_inputs; k++) {
        OBN_TRY(obn_seq_check_kind(ctx, k, "inputs", OBN_KIND_TENSOR));
        OBN_TRY(obn_check_same_dtype(ctx, k, "inputs", 0, "inputs"));
    }
    return OBN_DEFER; /* made by run, while planning */
}

static obn_status construct_run(obn_op_ctx *ctx)
{
    obn_tensor *seq;
    OBN_TRY(obn_seq_make_output(ctx, 0, OBN_KIND_SEQUENCE, ctx->inputs[0]->dtype, (size_t)ctx->n_inputs, &seq));
    for (int k = 0; k < ctx->n_inputs; k++) {
        obn_tensor *item;
        OBN_TRY(obn_value_snapshot(ctx->inputs[k], &item));
        obn_value_push(seq, item);
    }
    return OBN_OK;
}

static const int versions[] = {11, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig construct_sigs[] = {{11, "inputs...", "output_sequence"}, {0}};

const obn_op obn_op_sequence_construct = {
    .domain = "",
    .op_type = "SequenceConstruct",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = construct_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = construct_parse,
    .infer = construct_infer,
    .run = construct_run,
};
OBN_REGISTER_OP(obn_op_sequence_construct);
