#include "tensor_proto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernels/lowp.h"
#include "external_data.h"
#include "status.h"
#include "string_tensor.h"

/* The repeated field each dtype uses when not stored as raw_data
 * (onnx.proto, TensorProto comments). */
typedef enum { FIELD_NONE, FIELD_FLOAT, FIELD_INT32, FIELD_INT64, FIELD_DOUBLE, FIELD_UINT64 } field_kind;

static field_kind typed_field_for(obn_dtype dt)
{
    switch (dt) {
    case OBN_FLOAT: return FIELD_FLOAT;
    case OBN_INT32: case OBN_INT16: case OBN_INT8: case OBN_UINT16: case OBN_UINT8:
    case OBN_BOOL: case OBN_FLOAT16: case OBN_BFLOAT16: return FIELD_INT32;
    /* bit patterns (float8) and packed bytes (sub-byte types) */
    case OBN_FLOAT8E4M3FN: case OBN_FLOAT8E4M3FNUZ: case OBN_FLOAT8E5M2: case OBN_FLOAT8E5M2FNUZ:
    case OBN_FLOAT8E8M0: case OBN_UINT4: case OBN_INT4: case OBN_FLOAT4E2M1: case OBN_UINT2: case OBN_INT2:
        return FIELD_INT32;
    case OBN_INT64: return FIELD_INT64;
    case OBN_DOUBLE: return FIELD_DOUBLE;
    case OBN_UINT32: case OBN_UINT64: return FIELD_UINT64;
    default: return FIELD_NONE;
    }
}

static const char *field_name(field_kind k)
{
    switch (k) {
    case FIELD_FLOAT: return "float_data";
    case FIELD_INT32: return "int32_data";
    case FIELD_INT64: return "int64_data";
    case FIELD_DOUBLE: return "double_data";
    case FIELD_UINT64: return "uint64_data";
    default: return "none";
    }
}

static size_t field_count(const Onnx__TensorProto *tp, field_kind k)
{
    switch (k) {
    case FIELD_FLOAT: return tp->n_float_data;
    case FIELD_INT32: return tp->n_int32_data;
    case FIELD_INT64: return tp->n_int64_data;
    case FIELD_DOUBLE: return tp->n_double_data;
    case FIELD_UINT64: return tp->n_uint64_data;
    default: return 0;
    }
}

/* Bytes the tensor's data takes in a TensorProto: sub-byte types are packed
 * (the last byte padded with zero bits), the others as in memory. */
static size_t stored_nbytes(const obn_tensor *t)
{
    int bits = obn_dtype_packed_bits(t->dtype);
    return bits ? (size_t)obn_packed_bytes(t->numel, bits) : t->nbytes;
}

/* Number of int32_data values the tensor needs: one per packed byte for the
 * sub-byte types, one per element otherwise. */
static size_t int32_count(const obn_tensor *t)
{
    return obn_dtype_packed_bits(t->dtype) ? stored_nbytes(t) : (size_t)t->numel;
}

/* Fills t's (allocated) data from bytes laid out as in raw_data. */
static void store_raw(obn_tensor *t, const uint8_t *bytes)
{
    int bits = obn_dtype_packed_bits(t->dtype);
    if (bits) obn_unpack_bits(bytes, t->numel, bits, obn_dtype_is_signed_subbyte(t->dtype), t->data);
    else if (t->nbytes) memcpy(t->data, bytes, t->nbytes);
}

/* What an int32_data value may hold for a tensor of type dt: the value of
 * a narrower integer, 0/1 for bool, 16 bits of a float16/bfloat16, and for
 * the one-byte types and the packed sub-byte ones a bit pattern or packed
 * byte. Anything else would be truncated when stored, so it is refused. */
static void int32_range(obn_dtype dt, int32_t *lo, int32_t *hi)
{
    switch (dt) {
    case OBN_INT32: *lo = INT32_MIN, *hi = INT32_MAX; break;
    case OBN_INT16: *lo = INT16_MIN, *hi = INT16_MAX; break;
    case OBN_INT8: *lo = INT8_MIN, *hi = INT8_MAX; break;
    case OBN_UINT16: case OBN_FLOAT16: case OBN_BFLOAT16: *lo = 0, *hi = UINT16_MAX; break;
    case OBN_BOOL: *lo = 0, *hi = 1; break;
    default: *lo = 0, *hi = UINT8_MAX; break; /* uint8 and the byte-per-value types */
    }
}

