/* AffineGrid (20): the sampling grid of GridSample for a batch of affine
 * matrices theta ([N, 2, 3] for 2-D, [N, 3, 4] for 3-D) and an output size
 * given as data ([N, C, H, W] or [N, C, D, H, W]): grid [N, H, W, 2] or
 * [N, D, H, W, 3] (kernels/affine_grid.h has the formula). The output shape
 * follows the data of 'size'; while that is not known the plan is eager. */
#include "kernels/affine_grid.h"
#include "norm_common.h"
#include "op_helpers.h"

typedef struct {
    bool align_corners;
} affine_grid_attrs;

static obn_status affine_grid_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    affine_grid_attrs *a = out;
    int64_t align;
    OBN_TRY(obn_attr_int_range(n, "align_corners", 0, 0, 1, &align));
    a->align_corners = align != 0;
    return OBN_OK;
}

/* The spatial sizes from 'size' (*nd of them) after the checks. */
static obn_status affine_grid_geometry(const obn_op_ctx *ctx, int *nd, int64_t *spatial)
{
    static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "theta", OBN_FLOAT_TYPES));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "size", i64));
    int64_t size[5];
    size_t count;
    OBN_TRY(obn_read_int_input(ctx, 1, "size", 5, size, &count));
    const obn_tensor *theta = ctx->inputs[0];
    char ts[OBN_SHAPE_STR_CAP];
    obn_shape_str(theta->rank, theta->dims, ts, sizeof ts);
    if (count != 4 && count != 5)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'size' ('%s') has %zu values; expected 4 (N, C, H, W) or 5 (N, C, D, H, W)",
                           obn_in_name(ctx, 1), count);
    *nd = (int)count - 2;
    if (theta->rank != 3 || theta->dims[0] != size[0] || theta->dims[1] != *nd || theta->dims[2] != *nd + 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'theta' ('%s') has shape %s; expected [%lld, %d, %d] for 'size' N=%lld",
                           obn_in_name(ctx, 0), ts, (long long)size[0], *nd, *nd + 1, (long long)size[0]);
    for (int i = 0; i < *nd; i++) {
        spatial[i] = size[2 + i];
        if (spatial[i] < 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'size' ('%s') has a negative size %lld",
                               obn_in_name(ctx, 1), (long long)spatial[i]);
    }
    return OBN_OK;
}

static obn_status affine_grid_infer(obn_op_ctx *ctx)
{
    int nd;
    int64_t spatial[3], dims[5];
    OBN_TRY(affine_grid_geometry(ctx, &nd, spatial));
    dims[0] = ctx->inputs[0]->dims[0];
    for (int i = 0; i < nd; i++) dims[1 + i] = spatial[i];
    dims[1 + nd] = nd;
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, nd + 2, dims);
}

static obn_status affine_grid_run(obn_op_ctx *ctx)
{
    const affine_grid_attrs *a = ctx->attrs;
    int nd;
    int64_t spatial[3];
    OBN_TRY(affine_grid_geometry(ctx, &nd, spatial));
    const obn_tensor *theta = ctx->inputs[0];
    obn_affine_grid(theta->data, ctx->outputs[0]->data, obn_kfmt_of(theta->dtype), nd, theta->dims[0], spatial,
                    a->align_corners);
    return OBN_OK;
}

static const int versions[] = {20, 0};
static const char *const attr_names[] = {"align_corners", NULL};
static const obn_op_sig affine_grid_sigs[] = {{20, "theta size", "grid"}, {0}};

const obn_op obn_op_affine_grid = {
    .domain = "",
    .op_type = "AffineGrid",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = affine_grid_sigs,
    .attrs_size = sizeof(affine_grid_attrs),
    .parse = affine_grid_parse,
    .infer = affine_grid_infer,
    .run = affine_grid_run,
};
OBN_REGISTER_OP(obn_op_affine_grid);
