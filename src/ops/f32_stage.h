/* float16 and bfloat16 tensors for ops whose kernels compute in float32
 * (MatMul, Conv): each half-float input is widened (exactly) into a float32
 * block of the op's workspace before the kernel, and the output is computed
 * into such a block and narrowed after it (round to nearest even), so the
 * products accumulate in float32 and only the result is rounded to the
 * storage type. Float32 tensors pass through without a copy. The blocks are
 * carved, 64-byte aligned, from the front of the workspace in the order the
 * op asks for them; obn_f32_stage_bytes sizes that area. */
#ifndef OBN_OPS_F32_STAGE_H
#define OBN_OPS_F32_STAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "op_util.h"

static inline bool obn_dtype_is_half(obn_dtype t) { return t == OBN_FLOAT16 || t == OBN_BFLOAT16; }

/* Bytes of float32 blocks for the half-float tensors among the inputs in
 * in_mask and the outputs in out_mask (bit k: input / output k; omitted ones
 * are skipped), each rounded up to 64 bytes. 0 when none is half. */
size_t obn_f32_stage_bytes(const obn_op_ctx *ctx, unsigned in_mask, unsigned out_mask);

/* A cursor over the staging area at the front of the workspace. */
typedef struct obn_f32_stage {
    char *next;
} obn_f32_stage;

static inline obn_f32_stage obn_f32_stage_begin(const obn_op_ctx *ctx)
{
    obn_f32_stage s = {(char *)ctx->workspace};
    return s;
}

/* Input k as float32: its data when it is float, else widened into the
 * next block. */
const float *obn_f32_stage_input(const obn_op_ctx *ctx, int k, obn_f32_stage *st);
/* Where the kernel writes output k: its data when it is float, else the
 * next block (narrowed by obn_f32_stage_finish). */
float *obn_f32_stage_output(const obn_op_ctx *ctx, int k, obn_f32_stage *st);
/* Narrows a staged output into output k (nothing for a float output). */
void obn_f32_stage_finish(const obn_op_ctx *ctx, int k, const float *staged);

/* Any float tensor (float16, bfloat16, float, double) into n floats: for
 * prepare, to pack constant half-float weights. */
void obn_f32_widen(const obn_tensor *t, float *dst, int threads);

#endif
