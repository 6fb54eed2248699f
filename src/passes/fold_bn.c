/* BatchNormalization folding. An inference-mode BN is a per-channel affine
 * map y = x*s + t with s = scale / sqrt(var + eps), t = B - mean*s. When the
 * neighbouring node is linear in that channel, the map folds into its
 * constant weights and the BN node disappears:
 *   Conv/ConvTranspose -> BN : W'[oc] = W[oc]*s[oc],  b' = b*s + t
 *   Gemm -> BN               : B' columns *= s,  C' = C*s + t/beta
 *   MatMul [-> Add] -> BN    : becomes Gemm(A, W*s, bias*s + t)
 *   BN -> Conv (no padding)  : W'[.,c] = W[.,c]*s[c],  b' = b + sum W*t
 * Every fold is computed in double and rounded once; a fold that would
 * overflow the weight type, or any precondition that fails, leaves the graph
 * unchanged and logs the reason.
 *
 * For a session (defer_conv_weights), Conv -> BN with float weights stores
 * no folded copy: the new weights are a deferred tensor (runtime/tensor.h,
 * the originals and s), which a Conv that packs its weights reads while
 * packing and anything else materialises first -- the same floats either
 * way, at half the memory and writes. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/weight_scan.h"
#include "passes.h"
#include "plan.h"
#include "status.h"

typedef struct {
    int64_t c;
    double *s, *t;
} bn_affine;

typedef struct {
    obn_graph *g;
    obn_pass_log *log;
    bool defer;  /* Conv -> BN: deferred weights (see the top) */
    int *uses;
    char why[512]; /* reason of the last refusal */
} fold_ctx;

static void affine_free(bn_affine *a)
{
    free(a->s);
    free(a->t);
    a->s = a->t = NULL;
}

static double load(const obn_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case OBN_FLOAT: return ((const float *)t->data)[i];
    case OBN_DOUBLE: return ((const double *)t->data)[i];
    default: return NAN;
    }
}

static bool weights_supported(fold_ctx *fc, const obn_tensor *t, const char *what)
{
    if (t->dtype == OBN_FLOAT || t->dtype == OBN_DOUBLE) return true;
    snprintf(fc->why, sizeof fc->why, "%s '%s' is %s (folding handles float and double)", what, t->name ? t->name : "",
             obn_dtype_name(t->dtype));
    return false;
}

/* New tensor of dtype/shape like `like`, uninitialised: every fold writes
 * each element (or releases the tensor on refusal). */
static obn_status new_like(obn_dtype dt, int rank, const int64_t *dims, obn_tensor **out)
{
    return obn_tensor_new_uninit(dt, rank, dims, out);
}

/* Stores v, refusing values the dtype cannot hold. */
static bool store(fold_ctx *fc, obn_tensor *t, int64_t i, double v)
{
    if (!isfinite(v) || (t->dtype == OBN_FLOAT && fabs(v) > FLT_MAX)) {
        snprintf(fc->why, sizeof fc->why, "the folded weights would overflow %s (|value| %.3g)", obn_dtype_name(t->dtype), v);
        return false;
    }
    if (t->dtype == OBN_FLOAT) ((float *)t->data)[i] = (float)v;
    else ((double *)t->data)[i] = v;
    return true;
}

