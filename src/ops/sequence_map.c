/* SequenceMap (17): runs `body` once per item of input_sequence. The body
 * takes one value per input of the node: the i-th item of each sequence
 * input (all of the same length), or a tensor input as it is; each of its
 * outputs becomes the i-th item of the matching output sequence. Runs while
 * planning, with the data (the lengths are known only then); the body's
 * own plan is kept while the item shapes stay the same. */
#include "control_flow.h"
#include "seq_util.h"

typedef struct {
    obn_subgraph *body;
} map_attrs;

static void map_free_attrs(void *p) { obn_subgraph_destroy(((map_attrs *)p)->body); }

static obn_status map_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    map_attrs *a = out;
    const obn_graph *g;
    OBN_TRY(obn_cf_body(n, "body", obn_node_n_formal(n), "one per input of the node", n->n_outputs,
                        "one per output sequence", &g));
    return obn_subgraph_create(g, &a->body);
}

static obn_status map_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_seq_check_kind(ctx, 0, "input_sequence", OBN_KIND_SEQUENCE));
    for (int k = 1; k < obn_node_n_formal(ctx->node); k++)
        if (ctx->inputs[k]->kind == OBN_KIND_OPTIONAL)
            OBN_TRY(obn_seq_check_kind(ctx, k, "additional_inputs", OBN_KIND_SEQUENCE));
    return OBN_DEFER; /* one body run per item, with the data */
}

/* Every sequence input has as many items as input_sequence. */
static obn_status check_lengths(const obn_op_ctx *ctx, int n_formal)
{
    int64_t n = ctx->inputs[0]->numel;
    for (int k = 1; k < n_formal; k++) {
        const obn_tensor *x = ctx->inputs[k];
        if (x->kind == OBN_KIND_SEQUENCE && x->numel != n)
            return obn_ctx_err(ctx, OBN_E_INVALID_INPUT, "sequence '%s' has %lld items, input_sequence '%s' has %lld",
                               obn_in_name(ctx, k), (long long)x->numel, obn_in_name(ctx, 0), (long long)n);
    }
    return OBN_OK;
}

/* Output sequence k, typed by the body's declaration until an item says. */
static obn_status make_outputs(obn_op_ctx *ctx, const map_attrs *a, int64_t n)
{
    const obn_graph *g = a->body->g;
    for (int k = 0; k < ctx->n_outputs; k++) {
        obn_tensor *seq;
        if (!ctx->outputs[k]) continue;
        OBN_TRY(obn_seq_make_output(ctx, k, OBN_KIND_SEQUENCE, g->values[g->outputs[k]].dtype, (size_t)n, &seq));
    }
    return OBN_OK;
}

static obn_status map_run(obn_op_ctx *ctx)
{
    const map_attrs *a = ctx->attrs;
    obn_subgraph *b = a->body;
    int n_formal = obn_node_n_formal(ctx->node);
    int64_t n = ctx->inputs[0]->numel;
    OBN_TRY(check_lengths(ctx, n_formal));
    OBN_TRY(make_outputs(ctx, a, n));
    obn_subgraph_bind_outer(b, ctx);
    for (int64_t i = 0; i < n; i++) {
        OBN_TRY(obn_op_check_cancel(ctx));
        for (int k = 0; k < n_formal; k++) {
            const obn_tensor *x = ctx->inputs[k];
            b->in[k] = x->kind == OBN_KIND_SEQUENCE ? obn_value_items(x)[i] : x;
        }
        OBN_TRY(obn_subgraph_run(b, ctx));
        for (int k = 0; k < ctx->n_outputs; k++) {
            obn_tensor *seq = ctx->outputs[k], *item;
            if (!seq) continue;
            const obn_tensor *y = obn_subgraph_output(b, k);
            if (y->kind == OBN_KIND_OPTIONAL)
                return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "body output #%d is an optional, not an item of a sequence", k);
            if (seq->numel && y->dtype != seq->dtype)
                return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "body output #%d is %s in run %lld but was %s before", k,
                                   obn_dtype_name(y->dtype), (long long)i, obn_dtype_name(seq->dtype));
            OBN_TRY(obn_value_snapshot(y, &item));
            seq->dtype = y->dtype;
            obn_value_push(seq, item);
        }
    }
    return OBN_OK;
}

static const int versions[] = {17, 0};
static const char *const attr_names[] = {"body", NULL};
static const obn_op_sig map_sigs[] = {{17, "input_sequence ?additional_inputs...", "out_sequence..."}, {0}};

const obn_op obn_op_sequence_map = {
    .domain = "",
    .op_type = "SequenceMap",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = map_sigs,
    .attrs_size = sizeof(map_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES,
    .parse = map_parse,
    .infer = map_infer,
    .run = map_run,
    .free_attrs = map_free_attrs,
};
OBN_REGISTER_OP(obn_op_sequence_map);
