#include "tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernels/half.h"
#include "kernels/lowp.h"
#include "status.h"
#include "string_tensor.h"
#include "value.h"

const char *obn_dtype_name(obn_dtype dtype)
{
    switch (dtype) {
    case OBN_FLOAT: return "float";
    case OBN_UINT8: return "uint8";
    case OBN_INT8: return "int8";
    case OBN_UINT16: return "uint16";
    case OBN_INT16: return "int16";
    case OBN_INT32: return "int32";
    case OBN_INT64: return "int64";
    case OBN_STRING: return "string";
    case OBN_BOOL: return "bool";
    case OBN_FLOAT16: return "float16";
    case OBN_DOUBLE: return "double";
    case OBN_UINT32: return "uint32";
    case OBN_UINT64: return "uint64";
    case OBN_COMPLEX64: return "complex64";
    case OBN_COMPLEX128: return "complex128";
    case OBN_BFLOAT16: return "bfloat16";
    case OBN_FLOAT8E4M3FN: return "float8e4m3fn";
    case OBN_FLOAT8E4M3FNUZ: return "float8e4m3fnuz";
    case OBN_FLOAT8E5M2: return "float8e5m2";
    case OBN_FLOAT8E5M2FNUZ: return "float8e5m2fnuz";
    case OBN_UINT4: return "uint4";
    case OBN_INT4: return "int4";
    case OBN_FLOAT4E2M1: return "float4e2m1";
    case OBN_FLOAT8E8M0: return "float8e8m0";
    case OBN_UINT2: return "uint2";
    case OBN_INT2: return "int2";
    case OBN_UNDEFINED: break;
    }
    return "undefined";
}

size_t obn_dtype_size(obn_dtype dtype)
{
    switch (dtype) {
    case OBN_FLOAT: case OBN_INT32: case OBN_UINT32: return 4;
    case OBN_UINT8: case OBN_INT8: case OBN_BOOL: return 1;
    /* the sub-byte types too: stored unpacked, one element per byte */
    case OBN_FLOAT8E4M3FN: case OBN_FLOAT8E4M3FNUZ: case OBN_FLOAT8E5M2: case OBN_FLOAT8E5M2FNUZ:
    case OBN_UINT4: case OBN_INT4: case OBN_FLOAT4E2M1: case OBN_FLOAT8E8M0: case OBN_UINT2: case OBN_INT2:
        return 1;
    case OBN_UINT16: case OBN_INT16: case OBN_FLOAT16: case OBN_BFLOAT16: return 2;
    case OBN_INT64: case OBN_DOUBLE: case OBN_UINT64: return 8;
    default: return 0;
    }
}

size_t obn_dtype_elem_bytes(obn_dtype dtype)
{
    return dtype == OBN_STRING ? sizeof(char *) : obn_dtype_size(dtype);
}

bool obn_dtype_is_valid(int dtype) { return dtype >= 1 && dtype <= OBN_INT2; }
bool obn_dtype_is_storable(int dtype)
{
    return obn_dtype_is_valid(dtype) && obn_dtype_elem_bytes((obn_dtype)dtype) != 0;
}

int obn_dtype_packed_bits(obn_dtype dtype)
{
    switch (dtype) {
    case OBN_UINT4: case OBN_INT4: case OBN_FLOAT4E2M1: return 4;
    case OBN_UINT2: case OBN_INT2: return 2;
    default: return 0;
    }
}

bool obn_dtype_is_signed_subbyte(obn_dtype dtype) { return dtype == OBN_INT4 || dtype == OBN_INT2; }

obn_status obn_check_subbyte_values(const obn_tensor *t, const char *what)
{
    int bits = obn_dtype_packed_bits(t->dtype);
    if (!bits || !t->data) return OBN_OK;
    const uint8_t *p = t->data;
    bool is_signed = obn_dtype_is_signed_subbyte(t->dtype);
    /* unsigned: the high bits are zero; signed: they all copy the sign bit */
    int lo = is_signed ? -(1 << (bits - 1)) : 0, hi = is_signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    for (int64_t i = 0; i < t->numel; i++) {
        int v = is_signed ? (int)(int8_t)p[i] : (int)p[i];
        if (v < lo || v > hi)
            return obn_err(OBN_E_INVALID_ARGUMENT,
                           "%s: element %lld is byte 0x%02x, not a %s (stored unpacked, one per byte: %d..%d)", what,
                           (long long)i, p[i], obn_dtype_name(t->dtype), lo, hi);
    }
    return OBN_OK;
}

