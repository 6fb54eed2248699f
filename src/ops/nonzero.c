/* NonZero (9, 13): the coordinates of the non-zero elements of X, in
 * row-major order, as int64 [rank, count] (a scalar counts as one element
 * of a 1-D tensor, as numpy.nonzero does). count depends on X's data: when
 * it is not known while planning, infer returns OBN_DEFER and the session
 * plans with data. NaN is non-zero, -0.0 is zero. Any storable type
 * (bfloat16 from 13 on). */
#include "op_helpers.h"

static obn_status nonzero_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static bool is_nonzero(const obn_tensor *x, int64_t i)
{
    return obn_dtype_is_float(x->dtype) ? obn_load_f64(x, i) != 0 : obn_load_u64(x, i) != 0;
}

static obn_status nonzero_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ctx->since_version >= 13 ? OBN_ALL_TYPES : OBN_ALL_TYPES_NO_BF16));
    const obn_tensor *x = ctx->inputs[0];
    if (!x->data) return OBN_DEFER;
    int64_t dims[2] = {x->rank ? x->rank : 1, 0};
    for (int64_t i = 0; i < x->numel; i++) dims[1] += is_nonzero(x, i);
    return obn_set_output(ctx, 0, OBN_INT64, 2, dims);
}

static obn_status nonzero_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int64_t *out = y->data, count = y->dims[1], c[OBN_MAX_RANK] = {0}, k = 0;
    int rank = x->rank;
    for (int64_t i = 0; i < x->numel; i++) {
        if (is_nonzero(x, i)) {
            for (int d = 0; d < rank; d++) out[d * count + k] = c[d];
            if (rank == 0) out[k] = 0;
            k++;
        }
        for (int d = rank - 1; d >= 0 && ++c[d] == x->dims[d]; d--) c[d] = 0;
    }
    return OBN_OK;
}

static const int versions[] = {9, 13, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig nonzero_sigs[] = {{9, "X", "Y"}, {0}};

const obn_op obn_op_nonzero = {
    .domain = "",
    .op_type = "NonZero",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = nonzero_sigs,
    .parse = nonzero_parse,
    .infer = nonzero_infer,
    .run = nonzero_run,
};
OBN_REGISTER_OP(obn_op_nonzero);
