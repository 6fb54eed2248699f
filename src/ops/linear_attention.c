/* LinearAttention (27): recurrent linear attention over packed inputs
 * query [B, T, Hq*dk], key [B, T, Hkv*dk], value [B, T, Hkv*dv]
 * (q_num_heads = Hq and kv_num_heads = Hkv are required; Hq a multiple of
 * Hkv, query head h reading state h / (Hq/Hkv)). Per batch and KV head the
 * state S [dk, dv] starts at past_state [B, Hkv, dk, dv] (zeros when
 * absent) and for t = 0..T-1 follows update_rule:
 *   linear:      S = S + k v^T
 *   gated:       S = e^g S + k v^T
 *   delta:       S = S + beta k (v - S^T k)^T
 *   gated_delta: S = e^g S + beta k (v - (e^g S)^T k)^T   (the default)
 * then o_t = scale * S^T q_t for each query head (output [B, T, Hq*dv]).
 * decay g (log-space) is [B, T, Hkv*dk] (one gate per key row of S) or
 * [B, T, Hkv] (one per head); beta is [B, T, Hkv] or [B, T, 1]. scale 0
 * (the default) means 1/sqrt(dk). present_state is the final S. chunk_size
 * only tunes blocked implementations: the recurrence is evaluated step by
 * step here, in double. Types: float, float16, bfloat16 (the state may
 * have its own). */
#include <math.h>
#include <string.h>

#include "op_helpers.h"

typedef enum { LA_LINEAR, LA_GATED, LA_DELTA, LA_GATED_DELTA } la_rule;

typedef struct {
    la_rule rule;
    int64_t q_heads, kv_heads;
    float scale;
} la_attrs;

static obn_status la_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    la_attrs *a = out;
    static const char *const rules[] = {"linear", "gated", "delta", "gated_delta"};
    const char *r;
    int64_t chunk;
    OBN_TRY(obn_attr_get_string(n, "update_rule", "gated_delta", &r));
    a->rule = (la_rule)-1;
    for (int i = 0; i < 4; i++)
        if (strcmp(r, rules[i]) == 0) a->rule = (la_rule)i;
    if ((int)a->rule < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'update_rule' is '%s'; expected linear, gated, delta or gated_delta", r);
    if (!obn_node_attr(n, "q_num_heads") || !obn_node_attr(n, "kv_num_heads"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'q_num_heads' and 'kv_num_heads' are required");
    OBN_TRY(obn_attr_int_range(n, "q_num_heads", 1, 1, (int64_t)1 << 20, &a->q_heads));
    OBN_TRY(obn_attr_int_range(n, "kv_num_heads", 1, 1, (int64_t)1 << 20, &a->kv_heads));
    OBN_TRY(obn_attr_int_range(n, "chunk_size", 64, 1, INT64_MAX, &chunk));
    OBN_TRY(obn_attr_get_float(n, "scale", 0.0f, &a->scale));
    if (a->q_heads % a->kv_heads != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "q_num_heads %lld is not a multiple of kv_num_heads %lld", (long long)a->q_heads,
                            (long long)a->kv_heads);
    return OBN_OK;
}

typedef struct {
    int64_t B, T, dk, dv;
    bool decay_per_row, beta_per_head;
} la_geom;

static const obn_dtype la_types[] = {OBN_FLOAT, OBN_FLOAT16, OBN_BFLOAT16, OBN_UNDEFINED};

/* A [B, T, n] input whose last dim is one of the two allowed sizes; *first
 * tells which. */
static obn_status gate_shape(const obn_op_ctx *ctx, int k, const char *role, const la_geom *g, int64_t n1, int64_t n2, bool *first)
{
    OBN_TRY(obn_check_same_dtype(ctx, k, role, 0, "query"));
    const obn_tensor *t = ctx->inputs[k];
    if (t->rank == 3 && t->dims[0] == g->B && t->dims[1] == g->T && (t->dims[2] == n1 || t->dims[2] == n2)) {
        *first = t->dims[2] == n1;
        return OBN_OK;
    }
    char s[OBN_SHAPE_STR_CAP];
    return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected [%lld, %lld, %lld or %lld]", role,
                       obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, s, sizeof s), (long long)g->B, (long long)g->T,
                       (long long)n1, (long long)n2);
}