double obn_load_f64(const obn_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case OBN_FLOAT: return ((const float *)p)[i];
    case OBN_DOUBLE: return ((const double *)p)[i];
    case OBN_FLOAT16: return obn_f16_to_f32(((const uint16_t *)p)[i]);
    case OBN_BFLOAT16: return obn_bf16_to_f32(((const uint16_t *)p)[i]);
    case OBN_INT8: case OBN_INT4: case OBN_INT2: return ((const int8_t *)p)[i];
    case OBN_INT16: return ((const int16_t *)p)[i];
    case OBN_INT32: return ((const int32_t *)p)[i];
    case OBN_INT64: return (double)((const int64_t *)p)[i];
    case OBN_UINT8: case OBN_BOOL: case OBN_UINT4: case OBN_UINT2: return ((const uint8_t *)p)[i];
    case OBN_UINT16: return ((const uint16_t *)p)[i];
    case OBN_UINT32: return ((const uint32_t *)p)[i];
    case OBN_UINT64: return (double)((const uint64_t *)p)[i];
    case OBN_FLOAT8E4M3FN: case OBN_FLOAT8E4M3FNUZ: case OBN_FLOAT8E5M2: case OBN_FLOAT8E5M2FNUZ:
    case OBN_FLOAT4E2M1:
        return obn_minifloat_to_f32(((const uint8_t *)p)[i], obn_dtype_minifloat(t->dtype));
    case OBN_FLOAT8E8M0: return obn_e8m0_to_f32(((const uint8_t *)p)[i]);
    default: return 0;
    }
}

obn_minifloat obn_dtype_minifloat(obn_dtype dtype)
{
    switch (dtype) {
    case OBN_FLOAT8E4M3FNUZ: return OBN_MF_E4M3FNUZ;
    case OBN_FLOAT8E5M2: return OBN_MF_E5M2;
    case OBN_FLOAT8E5M2FNUZ: return OBN_MF_E5M2FNUZ;
    case OBN_FLOAT4E2M1: return OBN_MF_E2M1;
    default: return OBN_MF_E4M3FN;
    }
}

bool obn_dtype_is_minifloat(obn_dtype dtype)
{
    return (dtype >= OBN_FLOAT8E4M3FN && dtype <= OBN_FLOAT8E5M2FNUZ) || dtype == OBN_FLOAT4E2M1;
}

const char *obn_shape_str(int rank, const int64_t *dims, char *buf, size_t cap)
{
    size_t n = 0;
    if (rank < 0) {
        snprintf(buf, cap, "[?]");
        return buf;
    }
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int i = 0; i < rank && n < cap; i++) {
        if (dims[i] < 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s?", i ? "," : "");
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)dims[i]);
    }
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

obn_status obn_shape_numel(int rank, const int64_t *dims, obn_dtype dtype, const char *what,
                           int64_t *numel)
{
    if (rank < 0 || rank > OBN_MAX_RANK)
        return obn_err(OBN_E_UNSUPPORTED, "tensor '%s' has rank %d (onnxbn supports up to %d)",
                       what, rank, OBN_MAX_RANK);
    size_t esize = obn_dtype_elem_bytes(dtype);
    if (esize == 0)
        return obn_err(OBN_E_UNSUPPORTED, "tensor '%s' has data type %s (%d), which onnxbn cannot store",
                       what, obn_dtype_name(dtype), (int)dtype);
    /* The product of the non-zero dims is bounded too, so that every partial
     * product of a shape's dims fits in 64 bits even when the tensor is
     * empty: an op may multiply any of them ([0, 2^62, 2^62] is refused). */
    uint64_t nonzero = 1;
    bool empty = false;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0)
            return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' has negative dimension %lld at axis %d",
                           what, (long long)dims[i], i);
        if (dims[i] == 0) {
            empty = true;
            continue;
        }
        if (nonzero > (OBN_MAX_TENSOR_BYTES / esize) / (uint64_t)dims[i]) {
            char s[OBN_SHAPE_STR_CAP];
            return obn_err(OBN_E_INVALID_MODEL,
                           "tensor '%s' shape %s is too large (over %llu elements of %s, even counting only the non-zero dims)",
                           what, obn_shape_str(rank, dims, s, sizeof s),
                           (unsigned long long)(OBN_MAX_TENSOR_BYTES / esize), obn_dtype_name(dtype));
        }
        nonzero *= (uint64_t)dims[i];
    }
    *numel = empty ? 0 : (int64_t)nonzero;
    return OBN_OK;
}

