/* Attention (23, 24): scaled dot-product attention with grouped key/value
 * heads, as the spec's function body (with the 1.23 errata) computes it.
 *
 * Shapes: Q [B, Hq, Sq, Dk] or [B, Sq, Hq*Dk] (3-D needs q_num_heads),
 * K [B, Hkv, Skv, Dk] or [B, Skv, Hkv*Dk], V [B, Hkv, Skv, Dv] or
 * [B, Skv, Hkv*Dv] (3-D needs kv_num_heads); Hq a multiple of Hkv, query
 * head h reading key/value head h / (Hq / Hkv). past_key/past_value
 * [B, Hkv, Sp, D] are prepended to K/V (present_key/present_value, the
 * T = Sp + Skv keys). Y has Q's layout with Dv; qk_matmul_output
 * [B, Hq, Sq, T] is the scores after the QK product (mode 0), the softcap
 * (1), the bias (2) or the softmax (3).
 *
 * Scores: scale (default 1/sqrt(Dk)) * Q K^T, softcap * tanh(S / softcap)
 * when softcap != 0, plus the bias: attn_mask broadcast to [B, Hq, Sq, T]
 * (bool: false -> -inf; other types add their value); key j is masked for
 * query i when is_causal and j > i + Sp (bottom-right aligned with the
 * cache). Version 24: a mask with fewer than T columns counts the missing
 * ones as masked, and nonpad_kv_seqlen[b] masks keys j >= nonpad[b] with the
 * causal offset nonpad[b] - Sq (it cannot be combined with past_key). Rows
 * with every key masked give probability 0 (errata: not NaN).
 *
 * Types: T1 (Q, K, past_key, Y, present_key, qk_matmul_output) and T2 (V,
 * past_value, present_value) float16/bfloat16/float/double; computed in
 * double when T1 or T2 is double, otherwise in float (softmax_precision
 * asks for at least that much). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention.h"
#include "op_helpers.h"

typedef struct {
    bool causal, has_scale;
    int64_t q_heads, kv_heads, mode;
    float scale, softcap;
} attention_attrs;

enum { IN_Q, IN_K, IN_V, IN_MASK, IN_PAST_K, IN_PAST_V, IN_NONPAD };
enum { OUT_Y, OUT_PRESENT_K, OUT_PRESENT_V, OUT_QK };

/* The geometry of a node's inputs. */
typedef struct {
    int64_t b, hq, hkv, sq, skv, sp, t, dk, dv;
    int64_t mask_stride[4]; /* over [B, Hq, Sq, L]; 0 where broadcast */
    int64_t mask_len;       /* L: columns the mask covers */
    obn_dtype ct;           /* compute type */
} attn_geom;

static obn_status attention_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    attention_attrs *a = out;
    int64_t causal, precision;
    OBN_TRY(obn_attr_int_range(n, "is_causal", 0, 0, 1, &causal));
    OBN_TRY(obn_attr_int_range(n, "q_num_heads", 0, 0, INT64_MAX, &a->q_heads));
    OBN_TRY(obn_attr_int_range(n, "kv_num_heads", 0, 0, INT64_MAX, &a->kv_heads));
    OBN_TRY(obn_attr_int_range(n, "qk_matmul_output_mode", 0, 0, 3, &a->mode));
    OBN_TRY(obn_attr_get_float(n, "softcap", 0, &a->softcap));
    a->has_scale = obn_node_attr(n, "scale") != NULL;
    OBN_TRY(obn_attr_get_float(n, "scale", 1, &a->scale));
    OBN_TRY(obn_attr_get_int(n, "softmax_precision", OBN_FLOAT, &precision));
    if (precision != OBN_FLOAT && precision != OBN_FLOAT16 && precision != OBN_DOUBLE && precision != OBN_BFLOAT16)
        return obn_node_err(n, OBN_E_INVALID_MODEL,
                            "attribute 'softmax_precision' is %lld; expected a float type (1, 10, 11 or 16)",
                            (long long)precision);
    a->causal = causal != 0;
    return OBN_OK;
}

/* Heads and head size of Q, K or V: 4-D [B, H, S, D] or 3-D [B, S, H*D]
 * with `heads` from the attribute `attr`. */