/* Checks the BN itself and computes its affine map. */
static bool bn_affine_of(fold_ctx *fc, const obn_node *bn, bn_affine *a)
{
    const obn_graph *g = fc->g;
    memset(a, 0, sizeof *a);
    if (bn->since_version >= 14 && obn_pass_attr_int(bn, "training_mode", 0) != 0) {
        snprintf(fc->why, sizeof fc->why, "it runs in training mode (training_mode=1)");
        return false;
    }
    for (int k = 1; k < bn->n_outputs; k++)
        if (bn->outputs[k] >= 0) {
            snprintf(fc->why, sizeof fc->why, "its optional output '%s' is used", g->values[bn->outputs[k]].name);
            return false;
        }
    if (bn->since_version <= 7 && obn_pass_attr_int(bn, "spatial", 1) == 0) {
        snprintf(fc->why, sizeof fc->why, "spatial=0 (per-activation statistics) cannot fold into per-channel weights");
        return false;
    }
    static const char *roles[] = {"X", "scale", "B", "mean", "var"};
    const obn_tensor *p[5] = {NULL};
    for (int k = 1; k < 5; k++) {
        p[k] = obn_pass_const(g, bn->inputs[k]);
        if (!p[k]) {
            snprintf(fc->why, sizeof fc->why, "its input '%s' ('%s') is not constant", roles[k], g->values[bn->inputs[k]].name);
            return false;
        }
        if (!weights_supported(fc, p[k], roles[k])) return false;
        if (p[k]->numel != p[1]->numel) {
            snprintf(fc->why, sizeof fc->why, "its inputs 'scale' and '%s' have different lengths", roles[k]);
            return false;
        }
    }
    double eps = obn_pass_attr_float(bn, "epsilon", 1e-5f);
    a->c = p[1]->numel;
    a->s = malloc((size_t)(a->c ? a->c : 1) * sizeof(double));
    a->t = malloc((size_t)(a->c ? a->c : 1) * sizeof(double));
    if (!a->s || !a->t) {
        affine_free(a);
        snprintf(fc->why, sizeof fc->why, "out of memory");
        return false;
    }
    for (int64_t c = 0; c < a->c; c++) {
        a->s[c] = load(p[1], c) / sqrt(load(p[4], c) + eps);
        a->t[c] = load(p[2], c) - load(p[3], c) * a->s[c];
        if (!isfinite(a->s[c]) || !isfinite(a->t[c])) {
            snprintf(fc->why, sizeof fc->why, "channel %lld has var + epsilon <= 0 or non-finite parameters", (long long)c);
            affine_free(a);
            return false;
        }
    }
    return true;
}

/* x (the BN input) must feed only the BN and not be a graph output. */
static bool single_use(fold_ctx *fc, int value, const char *who)
{
    if (obn_graph_is_output(fc->g, value)) {
        snprintf(fc->why, sizeof fc->why, "the output '%s' of %s is a graph output", fc->g->values[value].name, who);
        return false;
    }
    if (fc->uses[value] != 1) {
        snprintf(fc->why, sizeof fc->why, "the output '%s' of %s has %d consumers", fc->g->values[value].name, who,
                 fc->uses[value]);
        return false;
    }
    return true;
}

/* Makes the producer write the BN's output and removes the BN. */
static void take_over_output(fold_ctx *fc, int producer, obn_node *bn)
{
    obn_graph *g = fc->g;
    int x = bn->inputs[0], y = bn->outputs[0];
    obn_node *p = &g->nodes[producer];
    for (int k = 0; k < p->n_outputs; k++)
        if (p->outputs[k] == x) p->outputs[k] = y;
    g->values[y].producer = producer;
    g->values[x].producer = -1;
    fc->uses[x] = 0;
    bn->dead = true;
}

/* Sets input k of a node, growing the input list if needed. */
static obn_status set_input(obn_node *n, int k, int value)
{
    if (k < n->n_inputs) {
        n->inputs[k] = value;
        return OBN_OK;
    }
    int in[16];
    if (k >= 16) return obn_err(OBN_E_RUNTIME, "set_input: index %d", k);
    for (int i = 0; i <= k; i++) in[i] = i < n->n_inputs ? n->inputs[i] : -1;
    in[k] = value;
    return obn_node_set_io(n, k + 1, in, n->n_outputs, n->outputs);
}

static obn_status set_int_attr(obn_node *n, const char *name, int64_t v)
{
    obn_attr a = {0};
    a.name = (char *)name;
    a.type = OBN_ATTR_INT;
    a.i = v;
    return obn_node_set_attr(n, &a);
}

static obn_status set_float_attr(obn_node *n, const char *name, float v)
{
    obn_attr a = {0};
    a.name = (char *)name;
    a.type = OBN_ATTR_FLOAT;
    a.f = v;
    return obn_node_set_attr(n, &a);
}