obn_status obn_tensor_set_shape(obn_tensor *t, obn_dtype dtype, int rank, const int64_t *dims)
{
    int64_t numel;
    OBN_TRY(obn_shape_numel(rank, dims, dtype, t->name ? t->name : "", &numel));
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    for (int i = rank; i < OBN_MAX_RANK; i++) t->dims[i] = 0;
    t->numel = numel;
    t->nbytes = (size_t)numel * obn_dtype_elem_bytes(dtype);
    return OBN_OK;
}

obn_status obn_tensor_new_meta(obn_dtype dtype, int rank, const int64_t *dims, obn_tensor **out)
{
    *out = NULL;
    obn_tensor *t = calloc(1, sizeof *t);
    if (!t) return OBN_OOM();
    t->refs = 1;
    obn_status s = obn_tensor_set_shape(t, dtype, rank, dims);
    if (s != OBN_OK) {
        free(t);
        return s;
    }
    *out = t;
    return OBN_OK;
}

obn_status obn_tensor_alloc(obn_tensor *t)
{
    if (t->owns_data) {
        obn_strings_clear(t); /* a string tensor's elements: its own */
        free(t->data);
    }
    /* NULL elements of a string tensor are empty strings; at least one byte so that empty tensors still have a distinct,
     * non-NULL data pointer ("data is known") */
    t->data = calloc(1, t->nbytes ? t->nbytes : 1);
    t->owns_data = t->data != NULL;
    if (!t->data) return OBN_OOM();
    return OBN_OK;
}

obn_status obn_tensor_new(obn_dtype dtype, int rank, const int64_t *dims, obn_tensor **out)
{
    OBN_TRY(obn_tensor_new_meta(dtype, rank, dims, out));
    obn_status s = obn_tensor_alloc(*out);
    if (s != OBN_OK) {
        obn_tensor_release(*out);
        *out = NULL;
    }
    return s;
}

obn_status obn_tensor_new_uninit(obn_dtype dtype, int rank, const int64_t *dims, obn_tensor **out)
{
    OBN_TRY(obn_tensor_new_meta(dtype, rank, dims, out));
    (*out)->data = malloc((*out)->nbytes ? (*out)->nbytes : 1);
    (*out)->owns_data = (*out)->data != NULL;
    if ((*out)->data) return OBN_OK;
    obn_tensor_release(*out);
    *out = NULL;
    return OBN_OOM();
}

obn_status obn_tensor_new_row_scaled(obn_tensor *src, double *scale, obn_tensor **out)
{
    *out = NULL;
    obn_status s = src->dtype == OBN_FLOAT && src->rank >= 1 && src->data
                       ? obn_tensor_new_meta(src->dtype, src->rank, src->dims, out)
                       : obn_err(OBN_E_RUNTIME, "obn_tensor_new_row_scaled: not a float tensor with data");
    if (s == OBN_OK && !((*out)->deferred = malloc(sizeof *(*out)->deferred))) s = OBN_OOM();
    if (s != OBN_OK) {
        obn_tensor_release(*out);
        *out = NULL;
        free(scale);
        return s;
    }
    (*out)->deferred->src = obn_tensor_retain(src);
    (*out)->deferred->scale = scale;
    return OBN_OK;
}

static void free_deferred(obn_tensor *t)
{
    if (!t->deferred) return;
    obn_tensor_release(t->deferred->src);
    free(t->deferred->scale);
    free(t->deferred);
    t->deferred = NULL;
}

obn_status obn_tensor_materialize(obn_tensor *t)
{
    if (!t || !t->deferred) return OBN_OK;
    const obn_row_scaled *d = t->deferred;
    float *out = malloc(t->nbytes ? t->nbytes : 1);
    if (!out) return OBN_OOM();
    const float *w = d->src->data;
    int64_t rows = t->dims[0], run = rows ? t->numel / rows : 0;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t i = r * run; i < (r + 1) * run; i++) out[i] = obn_row_scaled_value(w[i], d->scale[r]);
    t->data = out;
    t->owns_data = true;
    free_deferred(t);
    return OBN_OK;
}