static obn_status la_geometry(const obn_op_ctx *ctx, la_geom *g)
{
    const la_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "query", la_types));
    for (int k = 0; k < 3; k++) OBN_TRY(obn_check_rank(ctx, k, k == 0 ? "query" : k == 1 ? "key" : "value", 3, 3));
    OBN_TRY(obn_check_same_dtype(ctx, 1, "key", 0, "query"));
    OBN_TRY(obn_check_same_dtype(ctx, 2, "value", 0, "query"));
    const obn_tensor *q = ctx->inputs[0], *k = ctx->inputs[1], *v = ctx->inputs[2];
    g->B = q->dims[0];
    g->T = q->dims[1];
    g->dk = k->dims[2] / a->kv_heads;
    g->dv = v->dims[2] / a->kv_heads;
    char sq[OBN_SHAPE_STR_CAP], sk[OBN_SHAPE_STR_CAP], sv[OBN_SHAPE_STR_CAP];
    if (k->dims[0] != g->B || v->dims[0] != g->B || k->dims[1] != g->T || v->dims[1] != g->T || g->dk < 1 || g->dv < 1 ||
        k->dims[2] != g->dk * a->kv_heads || v->dims[2] != g->dv * a->kv_heads || q->dims[2] != g->dk * a->q_heads)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "query %s, key %s and value %s do not split into %lld query and %lld key/value heads",
                           obn_shape_str(3, q->dims, sq, sizeof sq), obn_shape_str(3, k->dims, sk, sizeof sk),
                           obn_shape_str(3, v->dims, sv, sizeof sv), (long long)a->q_heads, (long long)a->kv_heads);
    bool gated = a->rule == LA_GATED || a->rule == LA_GATED_DELTA, delta = a->rule == LA_DELTA || a->rule == LA_GATED_DELTA;
    if (gated && !obn_has_input(ctx, 4))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "update_rule %s needs input 'decay'", a->rule == LA_GATED ? "gated" : "gated_delta");
    if (delta && !obn_has_input(ctx, 5))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "update_rule %s needs input 'beta'", a->rule == LA_DELTA ? "delta" : "gated_delta");
    if (gated) OBN_TRY(gate_shape(ctx, 4, "decay", g, a->kv_heads * g->dk, a->kv_heads, &g->decay_per_row));
    if (delta) OBN_TRY(gate_shape(ctx, 5, "beta", g, a->kv_heads, 1, &g->beta_per_head));
    if (obn_has_input(ctx, 3)) {
        OBN_TRY(obn_check_input_dtype(ctx, 3, "past_state", la_types));
        const obn_tensor *s = ctx->inputs[3];
        if (s->rank != 4 || s->dims[0] != g->B || s->dims[1] != a->kv_heads || s->dims[2] != g->dk || s->dims[3] != g->dv) {
            char ss[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'past_state' ('%s') has shape %s; expected [%lld, %lld, %lld, %lld]",
                               obn_in_name(ctx, 3), obn_shape_str(s->rank, s->dims, ss, sizeof ss), (long long)g->B,
                               (long long)a->kv_heads, (long long)g->dk, (long long)g->dv);
        }
    }
    return OBN_OK;
}

static obn_status la_infer(obn_op_ctx *ctx)
{
    const la_attrs *a = ctx->attrs;
    la_geom g;
    OBN_TRY(la_geometry(ctx, &g));
    const int64_t od[3] = {g.B, g.T, a->q_heads * g.dv}, sd[4] = {g.B, a->kv_heads, g.dk, g.dv};
    obn_dtype state_type = obn_has_input(ctx, 3) ? ctx->inputs[3]->dtype : ctx->inputs[0]->dtype;
    OBN_TRY(obn_set_output(ctx, 0, ctx->inputs[0]->dtype, 3, od));
    return obn_set_output(ctx, 1, state_type, 4, sd);
}

/* The state S [dk][dv] and the vector S^T k [dv], in double. */
static size_t la_workspace(const obn_op_ctx *ctx)
{
    la_geom g;
    if (la_geometry(ctx, &g) != OBN_OK) return 0;
    return (size_t)(g.dk * g.dv + g.dv) * sizeof(double);
}

/* One step of the rule on S for key row k (dk values, offset ko in key),
 * value v (offset vo), decay at go (per row or per head), beta b. */
