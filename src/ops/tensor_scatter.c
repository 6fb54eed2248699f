/* TensorScatter (24): the KV-cache update. present_cache is past_cache with
 * update written into it along the sequence axis `axis` (default -2; not 0,
 * the batch axis): for every index p of the axes before `axis` (batch b =
 * p's first coordinate) and every s < sequence_length (update's size on
 * that axis), present[p, w + s, ...] = update[p, s, ...] with w =
 * write_indices[b] (0 without them); mode "circular" takes w + s modulo
 * max_sequence_length (past's size on the axis), "linear" (the default)
 * needs w + sequence_length <= max_sequence_length. Every element type: the
 * op moves bytes. */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    int64_t axis;
    bool circular;
} tscatter_attrs;

enum { IN_PAST, IN_UPDATE, IN_INDICES };

static obn_status tscatter_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    tscatter_attrs *a = out;
    const char *mode;
    OBN_TRY(obn_attr_get_int(n, "axis", -2, &a->axis));
    OBN_TRY(obn_attr_get_string(n, "mode", "linear", &mode));
    if (strcmp(mode, "linear") != 0 && strcmp(mode, "circular") != 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is \"%s\"; expected \"linear\" or \"circular\"",
                            mode);
    a->circular = strcmp(mode, "circular") == 0;
    return OBN_OK;
}

static obn_status tscatter_geometry(const obn_op_ctx *ctx, int *axis)
{
    const tscatter_attrs *a = ctx->attrs;
    const obn_tensor *past = ctx->inputs[IN_PAST], *up = ctx->inputs[IN_UPDATE];
    OBN_TRY(obn_check_all_types(ctx, IN_PAST, "past_cache", 19));
    OBN_TRY(obn_check_same_dtype(ctx, IN_UPDATE, "update", IN_PAST, "past_cache"));
    OBN_TRY(obn_check_rank(ctx, IN_PAST, "past_cache", 2, OBN_MAX_RANK));
    OBN_TRY(obn_norm_axis(ctx, a->axis, past->rank, false, axis));
    if (*axis == 0)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "attribute 'axis' (%lld) is the batch axis; the sequence axis is needed",
                           (long long)a->axis);
    char ps[OBN_SHAPE_STR_CAP], us[OBN_SHAPE_STR_CAP];
    obn_shape_str(past->rank, past->dims, ps, sizeof ps);
    obn_shape_str(up->rank, up->dims, us, sizeof us);
    bool ok = up->rank == past->rank;
    for (int d = 0; ok && d < past->rank; d++) ok = d == *axis ? up->dims[d] <= past->dims[d] : up->dims[d] == past->dims[d];
    if (!ok)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL,
                           "input 'update' ('%s') has shape %s; expected past_cache's %s but for axis %d, where it may "
                           "be at most %lld",
                           obn_in_name(ctx, IN_UPDATE), us, ps, *axis, (long long)past->dims[*axis]);
    if (obn_has_input(ctx, IN_INDICES)) {
        static const obn_dtype i64[] = {OBN_INT64, OBN_UNDEFINED};
        OBN_TRY(obn_check_input_dtype(ctx, IN_INDICES, "write_indices", i64));
        const obn_tensor *wi = ctx->inputs[IN_INDICES];
        if (wi->rank != 1 || wi->dims[0] != past->dims[0]) {
            char ws[OBN_SHAPE_STR_CAP];
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'write_indices' ('%s') has shape %s; expected [%lld] (the batch)",
                               obn_in_name(ctx, IN_INDICES), obn_shape_str(wi->rank, wi->dims, ws, sizeof ws),
                               (long long)past->dims[0]);
        }
    }
    return OBN_OK;
}

static obn_status tscatter_infer(obn_op_ctx *ctx)
{
    int axis;
    OBN_TRY(tscatter_geometry(ctx, &axis));
    const obn_tensor *past = ctx->inputs[IN_PAST];
    return obn_set_output(ctx, 0, past->dtype, past->rank, past->dims);
}

static obn_status tscatter_run(obn_op_ctx *ctx)
{
    const tscatter_attrs *a = ctx->attrs;
    const obn_tensor *past = ctx->inputs[IN_PAST], *up = ctx->inputs[IN_UPDATE];
    const int64_t *wi = obn_has_input(ctx, IN_INDICES) ? ctx->inputs[IN_INDICES]->data : NULL;
    obn_tensor *y = ctx->outputs[0];
    int axis;
    OBN_TRY(tscatter_geometry(ctx, &axis));
    size_t es = obn_dtype_size(past->dtype);
    if (y->data != past->data) memcpy(y->data, past->data, (size_t)past->numel * es);
    int64_t max_seq = past->dims[axis], seq = up->dims[axis], inner = obn_dims_product(past->dims, axis + 1, past->rank);
    int64_t prefix = obn_dims_product(past->dims, 0, axis), per_batch = prefix / past->dims[0];
    if (seq == 0 || inner == 0) return OBN_OK;
    for (int64_t b = 0; b < past->dims[0]; b++) {
        int64_t w = wi ? wi[b] : 0;
        if (w < 0 || (!a->circular && w > max_seq - seq))
            return obn_ctx_err(ctx, OBN_E_RUNTIME,
                               "write_indices[%lld] = %lld: with sequence_length %lld the write does not fit in "
                               "max_sequence_length %lld (mode %s)",
                               (long long)b, (long long)w, (long long)seq, (long long)max_seq,
                               a->circular ? "circular" : "linear");
    }
    for (int64_t p = 0; p < prefix; p++) {
        int64_t w = wi ? wi[p / per_batch] : 0;
        for (int64_t s = 0; s < seq; s++) {
            int64_t dst = a->circular ? (w + s) % max_seq : w + s;
            memcpy((char *)y->data + (size_t)((p * max_seq + dst) * inner) * es,
                   (const char *)up->data + (size_t)((p * seq + s) * inner) * es, (size_t)inner * es);
        }
    }
    return OBN_OK;
}

static const int versions[] = {24, 0};
static const char *const attr_names[] = {"axis", "mode", NULL};
static const obn_op_sig tscatter_sigs[] = {{24, "past_cache update ?write_indices", "present_cache"}, {0}};

const obn_op obn_op_tensor_scatter = {
    .domain = "",
    .op_type = "TensorScatter",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = tscatter_sigs,
    .attrs_size = sizeof(tscatter_attrs),
    .parse = tscatter_parse,
    .infer = tscatter_infer,
    .run = tscatter_run,
};
OBN_REGISTER_OP(obn_op_tensor_scatter);
