/* Attention and RotaryEmbedding against references computed here in double
 * from the spec's formulas (softmax(scale * Q K^T [softcapped] + bias) V
 * with grouped heads, a cache, causal alignment and masks; RoPE pairs),
 * tolerance 1e-5 relative; the float path (SGEMM, head-parallel or inside
 * each head) against the double one; layouts (3-D / 4-D); every
 * qk_matmul_output mode; and the errors. */
#include "op_testing.h"

typedef struct {
    int64_t b, hq, hkv, sq, skv, sp, dk, dv;
    int causal, mode, q3;
    float softcap;
    int mask; /* 0 none, 1 float [sq, t], 2 bool [b, 1, sq, t] */
} attn_case;

/* Deterministic inputs of a case; caller frees. */
typedef struct {
    float *q, *k, *v, *pk, *pv, *mask;
    uint8_t *bmask;
} attn_data;

static void make_data(const attn_case *c, attn_data *d)
{
    int64_t t = c->sp + c->skv;
    int64_t nq = c->b * c->hq * c->sq * c->dk, nk = c->b * c->hkv * c->skv * c->dk, nv = c->b * c->hkv * c->skv * c->dv;
    int64_t npk = c->b * c->hkv * c->sp * c->dk + 1, npv = c->b * c->hkv * c->sp * c->dv + 1;
    d->q = malloc((size_t)nq * sizeof(float));
    d->k = malloc((size_t)nk * sizeof(float));
    d->v = malloc((size_t)nv * sizeof(float));
    d->pk = malloc((size_t)npk * sizeof(float));
    d->pv = malloc((size_t)npv * sizeof(float));
    d->mask = malloc((size_t)(c->sq * t) * sizeof(float));
    d->bmask = malloc((size_t)(c->b * c->sq * t));
    ot_fill(d->q, nq, 1, -1, 1);
    ot_fill(d->k, nk, 2, -1, 1);
    ot_fill(d->v, nv, 3, -1, 1);
    ot_fill(d->pk, npk, 4, -1, 1);
    ot_fill(d->pv, npv, 5, -1, 1);
    ot_fill(d->mask, c->sq * t, 6, -2, 0.5f);
    for (int64_t i = 0; i < c->sq * t; i++)
        if (i % 5 == 2) d->mask[i] = -INFINITY;
    for (int64_t i = 0; i < c->b * c->sq * t; i++) d->bmask[i] = (uint8_t)(i % 3 != 1);
    /* one fully masked row in the bool mask (errata: zeros, not NaN) */
    for (int64_t j = 0; j < t; j++) d->bmask[j] = 0;
}

static void free_data(attn_data *d)
{
    free(d->q);
    free(d->k);
    free(d->v);
    free(d->pk);
    free(d->pv);
    free(d->mask);
    free(d->bmask);
}

/* The reference: y [b, hq, sq, dv] and the scores at c->mode [b, hq, sq, t]. */
static void reference(const attn_case *c, const attn_data *d, double *y, double *stage)
{
    int64_t t = c->sp + c->skv, g = c->hq / c->hkv;
    double scale = 1 / sqrt((double)c->dk);
    double *s = malloc((size_t)t * sizeof *s);
    for (int64_t b = 0; b < c->b; b++)
        for (int64_t h = 0; h < c->hq; h++)
            for (int64_t i = 0; i < c->sq; i++) {
                int64_t kh = h / g;
                bool open = false;
                for (int64_t j = 0; j < t; j++) {
                    double acc = 0;
                    for (int64_t e = 0; e < c->dk; e++) {
                        double qv = d->q[((b * c->hq + h) * c->sq + i) * c->dk + e];
                        double kv = j < c->sp ? d->pk[((b * c->hkv + kh) * c->sp + j) * c->dk + e]
                                              : d->k[((b * c->hkv + kh) * c->skv + j - c->sp) * c->dk + e];
                        acc += qv * kv;
                    }
                    double v = acc * scale;
                    double *st = stage + ((b * c->hq + h) * c->sq + i) * t + j;
                    if (c->mode == 0) *st = v;
                    if (c->softcap != 0) v = c->softcap * tanh(v / c->softcap);
                    if (c->mode == 1) *st = v;
                    double bias = 0;
                    if (c->mask == 1) bias = d->mask[i * t + j];
                    if (c->mask == 2 && !d->bmask[(b * c->sq + i) * t + j]) bias = -INFINITY;
                    if (c->causal && j > i + c->sp) bias = -INFINITY;
                    if (!isinf(bias)) open = true;
                    s[j] = v + bias;
                    if (c->mode == 2) *st = s[j];
                }
                double mx = -INFINITY, sum = 0;
                for (int64_t j = 0; j < t; j++) mx = fmax(mx, s[j]);
                for (int64_t j = 0; j < t; j++) sum += exp(s[j] - mx);
                for (int64_t j = 0; j < t; j++) {
                    s[j] = open ? exp(s[j] - mx) / sum : 0;
                    if (c->mode == 3) stage[((b * c->hq + h) * c->sq + i) * t + j] = s[j];
                }
                for (int64_t e = 0; e < c->dv; e++) {
                    double acc = 0;
                    for (int64_t j = 0; j < t; j++) {
                        double vv = j < c->sp ? d->pv[((b * c->hkv + kh) * c->sp + j) * c->dv + e]
                                              : d->v[((b * c->hkv + kh) * c->skv + j - c->sp) * c->dv + e];
                        acc += s[j] * vv;
                    }
                    y[((b * c->hq + h) * c->sq + i) * c->dv + e] = acc;
                }
            }
    free(s);
}