static void la_step(const la_attrs *a, const la_geom *g, double *S, double *skv, const obn_tensor *key, int64_t ko,
                    const obn_tensor *val, int64_t vo, const obn_tensor *decay, int64_t go, double beta)
{
    int64_t dk = g->dk, dv = g->dv;
    if (a->rule == LA_GATED || a->rule == LA_GATED_DELTA)
        for (int64_t i = 0; i < dk; i++) {
            double e = exp(obn_load_f64(decay, go + (g->decay_per_row ? i : 0)));
            for (int64_t j = 0; j < dv; j++) S[i * dv + j] *= e;
        }
    bool delta = a->rule == LA_DELTA || a->rule == LA_GATED_DELTA;
    for (int64_t j = 0; j < dv; j++) {
        double kv = 0;
        for (int64_t i = 0; delta && i < dk; i++) kv += S[i * dv + j] * obn_load_f64(key, ko + i);
        skv[j] = delta ? beta * (obn_load_f64(val, vo + j) - kv) : obn_load_f64(val, vo + j);
    }
    for (int64_t i = 0; i < dk; i++) {
        double ki = obn_load_f64(key, ko + i);
        for (int64_t j = 0; j < dv; j++) S[i * dv + j] += ki * skv[j];
    }
}

static obn_status la_run(obn_op_ctx *ctx)
{
    const la_attrs *a = ctx->attrs;
    la_geom g;
    OBN_TRY(la_geometry(ctx, &g));
    const obn_tensor *q = ctx->inputs[0], *key = ctx->inputs[1], *val = ctx->inputs[2];
    const obn_tensor *past = obn_has_input(ctx, 3) ? ctx->inputs[3] : NULL, *decay = obn_has_input(ctx, 4) ? ctx->inputs[4] : NULL;
    const obn_tensor *beta = obn_has_input(ctx, 5) ? ctx->inputs[5] : NULL;
    obn_tensor *y = ctx->outputs[0], *present = obn_has_output(ctx, 1) ? ctx->outputs[1] : NULL;
    int64_t H = a->kv_heads, Hq = a->q_heads, group = Hq / H, dk = g.dk, dv = g.dv, ss = dk * dv;
    double scale = a->scale != 0 ? a->scale : 1.0 / sqrt((double)dk);
    double *S = ctx->workspace, *skv = S + ss;
    for (int64_t b = 0; b < g.B; b++)
        for (int64_t h = 0; h < H; h++) {
            int64_t so = (b * H + h) * ss;
            for (int64_t i = 0; i < ss; i++) S[i] = past ? obn_load_f64(past, so + i) : 0.0;
            for (int64_t t = 0; t < g.T; t++) {
                int64_t bt = b * g.T + t;
                int64_t go = decay ? bt * decay->dims[2] + (g.decay_per_row ? h * dk : h) : 0;
                double bv = beta ? obn_load_f64(beta, bt * beta->dims[2] + (g.beta_per_head ? h : 0)) : 1.0;
                la_step(a, &g, S, skv, key, (bt * H + h) * dk, val, (bt * H + h) * dv, decay, go, bv);
                for (int64_t r = 0; r < group; r++) { /* the query heads of this KV head */
                    int64_t hq = h * group + r, qo = (bt * Hq + hq) * dk, yo = (bt * Hq + hq) * dv;
                    for (int64_t j = 0; j < dv; j++) {
                        double o = 0;
                        for (int64_t i = 0; i < dk; i++) o += S[i * dv + j] * obn_load_f64(q, qo + i);
                        obn_store_f64(y, yo + j, scale * o);
                    }
                }
            }
            for (int64_t i = 0; present && i < ss; i++) obn_store_f64(present, so + i, S[i]);
        }
    return OBN_OK;
}

static const int versions[] = {27, 0};
static const char *const attr_names[] = {"chunk_size", "kv_num_heads", "q_num_heads", "scale", "update_rule", NULL};
static const obn_op_sig la_sigs[] = {{27, "query key value ?past_state ?decay ?beta", "output present_state"}, {0}};

const obn_op obn_op_linear_attention = {
    .domain = "",
    .op_type = "LinearAttention",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = la_sigs,
    .attrs_size = sizeof(la_attrs),
    .parse = la_parse,
    .infer = la_infer,
    .run = la_run,
    .workspace = la_workspace,
};
OBN_REGISTER_OP(obn_op_linear_attention);