static obn_status check_int32_range(const Onnx__TensorProto *tp, const obn_tensor *t, const char *what)
{
    int32_t lo, hi;
    int32_range(t->dtype, &lo, &hi);
    for (size_t i = 0; i < tp->n_int32_data; i++)
        if (tp->int32_data[i] < lo || tp->int32_data[i] > hi)
            return obn_err(OBN_E_INVALID_MODEL,
                           "tensor '%s' of type %s: int32_data[%zu] is %d, out of range for %s (%d..%d)", what,
                           obn_dtype_name(t->dtype), i, (int)tp->int32_data[i], obn_dtype_name(t->dtype), (int)lo,
                           (int)hi);
    return OBN_OK;
}

/* uint32 lives in uint64_data: a value past 2^32 - 1 would be truncated. */
static obn_status check_uint64_range(const Onnx__TensorProto *tp, const obn_tensor *t, const char *what)
{
    if (t->dtype != OBN_UINT32) return OBN_OK;
    for (size_t i = 0; i < tp->n_uint64_data; i++)
        if (tp->uint64_data[i] > UINT32_MAX)
            return obn_err(OBN_E_INVALID_MODEL,
                           "tensor '%s' of type uint32: uint64_data[%zu] is %llu, out of range for uint32 (0..%u)",
                           what, i, (unsigned long long)tp->uint64_data[i], (unsigned)UINT32_MAX);
    return OBN_OK;
}

/* Copies element i of a typed field into the tensor's native layout. */
static obn_status store_typed(const Onnx__TensorProto *tp, obn_tensor *t)
{
    int64_t n = t->numel;
    if (n == 0) return OBN_OK; /* the field pointer is NULL then: memcpy(dst, NULL, 0) is undefined */
    switch (t->dtype) {
    case OBN_FLOAT: memcpy(t->data, tp->float_data, (size_t)n * 4); break;
    case OBN_INT32: memcpy(t->data, tp->int32_data, (size_t)n * 4); break;
    case OBN_INT64: memcpy(t->data, tp->int64_data, (size_t)n * 8); break;
    case OBN_DOUBLE: memcpy(t->data, tp->double_data, (size_t)n * 8); break;
    case OBN_UINT64: memcpy(t->data, tp->uint64_data, (size_t)n * 8); break;
    case OBN_UINT32:
        for (int64_t i = 0; i < n; i++) ((uint32_t *)t->data)[i] = (uint32_t)tp->uint64_data[i];
        break;
    case OBN_INT16:
        for (int64_t i = 0; i < n; i++) ((int16_t *)t->data)[i] = (int16_t)tp->int32_data[i];
        break;
    case OBN_UINT16: case OBN_FLOAT16: case OBN_BFLOAT16:
        /* float16/bfloat16 bits are stored in the low 16 bits of int32_data */
        for (int64_t i = 0; i < n; i++) ((uint16_t *)t->data)[i] = (uint16_t)tp->int32_data[i];
        break;
    case OBN_INT8:
        for (int64_t i = 0; i < n; i++) ((int8_t *)t->data)[i] = (int8_t)tp->int32_data[i];
        break;
    case OBN_UINT8:
        for (int64_t i = 0; i < n; i++) ((uint8_t *)t->data)[i] = (uint8_t)tp->int32_data[i];
        break;
    case OBN_BOOL: /* 0 or 1 (check_int32_range) */
        for (int64_t i = 0; i < n; i++) ((uint8_t *)t->data)[i] = (uint8_t)tp->int32_data[i];
        break;
    default: { /* one byte per value: the one-byte and sub-byte types */
        size_t nb = int32_count(t);
        uint8_t *bytes = obn_dtype_packed_bits(t->dtype) ? malloc(nb) : t->data;
        if (!bytes) return OBN_OOM();
        for (size_t i = 0; i < nb; i++) bytes[i] = (uint8_t)tp->int32_data[i];
        if (bytes != t->data) {
            store_raw(t, bytes);
            free(bytes);
        }
        break;
    }
    }
    return OBN_OK;
}