/* [b, h, s, d] -> [b, s, h * d] */
static float *to_3d(const float *x, int64_t b, int64_t h, int64_t s, int64_t d)
{
    float *out = malloc((size_t)(b * h * s * d) * sizeof *out);
    for (int64_t i = 0; i < b; i++)
        for (int64_t j = 0; j < h; j++)
            for (int64_t k = 0; k < s; k++)
                memcpy(out + ((i * s + k) * h + j) * d, x + ((i * h + j) * s + k) * d, (size_t)d * sizeof *out);
    return out;
}

static void run_case(const attn_case *c, obn_dtype dt, int threads)
{
    attn_data d;
    make_data(c, &d);
    int64_t t = c->sp + c->skv;
    const int64_t q4[4] = {c->b, c->hq, c->sq, c->dk}, k4[4] = {c->b, c->hkv, c->skv, c->dk},
                  v4[4] = {c->b, c->hkv, c->skv, c->dv};
    const int64_t q3[3] = {c->b, c->sq, c->hq * c->dk}, k3[3] = {c->b, c->skv, c->hkv * c->dk},
                  v3[3] = {c->b, c->skv, c->hkv * c->dv};
    const int64_t pkd[4] = {c->b, c->hkv, c->sp, c->dk}, pvd[4] = {c->b, c->hkv, c->sp, c->dv};
    const int64_t m1[2] = {c->sq, t}, m2[4] = {c->b, 1, c->sq, t};
    tb_model *m = tb_new(23);
    int r = c->q3 ? 3 : 4;
    tb_input(m, "q", dt, r, c->q3 ? q3 : q4);
    tb_input(m, "k", dt, r, c->q3 ? k3 : k4);
    tb_input(m, "v", dt, r, c->q3 ? v3 : v4);
    char ins[64] = "q,k,v", outs[64] = "y";
    if (c->mask) {
        tb_input(m, "mask", c->mask == 1 ? dt : OBN_BOOL, c->mask == 1 ? 2 : 4, c->mask == 1 ? m1 : m2);
        strcat(ins, ",mask");
    } else if (c->sp) {
        strcat(ins, ",");
    }
    if (c->sp) {
        tb_input(m, "pk", dt, 4, pkd);
        tb_input(m, "pv", dt, 4, pvd);
        strcat(ins, ",pk,pv");
    }
    strcat(outs, ",,,qk");
    Onnx__NodeProto *n = tb_node(m, "Attention", "att", ins, outs);
    if (c->causal) tb_attr_int(m, n, "is_causal", 1);
    if (c->softcap != 0) tb_attr_float(m, n, "softcap", c->softcap);
    tb_attr_int(m, n, "qk_matmul_output_mode", c->mode);
    if (c->q3) {
        tb_attr_int(m, n, "q_num_heads", c->hq);
        tb_attr_int(m, n, "kv_num_heads", c->hkv);
    }
    tb_output(m, "y", dt, -1, NULL);
    tb_output(m, "qk", dt, -1, NULL);
    /* inputs in the model's order, converted to dt */
    float *qs = c->q3 ? to_3d(d.q, c->b, c->hq, c->sq, c->dk) : d.q;
    float *ks = c->q3 ? to_3d(d.k, c->b, c->hkv, c->skv, c->dk) : d.k;
    float *vs = c->q3 ? to_3d(d.v, c->b, c->hkv, c->skv, c->dv) : d.v;
    const float *src[6] = {qs, ks, vs, d.mask, d.pk, d.pv};
    const int64_t *dims[6] = {c->q3 ? q3 : q4, c->q3 ? k3 : k4, c->q3 ? v3 : v4, m1, pkd, pvd};
    int ranks[6] = {r, r, r, 2, 4, 4};
    obn_tensor *in[6];
    int n_in = 0;
    for (int k = 0; k < 6; k++) {
        if ((k == 3 && !c->mask) || (k >= 4 && !c->sp)) continue;
        if (k == 3 && c->mask == 2) {
            in[n_in++] = ot_tensor(OBN_BOOL, 4, m2, d.bmask);
            continue;
        }
        int64_t cnt = ot_numel(ranks[k], dims[k]);
        double *tmp = malloc((size_t)(cnt ? cnt : 1) * sizeof *tmp);
        for (int64_t i = 0; i < cnt; i++) tmp[i] = src[k][i];
        if (dt == OBN_FLOAT) in[n_in++] = ot_tensor(dt, ranks[k], dims[k], src[k]);
        else in[n_in++] = ot_tensor(dt, ranks[k], dims[k], tmp);
        free(tmp);
    }
    obn_tensor *out[2];
    obn_status st = ot_run_threads(m, threads, n_in, in, 2, out);
    ck_assert_msg(st == OBN_OK, "run failed: %s", obn_last_error());
    double *y = malloc((size_t)(c->b * c->hq * c->sq * c->dv) * sizeof *y);
    double *stage = malloc((size_t)(c->b * c->hq * c->sq * t) * sizeof *stage);
    reference(c, &d, y, stage);
    /* y in the output's layout */
    int64_t ny = c->b * c->hq * c->sq * c->dv;
    const void *gy = obn_tensor_cdata(out[0]);
    for (int64_t i = 0; i < ny; i++) {
        int64_t e = i % c->dv, s = i / c->dv % c->sq, h = i / (c->dv * c->sq) % c->hq, b = i / (c->dv * c->sq * c->hq);
        int64_t at = c->q3 ? ((b * c->sq + s) * c->hq + h) * c->dv + e : i;
        double got = dt == OBN_FLOAT ? ((const float *)gy)[at] : ((const double *)gy)[at];
        ck_assert_msg(fabs(got - y[i]) <= 1e-5 * (1 + fabs(y[i])), "y[%lld] = %.9g, expected %.9g", (long long)i, got, y[i]);
    }
    const void *gs = obn_tensor_cdata(out[1]);
    for (int64_t i = 0; i < c->b * c->hq * c->sq * t; i++) {
        double got = dt == OBN_FLOAT ? ((const float *)gs)[i] : ((const double *)gs)[i];
        if (isinf(stage[i])) ck_assert_msg(got == stage[i], "qk[%lld] = %g, expected %g", (long long)i, got, stage[i]);
        else ck_assert_msg(fabs(got - stage[i]) <= 1e-5 * (1 + fabs(stage[i])), "qk[%lld] (mode %d) = %.9g, expected %.9g",
                           (long long)i, c->mode, got, stage[i]);
    }
    free(y);
    free(stage);
    if (c->q3) {
        free(qs);
        free(ks);
        free(vs);
    }
    ot_destroy(n_in, in);
    ot_destroy(2, out);
    tb_free(m);
    free_data(&d);
}