static obn_status split_heads(const obn_op_ctx *ctx, int k, const char *role, int64_t heads, const char *attr,
                              int64_t *h, int64_t *s, int64_t *d)
{
    const obn_tensor *t = ctx->inputs[k];
    char sh[OBN_SHAPE_STR_CAP];
    obn_shape_str(t->rank, t->dims, sh, sizeof sh);
    if (t->rank == 4) {
        *h = t->dims[1];
        *s = t->dims[2];
        *d = t->dims[3];
        return OBN_OK;
    }
    if (t->rank != 3)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected 3-D or 4-D", role,
                           obn_in_name(ctx, k), sh);
    if (heads <= 0 || t->dims[2] % heads != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') is 3-D %s: attribute '%s' (%lld) must be set and divide %lld",
                           role, obn_in_name(ctx, k), sh, attr, (long long)heads, (long long)t->dims[2]);
    *h = heads;
    *s = t->dims[1];
    *d = t->dims[2] / heads;
    return OBN_OK;
}

static obn_status check_past(const obn_op_ctx *ctx, int k, const char *role, const attn_geom *g, int64_t d,
                             int64_t *sp)
{
    const obn_tensor *t = ctx->inputs[k];
    if (t->rank != 4 || t->dims[0] != g->b || t->dims[1] != g->hkv || t->dims[3] != d || (*sp >= 0 && t->dims[2] != *sp)) {
        char sh[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' ('%s') has shape %s; expected [%lld, %lld, past, %lld]",
                           role, obn_in_name(ctx, k), obn_shape_str(t->rank, t->dims, sh, sizeof sh), (long long)g->b,
                           (long long)g->hkv, (long long)d);
    }
    *sp = t->dims[2];
    return OBN_OK;
}

/* attn_mask broadcast to [B, Hq, Sq, L]. */
static obn_status mask_geometry(const obn_op_ctx *ctx, attn_geom *g)
{
    const obn_tensor *m = ctx->inputs[IN_MASK];
    char sh[OBN_SHAPE_STR_CAP];
    obn_shape_str(m->rank, m->dims, sh, sizeof sh);
    if (m->rank < 1 || m->rank > 4)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'attn_mask' ('%s') has shape %s; expected rank 1 to 4",
                           obn_in_name(ctx, IN_MASK), sh);
    int64_t len = m->dims[m->rank - 1];
    bool v24 = ctx->since_version >= 24;
    if (v24 ? len > g->t : len != 1 && len != g->t)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'attn_mask' ('%s') has %lld columns for %lld keys%s",
                           obn_in_name(ctx, IN_MASK), (long long)len, (long long)g->t,
                           v24 ? " (at most that many)" : " (expected that many or 1)");
    const int64_t target[3] = {g->b, g->hq, g->sq};
    int64_t stride = len;
    g->mask_stride[3] = v24 || len == g->t ? 1 : 0;
    g->mask_len = v24 ? len : g->t;
    for (int d = 2; d >= 0; d--) {
        int md = m->rank - 4 + d;
        int64_t size = md >= 0 ? m->dims[md] : 1;
        if (size != 1 && size != target[d])
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'attn_mask' ('%s') shape %s does not broadcast to [%lld, %lld, %lld, %lld]",
                               obn_in_name(ctx, IN_MASK), sh, (long long)g->b, (long long)g->hq, (long long)g->sq,
                               (long long)g->t);
        g->mask_stride[d] = size == 1 ? 0 : stride;
        stride *= size;
    }
    return OBN_OK;
}

