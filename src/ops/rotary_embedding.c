/* RotaryEmbedding (23): X [B, H, S, D] or [B, S, H*D] (3-D needs
 * num_heads); the first rotary_embedding_dim (default D) elements of each
 * head vector are rotated by the angles of its position
 * (src/kernels/rotary.h). With position_ids [B, S] the caches are
 * [max_position, C] and row position_ids[b, s] is used; without, they are
 * [B, S, C]. The first rotary_embedding_dim / 2 of the C columns are the
 * cosines and sines. A position outside the caches is an error at run time
 * (it is data).
 *
 * Types: float, float16, bfloat16 (the 16-bit types computed in float). */
#include <stdlib.h>
#include <string.h>

#include "kernels/rotary.h"
#include "op_helpers.h"

typedef struct {
    bool interleaved;
    int64_t num_heads, rotary_dim;
} rotary_attrs;

typedef struct {
    int64_t b, h, s, d, rd, cache_rows, cache_cols;
} rotary_geom;

enum { IN_X, IN_COS, IN_SIN, IN_POS };

static obn_status rotary_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    rotary_attrs *a = out;
    int64_t inter;
    OBN_TRY(obn_attr_int_range(n, "interleaved", 0, 0, 1, &inter));
    OBN_TRY(obn_attr_int_range(n, "num_heads", 0, 0, INT64_MAX, &a->num_heads));
    OBN_TRY(obn_attr_int_range(n, "rotary_embedding_dim", 0, 0, INT64_MAX, &a->rotary_dim));
    a->interleaved = inter != 0;
    return OBN_OK;
}

static obn_status rotary_geometry(const obn_op_ctx *ctx, rotary_geom *g)
{
    const rotary_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[IN_X], *c = ctx->inputs[IN_COS], *s = ctx->inputs[IN_SIN];
    char sh[OBN_SHAPE_STR_CAP];
    obn_shape_str(x->rank, x->dims, sh, sizeof sh);
    if (x->rank == 4) {
        g->b = x->dims[0];
        g->h = x->dims[1];
        g->s = x->dims[2];
        g->d = x->dims[3];
    } else if (x->rank == 3) {
        if (a->num_heads <= 0 || x->dims[2] % a->num_heads != 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') is 3-D %s: attribute 'num_heads' (%lld) must be set and divide %lld",
                               obn_in_name(ctx, IN_X), sh, (long long)a->num_heads, (long long)x->dims[2]);
        g->b = x->dims[0];
        g->s = x->dims[1];
        g->h = a->num_heads;
        g->d = x->dims[2] / a->num_heads;
    } else {
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s; expected 3-D or 4-D",
                           obn_in_name(ctx, IN_X), sh);
    }
    g->rd = a->rotary_dim ? a->rotary_dim : g->d;
    if (g->rd % 2 != 0 || g->rd > g->d)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "rotary dimension %lld must be even and at most the head size %lld",
                           (long long)g->rd, (long long)g->d);
    bool pos = obn_has_input(ctx, IN_POS);
    char cs[OBN_SHAPE_STR_CAP];
    obn_shape_str(c->rank, c->dims, cs, sizeof cs);
    bool ok = c->rank == (pos ? 2 : 3) && c->dims[c->rank - 1] >= g->rd / 2 &&
              (pos || (c->dims[0] == g->b && c->dims[1] == g->s));
    if (!ok)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'cos_cache' ('%s') has shape %s; expected %s with at least %lld columns",
                           obn_in_name(ctx, IN_COS), cs, pos ? "[max_position, C]" : "[batch, sequence, C]",
                           (long long)(g->rd / 2));
    if (s->rank != c->rank || memcmp(s->dims, c->dims, (size_t)c->rank * sizeof *c->dims) != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs 'sin_cache' ('%s') and 'cos_cache' ('%s') differ in shape",
                           obn_in_name(ctx, IN_SIN), obn_in_name(ctx, IN_COS));
    g->cache_rows = pos ? c->dims[0] : g->b * g->s;
    g->cache_cols = c->dims[c->rank - 1];
    if (pos) {
        const obn_tensor *p = ctx->inputs[IN_POS];
        if (p->rank != 2 || p->dims[0] != g->b || p->dims[1] != g->s)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'position_ids' ('%s') must have shape [%lld, %lld]",
                               obn_in_name(ctx, IN_POS), (long long)g->b, (long long)g->s);
    }
    return OBN_OK;
}

