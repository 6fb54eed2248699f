/* Sequence and optional values (runtime/value.h) and their public API. */
#include "value.h"

#include "string_tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void obn_value_clear(obn_tensor *t)
{
    if (t->kind != OBN_KIND_TENSOR) {
        obn_tensor **items = obn_value_items(t);
        if (t->owns_data && items) {
            for (int64_t i = 0; i < t->numel; i++) obn_tensor_release(items[i]);
            free(items);
        }
        t->kind = OBN_KIND_TENSOR;
        t->numel = 0;
        t->rank = 0;
        t->nbytes = 0;
        t->value_bytes = 0;
    } else if (t->owns_data) {
        obn_strings_clear(t);
        free(t->data);
    }
    t->data = NULL;
    t->owns_data = false;
}

obn_status obn_value_make(obn_tensor *t, obn_kind kind, obn_dtype elem, size_t cap)
{
    obn_value_clear(t);
    if (cap > (size_t)INT64_MAX / sizeof(obn_tensor *)) return OBN_OOM();
    obn_tensor **items = calloc(cap ? cap : 1, sizeof *items);
    if (!items) return OBN_OOM();
    t->kind = kind;
    t->dtype = elem;
    t->rank = 0;
    for (int d = 0; d < OBN_MAX_RANK; d++) t->dims[d] = 0;
    t->numel = 0;
    t->nbytes = 0;
    t->value_bytes = 0;
    t->data = items;
    t->owns_data = true;
    return OBN_OK;
}

void obn_value_push(obn_tensor *t, obn_tensor *item)
{
    obn_value_items(t)[t->numel++] = item;
    t->value_bytes += item->kind == OBN_KIND_TENSOR ? (uint64_t)item->nbytes : item->value_bytes;
}

/* A new heap value with one reference and nothing in it. */
static obn_status new_container(obn_tensor **out)
{
    obn_tensor *t = calloc(1, sizeof *t);
    if (!t) return OBN_OOM();
    t->refs = 1;
    *out = t;
    return OBN_OK;
}

obn_status obn_value_snapshot(const obn_tensor *src, obn_tensor **out)
{
    *out = NULL;
    obn_tensor *t;
    if (src->kind == OBN_KIND_TENSOR) {
        if (!src->data) return obn_err(OBN_E_RUNTIME, "tensor '%s' has no data to store", src->name ? src->name : "");
        OBN_TRY(obn_tensor_new(src->dtype, src->rank, src->dims, &t));
        obn_status s = obn_tensor_copy_data(t, src); /* strings copied, not shared */
        if (s != OBN_OK) {
            obn_tensor_release(t);
            return s;
        }
    } else {
        OBN_TRY(new_container(&t));
        obn_status s = obn_value_assign(t, src);
        if (s != OBN_OK) {
            obn_tensor_release(t);
            return s;
        }
    }
    *out = t;
    return OBN_OK;
}

obn_status obn_value_assign(obn_tensor *dst, const obn_tensor *src)
{
    if (dst == src) return OBN_OK;
    obn_tensor **items = obn_value_items(src);
    OBN_TRY(obn_value_make(dst, src->kind, src->dtype, (size_t)src->numel));
    for (int64_t i = 0; i < src->numel; i++) obn_value_push(dst, obn_tensor_retain(items[i]));
    return OBN_OK;
}

bool obn_value_same_type(const obn_tensor *x, const obn_tensor *y)
{
    if (x->kind != y->kind || x->dtype != y->dtype) return false;
    if (x->kind == OBN_KIND_TENSOR) {
        if (x->rank != y->rank) return false;
        for (int d = 0; d < x->rank; d++)
            if (x->dims[d] != y->dims[d]) return false;
        return true;
    }
    if (x->data && y->data && x->numel && y->numel)
        return obn_value_items(x)[0]->kind == obn_value_items(y)[0]->kind;
    return true;
}

const char *obn_value_type_str(const obn_tensor *t, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int depth = 0; t && t->kind != OBN_KIND_TENSOR && depth <= OBN_MAX_VALUE_NESTING && n < cap; depth++) {
        n += (size_t)snprintf(buf + n, cap - n, "%s of ", obn_kind_name(t->kind));
        t = t->data && t->numel ? obn_value_items(t)[0] : NULL;
    }
    if (n < cap) snprintf(buf + n, cap - n, "%s", t ? obn_dtype_name(t->dtype) : "tensors");
    return buf;
}