static obn_status parse_u64(const char *s, const char *key, const char *what, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': external data '%s' is not a non-negative integer",
                       what, key);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': external data '%s'='%s' is not a valid integer",
                       what, key, s);
    *out = v;
    return OBN_OK;
}

/* The `stored` bytes at `offset` of fd read into t's own memory; packed
 * sub-byte data is read aside, then unpacked. */
static obn_status read_copy(int fd, uint64_t offset, size_t stored, const char *what, const char *path,
                            obn_tensor *t)
{
    OBN_TRY(obn_tensor_alloc(t));
    bool packed = stored != t->nbytes;
    uint8_t *buf = packed ? malloc(stored ? stored : 1) : t->data;
    obn_status s = buf ? obn_external_pread(fd, buf, stored, offset, what, path) : OBN_OOM();
    if (s == OBN_OK && packed) store_raw(t, buf);
    if (packed) free(buf);
    return s;
}

static obn_status read_external(const Onnx__TensorProto *tp, const char *base_dir, obn_budget *budget,
                                const char *what, obn_tensor *t)
{
    const char *loc = NULL, *off_s = NULL, *len_s = NULL;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        if (!e || !e->key) continue;
        if (strcmp(e->key, "location") == 0) loc = e->value;
        else if (strcmp(e->key, "offset") == 0) off_s = e->value;
        else if (strcmp(e->key, "length") == 0) len_s = e->value;
    }
    size_t stored = stored_nbytes(t);
    uint64_t offset = 0, length = stored;
    if (off_s) OBN_TRY(parse_u64(off_s, "offset", what, &offset));
    if (len_s) OBN_TRY(parse_u64(len_s, "length", what, &length));
    if (length != stored)
        return obn_err(OBN_E_INVALID_MODEL,
                       "tensor '%s': external data length %llu does not match %lld elements of %s (%zu bytes)",
                       what, (unsigned long long)length, (long long)t->numel, obn_dtype_name(t->dtype), stored);
    int fd;
    char path[PATH_MAX];
    struct stat sb;
    OBN_TRY(obn_external_open(base_dir, loc, what, &fd, path, &sb));
    obn_status s = OBN_OK;
    if (offset > (uint64_t)sb.st_size || length > (uint64_t)sb.st_size - offset)
        s = obn_err(OBN_E_INVALID_MODEL,
                    "tensor '%s': external data offset %llu + length %llu is past the end of '%s' (%lld bytes)",
                    what, (unsigned long long)offset, (unsigned long long)length, path,
                    (long long)sb.st_size);
    else if ((s = obn_budget_take(budget, t->nbytes, what)) == OBN_OK &&
             (stored != t->nbytes || !obn_external_map(fd, offset, length, t)))
        s = read_copy(fd, offset, stored, what, path, t);
    close(fd);
    return s;
}

/* Copies raw_data or a typed field into t after checking its size; t's data
 * is allocated only once the stored bytes are known to match the shape, so a
 * hostile shape cannot make us allocate more than the file holds. */
