#include "f32_stage.h"

#include "kernels/kfmt.h"
#include "norm_common.h"

#define STAGE_ALIGN 64
/* Elements per conversion chunk of a parallel loop: large enough that a
 * chunk amortises the scheduling, small enough to spread a few MB. */
#define STAGE_CHUNK 16384

static size_t block_bytes(int64_t numel)
{
    return ((size_t)numel * sizeof(float) + STAGE_ALIGN - 1) & ~(size_t)(STAGE_ALIGN - 1);
}

size_t obn_f32_stage_bytes(const obn_op_ctx *ctx, unsigned in_mask, unsigned out_mask)
{
    size_t n = 0;
    for (int k = 0; k < ctx->n_inputs && k < 32; k++)
        if ((in_mask >> k & 1u) && obn_has_input(ctx, k) && obn_dtype_is_half(ctx->inputs[k]->dtype))
            n += block_bytes(ctx->inputs[k]->numel);
    for (int k = 0; k < ctx->n_outputs && k < 32; k++)
        if ((out_mask >> k & 1u) && obn_has_output(ctx, k) && obn_dtype_is_half(ctx->outputs[k]->dtype))
            n += block_bytes(ctx->outputs[k]->numel);
    return n;
}

static void widen(const void *src, obn_kfmt f, float *dst, int64_t n, int threads)
{
    int64_t chunks = (n + STAGE_CHUNK - 1) / STAGE_CHUNK;
#pragma omp parallel for schedule(static) num_threads(threads) if (chunks > 1 && threads > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t lo = c * STAGE_CHUNK, len = n - lo < STAGE_CHUNK ? n - lo : STAGE_CHUNK;
        obn_krow_to_f32((const char *)src + (size_t)lo * obn_kfmt_size(f), f, dst + lo, len);
    }
}

void obn_f32_widen(const obn_tensor *t, float *dst, int threads)
{
    widen(t->data, obn_kfmt_of(t->dtype), dst, t->numel, threads);
}

const float *obn_f32_stage_input(const obn_op_ctx *ctx, int k, obn_f32_stage *st)
{
    const obn_tensor *t = ctx->inputs[k];
    if (!obn_dtype_is_half(t->dtype)) return t->data;
    float *dst = (float *)st->next;
    st->next += block_bytes(t->numel);
    widen(t->data, obn_kfmt_of(t->dtype), dst, t->numel, ctx->threads);
    return dst;
}

float *obn_f32_stage_output(const obn_op_ctx *ctx, int k, obn_f32_stage *st)
{
    obn_tensor *t = ctx->outputs[k];
    if (!obn_dtype_is_half(t->dtype)) return t->data;
    float *dst = (float *)st->next;
    st->next += block_bytes(t->numel);
    return dst;
}

void obn_f32_stage_finish(const obn_op_ctx *ctx, int k, const float *staged)
{
    obn_tensor *t = ctx->outputs[k];
    if (!obn_dtype_is_half(t->dtype)) return;
    obn_kfmt f = obn_kfmt_of(t->dtype);
    int64_t n = t->numel, chunks = (n + STAGE_CHUNK - 1) / STAGE_CHUNK;
#pragma omp parallel for schedule(static) num_threads(ctx->threads) if (chunks > 1 && ctx->threads > 1)
    for (int64_t c = 0; c < chunks; c++) {
        int64_t lo = c * STAGE_CHUNK, len = n - lo < STAGE_CHUNK ? n - lo : STAGE_CHUNK;
        obn_krow_from_f32(staged + lo, (char *)t->data + (size_t)lo * 2, f, len);
    }
}
