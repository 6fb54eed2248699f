/* Expand (8, 13), Tile (6, 13) and Where (9, 16): data movement with
 * broadcasting or repetition, for every storable type (strings: their
 * element pointers move, then the output gets copies of its own).
 * Expand broadcasts the input and the shape input (int64, known at plan
 * time or OBN_DEFER) against each other numpy-style. Tile repeats the input
 * repeats[d] times along each axis (version 1, with its tiles/axis inputs, is
 * not implemented). Where picks X where the bool condition holds, else Y,
 * all three broadcast together. */
#include <string.h>

#include "kernels/broadcast.h"
#include "op_helpers.h"
#include "string_tensor.h"

static obn_status no_attrs_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

/* Copies through a broadcast geometry: input k of g feeds the output; the
 * inner run is either a memcpy (stride 1) or a repeated element. */
static void copy_broadcast(const obn_bcast *g, int k, const void *x, void *y, size_t es)
{
    int64_t sx = obn_bcast_inner_stride(g, k);
    char *dst = y;
    for (int64_t r = 0; r < g->rows; r++) {
        int64_t off[OBN_BC_MAX_IN];
        obn_bcast_row(g, r, off);
        const char *src = (const char *)x + (size_t)off[k] * es;
        if (sx) {
            memcpy(dst, src, (size_t)g->inner * es);
        } else {
            for (int64_t i = 0; i < g->inner; i++) memcpy(dst + (size_t)i * es, src, es);
        }
        dst += (size_t)g->inner * es;
    }
}

/* ---- Expand ---- */

static obn_status expand_dims(const obn_op_ctx *ctx, int *rank, int64_t *dims)
{
    const obn_tensor *x = ctx->inputs[0];
    int64_t shape[OBN_MAX_RANK];
    size_t n;
    if (ctx->inputs[1]->dtype != OBN_INT64)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'shape' ('%s') has type %s, expected int64", obn_in_name(ctx, 1),
                           obn_dtype_name(ctx->inputs[1]->dtype));
    OBN_TRY(obn_read_int_input(ctx, 1, "shape", OBN_MAX_RANK, shape, &n));
    int r = x->rank > (int)n ? x->rank : (int)n;
    for (int d = 0; d < r; d++) {
        int xd = d - (r - x->rank), sd = d - (r - (int)n);
        int64_t a = xd >= 0 ? x->dims[xd] : 1, b = sd >= 0 ? shape[sd] : 1;
        if (b < 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'shape' has negative dim %lld", (long long)b);
        if (a != b && a != 1 && b != 1) {
            char s[OBN_SHAPE_STR_CAP], t[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' %s cannot be expanded to shape %s",
                               obn_in_name(ctx, 0), obn_shape_str(x->rank, x->dims, s, sizeof s),
                               obn_shape_str((int)n, shape, t, sizeof t));
        }
        dims[d] = a == 1 ? b : a;
    }
    *rank = r;
    return OBN_OK;
}

static obn_status expand_infer(obn_op_ctx *ctx)
{
    int rank = 0;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(obn_check_all_types(ctx, 0, "input", 0));
    OBN_TRY(expand_dims(ctx, &rank, dims));
    return obn_set_output(ctx, 0, ctx->inputs[0]->dtype, rank, dims);
}

static obn_status expand_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    obn_bcast g;
    const int64_t *dims[1] = {x->dims};
    obn_bcast_init(&g, y->rank, y->dims, 1, &x->rank, dims);
    copy_broadcast(&g, 0, x->data, y->data, obn_dtype_elem_bytes(x->dtype));
    return x->dtype == OBN_STRING ? obn_strings_own_copies(ctx, y, OBN_OK) : OBN_OK;
}

static const int expand_versions[] = {8, 13, 0};
static const char *const no_attrs[] = {NULL};

static const obn_op_sig expand_sigs[] = {{8, "input shape", "output"}, {0}};

const obn_op obn_op_expand = {
    .domain = "",
    .op_type = "Expand",
    .since_versions = expand_versions,
    .attr_names = no_attrs,
    .sigs = expand_sigs,
    .flags = OBN_OP_STRINGS,
    .parse = no_attrs_parse,
    .infer = expand_infer,
    .run = expand_run,
};
OBN_REGISTER_OP(obn_op_expand);

/* ---- Tile ---- */