/* Installs new weight and bias tensors as inputs wi and bi of node. */
static obn_status install(fold_ctx *fc, int node, int wi, obn_tensor *w, int bi, obn_tensor *b)
{
    obn_graph *g = fc->g;
    int wid = -1, bid = -1;
    char base[400];
    obn_status s = OBN_OK;
    if (w) {
        snprintf(base, sizeof base, "%s_bnfold", g->values[g->nodes[node].inputs[wi]].name);
        s = obn_pass_add_init(g, base, w, &wid);
    }
    if (s == OBN_OK && b) {
        snprintf(base, sizeof base, "%s_bias_bnfold", g->nodes[node].name);
        s = obn_pass_add_init(g, base, b, &bid);
    }
    if (s == OBN_OK && w) s = set_input(&g->nodes[node], wi, wid);
    if (s == OBN_OK && b) s = set_input(&g->nodes[node], bi, bid);
    return s;
}

/* The end of a Conv -> BN fold once the new weights nw are made: the bias
 * b * s + t into nb (m channels; b may be NULL), both installed in the
 * node, which then gives the BN's output. OBN_OK without *done when a bias
 * does not fit its type (fc->why says so). */
static obn_status finish_conv_fold(fold_ctx *fc, int ci, obn_node *bn, const bn_affine *a, const obn_tensor *b,
                                   int64_t m, obn_tensor *nw, obn_tensor *nb, bool *done)
{
    bool ok = true;
    for (int64_t o = 0; ok && o < m; o++) ok = store(fc, nb, o, (b ? load(b, o) : 0.0) * a->s[o] + a->t[o]);
    if (!ok) return OBN_OK;
    OBN_TRY(install(fc, ci, 1, nw, 2, nb));
    take_over_output(fc, ci, bn);
    *done = true;
    return OBN_OK;
}

/* Conv -> BN with float weights, deferred: the folded weights W[oc]*s[oc]
 * become a row-scaled view of W (runtime/tensor.h). Refuses exactly what
 * store() would refuse for some element: a non-finite W, or a product over
 * FLT_MAX, found from each row's largest |W| (rounding is monotonic). */
static obn_status fold_into_conv_deferred(fold_ctx *fc, int ci, obn_node *bn, const bn_affine *a, const obn_tensor *w,
                                          const obn_tensor *b, bool *done)
{
    int64_t m = w->dims[0], run = w->numel / m;
    uint32_t *maxbits = malloc((size_t)m * sizeof *maxbits);
    if (!maxbits) return OBN_OOM();
    /* the session's threads while it creates its plan */
    obn_f32_row_abs_max_bits(w->data, m, run, maxbits, fc->g->plan_env ? fc->g->plan_env->threads : 1);
    for (int64_t r = 0; r < m; r++) {
        uint32_t bits = maxbits[r];
        float mx;
        memcpy(&mx, &bits, sizeof mx);
        double v = bits >= 0x7f800000u ? (double)mx : (double)mx * fabs(a->s[r]);
        if (!isfinite(v) || v > FLT_MAX) {
            snprintf(fc->why, sizeof fc->why, "the folded weights would overflow %s (|value| %.3g)",
                     obn_dtype_name(w->dtype), v);
            free(maxbits);
            return OBN_OK;
        }
    }
    free(maxbits);
    obn_tensor *nw = NULL, *nb = NULL;
    int64_t bdim[1] = {m};
    double *scale = malloc((size_t)m * sizeof *scale);
    if (!scale) return OBN_OOM();
    memcpy(scale, a->s, (size_t)m * sizeof *scale);
    obn_status s = obn_tensor_new_row_scaled((obn_tensor *)w, scale, &nw);
    if (s == OBN_OK) s = new_like(w->dtype, 1, bdim, &nb);
    if (s != OBN_OK) goto out;
    s = finish_conv_fold(fc, ci, bn, a, b, m, nw, nb, done);
out:
    obn_tensor_release(nw);
    obn_tensor_release(nb);
    return s;
}

