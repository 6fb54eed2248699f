/* StringConcat (20): Z = X + Y, the strings of X and Y concatenated element
 * by element with numpy broadcasting. Bytes are joined as they are (UTF-8
 * stays valid when both sides are). The result's bytes are counted against
 * the plan's memory limit before they are allocated. */
#include <string.h>

#include "kernels/broadcast.h"
#include "op_helpers.h"
#include "string_tensor.h"

static obn_status concat_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status concat_infer(obn_op_ctx *ctx)
{
    static const obn_dtype strings[] = {OBN_STRING, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", strings));
    OBN_TRY(obn_check_input_dtype(ctx, 1, "Y", strings));
    int rank;
    int64_t dims[OBN_MAX_RANK];
    static const int both[2] = {0, 1};
    OBN_TRY(obn_broadcast_shape(ctx, 2, both, &rank, dims));
    return obn_set_output(ctx, 0, OBN_STRING, rank, dims);
}

static obn_status concat_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0], *y = ctx->inputs[1];
    obn_tensor *z = ctx->outputs[0];
    int ranks[2] = {x->rank, y->rank};
    const int64_t *dims[2] = {x->dims, y->dims};
    obn_bcast g;
    obn_bcast_init(&g, z->rank, z->dims, 2, ranks, dims);
    const int64_t sx = obn_bcast_inner_stride(&g, 0), sy = obn_bcast_inner_stride(&g, 1);
    const char *const *xs = (const char *const *)x->data, *const *ys = (const char *const *)y->data;
    /* broadcasting repeats strings: their bytes are counted before any is made */
    uint64_t bytes = 0;
    for (int64_t r = 0; r < g.rows; r++) {
        int64_t off[2];
        obn_bcast_row(&g, r, off);
        for (int64_t i = 0; i < g.inner; i++) {
            uint64_t b = obn_str_heap_bytes(obn_str_len(xs[off[0] + i * sx]) + obn_str_len(ys[off[1] + i * sy]));
            bytes = bytes > UINT64_MAX - b ? UINT64_MAX : bytes + b;
        }
    }
    OBN_TRY(obn_op_count_bytes(ctx, bytes, z->name ? z->name : ""));
    for (int64_t r = 0; r < g.rows; r++) {
        int64_t off[2];
        obn_bcast_row(&g, r, off);
        for (int64_t i = 0; i < g.inner; i++) {
            const char *a = xs[off[0] + i * sx], *b = ys[off[1] + i * sy];
            size_t la = obn_str_len(a), lb = obn_str_len(b);
            if (la > OBN_MAX_STRING_BYTES - lb)
                return obn_ctx_err(ctx, OBN_E_UNSUPPORTED, "a result of %zu + %zu bytes is over onnxbn's string limit",
                                   la, lb);
            char *c;
            OBN_TRY(obn_str_alloc(la + lb, &c));
            if (la) memcpy(c, a, la);
            if (lb) memcpy(c + la, b, lb);
            obn_string_take(z, r * g.inner + i, c);
        }
    }
    return OBN_OK;
}

static const int versions[] = {20, 0};
static const char *const attr_names[] = {NULL};
static const obn_op_sig concat_sigs[] = {{20, "X Y", "Z"}, {0}};

const obn_op obn_op_string_concat = {
    .domain = "",
    .op_type = "StringConcat",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = concat_sigs,
    .flags = OBN_OP_STRINGS,
    .parse = concat_parse,
    .infer = concat_infer,
    .run = concat_run,
};
OBN_REGISTER_OP(obn_op_string_concat);
