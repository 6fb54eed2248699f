/* Tensor files: ONNX TensorProto (.pb) and NumPy (.npy) reading, .pb
 * writing. Both readers treat the bytes as hostile: every length is checked
 * against the file size before use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "proto_guard.h"
#include "status.h"
#include "tensor.h"
#include "tensor_proto.h"

/* Tensor files larger than this are refused (the protobuf limit). */
#define OBN_MAX_TENSOR_FILE ((size_t)2 << 30)

obn_status obn_file_slurp(const char *path, unsigned char **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return obn_err(OBN_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return obn_err(OBN_E_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > OBN_MAX_TENSOR_FILE) {
        fclose(f);
        return obn_err(OBN_E_UNSUPPORTED, "%s: tensor file is larger than 2 GiB", path);
    }
    size_t n = (size_t)sb.st_size;
    unsigned char *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return OBN_OOM();
    }
    if (n && fread(buf, 1, n, f) != n) {
        free(buf);
        fclose(f);
        return obn_err(OBN_E_IO, "%s: read failed", path);
    }
    fclose(f);
    *data = buf;
    *size = n;
    return OBN_OK;
}

/* --- .npy (format versions 1.0, 2.0, 3.0) --- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == ',')) p++;
    return p;
}

/* Finds the value after 'key': in the header dict; NULL if absent or if the
 * header ends right after the colon (callers may then read *value). */
static const char *npy_find(const char *hdr, const char *end, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "'%s'", key);
    size_t pl = strlen(pat);
    for (const char *p = hdr; p + pl <= end; p++) {
        if (memcmp(p, pat, pl) != 0) continue;
        p = skip_ws(p + pl, end);
        if (p >= end || *p != ':') return NULL;
        p = skip_ws(p + 1, end);
        return p < end ? p : NULL;
    }
    return NULL;
}

static obn_status npy_dtype(const char *descr, size_t len, obn_dtype *out)
{
    static const struct {
        const char *d;
        obn_dtype t;
    } table[] = {{"<f4", OBN_FLOAT}, {"<f8", OBN_DOUBLE}, {"<f2", OBN_FLOAT16}, {"|i1", OBN_INT8},
                 {"<i2", OBN_INT16}, {"<i4", OBN_INT32}, {"<i8", OBN_INT64}, {"|u1", OBN_UINT8},
                 {"<u2", OBN_UINT16}, {"<u4", OBN_UINT32}, {"<u8", OBN_UINT64}, {"|b1", OBN_BOOL}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].d) == len && memcmp(table[i].d, descr, len) == 0) {
            *out = table[i].t;
            return OBN_OK;
        }
    return obn_err(OBN_E_UNSUPPORTED, "numpy dtype '%.*s' is not supported (little-endian numeric and bool only)",
                   (int)(len > 16 ? 16 : len), descr);
}

static obn_status parse_npy(const unsigned char *buf, size_t size, const char *path, obn_tensor **out)
{
    if (size < 10) return obn_err(OBN_E_PARSE, "%s: truncated .npy header", path);
    int major = buf[6];
    size_t hlen, hoff;
    if (major == 1) {
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
        hoff = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return obn_err(OBN_E_PARSE, "%s: truncated .npy header", path);
        hlen = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hoff = 12;
    } else {
        return obn_err(OBN_E_UNSUPPORTED, "%s: .npy format version %d is not supported", path, major);
    }
    if (hlen > size - hoff) return obn_err(OBN_E_PARSE, "%s: .npy header is longer than the file", path);
    const char *hdr = (const char *)buf + hoff, *end = hdr + hlen;
    const char *d = npy_find(hdr, end, "descr");
    const char *fo = npy_find(hdr, end, "fortran_order");
    const char *sh = npy_find(hdr, end, "shape");
    if (!d || !fo || !sh || *d != '\'') return obn_err(OBN_E_PARSE, "%s: malformed .npy header", path);
    const char *dq = memchr(d + 1, '\'', (size_t)(end - d - 1));
    if (!dq) return obn_err(OBN_E_PARSE, "%s: malformed .npy descr", path);
    obn_dtype dt = OBN_UNDEFINED;
    obn_status s = npy_dtype(d + 1, (size_t)(dq - d - 1), &dt);
    if (s != OBN_OK) return obn_err_prefix(s, "%s: ", path);
    if ((size_t)(end - fo) >= 4 && memcmp(fo, "True", 4) == 0)
        return obn_err(OBN_E_UNSUPPORTED, "%s: Fortran-order .npy arrays are not supported (save with C order)", path);
    if (*sh != '(') return obn_err(OBN_E_PARSE, "%s: malformed .npy shape", path);
    int64_t dims[OBN_MAX_RANK];
    int rank = 0;
    const char *p = sh + 1;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end) return obn_err(OBN_E_PARSE, "%s: malformed .npy shape", path);
        if (*p == ')') break;
        if (*p < '0' || *p > '9') return obn_err(OBN_E_PARSE, "%s: malformed .npy shape", path);
        if (rank == OBN_MAX_RANK)
            return obn_err(OBN_E_UNSUPPORTED, "%s: array rank exceeds %d", path, OBN_MAX_RANK);
        int64_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > (INT64_MAX - 9) / 10) return obn_err(OBN_E_PARSE, "%s: .npy dimension overflows", path);
            v = v * 10 + (*p++ - '0');
        }
        dims[rank++] = v;
    }
    obn_tensor *t;
    s = obn_tensor_new_meta(dt, rank, dims, &t);
    /* a shape too large to store is a broken file here, not a broken model */
    if (s != OBN_OK) return obn_err_prefix(s == OBN_E_INVALID_MODEL ? OBN_E_PARSE : s, "%s: ", path);
    size_t data_off = hoff + hlen;
    if (size - data_off != t->nbytes) {
        size_t want = t->nbytes;
        obn_tensor_release(t);
        return obn_err(OBN_E_PARSE, "%s: .npy data has %zu bytes, the header's shape needs %zu", path,
                       size - data_off, want);
    }
    if ((s = obn_tensor_alloc(t)) != OBN_OK) {
        obn_tensor_release(t);
        return s;
    }
    if (t->nbytes) memcpy(t->data, buf + data_off, t->nbytes);
    *out = t;
    return OBN_OK;
}