/* Conv -> BN and ConvTranspose -> BN: scale each output channel's filter. */
static obn_status fold_into_conv(fold_ctx *fc, int ci, obn_node *bn, const bn_affine *a, bool *done)
{
    obn_graph *g = fc->g;
    obn_node *conv = &g->nodes[ci];
    bool transposed = strcmp(conv->op_type, "ConvTranspose") == 0;
    const obn_tensor *w = conv->n_inputs > 1 ? obn_pass_const(g, conv->inputs[1]) : NULL;
    const obn_tensor *b = conv->n_inputs > 2 ? obn_pass_const(g, conv->inputs[2]) : NULL;
    *done = false;
    if (!w || w->rank < 3) {
        snprintf(fc->why, sizeof fc->why, "the weights of %s '%s' are not a constant tensor", conv->op_type, conv->name);
        return OBN_OK;
    }
    if (conv->n_inputs > 2 && conv->inputs[2] >= 0 && !b) {
        snprintf(fc->why, sizeof fc->why, "the bias of %s '%s' is not constant", conv->op_type, conv->name);
        return OBN_OK;
    }
    if (!weights_supported(fc, w, "weight") || (b && !weights_supported(fc, b, "bias"))) return OBN_OK;
    int64_t group = obn_pass_attr_int(conv, "group", 1), m = w->dims[0];
    if (group < 1 || (transposed && __builtin_mul_overflow(w->dims[1], group, &m))) {
        snprintf(fc->why, sizeof fc->why, "%s '%s' has group=%lld, not a usable group count", conv->op_type,
                 conv->name, (long long)group);
        return OBN_OK;
    }
    if (a->c != m || (b && b->numel != m) || (transposed && w->dims[0] % group)) {
        snprintf(fc->why, sizeof fc->why, "%s '%s' has %lld output channels but the BN has %lld", conv->op_type,
                 conv->name, (long long)m, (long long)a->c);
        return OBN_OK;
    }
    if (fc->defer && !transposed && w->dtype == OBN_FLOAT && w->data && m > 0)
        return fold_into_conv_deferred(fc, ci, bn, a, w, b, done);
    obn_tensor *nw = NULL, *nb = NULL;
    int64_t bdim[1] = {m};
    obn_status s = new_like(w->dtype, w->rank, w->dims, &nw);
    if (s == OBN_OK) s = new_like(w->dtype, 1, bdim, &nb);
    if (s != OBN_OK) goto out;
    bool ok = true;
    /* W is [M, C/group, k...], or for ConvTranspose [C_in, M/group, k...]
     * where row j of input channel cin scales output channel
     * (cin's group) * M/group + j: each row's kernel shares one s. */
    int64_t rows = transposed ? w->dims[0] * w->dims[1] : m;
    int64_t run = w->numel / (rows ? rows : 1);
    for (int64_t r = 0; ok && r < rows; r++) {
        int64_t oc = r;
        if (transposed) {
            int64_t cin = r / w->dims[1], j = r % w->dims[1];
            oc = (cin / (w->dims[0] / group)) * w->dims[1] + j;
        }
        double sc = a->s[oc];
        for (int64_t i = r * run; ok && i < (r + 1) * run; i++) ok = store(fc, nw, i, load(w, i) * sc);
    }
    if (ok) s = finish_conv_fold(fc, ci, bn, a, b, m, nw, nb, done);
out:
    obn_tensor_release(nw);
    obn_tensor_release(nb);
    return s;
}

