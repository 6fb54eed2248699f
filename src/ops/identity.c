/* Identity (1, 13, 14, 16, 19, 21, 23, 24, 25): copies its input. 14 takes
 * sequences too, 16 optionals; 19+ only add element types onnxbn does not
 * store (float8, int4, float4, int2). Strings too. */
#include <string.h>

#include "op_util.h"
#include "string_tensor.h"
#include "value.h"

static obn_status identity_parse(const obn_node *n, int v, void *out)
{
    (void)n;
    (void)v;
    (void)out;
    return OBN_OK;
}

static obn_status identity_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    if (x->kind != OBN_KIND_TENSOR) {
        int since = x->kind == OBN_KIND_SEQUENCE ? 14 : 16;
        if (ctx->since_version < since)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' is a %s, which Identity takes from version %d",
                               obn_in_name(ctx, 0), obn_kind_name(x->kind), since);
        return OBN_DEFER; /* copied by run, while planning */
    }
    OBN_TRY(obn_check_all_types(ctx, 0, "input", 19));
    return obn_set_output(ctx, 0, x->dtype, x->rank, x->dims);
}

static obn_status identity_run(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    if (x->kind != OBN_KIND_TENSOR) return obn_op_copy_output(ctx, 0, x);
    return obn_tensor_copy_data(ctx->outputs[0], x); /* strings copied */
}

static const int versions[] = {1, 13, 14, 16, 19, 21, 23, 24, 25, 0};
static const char *const attr_names[] = {NULL};

static const obn_op_sig identity_sigs[] = {{1, "input", "output"}, {0}};

const obn_op obn_op_identity = {
    .domain = "",
    .op_type = "Identity",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = identity_sigs,
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = identity_parse,
    .infer = identity_infer,
    .run = identity_run,
};
OBN_REGISTER_OP(obn_op_identity);