static obn_status geometry(const obn_op_ctx *ctx, attn_geom *g)
{
    const attention_attrs *a = ctx->attrs;
    const obn_tensor *q = ctx->inputs[IN_Q], *k = ctx->inputs[IN_K], *v = ctx->inputs[IN_V];
    int64_t hk, sk, dk2, hv, sv;
    OBN_TRY(split_heads(ctx, IN_Q, "Q", a->q_heads, "q_num_heads", &g->hq, &g->sq, &g->dk));
    OBN_TRY(split_heads(ctx, IN_K, "K", a->kv_heads, "kv_num_heads", &hk, &sk, &dk2));
    OBN_TRY(split_heads(ctx, IN_V, "V", a->kv_heads, "kv_num_heads", &hv, &sv, &g->dv));
    g->b = q->dims[0];
    g->hkv = hk;
    g->skv = sk;
    if (k->dims[0] != g->b || v->dims[0] != g->b || dk2 != g->dk || hv != hk || sv != sk)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "Q, K and V do not match: batch %lld/%lld/%lld, key heads %lld/%lld, "
                           "head size of Q %lld and K %lld, key length of K %lld and V %lld",
                           (long long)g->b, (long long)k->dims[0], (long long)v->dims[0], (long long)hk, (long long)hv,
                           (long long)g->dk, (long long)dk2, (long long)sk, (long long)sv);
    if (hk <= 0 || g->hq % hk != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "%lld query heads are not a multiple of %lld key/value heads",
                           (long long)g->hq, (long long)hk);
    g->sp = 0;
    if (obn_has_input(ctx, IN_PAST_K) != obn_has_input(ctx, IN_PAST_V))
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs 'past_key' and 'past_value' must be given together");
    if (obn_has_input(ctx, IN_PAST_K)) {
        int64_t sp = -1;
        OBN_TRY(check_past(ctx, IN_PAST_K, "past_key", g, g->dk, &sp));
        OBN_TRY(check_past(ctx, IN_PAST_V, "past_value", g, g->dv, &sp));
        g->sp = sp;
    }
    g->t = g->sp + g->skv;
    if (obn_has_input(ctx, IN_NONPAD)) {
        const obn_tensor *np = ctx->inputs[IN_NONPAD];
        if (np->rank != 1 || np->dims[0] != g->b)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'nonpad_kv_seqlen' ('%s') must have shape [%lld]",
                               obn_in_name(ctx, IN_NONPAD), (long long)g->b);
        if (obn_has_input(ctx, IN_PAST_K))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'nonpad_kv_seqlen' cannot be combined with 'past_key' "
                                                         "(the cache is then managed outside)");
    }
    if (obn_has_input(ctx, IN_MASK)) OBN_TRY(mask_geometry(ctx, g));
    g->ct = q->dtype == OBN_DOUBLE || v->dtype == OBN_DOUBLE ? OBN_DOUBLE : OBN_FLOAT;
    return OBN_OK;
}

static obn_status attention_infer(obn_op_ctx *ctx)
{
    static const obn_dtype mask_types[] = {OBN_UINT8, OBN_UINT16, OBN_UINT32,   OBN_UINT64,  OBN_INT8,
                                           OBN_INT16, OBN_INT32,  OBN_INT64,    OBN_BFLOAT16, OBN_FLOAT16,
                                           OBN_FLOAT, OBN_DOUBLE, OBN_BOOL,     OBN_UNDEFINED};
    static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, IN_Q, "Q", OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_same_dtype(ctx, IN_K, "K", IN_Q, "Q"));
    OBN_TRY(obn_check_input_dtype(ctx, IN_V, "V", OBN_FLOAT_TYPES));
    if (obn_has_input(ctx, IN_MASK)) OBN_TRY(obn_check_input_dtype(ctx, IN_MASK, "attn_mask", mask_types));
    if (obn_has_input(ctx, IN_PAST_K)) OBN_TRY(obn_check_same_dtype(ctx, IN_PAST_K, "past_key", IN_Q, "Q"));
    if (obn_has_input(ctx, IN_PAST_V)) OBN_TRY(obn_check_same_dtype(ctx, IN_PAST_V, "past_value", IN_V, "V"));
    if (obn_has_input(ctx, IN_NONPAD)) OBN_TRY(obn_check_input_dtype(ctx, IN_NONPAD, "nonpad_kv_seqlen", i64));
    attn_geom g;
    OBN_TRY(geometry(ctx, &g));
    obn_dtype t1 = ctx->inputs[IN_Q]->dtype, t2 = ctx->inputs[IN_V]->dtype;
    const int64_t y4[4] = {g.b, g.hq, g.sq, g.dv}, y3[3] = {g.b, g.sq, g.hq * g.dv};
    const int64_t pk[4] = {g.b, g.hkv, g.t, g.dk}, pv[4] = {g.b, g.hkv, g.t, g.dv}, qk[4] = {g.b, g.hq, g.sq, g.t};
    bool q3 = ctx->inputs[IN_Q]->rank == 3;
    OBN_TRY(obn_set_output(ctx, OUT_Y, t1, q3 ? 3 : 4, q3 ? y3 : y4));
    OBN_TRY(obn_set_output(ctx, OUT_PRESENT_K, t1, 4, pk));
    OBN_TRY(obn_set_output(ctx, OUT_PRESENT_V, t2, 4, pv));
    return obn_set_output(ctx, OUT_QK, t1, 4, qk);
}