static const attn_case cases[] = {
    /* b hq hkv sq skv sp dk dv causal mode q3 softcap mask */
    {2, 3, 3, 4, 6, 0, 8, 8, 0, 0, 0, 0, 0},
    {2, 6, 2, 5, 7, 0, 8, 4, 0, 1, 0, 2.0f, 1},  /* GQA, softcap, float mask */
    {1, 4, 1, 3, 3, 5, 16, 8, 1, 2, 0, 0, 0},    /* MQA, cache, causal aligned at the cache end */
    {2, 4, 2, 4, 4, 2, 8, 8, 1, 3, 1, 0, 2},     /* 3-D, bool mask with a fully masked row */
    {1, 2, 2, 40, 40, 0, 32, 16, 1, 3, 0, 0, 1}, /* larger rows (SGEMM blocking) */
};

START_TEST(matches_reference)
{
    const attn_case *c = &cases[_i];
    run_case(c, OBN_FLOAT, 1);
    run_case(c, OBN_FLOAT, 2);
    run_case(c, OBN_DOUBLE, 2);
}
END_TEST

/* RoPE by the formula, for 4-D X [b, h, s, d] (pos NULL: caches per (b, s)). */
static void rope_reference(const float *x, const float *cosc, const float *sinc, const int64_t *pos, int64_t b,
                           int64_t h, int64_t s, int64_t d, int64_t rd, int64_t cols, int inter, double *y)
{
    for (int64_t i = 0; i < b * h * s; i++) {
        int64_t bi = i / (h * s), si = i % s, row = pos ? pos[bi * s + si] : bi * s + si;
        const float *xv = x + i * d;
        double *yv = y + i * d;
        for (int64_t e = 0; e < d; e++) yv[e] = xv[e];
        for (int64_t p = 0; p < rd / 2; p++) {
            int64_t i1 = inter ? 2 * p : p, i2 = inter ? 2 * p + 1 : p + rd / 2;
            double c = cosc[row * cols + p], sn = sinc[row * cols + p];
            yv[i1] = xv[i1] * c - xv[i2] * sn;
            yv[i2] = xv[i1] * sn + xv[i2] * c;
        }
    }
}

