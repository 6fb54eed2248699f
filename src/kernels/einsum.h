/* Tensor contractions written as labelled axes (Einstein summation), no
 * ONNX knowledge: output[out labels] = sum over the other labels of the
 * product of the operands, where an operand axis labelled like another
 * axis of the same operand reads its diagonal, and an axis of size 1
 * broadcasts against the label's size elsewhere.
 *
 * Float runs as transposes and batched matrix products on the SGEMM: each
 * operand first sums out the labels no other operand or the output has (and
 * takes its diagonals), then the operands are contracted left to right, each
 * step a batched GEMM [batch][m][k] x [batch][k][n] where the batch labels are
 * shared and still needed, k the shared labels needed no more, m and n the
 * labels of one side. Other types use the direct loop over every label in
 * double (floats) or modulo 2^64 (integers: the wrap-around of the type). */
#ifndef OBN_KERNELS_EINSUM_H
#define OBN_KERNELS_EINSUM_H

#include <stddef.h>
#include <stdint.h>

#define OBN_EINSUM_MAX_LABELS 64
#define OBN_EINSUM_MAX_OPERANDS 16
#define OBN_EINSUM_MAX_RANK 16

typedef struct obn_einsum_operand {
    int rank;
    int label[OBN_EINSUM_MAX_RANK]; /* label of each axis, in [0, n_labels) */
    int64_t dims[OBN_EINSUM_MAX_RANK];
} obn_einsum_operand;

typedef struct obn_einsum_spec {
    int n_labels;
    int64_t label_size[OBN_EINSUM_MAX_LABELS]; /* the broadcast size of each label */
    int n_operands;
    obn_einsum_operand in[OBN_EINSUM_MAX_OPERANDS];
    int out_rank;
    int out_label[OBN_EINSUM_MAX_RANK]; /* distinct labels; out dims are their sizes */
} obn_einsum_spec;

/* A contiguous intermediate: its labels in axis order and their sizes. */
typedef struct obn_einsum_tensor {
    int n;
    int label[OBN_EINSUM_MAX_LABELS];
    int64_t size[OBN_EINSUM_MAX_LABELS];
} obn_einsum_tensor;

/* One contraction step of the float program. */
typedef struct obn_einsum_step {
    int operand;                       /* the right-hand operand (its prepared form) */
    obn_einsum_tensor result;          /* batch, m, n labels */
    int64_t batch, m, n, k;
    int a_direct, a_trans;             /* the left side used in place (as [b][m][k] or, trans, [b][k][m]) */
    int b_direct, b_trans;             /* the right side in place ([b][k][n] or, trans, [b][n][k]) */
    obn_einsum_tensor a_layout, b_layout; /* the layouts copied to when not direct */
    int to_output;                     /* the product is written into the output */
} obn_einsum_step;

typedef struct obn_einsum_plan {
    obn_einsum_spec spec;
    obn_einsum_tensor prepared[OBN_EINSUM_MAX_OPERANDS]; /* each operand after its own sums */
    int prepared_in_place[OBN_EINSUM_MAX_OPERANDS];      /* nothing to sum or take: the input itself */
    int n_steps;
    obn_einsum_step steps[OBN_EINSUM_MAX_OPERANDS];
    size_t prepared_offset[OBN_EINSUM_MAX_OPERANDS]; /* workspace byte offsets */
    size_t acc_offset[2], a_offset, b_offset, gemm_offset, gemm_bytes, workspace;
} obn_einsum_plan;

/* Plans the float evaluation of spec for `threads` threads; returns 0, or
 * -1 when an intermediate's element count overflows. */
int obn_einsum_plan_f32(const obn_einsum_spec *spec, int threads, obn_einsum_plan *plan);

/* Runs a plan: x[i] the operands (dense, dims as in the spec), y the output,
 * workspace of plan->workspace bytes (64-byte alignment is best). */
void obn_einsum_run_f32(const obn_einsum_plan *plan, const float *const *x, float *y, void *workspace, int threads);

/* The direct loop: y[out] = sum of the products, in double / modulo 2^64
 * (operands converted to the loop's type by the caller). */
void obn_einsum_loop_f64(const obn_einsum_spec *spec, const double *const *x, double *y, int threads);
void obn_einsum_loop_u64(const obn_einsum_spec *spec, const uint64_t *const *x, uint64_t *y, int threads);

#endif
