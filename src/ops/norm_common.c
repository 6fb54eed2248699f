#include "norm_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

obn_kfmt obn_kfmt_of(obn_dtype dt)
{
    switch (dt) {
    case OBN_DOUBLE: return OBN_KF64;
    case OBN_FLOAT16: return OBN_KF16;
    case OBN_BFLOAT16: return OBN_KBF16;
    default: return OBN_KF32;
    }
}

obn_status obn_norm_epsilon(const obn_node *n, float *out)
{
    OBN_TRY(obn_attr_get_float(n, "epsilon", 1e-5f, out));
    if (!isfinite(*out) || *out < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'epsilon' must be finite and >= 0, got %g", (double)*out);
    return OBN_OK;
}

obn_status obn_norm_stash_type(const obn_node *n, const obn_dtype *allowed, obn_dtype *out)
{
    int64_t v;
    OBN_TRY(obn_attr_get_int(n, "stash_type", OBN_FLOAT, &v));
    for (const obn_dtype *a = allowed; *a != OBN_UNDEFINED; a++)
        if ((int64_t)*a == v) {
            *out = *a;
            return OBN_OK;
        }
    char list[128];
    size_t len = 0;
    list[0] = '\0';
    for (const obn_dtype *a = allowed; *a != OBN_UNDEFINED && len < sizeof list; a++)
        len += (size_t)snprintf(list + len, sizeof list - len, "%s%d (%s)", a == allowed ? "" : ", ", (int)*a,
                                obn_dtype_name(*a));
    return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'stash_type' is %lld; expected one of %s", (long long)v, list);
}

obn_kfmt obn_norm_compute_fmt(obn_dtype x, obn_dtype stash, obn_dtype y)
{
    return x == OBN_DOUBLE || stash == OBN_DOUBLE || y == OBN_DOUBLE ? OBN_KF64 : OBN_KF32;
}

obn_status obn_norm_state_new(obn_kfmt fmt, int64_t count, bool with_bias, obn_norm_state **out)
{
    obn_norm_state *st = calloc(1, sizeof *st);
    if (!st) return OBN_OOM();
    size_t bytes = (size_t)(count > 0 ? count : 1) * obn_kfmt_size(fmt);
    st->fmt = fmt;
    st->count = count;
    st->scale = malloc(bytes);
    st->bias = with_bias ? malloc(bytes) : NULL;
    if (!st->scale || (with_bias && !st->bias)) {
        obn_norm_state_free(st);
        return OBN_OOM();
    }
    *out = st;
    return OBN_OK;
}

void obn_norm_state_free(void *state)
{
    obn_norm_state *st = state;
    if (!st) return;
    free(st->scale);
    free(st->bias);
    free(st);
}

/* dst[i] = t broadcast to (rank, dims) at flat index i. */
static void fill_one(void *dst, obn_kfmt fmt, const obn_tensor *t, int64_t count, int rank, const int64_t *dims)
{
    if (t->numel == count) {
        for (int64_t i = 0; i < count; i++) obn_kstore(dst, fmt, i, obn_load_f64(t, i));
        return;
    }
    /* t's strides in the target's rank: 0 where t repeats (dim 1 or absent) */
    int64_t strides[OBN_MAX_RANK], s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        int td = t->rank - (rank - d);
        int64_t tdim = td >= 0 ? t->dims[td] : 1;
        strides[d] = tdim == 1 ? 0 : s;
        s *= tdim;
    }
    for (int64_t i = 0; i < count; i++) {
        int64_t rest = i, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
            off += (rest % dims[d]) * strides[d];
            rest /= dims[d];
        }
        obn_kstore(dst, fmt, i, obn_load_f64(t, off));
    }
}

void obn_norm_state_fill(obn_norm_state *st, const obn_tensor *s, const obn_tensor *b, int rank, const int64_t *dims)
{
    fill_one(st->scale, st->fmt, s, st->count, rank, dims);
    if (b && st->bias) fill_one(st->bias, st->fmt, b, st->count, rank, dims);
}

size_t obn_norm_rows_workspace(const obn_norm_rows *d, int threads)
{
    size_t per = obn_norm_rows_scratch(d);
    int64_t slots = threads < 1 ? 1 : threads;
    if (slots > d->rows) slots = d->rows > 0 ? d->rows : 1;
    return per * (size_t)slots;
}

obn_status obn_norm_rows_exec(obn_op_ctx *ctx, const obn_norm_rows *d)
{
    size_t ws = obn_norm_rows_workspace(d, ctx->threads);
    if (obn_norm_rows_run(d, ctx->inputs[0]->data, ctx->outputs[0]->data, ctx->workspace, ws, ctx->threads) != 0)
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "the normalisation scratch buffer (%zu bytes) is missing", ws);
    return OBN_OK;
}