/* Threads over heads (each head on one thread) or inside each head. */
static int head_slices(const obn_op_ctx *ctx, const attn_geom *g)
{
    int64_t heads = g->b * g->hq;
    return ctx->threads > 1 && heads >= ctx->threads ? ctx->threads : 1;
}

static size_t head_bytes(const obn_op_ctx *ctx, const attn_geom *g)
{
    int inner = head_slices(ctx, g) > 1 ? 1 : ctx->threads;
    size_t n = g->ct == OBN_FLOAT ? obn_attention_head_workspace_f32(g->sq, g->t, g->dk, g->dv, inner)
                                  : obn_attention_head_workspace_f64(g->sq, g->t);
    return (n + 63) & ~(size_t)63;
}

/* Compute-type buffers: Q (converted), present K and V, the bias, Y and the
 * stage output when their tensors are of another type, then the heads'. */
typedef struct {
    size_t q, pk, pv, bias, y, qk, heads, total;
} attn_layout;

static size_t block(size_t *at, int64_t elems, size_t es)
{
    size_t start = *at;
    *at += ((size_t)elems * es + 63) & ~(size_t)63;
    return start;
}

static void layout_of(const obn_op_ctx *ctx, const attn_geom *g, attn_layout *l)
{
    size_t es = g->ct == OBN_FLOAT ? sizeof(float) : sizeof(double), at = 0;
    const obn_tensor *q = ctx->inputs[IN_Q];
    bool own_pk = !obn_has_output(ctx, OUT_PRESENT_K) || ctx->outputs[OUT_PRESENT_K]->dtype != g->ct;
    bool own_pv = !obn_has_output(ctx, OUT_PRESENT_V) || ctx->outputs[OUT_PRESENT_V]->dtype != g->ct;
    l->q = block(&at, q->dtype == g->ct ? 0 : q->numel, es);
    l->pk = block(&at, own_pk ? g->b * g->hkv * g->t * g->dk : 0, es);
    l->pv = block(&at, own_pv ? g->b * g->hkv * g->t * g->dv : 0, es);
    l->bias = block(&at, obn_has_input(ctx, IN_MASK) ? ctx->inputs[IN_MASK]->numel : 0, es);
    l->y = block(&at, ctx->outputs[OUT_Y]->dtype == g->ct ? 0 : ctx->outputs[OUT_Y]->numel, es);
    l->qk = block(&at, obn_has_output(ctx, OUT_QK) && ctx->outputs[OUT_QK]->dtype != g->ct ? ctx->outputs[OUT_QK]->numel : 0, es);
    l->heads = at;
    l->total = at + (size_t)head_slices(ctx, g) * head_bytes(ctx, g);
}

static size_t attention_workspace(const obn_op_ctx *ctx)
{
    attn_geom g;
    attn_layout l;
    if (geometry(ctx, &g) != OBN_OK) return 0;
    layout_of(ctx, &g, &l);
    return l.total;
}

static void store_ct(void *buf, obn_dtype ct, int64_t i, double v)
{
    if (ct == OBN_FLOAT) ((float *)buf)[i] = (float)v;
    else ((double *)buf)[i] = v;
}

/* A compute-type view of tensor t: its data, or a converted copy in buf. */
static const void *as_compute(const obn_tensor *t, obn_dtype ct, void *buf)
{
    if (t->dtype == ct) return t->data;
    for (int64_t i = 0; i < t->numel; i++) store_ct(buf, ct, i, obn_load_f64(t, i));
    return buf;
}

