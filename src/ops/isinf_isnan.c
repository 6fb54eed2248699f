/* IsNaN (9, 13, 20) and IsInf (10, 20): bool tensors of the input's shape.
 * IsInf tests +inf (detect_positive, default 1) and -inf (detect_negative,
 * default 1). Types: IsNaN float16/float/double (bfloat16 from 13 on);
 * IsInf float/double (float16, bfloat16 from 20 on). The float8 types the
 * spec adds in 20 are not stored by onnxbn and are refused. */
#include <math.h>
#include <string.h>

#include "op_helpers.h"

typedef struct {
    bool inf, positive, negative;
} class_attrs;

static obn_status class_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    class_attrs *a = out;
    a->inf = strcmp(n->op_type, "IsInf") == 0;
    int64_t pos, neg;
    OBN_TRY(obn_attr_int_range(n, "detect_positive", 1, 0, 1, &pos));
    OBN_TRY(obn_attr_int_range(n, "detect_negative", 1, 0, 1, &neg));
    a->positive = pos != 0;
    a->negative = neg != 0;
    return OBN_OK;
}

static obn_status class_infer(obn_op_ctx *ctx)
{
    static const obn_dtype isinf_types[] = {OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    static const obn_dtype isnan_legacy[] = {OBN_FLOAT16, OBN_FLOAT, OBN_DOUBLE, OBN_UNDEFINED};
    const class_attrs *a = ctx->attrs;
    int v = ctx->since_version;
    const obn_dtype *allowed = v >= (a->inf ? 20 : 13) ? OBN_FLOAT_TYPES : a->inf ? isinf_types : isnan_legacy;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", allowed));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, OBN_BOOL, x->rank, x->dims);
}

static obn_status class_run(obn_op_ctx *ctx)
{
    const class_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    uint8_t *y = ctx->outputs[0]->data;
    if (x->dtype == OBN_FLOAT) {
        const float *p = x->data;
        if (!a->inf)
            for (int64_t i = 0; i < x->numel; i++) y[i] = isnan(p[i]) != 0;
        else
            for (int64_t i = 0; i < x->numel; i++) y[i] = (a->positive && p[i] == INFINITY) || (a->negative && p[i] == -INFINITY);
        return OBN_OK;
    }
    for (int64_t i = 0; i < x->numel; i++) {
        double v = obn_load_f64(x, i); /* exact for every accepted type */
        y[i] = a->inf ? (a->positive && v == INFINITY) || (a->negative && v == -INFINITY) : isnan(v) != 0;
    }
    return OBN_OK;
}

static const int isnan_versions[] = {9, 13, 20, 0};
static const int isinf_versions[] = {10, 20, 0};
static const char *const isnan_attr_names[] = {NULL};
static const char *const isinf_attr_names[] = {"detect_negative", "detect_positive", NULL};
static const obn_op_sig class_sigs[] = {{9, "X", "Y"}, {0}};

#define CLASS_OP(sym, name, vers, attrs)                                                                               \
    const obn_op sym = {.domain = "", .op_type = name, .since_versions = vers, .attr_names = attrs, .sigs = class_sigs, \
                        .attrs_size = sizeof(class_attrs), .parse = class_parse, .infer = class_infer, .run = class_run}

CLASS_OP(obn_op_isnan, "IsNaN", isnan_versions, isnan_attr_names);
OBN_REGISTER_OP(obn_op_isnan);
CLASS_OP(obn_op_isinf, "IsInf", isinf_versions, isinf_attr_names);
OBN_REGISTER_OP(obn_op_isinf);