/* C' for Gemm: C*s[n] + t[n]/beta, broadcast to [N] or [M,N]. */
static bool gemm_bias(fold_ctx *fc, const obn_tensor *c, double beta, const bn_affine *a, obn_tensor **out)
{
    int64_t n = a->c, rows = 1;
    if (c && c->rank == 2 && c->dims[0] > 1) rows = c->dims[0];
    bool ok_shape = !c || c->numel == 1 || c->numel == n || (c->rank == 2 && (c->dims[1] == 1 || c->dims[1] == n));
    if (!ok_shape) {
        snprintf(fc->why, sizeof fc->why, "the Gemm bias C has a shape that does not broadcast to N=%lld", (long long)n);
        return false;
    }
    int64_t dims[2] = {rows, n};
    obn_status s = rows > 1 ? new_like(OBN_FLOAT, 2, dims, out) : new_like(OBN_FLOAT, 1, dims + 1, out);
    if (s != OBN_OK) {
        snprintf(fc->why, sizeof fc->why, "out of memory");
        return false;
    }
    if (c && c->dtype == OBN_DOUBLE) {
        obn_tensor_release(*out);
        s = rows > 1 ? new_like(OBN_DOUBLE, 2, dims, out) : new_like(OBN_DOUBLE, 1, dims + 1, out);
        if (s != OBN_OK) return false;
    }
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < n; j++) {
            double cv = 0;
            if (c) {
                int64_t cr = c->rank == 2 && c->dims[0] > 1 ? r : 0;
                int64_t cc = c->rank >= 1 && c->dims[c->rank - 1] == n ? j : 0;
                cv = load(c, c->rank == 2 ? cr * c->dims[1] + cc : cc);
            }
            if (!store(fc, *out, r * n + j, cv * a->s[j] + a->t[j] / beta)) return false;
        }
    return true;
}

/* Gemm -> BN over the N output columns. */
static obn_status fold_into_gemm(fold_ctx *fc, int gi, obn_node *bn, const bn_affine *a, bool *done)
{
    obn_graph *g = fc->g;
    obn_node *gemm = &g->nodes[gi];
    *done = false;
    const obn_tensor *bw = obn_pass_const(g, gemm->inputs[1]);
    bool has_c = gemm->n_inputs > 2 && gemm->inputs[2] >= 0;
    const obn_tensor *c = has_c ? obn_pass_const(g, gemm->inputs[2]) : NULL;
    if (!bw || bw->rank != 2) {
        snprintf(fc->why, sizeof fc->why, "input B of Gemm '%s' is not a constant matrix", gemm->name);
        return OBN_OK;
    }
    if (has_c && !c) {
        snprintf(fc->why, sizeof fc->why, "input C of Gemm '%s' is not constant", gemm->name);
        return OBN_OK;
    }
    if (!weights_supported(fc, bw, "B") || (c && !weights_supported(fc, c, "C"))) return OBN_OK;
    int64_t trans_b = obn_pass_attr_int(gemm, "transB", 0);
    double beta = obn_pass_attr_float(gemm, "beta", 1.0f);
    int64_t n = trans_b ? bw->dims[0] : bw->dims[1];
    if (n != a->c) {
        snprintf(fc->why, sizeof fc->why, "Gemm '%s' has N=%lld columns but the BN has %lld channels", gemm->name,
                 (long long)n, (long long)a->c);
        return OBN_OK;
    }
    if (!c || beta == 0.0) { /* no usable C: the new bias alone, with beta 1 */
        c = NULL;
        beta = 1.0;
    }
    obn_tensor *nw = NULL, *nc = NULL;
    obn_status s = new_like(bw->dtype, 2, bw->dims, &nw);
    if (s != OBN_OK) return s;
    bool ok = true;
    for (int64_t i = 0; ok && i < bw->numel; i++) {
        int64_t col = trans_b ? i / bw->dims[1] : i % bw->dims[1];
        ok = store(fc, nw, i, load(bw, i) * a->s[col]);
    }
    if (ok) ok = gemm_bias(fc, c, beta, a, &nc);
    if (ok) {
        s = install(fc, gi, 1, nw, 2, nc);
        if (s == OBN_OK) s = set_float_attr(&g->nodes[gi], "beta", (float)beta);
        if (s == OBN_OK && g->nodes[gi].since_version < 7) s = set_int_attr(&g->nodes[gi], "broadcast", 1);
        if (s == OBN_OK) {
            take_over_output(fc, gi, bn);
            *done = true;
        }
    }
    obn_tensor_release(nw);
    obn_tensor_release(nc);
    return s;
}