static obn_status tile_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    int64_t reps[OBN_MAX_RANK], dims[OBN_MAX_RANK];
    size_t n;
    OBN_TRY(obn_check_all_types(ctx, 0, "input", 0));
    if (ctx->inputs[1]->dtype != OBN_INT64)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'repeats' ('%s') has type %s, expected int64",
                           obn_in_name(ctx, 1), obn_dtype_name(ctx->inputs[1]->dtype));
    OBN_TRY(obn_read_int_input(ctx, 1, "repeats", OBN_MAX_RANK, reps, &n));
    if ((int)n != x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'repeats' has %zu values for an input of rank %d", n, x->rank);
    for (int d = 0; d < x->rank; d++) {
        if (reps[d] < 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'repeats' has negative value %lld", (long long)reps[d]);
        OBN_TRY(obn_mul_dims(ctx, "output shape", x->dims[d], reps[d], &dims[d]));
    }
    return obn_set_output(ctx, 0, x->dtype, x->rank, dims);
}

static obn_status tile_elems(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    size_t es = obn_dtype_elem_bytes(x->dtype);
    int r = x->rank;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return OBN_OK;
    }
    /* rows of the output along the last axis: each is the input row
     * repeated; the input row is found by reducing the index modulo x's dims */
    int64_t in_strides[OBN_MAX_RANK], s = 1;
    for (int d = r - 1; d >= 0; d--) {
        in_strides[d] = s;
        s *= x->dims[d];
    }
    int64_t inner_in = x->dims[r - 1], inner_out = y->dims[r - 1], rows = y->numel / inner_out;
    int64_t idx[OBN_MAX_RANK] = {0};
    char *dst = y->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0;
        for (int d = 0; d < r - 1; d++) off += (idx[d] % x->dims[d]) * in_strides[d];
        const char *src = (const char *)x->data + (size_t)off * es;
        for (int64_t j = 0; j < inner_out; j += inner_in) memcpy(dst + (size_t)j * es, src, (size_t)inner_in * es);
        dst += (size_t)inner_out * es;
        for (int d = r - 2; d >= 0; d--) {
            if (++idx[d] < y->dims[d]) break;
            idx[d] = 0;
        }
    }
    return OBN_OK;
}

static obn_status tile_run(obn_op_ctx *ctx)
{
    obn_status s = tile_elems(ctx);
    return ctx->outputs[0]->dtype == OBN_STRING ? obn_strings_own_copies(ctx, ctx->outputs[0], s) : s;
}

static const int tile_versions[] = {6, 13, 0};

static const obn_op_sig tile_sigs[] = {{6, "input repeats", "output"}, {0}};

const obn_op obn_op_tile = {
    .domain = "",
    .op_type = "Tile",
    .since_versions = tile_versions,
    .attr_names = no_attrs,
    .sigs = tile_sigs,
    .flags = OBN_OP_STRINGS,
    .parse = no_attrs_parse,
    .infer = tile_infer,
    .run = tile_run,
};
OBN_REGISTER_OP(obn_op_tile);

/* ---- Where ---- */

static obn_status where_infer(obn_op_ctx *ctx)
{
    static const obn_dtype boolean[] = {OBN_BOOL, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "condition", boolean));
    OBN_TRY(obn_check_all_types(ctx, 1, "X", 0));
    OBN_TRY(obn_check_same_dtype(ctx, 2, "Y", 1, "X"));
    if (ctx->inputs[1]->dtype == OBN_BFLOAT16 && ctx->since_version < 16)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' has type bfloat16, not allowed by Where-%d", ctx->since_version);
    static const int all3[3] = {0, 1, 2};
    int rank;
    int64_t dims[OBN_MAX_RANK];
    OBN_TRY(obn_broadcast_shape(ctx, 3, all3, &rank, dims));
    return obn_set_output(ctx, 0, ctx->inputs[1]->dtype, rank, dims);
}

static obn_status where_run(obn_op_ctx *ctx)
{
    const obn_tensor *c = ctx->inputs[0], *x = ctx->inputs[1], *yv = ctx->inputs[2];
    obn_tensor *out = ctx->outputs[0];
    int ranks[3] = {c->rank, x->rank, yv->rank};
    const int64_t *dims[3] = {c->dims, x->dims, yv->dims};
    obn_bcast g;
    obn_bcast_init(&g, out->rank, out->dims, 3, ranks, dims);
    size_t es = obn_dtype_elem_bytes(x->dtype);
    int64_t sc = obn_bcast_inner_stride(&g, 0), sx = obn_bcast_inner_stride(&g, 1), sy = obn_bcast_inner_stride(&g, 2);
    const uint8_t *cond = c->data;
    const char *xd = x->data, *ydat = yv->data;
    char *dst = out->data;
    for (int64_t r = 0; r < g.rows; r++) {
        int64_t off[3];
        obn_bcast_row(&g, r, off);
        for (int64_t i = 0; i < g.inner; i++) {
            const char *src = cond[off[0] + i * sc] ? xd + (size_t)(off[1] + i * sx) * es : ydat + (size_t)(off[2] + i * sy) * es;
            memcpy(dst, src, es);
            dst += es;
        }
    }
    return x->dtype == OBN_STRING ? obn_strings_own_copies(ctx, out, OBN_OK) : OBN_OK;
}

static const int where_versions[] = {9, 16, 0};

static const obn_op_sig where_sigs[] = {{9, "condition X Y", "output"}, {0}};

const obn_op obn_op_where = {
    .domain = "",
    .op_type = "Where",
    .since_versions = where_versions,
    .attr_names = no_attrs,
    .sigs = where_sigs,
    .flags = OBN_OP_STRINGS,
    .parse = no_attrs_parse,
    .infer = where_infer,
    .run = where_run,
};
OBN_REGISTER_OP(obn_op_where);
