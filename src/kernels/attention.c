#include "attention.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "sgemm.h"
#include "softmax.h"

#define ALIGN 64

static size_t align_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

static obn_sgemm_call qk_call(int64_t q_len, int64_t kv_len, int64_t dk)
{
    obn_sgemm_call c = {.m = q_len, .n = kv_len, .k = dk, .alpha = 1, .beta = 0, .ldc = kv_len};
    c.a = (obn_sgemm_operand){NULL, dk, 0, NULL};
    c.b = (obn_sgemm_operand){NULL, dk, 1, NULL};
    return c;
}

static obn_sgemm_call pv_call(int64_t q_len, int64_t kv_len, int64_t dv)
{
    obn_sgemm_call c = {.m = q_len, .n = dv, .k = kv_len, .alpha = 1, .beta = 0, .ldc = dv};
    c.a = (obn_sgemm_operand){NULL, kv_len, 0, NULL};
    c.b = (obn_sgemm_operand){NULL, dv, 0, NULL};
    return c;
}

size_t obn_attention_head_workspace_f32(int64_t q_len, int64_t kv_len, int64_t dk, int64_t dv, int threads)
{
    obn_sgemm_call a = qk_call(q_len, kv_len, dk), b = pv_call(q_len, kv_len, dv);
    size_t ga = obn_sgemm_workspace_size(&a, threads), gb = obn_sgemm_workspace_size(&b, threads);
    return align_up((size_t)(q_len * kv_len) * sizeof(float)) + align_up((size_t)q_len) + (ga > gb ? ga : gb);
}

size_t obn_attention_head_workspace_f64(int64_t q_len, int64_t kv_len)
{
    return align_up((size_t)(q_len * kv_len) * sizeof(double)) + (size_t)q_len;
}

/* Steps between the two products, on S in place; T is float or double.
 * empty[i] (scratch) marks the rows whose every key is masked. */
#define DEFINE_SCORES(NAME, T, SOFTMAX)                                                                            \
    static void NAME(const obn_attention_head *h, T *s, unsigned char *empty, int threads)                       \
    {                                                                                                              \
        int64_t n = h->kv_len, rows = h->q_len;                                                                    \
        if (h->stage == OBN_ATTN_STAGE_QK && h->stage_out) memcpy(h->stage_out, s, (size_t)(rows * n) * sizeof(T)); \
        if (h->softcap != 0) {                                                                                     \
            T cap = (T)h->softcap;                                                                                 \
            for (int64_t i = 0; i < rows * n; i++) s[i] = cap * (T)tanh(s[i] / cap);                               \
        }                                                                                                          \
        if (h->stage == OBN_ATTN_STAGE_SOFTCAP && h->stage_out)                                                    \
            memcpy(h->stage_out, s, (size_t)(rows * n) * sizeof(T));                                               \
        const T *bias = h->bias;                                                                                   \
        bool any_mask = bias || h->causal || h->valid_len < n;                                                     \
        for (int64_t i = 0; i < rows && any_mask; i++) {                                                           \
            T *row = s + i * n;                                                                                    \
            bool open = false;                                                                                     \
            for (int64_t j = 0; j < n; j++) {                                                                      \
                T b = 0;                                                                                           \
                if (bias) b = j < h->bias_len ? bias[i * h->bias_rs + j * h->bias_cs] : (T)-INFINITY;              \
                if ((h->causal && j > i + h->causal_offset) || j >= h->valid_len) b += (T)-INFINITY;               \
                if (!(isinf(b) && b < 0)) open = true;                                                             \
                row[j] += b;                                                                                       \
            }                                                                                                      \
            empty[i] = !open;                                                                                      \
        }                                                                                                          \
        if (h->stage == OBN_ATTN_STAGE_BIAS && h->stage_out) memcpy(h->stage_out, s, (size_t)(rows * n) * sizeof(T)); \
        SOFTMAX(s, s, rows, n, 1, 0, threads);                                                                     \
        for (int64_t i = 0; i < rows && any_mask; i++)                                                             \
            if (empty[i]) memset(s + i * n, 0, (size_t)n * sizeof(T));                                             \
        if (h->stage == OBN_ATTN_STAGE_SOFTMAX && h->stage_out)                                                    \
            memcpy(h->stage_out, s, (size_t)(rows * n) * sizeof(T));                                               \
    }

DEFINE_SCORES(scores_f32, float, obn_softmax_f32)
DEFINE_SCORES(scores_f64, double, obn_softmax_f64)

void obn_attention_head_f32(const obn_attention_head *h, void *workspace, size_t workspace_bytes, int threads)
{
    if (h->q_len == 0) return;
    float *s = workspace;
    size_t s_bytes = align_up((size_t)(h->q_len * h->kv_len) * sizeof(float));
    unsigned char *empty = (unsigned char *)workspace + s_bytes;
    s_bytes += align_up((size_t)h->q_len);
    void *gemm_ws = (char *)workspace + s_bytes;
    size_t gemm_bytes = workspace_bytes - s_bytes;
    obn_sgemm_call c = qk_call(h->q_len, h->kv_len, h->dk);
    c.alpha = (float)h->scale;
    c.a.data = h->q;
    c.a.ld = h->ldq;
    c.b.data = h->k;
    c.b.ld = h->ldk;
    c.c = s;
    if (h->kv_len > 0) obn_sgemm_run(&c, gemm_ws, gemm_bytes, threads);
    scores_f32(h, s, empty, threads);
    c = pv_call(h->q_len, h->kv_len, h->dv);
    c.a.data = s;
    c.b.data = h->v;
    c.b.ld = h->ldv;
    c.c = h->y;
    c.ldc = h->ldy;
    obn_sgemm_run(&c, gemm_ws, gemm_bytes, threads);
}

void obn_attention_head_f64(const obn_attention_head *h, void *workspace, int threads)
{
    if (h->q_len == 0) return;
    double *s = workspace;
    unsigned char *empty = (unsigned char *)workspace + align_up((size_t)(h->q_len * h->kv_len) * sizeof(double));
    const double *q = h->q, *k = h->k, *v = h->v;
    double *y = h->y;
    for (int64_t i = 0; i < h->q_len; i++)
        for (int64_t j = 0; j < h->kv_len; j++) {
            double acc = 0;
            for (int64_t d = 0; d < h->dk; d++) acc += q[i * h->ldq + d] * k[j * h->ldk + d];
            s[i * h->kv_len + j] = h->scale * acc;
        }
    scores_f64(h, s, empty, threads);
    for (int64_t i = 0; i < h->q_len; i++)
        for (int64_t d = 0; d < h->dv; d++) {
            double acc = 0;
            for (int64_t j = 0; j < h->kv_len; j++) acc += s[i * h->kv_len + j] * v[j * h->ldv + d];
            y[i * h->ldy + d] = acc;
        }
}