/* MatMul(A, W) [-> Add(bias)] -> BN, for a 2-D A: rewritten as one Gemm. */
static obn_status fold_into_matmul(fold_ctx *fc, int mi, int add, obn_node *bn, const bn_affine *a, const int *ranks,
                                   bool *done)
{
    obn_graph *g = fc->g;
    obn_node *mm = &g->nodes[mi];
    *done = false;
    const obn_tensor *w = obn_pass_const(g, mm->inputs[1]);
    if (!w || w->rank != 2) {
        snprintf(fc->why, sizeof fc->why, "the second input of MatMul '%s' is not a constant matrix", mm->name);
        return OBN_OK;
    }
    if (!ranks || ranks[mm->inputs[0]] != 2) {
        snprintf(fc->why, sizeof fc->why, "the first input of MatMul '%s' is not known to be 2-D", mm->name);
        return OBN_OK;
    }
    if (!weights_supported(fc, w, "weight")) return OBN_OK;
    const obn_tensor *bias = NULL;
    if (add >= 0) {
        const obn_node *ad = &g->nodes[add];
        int other = ad->inputs[0] == mm->outputs[0] ? ad->inputs[1] : ad->inputs[0];
        bias = obn_pass_const(g, other);
        if (!bias || !(bias->numel == 1 || bias->numel == w->dims[1]) || bias->rank > 2 ||
            (bias->rank == 2 && bias->dims[0] != 1) || !weights_supported(fc, bias, "bias")) {
            snprintf(fc->why, sizeof fc->why, "the Add after MatMul '%s' is not a constant [N] bias", mm->name);
            return OBN_OK;
        }
    }
    if (w->dims[1] != a->c) {
        snprintf(fc->why, sizeof fc->why, "MatMul '%s' has N=%lld columns but the BN has %lld channels", mm->name,
                 (long long)w->dims[1], (long long)a->c);
        return OBN_OK;
    }
    obn_tensor *nw = NULL, *nc = NULL;
    obn_status s = new_like(w->dtype, 2, w->dims, &nw);
    if (s != OBN_OK) return s;
    bool ok = true;
    for (int64_t i = 0; ok && i < w->numel; i++) ok = store(fc, nw, i, load(w, i) * a->s[i % w->dims[1]]);
    if (ok) ok = gemm_bias(fc, bias, 1.0, a, &nc);
    if (ok) s = install(fc, mi, 1, nw, 2, nc);
    if (ok && s == OBN_OK) {
        mm = &g->nodes[mi];
        char *gemm = strdup("Gemm");
        if (!gemm) s = OBN_OOM();
        else {
            free(mm->op_type);
            mm->op_type = gemm;
            if (obn_graph_opset(g, "") < 7) s = set_int_attr(mm, "broadcast", 1);
        }
        if (s == OBN_OK && add >= 0) { /* MatMul writes the Add's output; the Add goes */
            obn_node *ad = &g->nodes[add];
            int mid = mm->outputs[0];
            mm->outputs[0] = ad->outputs[0];
            g->values[ad->outputs[0]].producer = mi;
            g->values[mid].producer = -1;
            fc->uses[mid] = 0;
            ad->dead = true;
        }
        if (s == OBN_OK) {
            take_over_output(fc, mi, bn);
            *done = true;
        }
    }
    obn_tensor_release(nw);
    obn_tensor_release(nc);
    return s;
}

/* BN -> Conv: fold the BN into the Conv that reads it, when zero padding of
 * the BN output equals zero padding of its input (no pads, or t == 0). */
