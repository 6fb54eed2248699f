/* Optional (15): an optional holding `input` (a tensor or a sequence), or,
 * without input, an empty optional of the type attribute `type` (then
 * required). */
#include "seq_util.h"

typedef struct {
    obn_dtype empty_dtype; /* element type of the empty optional (no input) */
} optional_attrs;

static obn_status optional_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    optional_attrs *a = out;
    bool has_input = obn_node_n_formal(n) > 0 && n->inputs[0] >= 0;
    const obn_attr *type = obn_node_attr(n, "type");
    if (type && type->type != OBN_ATTR_TYPE_PROTO)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'type' must be a TYPE_PROTO, not %s",
                            obn_attr_type_name(type->type));
    if (!has_input && !type)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "has no input, so attribute 'type' must give the optional's type");
    if (type && (type->tp_n_wrap > 1 || (type->tp_n_wrap == 1 && type->tp_wrap[0] != OBN_KIND_SEQUENCE)))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'type' must be a tensor or sequence type");
    if (type && !obn_dtype_is_storable(type->tp_dtype))
        return obn_node_err(n, OBN_E_UNSUPPORTED, "attribute 'type': element type %s is not supported",
                            obn_dtype_name(type->tp_dtype));
    a->empty_dtype = type ? type->tp_dtype : OBN_UNDEFINED;
    return OBN_OK;
}

static obn_status optional_infer(obn_op_ctx *ctx)
{
    if (obn_has_input(ctx, 0) && ctx->inputs[0]->kind == OBN_KIND_OPTIONAL)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input '%s' is an optional: an optional cannot hold one",
                           obn_in_name(ctx, 0));
    return OBN_DEFER; /* made by run, while planning */
}

static obn_status optional_run(obn_op_ctx *ctx)
{
    const optional_attrs *a = ctx->attrs;
    const obn_tensor *x = obn_has_input(ctx, 0) ? ctx->inputs[0] : NULL;
    obn_tensor *opt, *item = NULL;
    if (x) OBN_TRY(obn_value_snapshot(x, &item));
    obn_status s = obn_seq_make_output(ctx, 0, OBN_KIND_OPTIONAL, x ? x->dtype : a->empty_dtype, 1, &opt);
    if (s != OBN_OK) {
        obn_tensor_release(item);
        return s;
    }
    if (item) obn_value_push(opt, item);
    return OBN_OK;
}

static const int versions[] = {15, 0};
static const char *const attr_names[] = {"type", NULL};
static const obn_op_sig optional_sigs[] = {{15, "?input", "output"}, {0}};

const obn_op obn_op_optional = {
    .domain = "",
    .op_type = "Optional",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = optional_sigs,
    .attrs_size = sizeof(optional_attrs),
    .flags = OBN_OP_RUN_SHAPES | OBN_OP_VALUES | OBN_OP_STRINGS,
    .parse = optional_parse,
    .infer = optional_infer,
    .run = optional_run,
};
OBN_REGISTER_OP(obn_op_optional);
