/* Det (11, 22): determinants of the square matrices in the last two dims of
 * X [*, M, M]; Y has shape [*]. Computed in double by LU decomposition with
 * partial pivoting (kernels/linalg), then rounded to the type (float16,
 * float, double; bfloat16 from 22 on). */
#include "kernels/linalg.h"
#include "op_helpers.h"

static obn_status det_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status det_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ctx->since_version >= 22 ? OBN_FLOAT_TYPES : legacy));
    OBN_TRY(obn_check_rank(ctx, 0, "X", 2, OBN_MAX_RANK));
    const obn_tensor *x = ctx->inputs[0];
    if (x->dims[x->rank - 1] != x->dims[x->rank - 2]) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has shape %s: the last two dims are not square",
                           obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, s, sizeof s));
    }
    return obn_set_output(ctx, 0, x->dtype, x->rank - 2, x->dims);
}

/* One matrix in double. */
static size_t det_workspace(const obn_op_ctx *ctx)
{
    int64_t m = ctx->inputs[0]->dims[ctx->inputs[0]->rank - 1];
    return (size_t)(m * m) * sizeof(double);
}

static obn_status det_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    int64_t m = x->dims[x->rank - 1], mm = m * m;
    double *a = ctx->workspace;
    for (int64_t b = 0; b < y->numel; b++) {
        for (int64_t i = 0; i < mm; i++) a[i] = obn_load_f64(x, b * mm + i);
        obn_store_f64(y, b, obn_det_f64(a, m));
    }
    return OBN_OK;
}

static const int versions[] = {11, 22, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig det_sigs[] = {{11, "X", "Y"}, {0}};

const obn_op obn_op_det = {
    .domain = "",
    .op_type = "Det",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = det_sigs,
    .attrs_size = 0,
    .parse = det_parse,
    .infer = det_infer,
    .run = det_run,
    .workspace = det_workspace,
};
OBN_REGISTER_OP(obn_op_det);
