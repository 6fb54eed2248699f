/* Gemm (1, 6, 7, 9, 11, 13), float32: Y = alpha * A' * B' + beta * C with
 * A' = transA ? A^T : A (M x K), B' = transB ? B^T : B (K x N).
 *
 * C (required before version 11) is unidirectionally broadcast to [M, N]:
 * a scalar, [1], [N], [1, N], [M, 1], [1, 1] or [M, N]. Versions 1 and 6
 * broadcast only with broadcast=1; otherwise C must be [M, N]. A C of one
 * row or one column becomes the SGEMM's bias epilogue (beta*C computed once);
 * a full C is copied into Y and scaled by the SGEMM's beta. A constant B (the
 * weights of a fully connected layer) is packed once per plan. An activation
 * fused into the node by the fuse_activation pass runs in the SGEMM
 * epilogue. */
#include <stdlib.h>
#include <string.h>

#include "fused_act.h"
#include "kernels/sgemm.h"
#include "op_util.h"

typedef struct {
    float alpha, beta;
    int trans_a, trans_b;
    int broadcast; /* versions 1, 6 */
} gemm_attrs;

enum { IN_A, IN_B, IN_C };

static obn_status gemm_parse(const obn_node *n, int v, void *out)
{
    gemm_attrs *a = out;
    int64_t ta, tb, bc;
    OBN_TRY(obn_attr_get_float(n, "alpha", 1.0f, &a->alpha));
    OBN_TRY(obn_attr_get_float(n, "beta", 1.0f, &a->beta));
    OBN_TRY(obn_attr_get_int(n, "transA", 0, &ta));
    OBN_TRY(obn_attr_get_int(n, "transB", 0, &tb));
    if (v >= 7 && obn_node_attr(n, "broadcast"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'broadcast' is not part of Gemm-%d", v);
    OBN_TRY(obn_attr_get_int(n, "broadcast", 0, &bc));
    a->trans_a = ta != 0;
    a->trans_b = tb != 0;
    a->broadcast = v >= 7 || bc != 0;
    return OBN_OK;
}

/* How C reaches Y. */
typedef enum { C_NONE, C_COLS, C_ROWS, C_FULL } c_form;

typedef struct {
    int64_t m, n, k;
    c_form form;
} gemm_geom;

static obn_status c_geometry(const obn_op_ctx *ctx, gemm_geom *g)
{
    const gemm_attrs *a = ctx->attrs;
    g->form = C_NONE;
    if (!obn_has_input(ctx, IN_C)) return OBN_OK;
    const obn_tensor *c = ctx->inputs[IN_C];
    int64_t cm = c->rank == 2 ? c->dims[0] : 1, cn = c->rank >= 1 ? c->dims[c->rank - 1] : 1;
    bool ok = c->rank <= 2 && (cm == 1 || cm == g->m) && (cn == 1 || cn == g->n);
    if (!a->broadcast) ok = c->rank == 2 && cm == g->m && cn == g->n;
    if (!ok) {
        char cs[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'C' ('%s') has shape %s, which does not %s [M, N] = [%lld, %lld]",
                           obn_in_name(ctx, IN_C), obn_shape_str(c->rank, c->dims, cs, sizeof cs),
                           a->broadcast ? "broadcast to" : "equal (broadcast=0)", (long long)g->m, (long long)g->n);
    }
    if (cm == g->m && cn == g->n && g->m > 1 && g->n > 1) g->form = C_FULL;
    else if (cn == g->n && g->n > 1) g->form = C_COLS; /* [N] or [1, N] */
    else if (cm == g->m && g->m > 1) g->form = C_ROWS; /* [M, 1] */
    else g->form = C_COLS;                              /* one value (or M = N = 1) */
    return OBN_OK;
}

static obn_status gemm_geometry(const obn_op_ctx *ctx, gemm_geom *g)
{
    const gemm_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, IN_A, "A", OBN_FLOAT32_ONLY));
    OBN_TRY(obn_check_same_dtype(ctx, IN_B, "B", IN_A, "A"));
    if (obn_has_input(ctx, IN_C)) OBN_TRY(obn_check_same_dtype(ctx, IN_C, "C", IN_A, "A"));
    OBN_TRY(obn_check_rank(ctx, IN_A, "A", 2, 2));
    OBN_TRY(obn_check_rank(ctx, IN_B, "B", 2, 2));
    const obn_tensor *ta = ctx->inputs[IN_A], *tb = ctx->inputs[IN_B];
    g->m = ta->dims[a->trans_a ? 1 : 0];
    g->k = ta->dims[a->trans_a ? 0 : 1];
    g->n = tb->dims[a->trans_b ? 0 : 1];
    int64_t kb = tb->dims[a->trans_b ? 1 : 0];
    if (kb != g->k) {
        char as[OBN_SHAPE_STR_CAP], bs[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "inner dimensions differ: input 'A' ('%s') %s with transA=%d gives K=%lld, input 'B' ('%s') "
                           "%s with transB=%d gives K=%lld",
                           obn_in_name(ctx, IN_A), obn_shape_str(2, ta->dims, as, sizeof as), a->trans_a,
                           (long long)g->k, obn_in_name(ctx, IN_B), obn_shape_str(2, tb->dims, bs, sizeof bs),
                           a->trans_b, (long long)kb);
    }
    return c_geometry(ctx, g);
}

static obn_status gemm_infer(obn_op_ctx *ctx)
{
    gemm_geom g;
    OBN_TRY(gemm_geometry(ctx, &g));
    int64_t dims[2] = {g.m, g.n};
    return obn_set_output(ctx, 0, OBN_FLOAT, 2, dims);
}