static obn_status fold_into_next_conv(fold_ctx *fc, int bi, const bn_affine *a, bool *done)
{
    obn_graph *g = fc->g;
    obn_node *bn = &g->nodes[bi];
    int y = bn->outputs[0];
    *done = false;
    int ci = -1;
    for (int i = 0; i < g->n_nodes && fc->uses[y] == 1 && !obn_graph_is_output(g, y); i++)
        if (!g->nodes[i].dead && g->nodes[i].n_inputs > 0 && g->nodes[i].inputs[0] == y) ci = i;
    if (ci < 0 || !obn_pass_is(&g->nodes[ci], "Conv")) {
        snprintf(fc->why + strlen(fc->why), sizeof fc->why - strlen(fc->why),
                 ", and its output does not feed exactly one Conv");
        return OBN_OK;
    }
    obn_node *conv = &g->nodes[ci];
    const obn_tensor *w = obn_pass_const(g, conv->inputs[1]);
    bool has_b = conv->n_inputs > 2 && conv->inputs[2] >= 0;
    const obn_tensor *b = has_b ? obn_pass_const(g, conv->inputs[2]) : NULL;
    int64_t group = obn_pass_attr_int(conv, "group", 1);
    if (!w || w->rank < 3 || (has_b && !b) || !weights_supported(fc, w, "weight") || (b && !weights_supported(fc, b, "bias"))) {
        snprintf(fc->why, sizeof fc->why, "the following Conv '%s' has non-constant weights", conv->name);
        return OBN_OK;
    }
    int64_t m = w->dims[0], cpg = w->dims[1];
    if (group < 1 || m % group || cpg * group != a->c) {
        snprintf(fc->why, sizeof fc->why, "the following Conv '%s' has %lld input channels, the BN %lld", conv->name,
                 (long long)(cpg * group), (long long)a->c);
        return OBN_OK;
    }
    bool padded = false;
    const obn_attr *pads = obn_node_attr(conv, "pads");
    for (size_t i = 0; pads && pads->type == OBN_ATTR_INTS && i < pads->n; i++) padded |= pads->ints[i] != 0;
    const obn_attr *ap = obn_node_attr(conv, "auto_pad");
    if (ap && ap->type == OBN_ATTR_STRING && strncmp(ap->s, "SAME", 4) == 0) padded = true;
    bool shift_zero = true;
    for (int64_t c = 0; c < a->c; c++) shift_zero &= a->t[c] == 0.0;
    if (padded && !shift_zero) {
        snprintf(fc->why, sizeof fc->why, "the following Conv '%s' pads its input, and padding does not commute with the BN shift",
                 conv->name);
        return OBN_OK;
    }
    obn_tensor *nw = NULL, *nb = NULL;
    int64_t bdim[1] = {m};
    obn_status s = new_like(w->dtype, w->rank, w->dims, &nw);
    if (s == OBN_OK) s = new_like(w->dtype, 1, bdim, &nb);
    if (s != OBN_OK) goto out;
    int64_t inner = w->numel / (m * cpg);
    bool ok = true;
    for (int64_t o = 0; ok && o < m; o++) {
        double acc = b ? load(b, o) : 0.0;
        int64_t gbase = (o / (m / group)) * cpg;
        for (int64_t cl = 0; ok && cl < cpg; cl++)
            for (int64_t k = 0; ok && k < inner; k++) {
                int64_t i = (o * cpg + cl) * inner + k;
                acc += load(w, i) * a->t[gbase + cl];
                ok = store(fc, nw, i, load(w, i) * a->s[gbase + cl]);
            }
        if (ok) ok = store(fc, nb, o, acc);
    }
    if (!ok) goto out;
    if ((s = install(fc, ci, 1, nw, 2, nb)) != OBN_OK) goto out;
    conv = &g->nodes[ci];
    bn = &g->nodes[bi];
    conv->inputs[0] = bn->inputs[0];
    fc->uses[y] = 0;
    g->values[y].producer = -1;
    bn->dead = true;
    snprintf(fc->why, sizeof fc->why, "%s", conv->name);
    *done = true;
out:
    obn_tensor_release(nw);
    obn_tensor_release(nb);
    return s;
}

