/* Dropout (1, 6, 7, 10, 12, 13, 22; 22 only adds float8 types).
 * Inference: output = input, and the optional mask output is all true (bool
 * from 10, the data type before). Versions before 12 are always treated as
 * inference whatever is_test says, as inference runtimes do.
 * From 12, training_mode is an input: when it is true and ratio (default
 * 0.5, in [0, 1)) is not 0, each element is kept when a uniform number in
 * [0, 1) is >= ratio, and output = mask * data / (1 - ratio). The numbers
 * come from MT19937 (kernels/random.h): with the `seed` attribute, from a
 * generator seeded with it at every run, in element order — the numbers
 * numpy's RandomState(seed).uniform(0, 1, shape) gives, as the ONNX
 * reference implementation draws them, so a seeded Dropout is reproducible
 * and matches it; without `seed`, from a fresh seed per run. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "kernels/random.h"
#include "op_helpers.h"

typedef struct {
    float ratio; /* attribute, before 12 */
    bool has_seed;
    uint32_t seed;
} dropout_attrs;

static obn_status dropout_parse(const obn_node *n, int v, void *out)
{
    dropout_attrs *a = out;
    const char *wrong = NULL;
    if (v >= 12 && obn_node_attr(n, "ratio")) wrong = "ratio";
    if (v < 12 && obn_node_attr(n, "seed")) wrong = "seed";
    if (v >= 7 && obn_node_attr(n, "is_test")) wrong = "is_test";
    if (v > 1 && obn_node_attr(n, "consumed_inputs")) wrong = "consumed_inputs";
    if (wrong) return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of Dropout-%d", wrong, v);
    int64_t is_test, seed;
    OBN_TRY(obn_attr_int_range(n, "is_test", 0, 0, 1, &is_test));
    OBN_TRY(obn_attr_get_int(n, "seed", 0, &seed));
    a->has_seed = obn_node_attr(n, "seed") != NULL;
    if (a->has_seed && (seed < 0 || seed > (int64_t)UINT32_MAX))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'seed' is %lld; expected an integer in [0, 2^32)",
                            (long long)seed);
    a->seed = (uint32_t)seed;
    OBN_TRY(obn_attr_get_float(n, "ratio", 0.5f, &a->ratio));
    if (!(a->ratio >= 0.0f && a->ratio < 1.0f))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'ratio' is %g; expected [0, 1)", (double)a->ratio);
    return OBN_OK;
}

/* From 12: the ratio input (checked when known) and whether this run drops
 * (training_mode true and ratio not 0). */
static obn_status read_mode(const obn_op_ctx *ctx, double *ratio, bool *drop)
{
    *ratio = 0.5;
    *drop = false;
    if (ctx->since_version < 12) return OBN_OK;
    if (obn_has_input(ctx, 1)) {
        obn_status s = obn_read_scalar_input(ctx, 1, "ratio", ratio);
        if (s == OBN_DEFER) return OBN_OK; /* checked again when running */
        OBN_TRY(s);
        if (!(*ratio >= 0 && *ratio < 1))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'ratio' is %g; expected [0, 1)", *ratio);
    }
    if (!obn_has_input(ctx, 2) || !ctx->inputs[2]->data) return OBN_OK;
    *drop = *(const uint8_t *)ctx->inputs[2]->data != 0 && *ratio != 0;
    return OBN_OK;
}

/* A seed for an unseeded Dropout: a counter shared by every node, mixed
 * with the clock (splitmix64's finaliser), so two runs draw different
 * masks. */
static uint32_t fresh_seed(void)
{
    static _Atomic uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t z = atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ull + (uint64_t)ts.tv_nsec +
                 ((uint64_t)ts.tv_sec << 30);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)(z ^ (z >> 31));
}

static obn_status dropout_infer(obn_op_ctx *ctx)
{
    static const obn_dtype legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype boolean[] = {OBN_BOOL, OBN_UNDEFINED};
    int v = ctx->since_version;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "data", v >= 13 ? OBN_FLOAT_TYPES : legacy));
    if (obn_has_input(ctx, 1)) OBN_TRY(obn_check_input_dtype(ctx, 1, "ratio", v >= 13 ? OBN_FLOAT_TYPES : legacy));
    if (obn_has_input(ctx, 2)) {
        OBN_TRY(obn_check_input_dtype(ctx, 2, "training_mode", boolean));
        if (ctx->inputs[2]->numel != 1)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'training_mode' must be a scalar");
    }
    double ratio;
    bool drop;
    OBN_TRY(read_mode(ctx, &ratio, &drop));
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, x->dims));
    return obn_set_output(ctx, 1, v >= 10 ? OBN_BOOL : x->dtype, x->rank, x->dims);
}

static obn_status dropout_run(obn_op_ctx *ctx)
{
    double ratio;
    bool drop;
    OBN_TRY(read_mode(ctx, &ratio, &drop));
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    obn_tensor *mask = obn_has_output(ctx, 1) ? ctx->outputs[1] : NULL;
    if (!drop) {
        if (x->nbytes) memcpy(y->data, x->data, x->nbytes);
        if (mask)
            for (int64_t i = 0; i < mask->numel; i++) obn_store_f64(mask, i, 1.0);
        return OBN_OK;
    }
    const dropout_attrs *a = ctx->attrs;
    obn_mt19937 rng;
    obn_mt19937_seed(&rng, a->has_seed ? a->seed : fresh_seed());
    double scale = 1.0 / (1.0 - ratio);
    for (int64_t i = 0; i < x->numel; i++) {
        bool keep = obn_mt19937_double(&rng) >= ratio;
        /* mask * data * scale: a dropped negative element gives -0 */
        obn_store_f64(y, i, (keep ? 1.0 : 0.0) * obn_load_f64(x, i) * scale);
        if (mask) obn_store_f64(mask, i, keep ? 1.0 : 0.0);
    }
    return OBN_OK;
}

static const int versions[] = {1, 6, 7, 10, 12, 13, 22, 0};
static const char *const attr_names[] = {"ratio", "is_test", "consumed_inputs", "seed", NULL};

static const obn_op_sig dropout_sigs[] = {{1, "data", "output ?mask"}, {12, "data ?ratio ?training_mode", "output ?mask"}, {0}};

const obn_op obn_op_dropout = {
    .domain = "",
    .op_type = "Dropout",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = dropout_sigs,
    .attrs_size = sizeof(dropout_attrs),
    .parse = dropout_parse,
    .infer = dropout_infer,
    .run = dropout_run,
};
OBN_REGISTER_OP(obn_op_dropout);