/* present = [past; new] per (batch, kv head), new from a 3-D or 4-D input. */
static void fill_present(const obn_tensor *past, const obn_tensor *cur, const attn_geom *g, int64_t d, void *dst)
{
    size_t es = g->ct == OBN_FLOAT ? sizeof(float) : sizeof(double);
    for (int64_t b = 0; b < g->b; b++)
        for (int64_t h = 0; h < g->hkv; h++) {
            int64_t row0 = (b * g->hkv + h) * g->t;
            for (int64_t s = 0; s < g->t; s++) {
                const obn_tensor *src = s < g->sp ? past : cur;
                int64_t off = s < g->sp ? ((b * g->hkv + h) * g->sp + s) * d
                              : cur->rank == 4 ? ((b * g->hkv + h) * g->skv + s - g->sp) * d
                                               : (b * g->skv + s - g->sp) * g->hkv * d + h * d;
                int64_t out = (row0 + s) * d;
                if (src->dtype == g->ct) {
                    memcpy((char *)dst + (size_t)out * es, (const char *)src->data + (size_t)off * es, (size_t)d * es);
                    continue;
                }
                for (int64_t i = 0; i < d; i++) store_ct(dst, g->ct, out + i, obn_load_f64(src, off + i));
            }
        }
}

/* The mask as an additive bias in the compute type. */
static const void *mask_bias(const obn_tensor *m, obn_dtype ct, void *buf)
{
    for (int64_t i = 0; i < m->numel; i++) {
        double v = m->dtype == OBN_BOOL ? (((const uint8_t *)m->data)[i] ? 0 : -INFINITY) : obn_load_f64(m, i);
        store_ct(buf, ct, i, v);
    }
    return buf;
}

static void *output_buffer(obn_tensor *t, obn_dtype ct, char *ws, size_t off)
{
    return t->dtype == ct ? t->data : ws + off;
}

static void convert_out(obn_tensor *t, obn_dtype ct, const void *buf)
{
    if (t->dtype == ct) return;
    for (int64_t i = 0; i < t->numel; i++)
        obn_store_f64(t, i, ct == OBN_FLOAT ? ((const float *)buf)[i] : ((const double *)buf)[i]);
}

/* The head (b, h): pointers into the compute-type buffers. */
static void head_of(const obn_op_ctx *ctx, const attn_geom *g, int64_t b, int64_t h, const char *q, const char *pk,
                    const char *pv, const char *bias, char *y, char *qk, obn_attention_head *hd)
{
    const attention_attrs *a = ctx->attrs;
    size_t es = g->ct == OBN_FLOAT ? sizeof(float) : sizeof(double);
    int64_t kvh = h / (g->hq / g->hkv);
    bool q3 = ctx->inputs[IN_Q]->rank == 3;
    memset(hd, 0, sizeof *hd);
    hd->q_len = g->sq;
    hd->kv_len = g->t;
    hd->dk = g->dk;
    hd->dv = g->dv;
    hd->q = q + (size_t)(q3 ? b * g->sq * g->hq * g->dk + h * g->dk : (b * g->hq + h) * g->sq * g->dk) * es;
    hd->ldq = q3 ? g->hq * g->dk : g->dk;
    hd->k = pk + (size_t)((b * g->hkv + kvh) * g->t * g->dk) * es;
    hd->ldk = g->dk;
    hd->v = pv + (size_t)((b * g->hkv + kvh) * g->t * g->dv) * es;
    hd->ldv = g->dv;
    hd->y = y + (size_t)(q3 ? b * g->sq * g->hq * g->dv + h * g->dv : (b * g->hq + h) * g->sq * g->dv) * es;
    hd->ldy = q3 ? g->hq * g->dv : g->dv;
    hd->scale = a->has_scale ? a->scale : 1 / sqrt((double)g->dk);
    hd->softcap = a->softcap;
    if (bias) {
        hd->bias = bias + (size_t)(b * g->mask_stride[0] + h * g->mask_stride[1]) * es;
        hd->bias_rs = g->mask_stride[2];
        hd->bias_cs = g->mask_stride[3];
        hd->bias_len = g->mask_len;
    }
    hd->causal = a->causal;
    hd->causal_offset = g->sp;
    hd->valid_len = g->t;
    if (obn_has_input(ctx, IN_NONPAD)) {
        int64_t nonpad = ((const int64_t *)ctx->inputs[IN_NONPAD]->data)[b];
        hd->valid_len = nonpad;
        hd->causal_offset = nonpad - g->sq;
    }
    if (qk) {
        hd->stage_out = qk + (size_t)((b * g->hq + h) * g->sq * g->t) * es;
        hd->stage = (int)a->mode;
    }
}

