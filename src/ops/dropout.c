/* Dropout (1, 6, 7, 10, 12, 13, 22; 22 only adds float8 types) for
 * inference: output = input, and the optional mask output is all true (bool
 * from 10, the data type before).
 * Versions before 12 are treated as inference whatever is_test says, as
 * inference runtimes do (an inference runtime has no training mode).
 * From 12, training_mode is an input: a true training_mode with ratio > 0
 * asks for random dropout and is rejected (at plan time when the inputs are
 * constant, else at run time); ratio must be in [0, 1). */
#include <string.h>

#include "op_helpers.h"

typedef struct {
    float ratio; /* attribute, before 12 */
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
    OBN_TRY(obn_attr_get_float(n, "ratio", 0.5f, &a->ratio));
    if (!(a->ratio >= 0.0f && a->ratio < 1.0f))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'ratio' is %g; expected [0, 1)", (double)a->ratio);
    return OBN_OK;
}

/* From 12: random dropout is requested when training_mode is true and
 * ratio (default 0.5) is not 0. */
static obn_status check_training(const obn_op_ctx *ctx)
{
    if (ctx->since_version < 12) return OBN_OK;
    double ratio = 0.5;
    if (obn_has_input(ctx, 1)) {
        obn_status s = obn_read_scalar_input(ctx, 1, "ratio", &ratio);
        if (s == OBN_DEFER) return OBN_OK; /* checked again when running */
        OBN_TRY(s);
        if (!(ratio >= 0 && ratio < 1))
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'ratio' is %g; expected [0, 1)", ratio);
    }
    if (!obn_has_input(ctx, 2) || !ctx->inputs[2]->data) return OBN_OK;
    bool training = *(const uint8_t *)ctx->inputs[2]->data != 0;
    if (training && ratio != 0)
        return obn_ctx_err(ctx, OBN_E_UNSUPPORTED,
                           "training_mode is true with ratio %g: random (training) dropout is not supported", ratio);
    return OBN_OK;
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
    OBN_TRY(check_training(ctx));
    const obn_tensor *x = ctx->inputs[0];
    OBN_TRY(obn_set_output(ctx, 0, x->dtype, x->rank, x->dims));
    return obn_set_output(ctx, 1, v >= 10 ? OBN_BOOL : x->dtype, x->rank, x->dims);
}

static obn_status dropout_run(obn_op_ctx *ctx)
{
    OBN_TRY(check_training(ctx));
    const obn_tensor *x = ctx->inputs[0];
    if (x->nbytes) memcpy(ctx->outputs[0]->data, x->data, x->nbytes);
    if (obn_has_output(ctx, 1)) {
        obn_tensor *mask = ctx->outputs[1];
        for (int64_t i = 0; i < mask->numel; i++) obn_store_f64(mask, i, 1.0);
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