obn_tensor *obn_tensor_retain(obn_tensor *t)
{
    if (t) __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

void obn_tensor_release(obn_tensor *t)
{
    if (!t) return;
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    obn_value_clear(t); /* owned data, or a container's items */
    free_deferred(t);
    if (t->mapping) munmap(t->mapping, t->mapping_len);
    free(t->name);
    free(t);
}

/* ---- public API ---- */

/* Arguments of obn_tensor_create/wrap. Bad values are the caller's mistake
 * (INVALID_ARGUMENT), not a broken model; types that are valid ONNX but not
 * storable here are UNSUPPORTED. */
static obn_status check_public_shape(const char *fn, obn_dtype dtype, size_t rank, const int64_t *dims)
{
    if (!obn_dtype_is_valid((int)dtype))
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: %d is not an ONNX data type", fn, (int)dtype);
    if (!obn_dtype_is_storable((int)dtype))
        return obn_err(OBN_E_UNSUPPORTED, "%s: data type %s cannot be stored in a tensor", fn, obn_dtype_name(dtype));
    if (rank > OBN_MAX_RANK)
        return obn_err(OBN_E_UNSUPPORTED, "%s: tensor rank %zu exceeds the maximum %d", fn, rank, OBN_MAX_RANK);
    if (rank > 0 && !dims) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: dims is NULL for rank %zu", fn, rank);
    for (size_t i = 0; i < rank; i++)
        if (dims[i] < 0)
            return obn_err(OBN_E_INVALID_ARGUMENT, "%s: dims[%zu] is %lld; dimensions must be >= 0", fn, i,
                           (long long)dims[i]);
    return OBN_OK;
}

/* Shape errors past check_public_shape (a too large element count) are the
 * caller's too. */
static obn_status as_argument_error(obn_status s, const char *fn)
{
    if (s == OBN_E_INVALID_MODEL) return obn_err_prefix(OBN_E_INVALID_ARGUMENT, "%s: ", fn);
    return s;
}

obn_status obn_tensor_create(obn_dtype dtype, size_t rank, const int64_t *dims, const void *data,
                             obn_tensor **out)
{
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_create: out is NULL");
    *out = NULL;
    OBN_TRY(check_public_shape("obn_tensor_create", dtype, rank, dims));
    obn_tensor *t;
    obn_status s = obn_tensor_new(dtype, (int)rank, dims, &t);
    if (s != OBN_OK) return as_argument_error(s, "obn_tensor_create");
    if (dtype == OBN_STRING) {
        /* data: numel NUL-terminated strings, each copied */
        const char *const *strs = data;
        for (int64_t i = 0; strs && i < t->numel; i++) {
            if (!strs[i]) s = obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_create: string #%lld is NULL", (long long)i);
            else s = obn_string_set(t, i, strs[i], strlen(strs[i]));
            if (s != OBN_OK) {
                obn_tensor_release(t);
                return s;
            }
        }
        *out = t;
        return OBN_OK;
    }
    if (data && t->nbytes) memcpy(t->data, data, t->nbytes);
    if ((s = obn_check_subbyte_values(t, "obn_tensor_create")) != OBN_OK) {
        obn_tensor_release(t);
        return s;
    }
    *out = t;
    return OBN_OK;
}

obn_status obn_tensor_wrap(obn_dtype dtype, size_t rank, const int64_t *dims, void *data,
                           size_t nbytes, obn_tensor **out)
{
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_wrap: out is NULL");
    *out = NULL;
    OBN_TRY(check_public_shape("obn_tensor_wrap", dtype, rank, dims));
    if (dtype == OBN_STRING)
        return obn_err(OBN_E_UNSUPPORTED,
                       "obn_tensor_wrap: string tensors own their strings and cannot borrow a buffer "
                       "(obn_tensor_create, obn_tensor_set_string)");
    obn_tensor *t;
    obn_status s = obn_tensor_new_meta(dtype, (int)rank, dims, &t);
    if (s != OBN_OK) return as_argument_error(s, "obn_tensor_wrap");
    if (nbytes != t->nbytes || (!data && nbytes)) {
        size_t want = t->nbytes;
        obn_tensor_release(t);
        return obn_err(OBN_E_INVALID_ARGUMENT,
                       "obn_tensor_wrap: buffer has %zu bytes%s, shape and dtype need %zu", nbytes,
                       data ? "" : " (data is NULL)", want);
    }
    static char empty_placeholder;
    t->data = data ? data : &empty_placeholder;
    t->owns_data = false;
    if ((s = obn_check_subbyte_values(t, "obn_tensor_wrap")) != OBN_OK) {
        obn_tensor_release(t);
        return s;
    }
    *out = t;
    return OBN_OK;
}

obn_status obn_tensor_clone(const obn_tensor *src, obn_tensor **out)
{
    if (out) *out = NULL;
    if (!src || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_clone: NULL argument");
    if (!src->data) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_clone: tensor has no data");
    obn_tensor *t;
    OBN_TRY(obn_value_snapshot(src, &t)); /* sequences and optionals share their immutable items */
    if (src->name) {
        t->name = strdup(src->name);
        if (!t->name) {
            obn_tensor_release(t);
            return OBN_OOM();
        }
    }
    *out = t;
    return OBN_OK;
}

void obn_tensor_destroy(obn_tensor *t) { obn_tensor_release(t); }
/* The accessors of dense tensors answer "nothing" for sequences and
 * optionals (whose data holds item pointers, not elements), and for string
 * tensors (element pointers owned by the tensor: obn_tensor_string). */
static bool is_dense(const obn_tensor *t) { return t && t->kind == OBN_KIND_TENSOR && t->dtype != OBN_STRING; }
static bool is_string_tensor(const obn_tensor *t) { return t && t->kind == OBN_KIND_TENSOR && t->dtype == OBN_STRING; }

double obn_tensor_value(const obn_tensor *t, int64_t i)
{
    if (!is_dense(t) || !t->data || i < 0 || i >= t->numel) return NAN;
    return obn_load_f64(t, i);
}

obn_dtype obn_tensor_dtype(const obn_tensor *t) { return t ? t->dtype : OBN_UNDEFINED; }
size_t obn_tensor_rank(const obn_tensor *t) { return is_dense(t) || is_string_tensor(t) ? (size_t)t->rank : 0; }
const int64_t *obn_tensor_dims(const obn_tensor *t) { return is_dense(t) || is_string_tensor(t) ? t->dims : NULL; }
int64_t obn_tensor_numel(const obn_tensor *t) { return is_dense(t) || is_string_tensor(t) ? t->numel : 0; }
size_t obn_tensor_nbytes(const obn_tensor *t) { return is_dense(t) ? t->nbytes : 0; }
void *obn_tensor_data(obn_tensor *t) { return is_dense(t) ? t->data : NULL; }
const void *obn_tensor_cdata(const obn_tensor *t) { return is_dense(t) ? t->data : NULL; }
const char *obn_tensor_name(const obn_tensor *t) { return t && t->name ? t->name : ""; }

const char *obn_tensor_string(const obn_tensor *t, int64_t i, size_t *len)
{
    if (len) *len = 0;
    if (!is_string_tensor(t) || !t->data || i < 0 || i >= t->numel) return NULL;
    const char *e = obn_strs(t)[i];
    if (len) *len = obn_str_len(e);
    return obn_str_cstr(e);
}

obn_status obn_tensor_set_string(obn_tensor *t, int64_t i, const void *bytes, size_t len)
{
    static const char fn[] = "obn_tensor_set_string";
    if (!is_string_tensor(t) || !t->data || !t->owns_data)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: not a string tensor made by obn_tensor_create", fn);
    if (i < 0 || i >= t->numel)
        return obn_err(OBN_E_INVALID_ARGUMENT, "%s: index %lld is out of range for %lld strings", fn, (long long)i,
                       (long long)t->numel);
    if (len && !bytes) return obn_err(OBN_E_INVALID_ARGUMENT, "%s: bytes is NULL for %zu bytes", fn, len);
    obn_status s = obn_string_set(t, i, bytes, len);
    if (s == OBN_E_UNSUPPORTED) return obn_err_prefix(OBN_E_INVALID_ARGUMENT, "%s: ", fn);
    return s;
}
