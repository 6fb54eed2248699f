/* A plugin whose registration fails half-way: it adds one operator, then
 * tries to add it again. The host must undo the first addition. */
#include "onnxbn.h"

static obn_status same_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = obn_op_input(ctx, 0);
    return obn_op_set_output(ctx, 0, obn_tensor_dtype(x), obn_tensor_rank(x), obn_tensor_dims(x));
}

static obn_status nothing(obn_op_ctx *ctx)
{
    (void)ctx;
    return OBN_OK;
}

static obn_status register_ops(obn_op_registry *registry)
{
    obn_custom_op op = {.abi_version = OBN_OP_ABI_VERSION, .domain = "test.failing", .op_type = "Twice",
                        .since_version = 1, .inputs = "X", .outputs = "Y", .infer = same_infer, .compute = nothing};
    obn_status s = obn_op_registry_add(registry, &op);
    if (s == OBN_OK) s = obn_op_registry_add(registry, &op);
    return s;
}

OBN_PLUGIN_REGISTER(register_ops)