static obn_status attention_run(obn_op_ctx *ctx)
{
    attn_geom g;
    attn_layout l;
    OBN_TRY(geometry(ctx, &g));
    layout_of(ctx, &g, &l);
    char *ws = ctx->workspace;
    obn_tensor *y = ctx->outputs[OUT_Y];
    obn_tensor *opk = obn_has_output(ctx, OUT_PRESENT_K) ? ctx->outputs[OUT_PRESENT_K] : NULL;
    obn_tensor *opv = obn_has_output(ctx, OUT_PRESENT_V) ? ctx->outputs[OUT_PRESENT_V] : NULL;
    obn_tensor *oqk = obn_has_output(ctx, OUT_QK) ? ctx->outputs[OUT_QK] : NULL;
    const char *q = as_compute(ctx->inputs[IN_Q], g.ct, ws + l.q);
    char *pk = opk && opk->dtype == g.ct ? opk->data : ws + l.pk;
    char *pv = opv && opv->dtype == g.ct ? opv->data : ws + l.pv;
    const obn_tensor *past_k = obn_has_input(ctx, IN_PAST_K) ? ctx->inputs[IN_PAST_K] : NULL;
    const obn_tensor *past_v = obn_has_input(ctx, IN_PAST_V) ? ctx->inputs[IN_PAST_V] : NULL;
    fill_present(past_k, ctx->inputs[IN_K], &g, g.dk, pk);
    fill_present(past_v, ctx->inputs[IN_V], &g, g.dv, pv);
    const char *bias = obn_has_input(ctx, IN_MASK) ? mask_bias(ctx->inputs[IN_MASK], g.ct, ws + l.bias) : NULL;
    char *yb = output_buffer(y, g.ct, ws, l.y);
    char *qk = oqk ? output_buffer(oqk, g.ct, ws, l.qk) : NULL;
    int slices = head_slices(ctx, &g), inner = slices > 1 ? 1 : ctx->threads;
    size_t hb = head_bytes(ctx, &g);
    int64_t heads = g.b * g.hq;
#pragma omp parallel for schedule(static) num_threads(slices) if (slices > 1)
    for (int64_t i = 0; i < heads; i++) {
        obn_attention_head hd;
        head_of(ctx, &g, i / g.hq, i % g.hq, q, pk, pv, bias, yb, qk, &hd);
        void *hw = ws + l.heads + (size_t)omp_get_thread_num() * hb;
        if (g.ct == OBN_FLOAT) obn_attention_head_f32(&hd, hw, hb, inner);
        else obn_attention_head_f64(&hd, hw, inner);
    }
    convert_out(y, g.ct, yb);
    if (oqk) convert_out(oqk, g.ct, qk);
    if (opk) convert_out(opk, g.ct, pk);
    if (opv) convert_out(opv, g.ct, pv);
    return OBN_OK;
}

static const int versions[] = {23, 24, 0};
static const char *const attr_names[] = {"is_causal", "kv_num_heads", "q_num_heads", "qk_matmul_output_mode",
                                         "scale",     "softcap",      "softmax_precision", NULL};
static const obn_op_sig attention_sigs[] = {
    {23, "Q K V ?attn_mask ?past_key ?past_value", "Y ?present_key ?present_value ?qk_matmul_output"},
    {24, "Q K V ?attn_mask ?past_key ?past_value ?nonpad_kv_seqlen", "Y ?present_key ?present_value ?qk_matmul_output"},
    {0}};

const obn_op obn_op_attention = {
    .domain = "",
    .op_type = "Attention",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = attention_sigs,
    .attrs_size = sizeof(attention_attrs),
    .parse = attention_parse,
    .infer = attention_infer,
    .run = attention_run,
    .workspace = attention_workspace,
};
OBN_REGISTER_OP(obn_op_attention);
