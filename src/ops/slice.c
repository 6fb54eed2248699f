/* Slice (1, 10, 11, 13). Version 1 takes starts/ends/axes as attributes;
 * 10+ as inputs (axes and steps optional), whose data must be known to plan
 * (otherwise OBN_DEFER). Per sliced axis of size d:
 *   negative start/end add d; with step > 0 both clamp to [0, d], with
 *   step < 0 start clamps to [0, d-1] and end to [-1, d-1];
 *   the axis keeps max(0, ceil((end - start) / step)) elements.
 * Any storable type; the innermost run is copied with memcpy when its step
 * is 1. */
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    int n_starts, n_ends, n_axes; /* version 1 attributes; -1 if absent */
    int64_t starts[OBN_MAX_RANK], ends[OBN_MAX_RANK], axes[OBN_MAX_RANK];
} slice_attrs;

/* Per input axis: first element, step, output length. */
typedef struct {
    int64_t start[OBN_MAX_RANK], step[OBN_MAX_RANK], len[OBN_MAX_RANK];
} slice_plan;

static obn_status slice_parse(const obn_node *n, int v, void *out)
{
    slice_attrs *a = out;
    static const char *const names[3] = {"starts", "ends", "axes"};
    int64_t *lists[3] = {a->starts, a->ends, a->axes};
    int *counts[3] = {&a->n_starts, &a->n_ends, &a->n_axes};
    for (int i = 0; i < 3; i++) {
        *counts[i] = -1;
        if (!obn_node_attr(n, names[i])) continue;
        if (v >= 10)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of Slice-%d (it is an input)", names[i], v);
        size_t c;
        OBN_TRY(obn_attr_get_ints(n, names[i], OBN_MAX_RANK, lists[i], &c));
        *counts[i] = (int)c;
    }
    if (v < 10 && (a->n_starts < 0 || a->n_ends < 0))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attributes 'starts' and 'ends' are required by Slice-%d", v);
    return OBN_OK;
}

/* Reads starts/ends/axes/steps (attributes or inputs) into per-axis lists. */
static obn_status read_params(const obn_op_ctx *ctx, int64_t *starts, int64_t *ends, int64_t *axes, int64_t *steps,
                              size_t *n, bool *axes_given)
{
    const slice_attrs *a = ctx->attrs;
    size_t ns, ne, na = 0, nt = 0;
    if (ctx->since_version < 10) {
        ns = (size_t)a->n_starts;
        ne = (size_t)a->n_ends;
        memcpy(starts, a->starts, ns * sizeof *starts);
        memcpy(ends, a->ends, ne * sizeof *ends);
        *axes_given = a->n_axes >= 0;
        if (*axes_given) {
            na = (size_t)a->n_axes;
            memcpy(axes, a->axes, na * sizeof *axes);
        }
    } else {
        /* read every present input first, so that a later one's type error
         * is reported even when an earlier one defers */
        obn_status s1 = obn_read_int_input(ctx, 1, "starts", OBN_MAX_RANK, starts, &ns);
        if (s1 != OBN_OK && s1 != OBN_DEFER) return s1;
        obn_status s2 = obn_read_int_input(ctx, 2, "ends", OBN_MAX_RANK, ends, &ne);
        if (s2 != OBN_OK && s2 != OBN_DEFER) return s2;
        obn_status s3 = OBN_OK, s4 = OBN_OK;
        *axes_given = obn_has_input(ctx, 3);
        if (*axes_given && (s3 = obn_read_int_input(ctx, 3, "axes", OBN_MAX_RANK, axes, &na)) != OBN_OK && s3 != OBN_DEFER)
            return s3;
        if (obn_has_input(ctx, 4) && (s4 = obn_read_int_input(ctx, 4, "steps", OBN_MAX_RANK, steps, &nt)) != OBN_OK &&
            s4 != OBN_DEFER)
            return s4;
        if (s1 || s2 || s3 || s4) return OBN_DEFER;
        if (ctx->inputs[1]->dtype != ctx->inputs[2]->dtype)
            return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "inputs 'starts' and 'ends' have different types");
    }
    if (ns != ne) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'starts' has %zu values but 'ends' has %zu", ns, ne);
    if (*axes_given && na != ns)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'axes' has %zu values but 'starts' has %zu", na, ns);
    if (obn_has_input(ctx, 4) && nt != ns)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'steps' has %zu values but 'starts' has %zu", nt, ns);
    if (!obn_has_input(ctx, 4) || ctx->since_version < 10)
        for (size_t i = 0; i < ns; i++) steps[i] = 1;
    *n = ns;
    return OBN_OK;
}

