/* Operator signatures: the loader's one rule for missing inputs and outputs
 * (design rule 13). Every op declares, per version, which of its formal
 * inputs and outputs are optional; a node that leaves a required one out, or
 * gives it the empty name that ONNX uses for an omitted optional one, is
 * refused here with a message naming the node and the formal parameter. */
#include <stdio.h>
#include <string.h>

#include "op.h"
#include "status.h"

const obn_op_sig *obn_op_sig_find(const obn_op *op, int since_version)
{
    const obn_op_sig *best = NULL;
    for (const obn_op_sig *s = op->sigs; s && s->since_version; s++)
        if (s->since_version <= since_version) best = s;
    return best;
}

typedef struct formal {
    const char *name; /* not NUL-terminated: len characters */
    int len;
    bool optional, variadic;
} formal;

/* Splits a signature list into formals; returns how many (at most cap). */
static int parse_formals(const char *list, formal *out, int cap)
{
    int n = 0;
    const char *p = list ? list : "";
    while (*p && n < cap) {
        while (*p == ' ') p++;
        if (!*p) break;
        const char *start = p;
        while (*p && *p != ' ') p++;
        formal f = {start, (int)(p - start), false, false};
        if (f.len && f.name[0] == '?') {
            f.optional = true;
            f.name++;
            f.len--;
        }
        if (f.len >= 3 && strncmp(f.name + f.len - 3, "...", 3) == 0) {
            f.variadic = true;
            f.len -= 3;
        }
        out[n++] = f;
    }
    return n;
}

#define MAX_FORMALS 32

/* Checks one side (inputs or outputs) of a node against its formals. */
static obn_status check_side(const char *desc, const char *side, const char *op_type, int sv, const char *list,
                             int n_actual, const int *actual)
{
    formal f[MAX_FORMALS];
    int nf = parse_formals(list, f, MAX_FORMALS);
    bool variadic = nf > 0 && f[nf - 1].variadic;
    int singular = side[0] == 'i' ? 5 : 6; /* "input" / "output" without the s */
    if (!variadic && n_actual > nf)
        return obn_err(OBN_E_INVALID_MODEL, "%s: has %d %s, %s-%d takes at most %d (%s)", desc, n_actual, side,
                       op_type, sv, nf, nf ? list : "none");
    for (int k = 0; k < nf || k < n_actual; k++) {
        const formal *fk = &f[k < nf ? k : nf - 1];
        bool present = k < n_actual && actual[k] >= 0;
        if (present || fk->optional) continue;
        if (k < n_actual)
            return obn_err(OBN_E_INVALID_MODEL, "%s: required %.*s '%.*s' (#%d) is empty (%s-%d: %s)", desc, singular,
                           side, fk->len, fk->name, k, op_type, sv, list);
        return obn_err(OBN_E_INVALID_MODEL, "%s: required %.*s '%.*s' (#%d) is missing (%s-%d: %s)", desc, singular,
                       side, fk->len, fk->name, k, op_type, sv, list);
    }
    return OBN_OK;
}

obn_status obn_check_node_io(const obn_node *n, const obn_op *op, int since_version)
{
    char d[OBN_NODE_DESC_CAP];
    obn_node_desc(n, d, sizeof d);
    const obn_op_sig *sig = obn_op_sig_find(op, since_version);
    if (!sig)
        return obn_err(OBN_E_RUNTIME, "%s: the operator declares no signature for version %d", d, since_version);
    OBN_TRY(check_side(d, "inputs", op->op_type, since_version, sig->inputs, obn_node_n_formal(n), n->inputs));
    return check_side(d, "outputs", op->op_type, since_version, sig->outputs, n->n_outputs, n->outputs);
}

/* ---- custom operators: their signatures are strings from the user */

static bool formal_name_ok(const formal *f)
{
    if (f->len == 0 || (f->name[0] >= '0' && f->name[0] <= '9')) return false;
    for (int i = 0; i < f->len; i++) {
        char c = f->name[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    }
    return true;
}

obn_status obn_op_sig_validate(const char *list, const char *label, const char *side)
{
    formal f[MAX_FORMALS + 1];
    int nf = parse_formals(list, f, MAX_FORMALS + 1);
    if (nf > MAX_FORMALS)
        return obn_err(OBN_E_INVALID_ARGUMENT, "custom operator %s: more than %d %s", label, MAX_FORMALS, side);
    for (int k = 0; k < nf; k++) {
        if (!formal_name_ok(&f[k]) || (f[k].variadic && k != nf - 1))
            return obn_err(OBN_E_INVALID_ARGUMENT,
                           "custom operator %s: %s \"%s\": formal #%d is not [?]name, or name... last", label, side,
                           list, k);
    }
    return OBN_OK;
}