/* Tries every fold for one BN and logs the outcome. */
static obn_status fold_one(fold_ctx *fc, int bi, const int *ranks)
{
    obn_graph *g = fc->g;
    char bn_name[256];
    snprintf(bn_name, sizeof bn_name, "%s", g->nodes[bi].name);
    bn_affine a;
    if (!bn_affine_of(fc, &g->nodes[bi], &a)) {
        obn_pass_log_add(fc->log, "kept BatchNormalization '%s': %s", bn_name, fc->why);
        return OBN_OK;
    }
    obn_status s = OBN_OK;
    bool done = false;
    int x = g->nodes[bi].inputs[0], pi = g->values[x].producer;
    const obn_node *p = pi >= 0 ? &g->nodes[pi] : NULL;
    char target[300] = "";
    if (!p || p->dead) {
        snprintf(fc->why, sizeof fc->why, "its input '%s' is not produced by a node", g->values[x].name);
    } else if (p->act.kind != OBN_ACT_NONE) {
        snprintf(fc->why, sizeof fc->why, "%s '%s' already has a fused activation", p->op_type, p->name);
    } else if (!single_use(fc, x, p->name)) {
        /* why is set */
    } else if (obn_pass_is(p, "Conv") || obn_pass_is(p, "ConvTranspose")) {
        snprintf(target, sizeof target, "%s '%s'", p->op_type, p->name);
        s = fold_into_conv(fc, pi, &g->nodes[bi], &a, &done);
    } else if (obn_pass_is(p, "Gemm")) {
        snprintf(target, sizeof target, "Gemm '%s'", p->name);
        s = fold_into_gemm(fc, pi, &g->nodes[bi], &a, &done);
    } else if (obn_pass_is(p, "MatMul")) {
        snprintf(target, sizeof target, "MatMul '%s' (now a Gemm)", p->name);
        s = fold_into_matmul(fc, pi, -1, &g->nodes[bi], &a, ranks, &done);
    } else if (obn_pass_is(p, "Add")) {
        int mm = -1;
        for (int k = 0; k < 2 && k < p->n_inputs; k++) {
            int v = p->inputs[k], q = v >= 0 ? g->values[v].producer : -1;
            if (q >= 0 && obn_pass_is(&g->nodes[q], "MatMul") && fc->uses[v] == 1 && !obn_graph_is_output(g, v)) mm = q;
        }
        if (mm >= 0) {
            snprintf(target, sizeof target, "MatMul '%s' + Add '%s' (now a Gemm)", g->nodes[mm].name, p->name);
            s = fold_into_matmul(fc, mm, pi, &g->nodes[bi], &a, ranks, &done);
        } else {
            snprintf(fc->why, sizeof fc->why, "its input comes from Add '%s', which does not add a bias to a MatMul", p->name);
        }
    } else {
        snprintf(fc->why, sizeof fc->why, "its input comes from %s '%s' (not Conv, ConvTranspose, Gemm or MatMul)",
                 p->op_type, p->name);
    }
    if (s == OBN_OK && !done) {
        s = fold_into_next_conv(fc, bi, &a, &done);
        if (s == OBN_OK && done) snprintf(target, sizeof target, "the following Conv '%s'", fc->why);
    }
    if (s == OBN_OK) {
        if (done) obn_pass_log_add(fc->log, "folded BatchNormalization '%s' into %s", bn_name, target);
        else obn_pass_log_add(fc->log, "kept BatchNormalization '%s': %s", bn_name, fc->why);
    }
    affine_free(&a);
    return s;
}

/* Ranks of all values from a shape-inference run on the declared input
 * shapes (symbolic dims as 1); NULL when that is not possible. */
int *obn_pass_infer_ranks(const obn_graph *g);

obn_status obn_pass_fold_bn(obn_graph *g, bool defer_conv_weights, obn_pass_log *log)
{
    fold_ctx fc = {g, log, defer_conv_weights, NULL, ""};
    bool any_matmul = false, any_bn = false;
    for (int i = 0; i < g->n_nodes; i++) {
        any_bn |= obn_pass_is(&g->nodes[i], "BatchNormalization");
        any_matmul |= obn_pass_is(&g->nodes[i], "MatMul");
    }
    if (!any_bn) return OBN_OK;
    OBN_TRY(obn_pass_use_counts(g, &fc.uses));
    int *ranks = any_matmul ? obn_pass_infer_ranks(g) : NULL;
    obn_status s = OBN_OK;
    for (int i = 0; i < g->n_nodes && s == OBN_OK; i++)
        if (obn_pass_is(&g->nodes[i], "BatchNormalization")) s = fold_one(&fc, i, ranks);
    free(ranks);
    free(fc.uses);
    return s;
}
