/* Scaled dot-product attention of one head, no ONNX knowledge:
 *
 *   S = scale * Q K^T                 (q_len x kv_len)
 *   S = softcap * tanh(S / softcap)   when softcap != 0
 *   S = S + B                         the additive bias, -inf where masked
 *   P = softmax(S) along each row;    a row whose bias is -inf everywhere
 *                                     (every key masked) is 0, not NaN
 *   Y = P V                           (q_len x dv)
 *
 * The bias of row i, column j is the sum of: bias[i * bias_rs + j * bias_cs]
 * for j < bias_len and -inf for bias_len <= j (a mask shorter than the keys);
 * -inf when causal and j > i + causal_offset; -inf when j >= valid_len.
 * Matrices are row-major with row strides (ld*) so that heads can be read in
 * place from [batch, seq, heads * dim] layouts. Float runs its products on
 * the SGEMM and the rows on the softmax kernel; double uses plain loops. */
#ifndef OBN_KERNELS_ATTENTION_H
#define OBN_KERNELS_ATTENTION_H

#include <stddef.h>
#include <stdint.h>

/* Stages of S that can be copied out (qk_matmul_output). */
enum { OBN_ATTN_STAGE_QK = 0, OBN_ATTN_STAGE_SOFTCAP = 1, OBN_ATTN_STAGE_BIAS = 2, OBN_ATTN_STAGE_SOFTMAX = 3 };

typedef struct obn_attention_head {
    int64_t q_len, kv_len, dk, dv;
    const void *q, *k, *v; /* float or double, as the kernel */
    int64_t ldq, ldk, ldv;
    void *y;
    int64_t ldy;
    double scale, softcap;
    const void *bias; /* NULL: no additive bias */
    int64_t bias_rs, bias_cs, bias_len;
    int causal;
    int64_t causal_offset;
    int64_t valid_len;
    void *stage_out; /* NULL or q_len x kv_len (contiguous): S at `stage` */
    int stage;
} obn_attention_head;

/* Scratch bytes of one head computation (the score matrix and the GEMMs'
 * packing buffers) for `threads` threads inside the head. */
size_t obn_attention_head_workspace_f32(int64_t q_len, int64_t kv_len, int64_t dk, int64_t dv, int threads);
size_t obn_attention_head_workspace_f64(int64_t q_len, int64_t kv_len);

void obn_attention_head_f32(const obn_attention_head *h, void *workspace, size_t workspace_bytes, int threads);
void obn_attention_head_f64(const obn_attention_head *h, void *workspace, int threads);

#endif
