/* DepthToSpace (1, 11, 13) and SpaceToDepth (1, 13) on [N, C, H, W] with
 * block size b (required attribute, >= 1):
 *   DepthToSpace: [N, C, H, W] -> [N, C/(b*b), H*b, W*b]. mode DCR (the
 *     default; version 1 has no mode) reads the channels as [b, b, C/(b*b)],
 *     CRD as [C/(b*b), b, b];
 *   SpaceToDepth: [N, C, H, W] -> [N, C*b*b, H/b, W/b], the inverse of DCR.
 * Both are one 6-D transpose. Any storable type (bfloat16 from 13 on). */
#include <string.h>

#include "kernels/transpose.h"
#include "op_helpers.h"

typedef struct {
    bool to_space, crd;
    int64_t blocksize;
} ds_attrs;

static obn_status ds_parse(const obn_node *n, int v, void *out)
{
    ds_attrs *a = out;
    a->to_space = strcmp(n->op_type, "DepthToSpace") == 0;
    if (!obn_node_attr(n, "blocksize"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'blocksize' is required");
    OBN_TRY(obn_attr_get_int(n, "blocksize", 1, &a->blocksize));
    if (a->blocksize < 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'blocksize' is %lld; must be >= 1", (long long)a->blocksize);
    bool has_mode = a->to_space && v >= 11;
    if (!has_mode && obn_node_attr(n, "mode"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is not part of %s-%d", n->op_type, v);
    const char *mode;
    OBN_TRY(obn_attr_get_string(n, "mode", "DCR", &mode));
    a->crd = strcmp(mode, "CRD") == 0;
    if (!a->crd && strcmp(mode, "DCR") != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is '%s'; expected DCR or CRD", mode);
    return OBN_OK;
}

/* The input as a 6-D array (dims6) and the permutation that makes the
 * output of it. */
static obn_status ds_view(const obn_op_ctx *ctx, int64_t *dims6, int *perm, int64_t *out_dims)
{
    const ds_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int64_t n = x->dims[0], c = x->dims[1], h = x->dims[2], w = x->dims[3], b = a->blocksize, bb;
    OBN_TRY(obn_mul_dims(ctx, "blocksize squared", b, b, &bb));
    char s[OBN_SHAPE_STR_CAP];
    if (a->to_space) {
        if (c % bb != 0)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') %s: channels are not a multiple of blocksize^2 = %lld",
                               obn_in_name(ctx, 0), obn_shape_str(4, x->dims, s, sizeof s), (long long)bb);
        int64_t oc = c / bb;
        out_dims[0] = n;
        out_dims[1] = oc;
        OBN_TRY(obn_mul_dims(ctx, "output height", h, b, &out_dims[2]));
        OBN_TRY(obn_mul_dims(ctx, "output width", w, b, &out_dims[3]));
        static const int dcr[6] = {0, 3, 4, 1, 5, 2}, crd[6] = {0, 1, 4, 2, 5, 3};
        const int64_t v_dcr[6] = {n, b, b, oc, h, w}, v_crd[6] = {n, oc, b, b, h, w};
        memcpy(dims6, a->crd ? v_crd : v_dcr, sizeof v_dcr);
        memcpy(perm, a->crd ? crd : dcr, sizeof dcr);
        return OBN_OK;
    }
    if (h % b != 0 || w % b != 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input ('%s') %s: height and width are not multiples of blocksize %lld",
                           obn_in_name(ctx, 0), obn_shape_str(4, x->dims, s, sizeof s), (long long)b);
    out_dims[0] = n;
    OBN_TRY(obn_mul_dims(ctx, "output channels", c, bb, &out_dims[1]));
    out_dims[2] = h / b;
    out_dims[3] = w / b;
    static const int s2d[6] = {0, 3, 5, 1, 2, 4};
    const int64_t v[6] = {n, c, h / b, b, w / b, b};
    memcpy(dims6, v, sizeof v);
    memcpy(perm, s2d, sizeof s2d);
    return OBN_OK;
}

static obn_status ds_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", ctx->since_version >= 13 ? OBN_ALL_TYPES : OBN_ALL_TYPES_NO_BF16));
    OBN_TRY(obn_check_rank(ctx, 0, "input", 4, 4));
    int64_t dims6[6], out[4];
    int perm[6];
    OBN_TRY(ds_view(ctx, dims6, perm, out));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, 4, out);
}

static obn_status ds_run(obn_op_ctx *ctx)
{
    int64_t dims6[6], out[4];
    int perm[6];
    OBN_TRY(ds_view(ctx, dims6, perm, out));
    const obn_tensor *x = ctx->inputs[0];
    if (x->numel) obn_transpose(x->data, ctx->outputs[0]->data, obn_dtype_size(x->dtype), 6, dims6, perm, ctx->threads);
    return OBN_OK;
}

static const int d2s_versions[] = {1, 11, 13, 0};
static const int s2d_versions[] = {1, 13, 0};
static const char *const d2s_attr_names[] = {"blocksize", "mode", NULL};
static const char *const s2d_attr_names[] = {"blocksize", NULL};
static const obn_op_sig ds_sigs[] = {{1, "input", "output"}, {0}};

#define DS_OP(sym, name, vers, attrs)                                                                               \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, .sigs = ds_sigs, \
                        .attrs_size = sizeof(ds_attrs), .parse = ds_parse, .infer = ds_infer, .run = ds_run}

DS_OP(obn_op_depth_to_space, "DepthToSpace", d2s_versions, d2s_attr_names);
OBN_REGISTER_OP(obn_op_depth_to_space);
DS_OP(obn_op_space_to_depth, "SpaceToDepth", s2d_versions, s2d_attr_names);
OBN_REGISTER_OP(obn_op_space_to_depth);
