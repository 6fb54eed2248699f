/* Graph passes over the IR. Each pass is optional and guarded: when a rewrite
 * is not provably exact it leaves the graph alone and logs why. */
#ifndef OBN_PASSES_H
#define OBN_PASSES_H

#include <stdbool.h>

#include "ir.h"

/* What the passes did, one human-readable line per decision. */
typedef struct obn_pass_log {
    char **lines;
    int n, cap;
} obn_pass_log;

void obn_pass_log_add(obn_pass_log *log, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void obn_pass_log_free(obn_pass_log *log);

typedef struct obn_pass_options {
    bool fold_batchnorm;   /* fold BN into neighbouring Conv/ConvTranspose/Gemm/MatMul, and
                              per-channel Mul/Add into Instance/GroupNormalization */
    bool fuse_activation;  /* Relu/Clip/LeakyRelu into the producer's epilogue; the Erf-form
                              GELU chain into one Gelu; a constant bias Add into its MatMul;
                              inference Dropout/Identity removed */
    bool defer_conv_weights; /* a session's graph: folded Conv weights computed when packed
                                (obn_pass_fold_bn) */
} obn_pass_options;

/* Runs the enabled passes, then re-sorts and re-resolves the graph. */
obn_status obn_optimize_graph(obn_graph *g, const obn_pass_options *opts, obn_pass_log *log);

/* defer_conv_weights: Conv -> BN folds into deferred float weights
 * (fold_bn.c), for a session's own graph only. */
obn_status obn_pass_fold_bn(obn_graph *g, bool defer_conv_weights, obn_pass_log *log);
obn_status obn_pass_fold_norm_affine(obn_graph *g, obn_pass_log *log);
obn_status obn_pass_fuse_activation(obn_graph *g, obn_pass_log *log);
obn_status obn_pass_fuse_gelu(obn_graph *g, obn_pass_log *log);
obn_status obn_pass_remove_identity(obn_graph *g, obn_pass_log *log);
obn_status obn_pass_fuse_bias(obn_graph *g, obn_pass_log *log);

/* --- helpers shared by the passes (pass_util.c) --- */

/* Constant data of a value: an initializer, or the 'value' of a Constant
 * node. NULL when not constant. */
const obn_tensor *obn_pass_const(const obn_graph *g, int value);
/* Adds an initializer value named after `base` holding t (retained). */
obn_status obn_pass_add_init(obn_graph *g, const char *base, obn_tensor *t, int *id);
/* Number of live-node inputs reading each value; graph outputs count too. */
obn_status obn_pass_use_counts(const obn_graph *g, int **counts);
/* Scalar attribute readers with defaults (no type errors: resolution already
 * validated the attributes). */
int64_t obn_pass_attr_int(const obn_node *n, const char *name, int64_t def);
float obn_pass_attr_float(const obn_node *n, const char *name, float def);
/* The node is live and its op type (ai.onnx) is `op`. */
bool obn_pass_is(const obn_node *n, const char *op);

#endif