obn_status obn_tensor_parse_pb(const unsigned char *buf, size_t size, const char *path, obn_tensor **out)
{
    OBN_TRY(obn_proto_check_nesting(buf, size, &onnx__tensor_proto__descriptor, path));
    Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, buf);
    if (!tp) return obn_err(OBN_E_PARSE, "%s: not a valid ONNX TensorProto (truncated or corrupt)", path);
    const char *name = tp->name && tp->name[0] ? tp->name : "";
    /* external data is resolved against the .pb file's own folder, with the
     * same checks as for models */
    char *dir = strdup(path);
    obn_status s = dir ? OBN_OK : OBN_OOM();
    if (s == OBN_OK) {
        char *slash = strrchr(dir, '/');
        if (slash == dir) dir[1] = '\0';
        else if (slash) *slash = '\0';
        else strcpy(dir, ".");
        s = obn_tensor_from_proto(tp, dir, NULL, name, out);
    }
    free(dir);
    onnx__tensor_proto__free_unpacked(tp, NULL);
    if (s != OBN_OK) return obn_err_prefix(s, "%s: ", path);
    return OBN_OK;
}

obn_status obn_tensor_load(const char *path, obn_tensor **out)
{
    if (out) *out = NULL;
    if (!path || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_load: NULL argument");
    unsigned char *buf = NULL;
    size_t size = 0;
    OBN_TRY(obn_file_slurp(path, &buf, &size));
    obn_status s;
    if (size >= 6 && memcmp(buf, "\x93NUMPY", 6) == 0)
        s = parse_npy(buf, size, path, out);
    else if (size == 0)
        s = obn_err(OBN_E_PARSE, "%s: the file is empty", path);
    else
        s = obn_tensor_parse_pb(buf, size, path, out);
    free(buf);
    return s;
}

obn_status obn_tensor_save(const obn_tensor *t, const char *name, const char *path)
{
    if (!t || !path) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_save: NULL argument");
    if (t->kind != OBN_KIND_TENSOR)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_save: the value is a %s, not a tensor", obn_kind_name(t->kind));
    if (!t->data) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_tensor_save: tensor has no data");
    Onnx__TensorProto tp;
    size_t scratch_bytes = obn_tensor_proto_scratch(t);
    uint8_t *scratch = scratch_bytes ? malloc(scratch_bytes) : NULL;
    if (scratch_bytes && !scratch) return OBN_OOM();
    obn_tensor_to_proto(t, name, scratch, &tp);
    size_t n = onnx__tensor_proto__get_packed_size(&tp);
    unsigned char *buf = malloc(n ? n : 1);
    if (buf) onnx__tensor_proto__pack(&tp, buf);
    free(scratch);
    if (!buf) return OBN_OOM();
    FILE *f = fopen(path, "wb");
    obn_status s = OBN_OK;
    if (!f) {
        s = obn_err(OBN_E_IO, "%s: cannot create: %s", path, strerror(errno));
    } else {
        if (fwrite(buf, 1, n, f) != n) s = obn_err(OBN_E_IO, "%s: write failed", path);
        if (fclose(f) != 0 && s == OBN_OK) s = obn_err(OBN_E_IO, "%s: write failed", path);
    }
    free(buf);
    return s;
}