static obn_status read_inline(const Onnx__TensorProto *tp, Onnx__TensorProto *take, obn_budget *budget,
                              const char *what, obn_tensor *t)
{
    obn_dtype dt = t->dtype;
    field_kind want = typed_field_for(dt);
    static const field_kind all[] = {FIELD_FLOAT, FIELD_INT32, FIELD_INT64, FIELD_DOUBLE, FIELD_UINT64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (field_count(tp, all[i]) == 0) continue;
        if (tp->has_raw_data)
            return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' stores its data twice: in raw_data and in %s",
                           what, field_name(all[i]));
        /* data in a field that does not belong to this dtype is an error */
        if (all[i] != want)
            return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' of type %s stores its data in %s (expected %s)",
                           what, obn_dtype_name(dt), field_name(all[i]), field_name(want));
    }
    if (tp->has_raw_data) {
        size_t stored = stored_nbytes(t);
        if (tp->raw_data.len != stored)
            return obn_err(OBN_E_INVALID_MODEL,
                           "tensor '%s': raw_data has %zu bytes, but %lld elements of %s need %zu", what,
                           tp->raw_data.len, (long long)t->numel, obn_dtype_name(dt), stored);
        OBN_TRY(obn_budget_take(budget, t->nbytes, what));
        if (take && !obn_dtype_packed_bits(dt) && t->nbytes >= OBN_TAKE_RAW_MIN) {
            /* the decoded message's own buffer (malloc'd by protobuf-c)
             * becomes the tensor's: no second copy of the weights */
            if (t->owns_data) free(t->data);
            t->data = take->raw_data.data;
            t->owns_data = true;
            take->raw_data.data = NULL;
            take->raw_data.len = 0;
            return OBN_OK;
        }
        OBN_TRY(obn_tensor_alloc(t));
        store_raw(t, tp->raw_data.data);
        return OBN_OK;
    }
    size_t have = field_count(tp, want);
    if (obn_dtype_packed_bits(dt) && have != int32_count(t))
        return obn_err(OBN_E_INVALID_MODEL,
                       "tensor '%s': %s has %zu values, but %lld elements of %s need %zu (one packed byte per value)",
                       what, field_name(want), have, (long long)t->numel, obn_dtype_name(dt), int32_count(t));
    if (!obn_dtype_packed_bits(dt) && have != (size_t)t->numel)
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': %s has %zu values, but the shape needs %lld", what,
                       field_name(want), have, (long long)t->numel);
    if (want == FIELD_INT32) OBN_TRY(check_int32_range(tp, t, what));
    if (want == FIELD_UINT64) OBN_TRY(check_uint64_range(tp, t, what));
    OBN_TRY(obn_budget_take(budget, t->nbytes, what));
    OBN_TRY(obn_tensor_alloc(t));
    return store_typed(tp, t);
}

/* A string tensor's data: string_data only (onnx.proto: raw_data cannot
 * hold strings; external data is not defined for them), one entry per
 * element. Each entry's length was bounded by the decoder (it lies within
 * the message); the element array and every string are counted in the
 * budget before anything is allocated. */
static obn_status read_strings(const Onnx__TensorProto *tp, obn_budget *budget, const char *what, obn_tensor *t)
{
    static const field_kind all[] = {FIELD_FLOAT, FIELD_INT32, FIELD_INT64, FIELD_DOUBLE, FIELD_UINT64};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (field_count(tp, all[i]))
            return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' of type string stores its data in %s (expected string_data)",
                           what, field_name(all[i]));
    if (tp->has_raw_data)
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' of type string has raw_data (strings are stored in string_data)",
                       what);
    if (tp->n_string_data != (size_t)t->numel)
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': string_data has %zu strings, but the shape needs %lld", what,
                       tp->n_string_data, (long long)t->numel);
    uint64_t total = t->nbytes;
    for (size_t i = 0; i < tp->n_string_data; i++) {
        size_t len = tp->string_data[i].len;
        if (len && !tp->string_data[i].data)
            return obn_err(OBN_E_INVALID_MODEL, "tensor '%s': string_data[%zu] has no bytes", what, i);
        if (len > OBN_MAX_STRING_BYTES)
            return obn_err(OBN_E_UNSUPPORTED, "tensor '%s': string_data[%zu] has %zu bytes, over onnxbn's limit of %zu",
                           what, i, len, OBN_MAX_STRING_BYTES);
        if (len) total += len + sizeof(size_t) + 1; /* as obn_str_new stores it */
    }
    OBN_TRY(obn_budget_take(budget, total, what));
    OBN_TRY(obn_tensor_alloc(t));
    for (size_t i = 0; i < tp->n_string_data; i++)
        OBN_TRY(obn_string_set(t, (int64_t)i, tp->string_data[i].data, tp->string_data[i].len));
    return OBN_OK;
}