typedef struct {
    gemm_geom g;
    obn_sgemm_packed *packed_b;
    float *bias;         /* beta*C per column (N) or per row (M) */
    bool bias_ready;     /* C was constant */
    size_t workspace_bytes;
} gemm_state;

static void gemm_free_state(void *p)
{
    gemm_state *st = p;
    if (!st) return;
    obn_sgemm_packed_free(st->packed_b);
    free(st->bias);
    free(st);
}

/* bias[i] = beta * C broadcast along the row or column. */
static void fill_bias(const obn_op_ctx *ctx, gemm_state *st)
{
    const gemm_attrs *a = ctx->attrs;
    const obn_tensor *c = ctx->inputs[IN_C];
    const float *cv = c->data;
    int64_t len = st->g.form == C_ROWS ? st->g.m : st->g.n;
    for (int64_t i = 0; i < len; i++) st->bias[i] = a->beta * (c->numel == 1 ? cv[0] : cv[i]);
}

/* The SGEMM call for this node (Y, A, B from the context). */
static obn_sgemm_call make_call(const obn_op_ctx *ctx, const gemm_state *st)
{
    const gemm_attrs *a = ctx->attrs;
    const obn_tensor *ta = ctx->inputs[IN_A], *tb = ctx->inputs[IN_B];
    obn_sgemm_call c = {.m = st->g.m, .n = st->g.n, .k = st->g.k, .alpha = a->alpha, .ldc = st->g.n};
    c.c = ctx->outputs[0]->data;
    c.a = (obn_sgemm_operand){ta->data, ta->dims[1], a->trans_a, NULL};
    c.b = (obn_sgemm_operand){tb->data, tb->dims[1], a->trans_b, st->packed_b};
    c.beta = st->g.form == C_FULL ? a->beta : 0.0f;
    if ((st->g.form == C_COLS || st->g.form == C_ROWS) && a->beta != 0.0f) {
        c.ep.bias_kind = st->g.form == C_ROWS ? OBN_BIAS_ROW : OBN_BIAS_COL;
        c.ep.bias = st->bias;
    }
    obn_epilogue_act act = obn_node_epilogue_act(ctx->node);
    c.ep.clamp = act.clamp;
    c.ep.lo = act.lo;
    c.ep.hi = act.hi;
    c.ep.leaky = act.leaky;
    c.ep.slope = act.slope;
    return c;
}

static obn_status gemm_prepare(obn_op_ctx *ctx, void **state)
{
    gemm_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    obn_status s = gemm_geometry(ctx, &st->g);
    const obn_tensor *tb = ctx->inputs[IN_B];
    const gemm_attrs *a = ctx->attrs;
    if (s == OBN_OK && tb->data && st->g.k > 0 && st->g.n > 0 &&
        !(st->packed_b = obn_sgemm_pack_b(st->g.k, st->g.n, tb->data, tb->dims[1], a->trans_b)))
        s = OBN_OOM();
    if (s == OBN_OK && (st->g.form == C_COLS || st->g.form == C_ROWS)) {
        int64_t len = st->g.form == C_ROWS ? st->g.m : st->g.n;
        if (!(st->bias = malloc((size_t)(len ? len : 1) * sizeof(float)))) s = OBN_OOM();
        else if (ctx->inputs[IN_C]->data) {
            fill_bias(ctx, st);
            st->bias_ready = true;
        }
    }
    if (s != OBN_OK) {
        gemm_free_state(st);
        return s;
    }
    obn_sgemm_call c = make_call(ctx, st);
    st->workspace_bytes = obn_sgemm_workspace_size(&c, ctx->threads);
    *state = st;
    return OBN_OK;
}

static size_t gemm_workspace(const obn_op_ctx *ctx)
{
    const gemm_state *st = ctx->state;
    return st ? st->workspace_bytes : 0;
}

static obn_status gemm_run(obn_op_ctx *ctx)
{
    gemm_state *st = ctx->state;
    const gemm_attrs *a = ctx->attrs;
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    if (!st->bias_ready && st->bias) fill_bias(ctx, st);
    if (st->g.form == C_FULL && a->beta != 0.0f) memcpy(y->data, ctx->inputs[IN_C]->data, y->nbytes);
    obn_sgemm_call c = make_call(ctx, st);
    int rc = obn_sgemm_run(&c, ctx->workspace, st->workspace_bytes, ctx->threads);
    if (rc == OBN_SGEMM_E_NOMEM) return OBN_OOM();
    if (rc) return obn_ctx_err(ctx, OBN_E_RUNTIME, "SGEMM rejected its arguments (M=%lld N=%lld K=%lld)",
                               (long long)c.m, (long long)c.n, (long long)c.k);
    return OBN_OK;
}

static const int versions[] = {1, 6, 7, 9, 11, 13, 0};
static const char *const attr_names[] = {"alpha", "beta", "transA", "transB", "broadcast", NULL};

static const obn_op_sig gemm_sigs[] = {{1, "A B C", "Y"}, {11, "A B ?C", "Y"}, {0}};

static double gemm_flops(const obn_op_ctx *ctx)
{
    const gemm_state *st = ctx->state;
    return st ? 2.0 * (double)st->g.m * (double)st->g.n * (double)st->g.k : 0.0;
}

const obn_op obn_op_gemm = {
    .domain = "",
    .op_type = "Gemm",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = gemm_sigs,
    .attrs_size = sizeof(gemm_attrs),
    .parse = gemm_parse,
    .infer = gemm_infer,
    .run = gemm_run,
    .prepare = gemm_prepare,
    .free_state = gemm_free_state,
    .workspace = gemm_workspace,
    .flops = gemm_flops,
};
OBN_REGISTER_OP(obn_op_gemm);
