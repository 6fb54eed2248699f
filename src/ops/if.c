/* If (1, 11, 13, 16, 19, 21, 23, 24, 25): runs then_branch or else_branch
 * by a one-element bool cond. The branches take no inputs, read what they
 * need from the enclosing graphs, and give the node's outputs. Versions
 * differ only in the element types (and, from 16, optional and sequence
 * values) the outputs may have: If moves values without looking at them.
 *
 * Planning: with cond known only the branch it picks is planned; else both
 * are, and when they agree on every output's type and shape the node is a
 * static step that copies the chosen branch's outputs. Otherwise (or when a
 * branch's shapes depend on data) the graph is planned eagerly and If runs
 * while planning. */
#include "control_flow.h"

typedef struct {
    obn_subgraph *branch[2]; /* else, then */
} if_attrs;

static void if_free_attrs(void *p)
{
    if_attrs *a = p;
    for (int b = 0; b < 2; b++) obn_subgraph_destroy(a->branch[b]);
}

static obn_status if_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    if_attrs *a = out;
    static const char *const names[2] = {"else_branch", "then_branch"};
    const obn_graph *g[2];
    for (int b = 0; b < 2; b++)
        OBN_TRY(obn_cf_body(n, names[b], 0, "If branches take no inputs", n->n_outputs, "the node's outputs", &g[b]));
    for (int b = 0; b < 2; b++) OBN_TRY(obn_subgraph_create(g[b], &a->branch[b]));
    return OBN_OK;
}

static bool same_outputs(int n, const obn_subgraph *t, const obn_subgraph *e)
{
    for (int k = 0; k < n; k++)
        if (!obn_cf_same_type(obn_subgraph_output(t, k), obn_subgraph_output(e, k))) return false;
    return true;
}

static obn_status if_infer(obn_op_ctx *ctx)
{
    const if_attrs *a = ctx->attrs;
    OBN_TRY(obn_cf_check_scalar(ctx, 0, "cond", OBN_BOOL));
    if (obn_cf_inputs_known(ctx) || obn_cf_any_value(ctx->inputs, ctx->n_inputs))
        return OBN_DEFER; /* runs now, see OBN_OP_RUN_SHAPES */
    const obn_tensor *cond = ctx->inputs[0];
    int first = 0, last = 1;
    if (cond->data) first = last = *(const uint8_t *)cond->data != 0;
    for (int b = first; b <= last; b++) {
        obn_subgraph_bind_outer(a->branch[b], ctx);
        OBN_TRY(obn_subgraph_infer(a->branch[b], ctx));
    }
    if (first != last && !same_outputs(ctx->n_outputs, a->branch[1], a->branch[0]))
        return OBN_DEFER; /* the shapes follow cond */
    for (int k = 0; k < ctx->n_outputs; k++)
        if (obn_subgraph_output(a->branch[first], k)->kind != OBN_KIND_TENSOR) return OBN_DEFER; /* a sequence or optional */
    for (int k = 0; k < ctx->n_outputs; k++) {
        const obn_tensor *y = obn_subgraph_output(a->branch[first], k);
        if (ctx->outputs[k]) OBN_TRY(obn_set_output(ctx, k, y->dtype, y->rank, y->dims));
    }
    return OBN_OK;
}

static obn_status if_run(obn_op_ctx *ctx)
{
    const if_attrs *a = ctx->attrs;
    obn_subgraph *b = a->branch[*(const uint8_t *)ctx->inputs[0]->data != 0];
    obn_subgraph_bind_outer(b, ctx);
    OBN_TRY(obn_subgraph_run(b, ctx));
    for (int k = 0; k < ctx->n_outputs; k++) OBN_TRY(obn_op_copy_output(ctx, k, obn_subgraph_output(b, k)));
    return OBN_OK;
}

static const int versions[] = {1, 11, 13, 16, 19, 21, 23, 24, 25, 0};
static const char *const attr_names[] = {"then_branch", "else_branch", NULL};
static const obn_op_sig if_sigs[] = {{1, "cond", "outputs..."}, {0}};

const obn_op obn_op_if = {
    .domain = "",
    .op_type = "If",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = if_sigs,
    .attrs_size = sizeof(if_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES,
    .parse = if_parse,
    .infer = if_infer,
    .run = if_run,
    .free_attrs = if_free_attrs,
};
OBN_REGISTER_OP(obn_op_if);
