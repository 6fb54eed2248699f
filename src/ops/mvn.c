/* MeanVarianceNormalization (9, 13): Y = (X - mean) / (sqrt(var) + 1e-9)
 * with the mean and population variance taken over `axes` (default
 * [0, 2, 3]: per channel of an NCHW tensor; an explicitly empty list means
 * every axis, as ReduceMean reads it). The spec's function body adds the
 * float 1e-9 to the standard deviation, not to the variance, and computes
 * the variance as E[X^2] - E[X]^2; onnxbn takes the same formula with a
 * two-pass variance in double, which cannot go negative. */
#include "norm_common.h"
#include "op_helpers.h"

#define MVN_EPSILON 1e-9f /* the 'Epsilon' constant of the spec's function body */

typedef struct {
    int64_t axes[OBN_MAX_RANK];
    size_t n_axes;
    bool all; /* axes given as an empty list */
} mvn_attrs;

static obn_status mvn_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    mvn_attrs *a = out;
    const obn_attr *at = obn_node_attr(n, "axes");
    OBN_TRY(obn_attr_get_ints(n, "axes", OBN_MAX_RANK, a->axes, &a->n_axes));
    a->all = at && a->n_axes == 0;
    if (!at) {
        static const int64_t def[3] = {0, 2, 3};
        for (size_t i = 0; i < 3; i++) a->axes[i] = def[i];
        a->n_axes = 3;
    }
    return OBN_OK;
}

/* reduced[d] for every axis of X. */
static obn_status mvn_reduced(const obn_op_ctx *ctx, unsigned char *reduced)
{
    const mvn_attrs *a = ctx->attrs;
    int rank = ctx->inputs[0]->rank, axes[OBN_MAX_RANK];
    for (int d = 0; d < rank; d++) reduced[d] = a->all;
    if (a->all) return OBN_OK;
    OBN_TRY(obn_norm_axes(ctx, "attribute 'axes'", a->axes, a->n_axes, rank, axes));
    for (size_t i = 0; i < a->n_axes; i++) reduced[axes[i]] = 1;
    return OBN_OK;
}

static obn_status mvn_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ctx->since_version >= 13 ? OBN_FLOAT_TYPES : legacy));
    unsigned char reduced[OBN_MAX_RANK];
    OBN_TRY(mvn_reduced(ctx, reduced));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status mvn_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    unsigned char reduced[OBN_MAX_RANK];
    OBN_TRY(mvn_reduced(ctx, reduced));
    obn_mvn(x->data, ctx->outputs[0]->data, obn_kfmt_of(x->dtype), x->rank, x->dims, reduced, MVN_EPSILON,
            ctx->threads);
    return OBN_OK;
}

static const int versions[] = {9, 13, 0};
static const char *const attr_names[] = {"axes", NULL};
static const obn_op_sig mvn_sigs[] = {{9, "X", "Y"}, {0}};

const obn_op obn_op_mean_variance_normalization = {
    .domain = "",
    .op_type = "MeanVarianceNormalization",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = mvn_sigs,
    .attrs_size = sizeof(mvn_attrs),
    .parse = mvn_parse,
    .infer = mvn_infer,
    .run = mvn_run,
};
OBN_REGISTER_OP(obn_op_mean_variance_normalization);
