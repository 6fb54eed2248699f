/* GlobalAveragePool and GlobalMaxPool (1, 22: bfloat16 too): one value per (n, c) plane over
 * all spatial dims of an N x C x D1 x ... x Dk input; the output keeps the
 * rank with every spatial dim 1. */
#include <math.h>
#include <string.h>

#include "kernels/pool.h"
#include "op_helpers.h"

typedef struct {
    bool is_max;
} gpool_attrs;

static obn_status gpool_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    ((gpool_attrs *)out)->is_max = strcmp(n->op_type, "GlobalMaxPool") == 0;
    return OBN_OK;
}

static obn_status gpool_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : legacy));
    OBN_TRY(obn_check_rank(ctx, 0, "X", 2, OBN_MAX_RANK));
    const obn_tensor *x = ctx->inputs[0];
    int64_t dims[OBN_MAX_RANK];
    for (int d = 0; d < x->rank; d++) dims[d] = d < 2 ? x->dims[d] : 1;
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static obn_status gpool_run(obn_op_ctx *ctx)
{
    const gpool_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int64_t planes = x->dims[0] * x->dims[1], size = obn_dims_product(x->dims, 2, x->rank);
    if (x->dtype == OBN_FLOAT) {
        if (a->is_max) obn_global_maxpool_f32(x->data, y->data, planes, size, ctx->threads);
        else obn_global_avgpool_f32(x->data, y->data, planes, size, ctx->threads);
        return OBN_OK;
    }
    for (int64_t p = 0; p < planes; p++) {
        double acc = a->is_max ? -INFINITY : 0;
        for (int64_t i = 0; i < size; i++) {
            double v = obn_load_f64(x, p * size + i);
            if (a->is_max) acc = v > acc || v != v ? v : acc;
            else acc += v;
        }
        obn_store_f64(y, p, a->is_max ? acc : size ? acc / (double)size : NAN);
    }
    return OBN_OK;
}

static const int versions[] = {1, 22, 0};
static const char *const attr_names[] = {NULL};

static const obn_op_sig global_average_pool_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_global_average_pool = {
    .domain = "",
    .op_type = "GlobalAveragePool",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = global_average_pool_sigs,
    .attrs_size = sizeof(gpool_attrs),
    .parse = gpool_parse,
    .infer = gpool_infer,
    .run = gpool_run,
};
OBN_REGISTER_OP(obn_op_global_average_pool);

static const obn_op_sig global_max_pool_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_global_max_pool = {
    .domain = "",
    .op_type = "GlobalMaxPool",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = global_max_pool_sigs,
    .attrs_size = sizeof(gpool_attrs),
    .parse = gpool_parse,
    .infer = gpool_infer,
    .run = gpool_run,
};
OBN_REGISTER_OP(obn_op_global_max_pool);
