/* ReverseSequence (10): for each batch entry b (along batch_axis, default
 * 1), the first sequence_lens[b] entries along time_axis (default 0) are
 * reversed and the rest copied. The two axes are 0 and 1 in either order;
 * input rank >= 2; sequence_lens is int64 [batch] with values in
 * [0, time] (checked when running: it may be run-time data). Any storable
 * type but bfloat16. */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    int64_t batch_axis, time_axis;
} revseq_attrs;

static obn_status revseq_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    revseq_attrs *a = out;
    OBN_TRY(obn_attr_int_range(n, "batch_axis", 1, 0, 1, &a->batch_axis));
    OBN_TRY(obn_attr_int_range(n, "time_axis", 0, 0, 1, &a->time_axis));
    if (a->batch_axis == a->time_axis)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'batch_axis' and 'time_axis' are both %lld",
                            (long long)a->time_axis);
    return OBN_OK;
}

static obn_status revseq_infer(obn_op_ctx *ctx)
{
    static const obn_dtype int64_only[] = {OBN_INT64, OBN_UNDEFINED};
    const revseq_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", OBN_ALL_TYPES_NO_BF16));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "sequence_lens", int64_only));
    OBN_TRY(obn_check_rank(ctx, 0, "input", 2, OBN_MAX_RANK));
    const obn_tensor *x = ctx->inputs[0], *lens = ctx->inputs[1];
    if (lens->rank != 1 || lens->dims[0] != x->dims[a->batch_axis]) {
        char s[OBN_SHAPE_STR_CAP];
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'sequence_lens' ('%s') has shape %s; expected [%lld] (the batch size)",
                           obn_in_name(ctx, 1), obn_shape_str(lens->rank, lens->dims, s, sizeof s),
                           (long long)x->dims[a->batch_axis]);
    }
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status revseq_run(obn_op_ctx *ctx)
{
    const revseq_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0], *lens = ctx->inputs[1];
    const int64_t *len = lens->data;
    int64_t time = x->dims[a->time_axis], batch = x->dims[a->batch_axis];
    for (int64_t b = 0; b < batch; b++)
        if (len[b] < 0 || len[b] > time)
            return obn_ctx_err(ctx, OBN_E_RUNTIME, "sequence_lens[%lld] = %lld is outside [0, %lld]", (long long)b,
                               (long long)len[b], (long long)time);
    size_t es = obn_dtype_size(x->dtype), slice = (size_t)obn_dims_product(x->dims, 2, x->rank) * es;
    /* byte strides of one step in time and in batch */
    size_t t_step = a->time_axis == 0 ? (size_t)batch * slice : slice, b_step = a->time_axis == 0 ? slice : (size_t)time * slice;
    const char *src = x->data;
    char *dst = ctx->outputs[0]->data;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t t = 0; t < time; t++) {
            int64_t from = t < len[b] ? len[b] - 1 - t : t;
            if (slice) memcpy(dst + (size_t)b * b_step + (size_t)t * t_step, src + (size_t)b * b_step + (size_t)from * t_step, slice);
        }
    return OBN_OK;
}

static const int versions[] = {10, 0};
static const char *const attr_names[] = {"batch_axis", "time_axis", NULL};
static const obn_op_sig revseq_sigs[] = {{10, "input sequence_lens", "Y"}, {0}};

const obn_op obn_op_reverse_sequence = {
    .domain = "",
    .op_type = "ReverseSequence",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = revseq_sigs,
    .attrs_size = sizeof(revseq_attrs),
    .parse = revseq_parse,
    .infer = revseq_infer,
    .run = revseq_run,
};
OBN_REGISTER_OP(obn_op_reverse_sequence);