START_TEST(rotary_matches_formula)
{
    const int64_t b = 2, h = 3, s = 4, d = 8, rows = 10, cols = 4;
    const int64_t xd[4] = {b, h, s, d}, x3d[3] = {b, s, h * d}, cd[2] = {rows, cols}, pd[2] = {b, s};
    float x[192], cosc[40], sinc[40];
    ot_fill(x, 192, 9, -1, 1);
    for (int i = 0; i < 40; i++) {
        cosc[i] = (float)cos(0.1 * i);
        sinc[i] = (float)sin(0.1 * i);
    }
    const int64_t pos[8] = {0, 1, 2, 3, 9, 5, 0, 7};
    for (int variant = 0; variant < 6; variant++) {
        int inter = variant & 1, three_d = variant >= 4;
        int64_t rd = variant & 2 ? 4 : 8;
        tb_model *m = tb_new(23);
        tb_input(m, "x", OBN_FLOAT, three_d ? 3 : 4, three_d ? x3d : xd);
        tb_input(m, "cos", OBN_FLOAT, 2, cd);
        tb_input(m, "sin", OBN_FLOAT, 2, cd);
        tb_input(m, "pos", OBN_INT64, 2, pd);
        Onnx__NodeProto *n = tb_node(m, "RotaryEmbedding", "rope", "x,cos,sin,pos", "y");
        tb_attr_int(m, n, "interleaved", inter);
        if (rd != d) tb_attr_int(m, n, "rotary_embedding_dim", rd);
        if (three_d) tb_attr_int(m, n, "num_heads", h);
        tb_output(m, "y", OBN_FLOAT, -1, NULL);
        float *xin = three_d ? to_3d(x, b, h, s, d) : x;
        obn_tensor *in[4] = {ot_tensor(OBN_FLOAT, three_d ? 3 : 4, three_d ? x3d : xd, xin),
                             ot_tensor(OBN_FLOAT, 2, cd, cosc), ot_tensor(OBN_FLOAT, 2, cd, sinc),
                             ot_tensor(OBN_INT64, 2, pd, pos)},
                   *y;
        OT_RUN_OK(m, 4, in, 1, &y);
        double want[192], want_layout[192];
        rope_reference(x, cosc, sinc, pos, b, h, s, d, rd, cols, inter, want);
        for (int64_t i = 0; i < 192; i++) {
            int64_t e = i % d, si = i / d % s, hi = i / (d * s) % h, bi = i / (d * s * h);
            want_layout[three_d ? ((bi * s + si) * h + hi) * d + e : i] = want[i];
        }
        ot_expect_f32(y, want_layout, 192, 1e-6);
        obn_tensor_destroy(y);
        ot_destroy(4, in);
        if (three_d) free(xin);
        tb_free(m);
    }
}
END_TEST