static obn_status make_plan(const obn_op_ctx *ctx, slice_plan *p)
{
    const obn_tensor *x = ctx->inputs[0];
    int64_t starts[OBN_MAX_RANK], ends[OBN_MAX_RANK], axes[OBN_MAX_RANK], steps[OBN_MAX_RANK];
    size_t n = 0;
    bool axes_given = false;
    OBN_TRY(read_params(ctx, starts, ends, axes, steps, &n, &axes_given));
    if (n > (size_t)x->rank)
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "slices %zu axes of a rank-%d input", n, x->rank);
    int norm[OBN_MAX_RANK];
    if (axes_given) {
        OBN_TRY(obn_norm_axes(ctx, "axes", axes, n, x->rank, norm));
    } else {
        for (size_t i = 0; i < n; i++) norm[i] = (int)i;
    }
    for (int d = 0; d < x->rank; d++) {
        p->start[d] = 0;
        p->step[d] = 1;
        p->len[d] = x->dims[d];
    }
    for (size_t i = 0; i < n; i++) {
        int ax = norm[i];
        int64_t dim = x->dims[ax], s = starts[i], e = ends[i], st = steps[i];
        if (st == 0) return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "'steps' value for axis %d is 0", ax);
        if (s < 0) s += dim;
        if (e < 0) e += dim;
        if (st > 0) {
            s = s < 0 ? 0 : s > dim ? dim : s;
            e = e < 0 ? 0 : e > dim ? dim : e;
        } else {
            s = s < 0 ? 0 : s > dim - 1 ? dim - 1 : s;
            e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
        }
        int64_t len = 0;
        if (st > 0 && e > s) len = (e - s - 1) / st + 1;
        else if (st < 0 && s > e) len = (int64_t)((uint64_t)(s - e - 1) / (0 - (uint64_t)st)) + 1; /* -INT64_MIN safe */
        p->start[ax] = len ? s : 0;
        p->step[ax] = st;
        p->len[ax] = len;
    }
    return OBN_OK;
}

static obn_status slice_infer(obn_op_ctx *ctx)
{
    OBN_TRY(obn_check_all_types(ctx, 0, "data", 0));
    slice_plan p;
    OBN_TRY(make_plan(ctx, &p));
    const obn_tensor *x = ctx->inputs[0];
    return obn_set_output(ctx, 0, x->dtype, x->rank, p.len);
}

static obn_status slice_elems(obn_op_ctx *ctx)
{
    slice_plan p;
    OBN_TRY(make_plan(ctx, &p));
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (y->numel == 0) return OBN_OK;
    int r = x->rank;
    size_t es = obn_dtype_elem_bytes(x->dtype);
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return OBN_OK;
    }
    int64_t strides[OBN_MAX_RANK], s = 1;
    for (int d = r - 1; d >= 0; d--) {
        strides[d] = s;
        s *= x->dims[d];
    }
    int64_t inner = p.len[r - 1], rows = y->numel / inner;
    int64_t idx[OBN_MAX_RANK] = {0};
    const char *src = x->data;
    char *dst = y->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0;
        for (int d = 0; d < r - 1; d++) off += (p.start[d] + idx[d] * p.step[d]) * strides[d];
        off += p.start[r - 1];
        if (p.step[r - 1] == 1) {
            memcpy(dst, src + (size_t)off * es, (size_t)inner * es);
        } else {
            for (int64_t i = 0; i < inner; i++)
                memcpy(dst + (size_t)i * es, src + (size_t)(off + i * p.step[r - 1]) * es, es);
        }
        dst += (size_t)inner * es;
        for (int d = r - 2; d >= 0; d--) {
            if (++idx[d] < p.len[d]) break;
            idx[d] = 0;
        }
    }
    return OBN_OK;
}

/* Strings: the element pointers are copied, then the output gets copies of
 * its own. */
static obn_status slice_run(obn_op_ctx *ctx)
{
    obn_status s = slice_elems(ctx);
    return ctx->outputs[0]->dtype == OBN_STRING ? obn_strings_own_copies(ctx, ctx->outputs[0], s) : s;
}

static const int versions[] = {1, 10, 11, 13, 0};
static const char *const attr_names[] = {"starts", "ends", "axes", NULL};

static const obn_op_sig slice_sigs[] = {{1, "data", "output"}, {10, "data starts ends ?axes ?steps", "output"}, {0}};

const obn_op obn_op_slice = {
    .domain = "",
    .op_type = "Slice",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = slice_sigs,
    .attrs_size = sizeof(slice_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = slice_parse,
    .infer = slice_infer,
    .run = slice_run,
};
OBN_REGISTER_OP(obn_op_slice);