/* ---- public API ---- */

const char *obn_kind_name(obn_kind kind)
{
    switch (kind) {
    case OBN_KIND_TENSOR: return "tensor";
    case OBN_KIND_SEQUENCE: return "sequence";
    case OBN_KIND_OPTIONAL: return "optional";
    }
    return "undefined";
}

obn_kind obn_tensor_kind(const obn_tensor *t) { return t ? t->kind : OBN_KIND_TENSOR; }

/* Every tensor inside v (at any depth) has element type elem and data. */
static obn_status check_item(const char *fn, const obn_tensor *v, obn_dtype elem, size_t index, int depth)
{
    if (!v) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: item #%zu is NULL", fn, index);
    if (depth > OBN_MAX_VALUE_NESTING)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: values nest more than %d deep", fn, OBN_MAX_VALUE_NESTING);
    if (v->kind == OBN_KIND_TENSOR) {
        if (!v->data) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: item #%zu has no data", fn, index);
        if (v->dtype != elem)
            return obn_err(OBN_E_INVALID_ARGUMENT, "%s: item #%zu has element type %s, expected %s", fn, index,
                           obn_dtype_name(v->dtype), obn_dtype_name(elem));
        return OBN_OK;
    }
    if (v->dtype != elem)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: item #%zu is a %s of %s, expected element type %s", fn, index,
                       obn_kind_name(v->kind), obn_dtype_name(v->dtype), obn_dtype_name(elem));
    return OBN_OK; /* its own items were checked when it was made */
}

obn_status obn_sequence_create(obn_dtype elem, size_t n, const obn_tensor *const *items, obn_tensor **out)
{
    static const char fn[] = "obn_sequence_create";
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (n && !items) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: items is NULL for %zu items", fn, n);
    if (!obn_dtype_is_storable((int)elem))
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: element type %d cannot be stored", fn, (int)elem);
    for (size_t i = 0; i < n; i++) OBN_TRY(check_item(fn, items[i], elem, i, 1));
    obn_tensor *seq = NULL;
    OBN_TRY(new_container(&seq));
    obn_status s = obn_value_make(seq, OBN_KIND_SEQUENCE, elem, n);
    for (size_t i = 0; s == OBN_OK && i < n; i++) {
        obn_tensor *copy;
        s = obn_value_snapshot(items[i], &copy);
        if (s == OBN_OK) obn_value_push(seq, copy);
    }
    if (s != OBN_OK) {
        obn_tensor_release(seq);
        return s;
    }
    *out = seq;
    return OBN_OK;
}

size_t obn_sequence_length(const obn_tensor *t)
{
    return t && t->kind == OBN_KIND_SEQUENCE && t->data ? (size_t)t->numel : 0;
}

const obn_tensor *obn_sequence_at(const obn_tensor *t, size_t i)
{
    if (!t || t->kind != OBN_KIND_SEQUENCE || !t->data || i >= (size_t)t->numel) return NULL;
    return obn_value_items(t)[i];
}

obn_status obn_optional_create(obn_dtype elem, const obn_tensor *value, obn_tensor **out)
{
    static const char fn[] = "obn_optional_create";
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: out is NULL", fn);
    *out = NULL;
    if (!obn_dtype_is_storable((int)elem))
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: element type %d cannot be stored", fn, (int)elem);
    if (value && value->kind == OBN_KIND_OPTIONAL)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: an optional cannot hold an optional", fn);
    if (value) OBN_TRY(check_item(fn, value, elem, 0, 1));
    obn_tensor *opt = NULL, *copy = NULL;
    OBN_TRY(new_container(&opt));
    obn_status s = obn_value_make(opt, OBN_KIND_OPTIONAL, elem, 1);
    if (s == OBN_OK && value && (s = obn_value_snapshot(value, &copy)) == OBN_OK) obn_value_push(opt, copy);
    if (s != OBN_OK) {
        obn_tensor_release(opt);
        return s;
    }
    *out = opt;
    return OBN_OK;
}

int obn_optional_has_value(const obn_tensor *t)
{
    return t && t->kind == OBN_KIND_OPTIONAL && t->data && t->numel > 0;
}

const obn_tensor *obn_optional_value(const obn_tensor *t)
{
    return obn_optional_has_value(t) ? obn_value_items(t)[0] : NULL;
}