static obn_status from_proto(const Onnx__TensorProto *tp, Onnx__TensorProto *take, const char *base_dir,
                             obn_budget *budget, const char *what, obn_tensor **out)
{
    *out = NULL;
    if (!tp->has_data_type || !obn_dtype_is_valid(tp->data_type))
        return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' has an undefined data type (%d)", what,
                       tp->has_data_type ? (int)tp->data_type : 0);
    obn_dtype dt = (obn_dtype)tp->data_type;
    if (!obn_dtype_is_storable(dt))
        return obn_err(OBN_E_UNSUPPORTED, "tensor '%s' has data type %s, which onnxbn does not support",
                       what, obn_dtype_name(dt));
    if (tp->n_dims > OBN_MAX_RANK)
        return obn_err(OBN_E_UNSUPPORTED, "tensor '%s' has rank %zu (onnxbn supports up to %d)", what,
                       tp->n_dims, OBN_MAX_RANK);
    if (tp->segment)
        return obn_err(OBN_E_UNSUPPORTED, "tensor '%s' is segmented, which onnxbn does not support", what);
    bool external = false;
    if (tp->has_data_location) {
        if (tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) external = true;
        else if (tp->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT)
            return obn_err(OBN_E_INVALID_MODEL, "tensor '%s' has an unknown data_location (%d)", what,
                           (int)tp->data_location);
    }
    int64_t numel;
    OBN_TRY(obn_shape_numel((int)tp->n_dims, tp->dims, dt, what, &numel));
    obn_tensor *t;
    OBN_TRY(obn_tensor_new_meta(dt, (int)tp->n_dims, tp->dims, &t));
    t->name = strdup(what);
    obn_status s = t->name ? OBN_OK : OBN_OOM();
    if (s == OBN_OK && dt == OBN_STRING && external)
        s = obn_err(OBN_E_INVALID_MODEL, "tensor '%s' of type string has external data (strings are stored in string_data)",
                    what);
    else if (s == OBN_OK && dt == OBN_STRING)
        s = read_strings(tp, budget, what, t);
    else if (s == OBN_OK && tp->n_string_data)
        s = obn_err(OBN_E_INVALID_MODEL, "tensor '%s' of type %s has string_data (only string tensors use it)", what,
                    obn_dtype_name(dt));
    else if (s == OBN_OK)
        s = external ? read_external(tp, base_dir, budget, what, t) : read_inline(tp, take, budget, what, t);
    if (s != OBN_OK) {
        obn_tensor_release(t);
        return s;
    }
    *out = t;
    return OBN_OK;
}

obn_status obn_tensor_from_proto(const Onnx__TensorProto *tp, const char *base_dir, obn_budget *budget,
                                 const char *what, obn_tensor **out)
{
    return from_proto(tp, NULL, base_dir, budget, what, out);
}

obn_status obn_tensor_from_proto_take(Onnx__TensorProto *tp, const char *base_dir, obn_budget *budget,
                                      const char *what, obn_tensor **out)
{
    return from_proto(tp, tp, base_dir, budget, what, out);
}

size_t obn_tensor_proto_scratch(const obn_tensor *t)
{
    if (t->dtype == OBN_STRING) return (size_t)t->numel * sizeof(ProtobufCBinaryData);
    return obn_dtype_packed_bits(t->dtype) ? stored_nbytes(t) : 0;
}

void obn_tensor_to_proto(const obn_tensor *t, const char *name, uint8_t *scratch, Onnx__TensorProto *tp)
{
    onnx__tensor_proto__init(tp);
    tp->n_dims = (size_t)t->rank;
    tp->dims = (int64_t *)t->dims;
    tp->has_data_type = 1;
    tp->data_type = (int32_t)t->dtype;
    tp->name = (char *)(name ? name : "");
    if (t->dtype == OBN_STRING) { /* string_data entries borrowing the elements */
        ProtobufCBinaryData *sd = (ProtobufCBinaryData *)(void *)scratch;
        char **e = obn_strs(t);
        for (int64_t i = 0; i < t->numel; i++) {
            sd[i].len = obn_str_len(e[i]);
            sd[i].data = (uint8_t *)obn_str_cstr(e[i]);
        }
        tp->n_string_data = (size_t)t->numel;
        tp->string_data = t->numel ? sd : NULL;
        return;
    }
    tp->has_raw_data = 1;
    int bits = obn_dtype_packed_bits(t->dtype);
    if (bits) {
        obn_pack_bits(t->data, t->numel, bits, scratch);
        tp->raw_data.len = stored_nbytes(t);
        tp->raw_data.data = scratch;
    } else {
        tp->raw_data.len = t->nbytes;
        tp->raw_data.data = (uint8_t *)t->data;
    }
}
