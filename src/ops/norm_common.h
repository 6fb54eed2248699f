/* Helpers shared by the normalisation ops (InstanceNormalization,
 * GroupNormalization, LayerNormalization, RMSNormalization): attribute
 * checks, the compute precision, and the per-plan state that holds scale
 * and bias converted to the compute format. */
#ifndef OBN_OPS_NORM_COMMON_H
#define OBN_OPS_NORM_COMMON_H

#include "kernels/normalize.h"
#include "op_util.h"

/* Kernel element format of a float dtype (float, double, float16, bfloat16). */
obn_kfmt obn_kfmt_of(obn_dtype dt);

/* Attribute 'epsilon' (default 1e-5), which must be finite and >= 0. */
obn_status obn_norm_epsilon(const obn_node *n, float *out);

/* Attribute 'stash_type' (default 1 = float): a dtype code that must be one
 * of `allowed` (terminated by OBN_UNDEFINED). */
obn_status obn_norm_stash_type(const obn_node *n, const obn_dtype *allowed, obn_dtype *out);

/* The precision of stage one (the standardisation): the spec asks for at
 * least the stash type; onnxbn computes in double when X, the stash type or
 * the output is double, in float otherwise (so float16 and bfloat16 data are
 * never computed in their own precision). */
obn_kfmt obn_norm_compute_fmt(obn_dtype x, obn_dtype stash, obn_dtype y);

/* Scale and bias expanded to `count` entries in the compute format; filled
 * once in prepare when both are constant, else on every run. */
typedef struct obn_norm_state {
    obn_kfmt fmt;
    int64_t count;
    void *scale, *bias;
    bool ready;
} obn_norm_state;

/* Allocates the state; bias is allocated only if with_bias. */
obn_status obn_norm_state_new(obn_kfmt fmt, int64_t count, bool with_bias, obn_norm_state **out);
void obn_norm_state_free(void *state);

/* Fills st->scale (and st->bias when b is not NULL) from s and b, each
 * broadcast to the shape (rank, dims) of st->count elements: either holding
 * exactly st->count values, or aligned to the trailing dims with 1 where it
 * repeats (the caller has checked which). */
void obn_norm_state_fill(obn_norm_state *st, const obn_tensor *s, const obn_tensor *b, int rank, const int64_t *dims);

/* Scratch bytes for the row kernel: one conversion row per thread that
 * will run (no more threads than rows). */
size_t obn_norm_rows_workspace(const obn_norm_rows *d, int threads);

/* Runs the row kernel over input 0 into output 0 with the op's workspace;
 * an internal error if the workspace is too small. */
obn_status obn_norm_rows_exec(obn_op_ctx *ctx, const obn_norm_rows *d);

#endif
