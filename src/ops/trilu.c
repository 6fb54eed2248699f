/* Trilu (14): keeps the upper (upper=1, default) or lower triangle of the
 * last two dims [N, M] and zeroes the rest. The optional scalar int64 input
 * 'k' (default 0) shifts the diagonal: upper keeps column j of row i when
 * j - i >= k, lower when j - i <= k. Any storable type; k may be known only
 * at run time. */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    bool upper;
} trilu_attrs;

static obn_status trilu_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    int64_t upper;
    OBN_TRY(obn_attr_int_range(n, "upper", 1, 0, 1, &upper));
    ((trilu_attrs *)out)->upper = upper != 0;
    return OBN_OK;
}

/* k, clamped to [-(N+M), N+M] (anything beyond keeps all or nothing), so
 * that row + k cannot overflow. OBN_DEFER while its data is unknown. */
static obn_status trilu_k(const obn_op_ctx *ctx, int64_t *k)
{
    *k = 0;
    if (!obn_has_input(ctx, 1)) return OBN_OK;
    static const obn_dtype int64_only[] = {OBN_INT64, OBN_UNDEFINED};
    OBN_TRY(obn_check_input_dtype(ctx, 1, "k", int64_only));
    const obn_tensor *kt = ctx->inputs[1], *x = ctx->inputs[0];
    if (kt->numel != 1 || kt->rank > 1)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'k' ('%s') must be a scalar (rank %d, %lld elements)",
                           obn_in_name(ctx, 1), kt->rank, (long long)kt->numel);
    if (!kt->data) return OBN_DEFER;
    int64_t lim = x->dims[x->rank - 2] + x->dims[x->rank - 1], v = obn_load_i64(kt, 0);
    *k = v > lim ? lim : v < -lim ? -lim : v;
    return OBN_OK;
}

static obn_status trilu_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_input_dtype(ctx, 0, "input", OBN_ALL_TYPES));
    OBN_TRY(obn_check_rank(ctx, 0, "input", 2, OBN_MAX_RANK));
    int64_t k = 0;
    obn_status s = trilu_k(ctx, &k);
    if (s != OBN_OK && s != OBN_DEFER) return s;
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status trilu_run(obn_op_ctx *ctx)
{
    const trilu_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    int64_t k = 0;
    OBN_TRY(trilu_k(ctx, &k));
    int64_t rows = x->dims[x->rank - 2], cols = x->dims[x->rank - 1];
    int64_t mats = obn_dims_product(x->dims, 0, x->rank - 2);
    size_t es = obn_dtype_size(x->dtype);
    const char *src = x->data;
    char *dst = ctx->outputs[0]->data;
    for (int64_t m = 0; m < mats; m++) {
        for (int64_t i = 0; i < rows; i++) {
            int64_t lo = a->upper ? i + k : 0, hi = a->upper ? cols : i + k + 1; /* kept columns [lo, hi) */
            lo = lo < 0 ? 0 : lo > cols ? cols : lo;
            hi = hi < lo ? lo : hi > cols ? cols : hi;
            size_t row = (size_t)((m * rows + i) * cols) * es;
            if (dst != src && hi > lo) memcpy(dst + row + (size_t)lo * es, src + row + (size_t)lo * es, (size_t)(hi - lo) * es);
            memset(dst + row, 0, (size_t)lo * es);
            memset(dst + row + (size_t)hi * es, 0, (size_t)(cols - hi) * es);
        }
    }
    return OBN_OK;
}

static const int versions[] = {14, 0};
static const char *const attr_names[] = {"upper", NULL};
static const obn_op_sig trilu_sigs[] = {{14, "input ?k", "output"}, {0}};

const obn_op obn_op_trilu = {
    .domain = "",
    .op_type = "Trilu",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = trilu_sigs,
    .attrs_size = sizeof(trilu_attrs),
    .parse = trilu_parse,
    .infer = trilu_infer,
    .run = trilu_run,
};
OBN_REGISTER_OP(obn_op_trilu);
