/* The operator registry. The list of descriptors is generated at build time
 * from the OBN_REGISTER_OP lines of the files in src/ops/, so adding an operator means
 * adding its file and nothing else. */
#include <string.h>

#include "custom_op.h"
#include "op.h"

#define OBN_OP_ENTRY(symbol) extern const obn_op symbol;
#include "ops_list.h"
#undef OBN_OP_ENTRY

static const obn_op *const all_ops[] = {
#define OBN_OP_ENTRY(symbol) &symbol,
#include "ops_list.h"
#undef OBN_OP_ENTRY
};

static const size_t n_ops = sizeof all_ops / sizeof all_ops[0];

size_t obn_operator_count(void) { return n_ops; }

obn_status obn_operator(size_t index, const char **domain, const char **op_type, const int **since_versions)
{
    if (!domain || !op_type || !since_versions) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_operator: NULL argument");
    if (index >= n_ops) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_operator: index %zu out of range (%zu)", index, n_ops);
    *domain = all_ops[index]->domain;
    *op_type = all_ops[index]->op_type;
    *since_versions = all_ops[index]->since_versions;
    return OBN_OK;
}

obn_status obn_operator_signature(size_t index, int since_version, const char **inputs, const char **outputs)
{
    if (!inputs || !outputs) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_operator_signature: NULL argument");
    if (index >= n_ops)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_operator_signature: index %zu out of range (%zu)", index, n_ops);
    const obn_op *op = all_ops[index];
    bool implemented = false;
    for (const int *v = op->since_versions; *v; v++) implemented |= *v == since_version;
    const obn_op_sig *sig = implemented ? obn_op_sig_find(op, since_version) : NULL;
    if (!sig)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_operator_signature: %s does not implement version %d",
                       op->op_type, since_version);
    *inputs = sig->inputs;
    *outputs = sig->outputs;
    return OBN_OK;
}

const obn_op *obn_registry_find(const char *domain, const char *op_type, int64_t opset,
                                int *since_version)
{
    if (strcmp(domain, "ai.onnx") == 0) domain = "";
    const obn_op *named = NULL, *best_op = NULL;
    int best = 0;
    /* an op may be split over several descriptors (version ranges): take the
     * highest version <= opset over all of them */
    for (size_t i = 0; i < n_ops; i++) {
        const obn_op *op = all_ops[i];
        if (strcmp(op->domain, domain) != 0 || strcmp(op->op_type, op_type) != 0) continue;
        named = op;
        for (const int *v = op->since_versions; *v; v++)
            if (*v <= opset && *v > best) {
                best = *v;
                best_op = op;
            }
    }
    if (best_op) {
        *since_version = best;
        return best_op;
    }
    const char *dom = domain[0] ? domain : "ai.onnx";
    if (named)
        obn_err(OBN_E_UNSUPPORTED, "operator %s of domain %s has no implemented version for opset %lld (first implemented: %d)",
                op_type, dom, (long long)opset, named->since_versions[0]);
    else
        obn_err(OBN_E_UNSUPPORTED, "operator %s (domain %s, opset %lld) is not supported by onnxbn",
                op_type, dom, (long long)opset);
    return NULL;
}

const obn_op *obn_registry_find_in(const obn_op_registry *custom, const char *domain, const char *op_type,
                                   int64_t opset, int *since_version)
{
    bool defined = false;
    const obn_op *op = obn_custom_find(custom, domain, op_type, opset, since_version, &defined);
    if (op) return op;
    if (!defined) return obn_registry_find(domain, op_type, opset, since_version);
    char versions[128];
    obn_custom_versions(custom, domain, op_type, versions, sizeof versions);
    const char *dom = domain[0] && strcmp(domain, "ai.onnx") != 0 ? domain : "ai.onnx";
    obn_err(OBN_E_UNSUPPORTED, "custom operator %s of domain %s has no version for opset %lld (registered: %s)",
            op_type, dom, (long long)opset, versions);
    return NULL;
}