START_TEST(rotary_errors)
{
    const int64_t xd[4] = {1, 2, 3, 8}, cd[2] = {4, 4}, pd[2] = {1, 3}, x3[3] = {1, 3, 16};
    float x[48] = {0}, c[16] = {0};
    const int64_t pos[3] = {0, 4, 1};
    tb_model *m = tb_new(23);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_input(m, "cos", OBN_FLOAT, 2, cd);
    tb_input(m, "sin", OBN_FLOAT, 2, cd);
    tb_input(m, "pos", OBN_INT64, 2, pd);
    tb_node(m, "RotaryEmbedding", "rope", "x,cos,sin,pos", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    obn_tensor *in[4] = {ot_tensor(OBN_FLOAT, 4, xd, x), ot_tensor(OBN_FLOAT, 2, cd, c), ot_tensor(OBN_FLOAT, 2, cd, c),
                         ot_tensor(OBN_INT64, 2, pd, pos)},
               *y;
    ck_assert_int_eq(ot_run(m, 4, in, 1, &y), OBN_E_RUNTIME);
    ot_expect_message("node \"rope\" (RotaryEmbedding-23)", "'position_ids' ('pos') value 4 at [0, 1]",
                      "outside the 4 cache rows", (const char *)NULL);
    ot_destroy(4, in);
    tb_free(m);
    /* 3-D without num_heads; odd rotary dimension */
    m = tb_new(23);
    tb_input(m, "x", OBN_FLOAT, 3, x3);
    tb_input(m, "cos", OBN_FLOAT, 2, cd);
    tb_input(m, "sin", OBN_FLOAT, 2, cd);
    tb_input(m, "pos", OBN_INT64, 2, pd);
    tb_node(m, "RotaryEmbedding", "rope", "x,cos,sin,pos", "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'num_heads' (0) must be set");
    tb_free(m);
    m = tb_new(23);
    tb_input(m, "x", OBN_FLOAT, 4, xd);
    tb_input(m, "cos", OBN_FLOAT, 2, cd);
    tb_input(m, "sin", OBN_FLOAT, 2, cd);
    tb_input(m, "pos", OBN_INT64, 2, pd);
    tb_attr_int(m, tb_node(m, "RotaryEmbedding", "rope", "x,cos,sin,pos", "y"), "rotary_embedding_dim", 3);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "rotary dimension 3 must be even");
    tb_free(m);
}
END_TEST

/* An Attention node on 4-D inputs of the given shapes. */
static tb_model *attention_model(int opset, const int64_t *q, const int64_t *k, const int64_t *v, const char *extra_in,
                                 const int64_t *extra_dims, int extra_rank, obn_dtype extra_dt)
{
    tb_model *m = tb_new(opset);
    tb_input(m, "q", OBN_FLOAT, 4, q);
    tb_input(m, "k", OBN_FLOAT, 4, k);
    tb_input(m, "v", OBN_FLOAT, 4, v);
    char ins[64] = "q,k,v";
    if (extra_in) {
        tb_input(m, "x", extra_dt, extra_rank, extra_dims);
        strcat(ins, extra_in);
    }
    tb_node(m, "Attention", "att", ins, "y");
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    return m;
}

START_TEST(attention_errors)
{
    const int64_t q[4] = {1, 3, 4, 8}, k[4] = {1, 2, 6, 8}, k3[4] = {1, 3, 6, 8}, kd[4] = {1, 3, 6, 4};
    tb_model *m = attention_model(23, q, k, k, NULL, NULL, 0, OBN_FLOAT);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "node \"att\" (Attention-23)", "3 query heads are not a multiple of 2");
    tb_free(m);
    m = attention_model(23, q, kd, k3, NULL, NULL, 0, OBN_FLOAT);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "Q, K and V do not match", "head size of Q 8 and K 4");
    tb_free(m);
    const int64_t bad_mask[2] = {3, 6}, long_mask[2] = {4, 7};
    m = attention_model(23, q, k3, k3, ",x", bad_mask, 2, OBN_FLOAT);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'attn_mask' ('x') shape [3,6] does not broadcast to [1, 3, 4, 6]");
    tb_free(m);
    m = attention_model(24, q, k3, k3, ",x", long_mask, 2, OBN_FLOAT);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "has 7 columns for 6 keys (at most that many)");
    tb_free(m);
    const int64_t past[4] = {1, 3, 2, 7};
    m = attention_model(23, q, k3, k3, ",,x,x", past, 4, OBN_FLOAT);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "input 'past_key' ('x') has shape [1,3,2,7]; expected [1, 3, past, 8]");
    tb_free(m);
    const int64_t q3[3] = {1, 4, 24};
    m = tb_new(23);
    tb_input(m, "q", OBN_FLOAT, 3, q3);
    tb_input(m, "k", OBN_FLOAT, 3, q3);
    tb_input(m, "v", OBN_FLOAT, 3, q3);
    tb_attr_int(m, tb_node(m, "Attention", "att", "q,k,v", "y"), "kv_num_heads", 3);
    tb_output(m, "y", OBN_FLOAT, -1, NULL);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'q_num_heads' (0) must be set and divide 24");
    tb_free(m);
    m = attention_model(23, q, k3, k3, NULL, NULL, 0, OBN_FLOAT);
    tb_attr_int(m, tb_proto(m)->graph->node[0], "softmax_precision", 7);
    OT_EXPECT_CREATE_ERROR(m, OBN_E_INVALID_MODEL, "'softmax_precision' is 7");
    tb_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("attention");
    TCase *t = tcase_create("attention");
    tcase_add_loop_test(t, matches_reference, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(t, rotary_matches_formula);
    tcase_add_test(t, rotary_errors);
    tcase_add_test(t, attention_errors);
    suite_add_tcase(s, t);
    return ot_main(s);
}