static obn_status rotary_infer(obn_op_ctx *ctx)
{
    static const obn_dtype types[] = {OBN_FLOAT, OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};
    static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, IN_X, "X", types));
    OBN_TRY(obn_check_same_dtype(ctx, IN_COS, "cos_cache", IN_X, "X"));
    OBN_TRY(obn_check_same_dtype(ctx, IN_SIN, "sin_cache", IN_X, "X"));
    if (obn_has_input(ctx, IN_POS)) OBN_TRY(obn_check_input_dtype(ctx, IN_POS, "position_ids", i64));
    rotary_geom g;
    OBN_TRY(rotary_geometry(ctx, &g));
    const obn_tensor *x = ctx->inputs[IN_X];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static size_t rotary_workspace(const obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[IN_X];
    if (x->dtype == OBN_FLOAT) return 0;
    return (size_t)(2 * x->numel + ctx->inputs[IN_COS]->numel + ctx->inputs[IN_SIN]->numel) * sizeof(float);
}

static const float *as_float(const obn_tensor *t, float *buf)
{
    if (t->dtype == OBN_FLOAT) return t->data;
    for (int64_t i = 0; i < t->numel; i++) buf[i] = (float)obn_load_f64(t, i);
    return buf;
}

static obn_status rotary_run(obn_op_ctx *ctx)
{
    const rotary_attrs *a = ctx->attrs;
    rotary_geom g;
    OBN_TRY(rotary_geometry(ctx, &g));
    const obn_tensor *x = ctx->inputs[IN_X];
    obn_tensor *y = ctx->outputs[0];
    const int64_t *pos = obn_has_input(ctx, IN_POS) ? ctx->inputs[IN_POS]->data : NULL;
    for (int64_t i = 0; pos && i < g.b * g.s; i++)
        if (pos[i] < 0 || pos[i] >= g.cache_rows)
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "input 'position_ids' ('%s') value %lld at [%lld, %lld] is outside the %lld cache rows",
                               obn_in_name(ctx, IN_POS), (long long)pos[i], (long long)(i / g.s), (long long)(i % g.s),
                               (long long)g.cache_rows);
    /* float X (and so float caches: same dtype) needs no workspace, and
     * ctx->workspace may then be NULL: no offsets from it */
    float *ws = ctx->workspace;
    bool conv = x->dtype != OBN_FLOAT;
    const float *xf = as_float(x, ws);
    float *yf = conv ? ws + x->numel : y->data;
    const float *cf = as_float(ctx->inputs[IN_COS], conv ? ws + 2 * x->numel : NULL);
    const float *sf = as_float(ctx->inputs[IN_SIN], conv ? ws + 2 * x->numel + ctx->inputs[IN_COS]->numel : NULL);
    bool x3 = x->rank == 3;
    int64_t vectors = g.b * g.h * g.s;
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (vectors * g.d > 16384)
    for (int64_t v = 0; v < vectors; v++) {
        /* v enumerates (b, h, s) */
        int64_t b = v / (g.h * g.s), h = v / g.s % g.h, s = v % g.s;
        int64_t off = x3 ? (b * g.s + s) * g.h * g.d + h * g.d : v * g.d;
        int64_t row = pos ? pos[b * g.s + s] : b * g.s + s;
        obn_rotary_vector_f32(xf + off, yf + off, cf + row * g.cache_cols, sf + row * g.cache_cols, g.rd, g.d,
                              a->interleaved);
    }
    if (x->dtype != OBN_FLOAT)
        for (int64_t i = 0; i < y->numel; i++) obn_store_f64(y, i, yf[i]);
    return OBN_OK;
}

static const int versions[] = {23, 0};
static const char *const attr_names[] = {"interleaved", "num_heads", "rotary_embedding_dim", NULL};
static const obn_op_sig rotary_sigs[] = {{23, "X cos_cache sin_cache ?position_ids", "Y"}, {0}};

const obn_op obn_op_rotary_embedding = {
    .domain = "",
    .op_type = "RotaryEmbedding",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = rotary_sigs,
    .attrs_size = sizeof(rotary_attrs),
    .parse = rotary_parse,
    .infer = rotary_infer,
    .run = rotary_run,
    .workspace = rotary_workspace,
};
OBN_REGISTER_OP(obn_op_rotary_embedding);
