/* String elements and string tensors (runtime/string_tensor.h). */
#include "string_tensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

obn_status obn_str_alloc(size_t len, char **out)
{
    *out = NULL;
    if (len == 0) return OBN_OK;
    if (len > OBN_MAX_STRING_BYTES)
        return obn_err(OBN_E_UNSUPPORTED, "a string of %zu bytes is over onnxbn's limit of %zu", len,
                       OBN_MAX_STRING_BYTES);
    size_t *block = malloc(sizeof(size_t) + len + 1); /* the length, the bytes, a NUL */
    if (!block) return OBN_OOM();
    block[0] = len;
    char *s = (char *)(block + 1);
    s[len] = '\0';
    *out = s;
    return OBN_OK;
}

obn_status obn_str_new(const void *bytes, size_t len, char **out)
{
    OBN_TRY(obn_str_alloc(len, out));
    if (len) memcpy(*out, bytes, len);
    return OBN_OK;
}

obn_status obn_strings_own_copies(struct obn_op_ctx *ctx, obn_tensor *y, obn_status s)
{
    char **e = obn_strs(y);
    int64_t i = 0;
    uint64_t bytes = 0;
    for (int64_t j = 0; s == OBN_OK && j < y->numel; j++) {
        uint64_t b = obn_str_heap_bytes(obn_str_len(e[j]));
        bytes = bytes > UINT64_MAX - b ? UINT64_MAX : bytes + b;
    }
    if (s == OBN_OK && ctx) s = obn_op_count_bytes(ctx, bytes, y->name ? y->name : "");
    for (; s == OBN_OK && i < y->numel; i++) {
        char *c;
        s = obn_str_new(e[i], obn_str_len(e[i]), &c);
        if (s == OBN_OK) e[i] = c;
    }
    if (s != OBN_OK) /* elements before the failed one (i - 1) are copies; the rest alias */
        for (int64_t j = 0; j < y->numel; j++) {
            if (j < i - 1) obn_str_free(e[j]);
            e[j] = NULL;
        }
    return s;
}

void obn_str_free(char *s)
{
    if (s) free((size_t *)(void *)s - 1);
}

void obn_string_take(obn_tensor *t, int64_t i, char *s)
{
    char **e = obn_strs(t);
    obn_str_free(e[i]);
    e[i] = s;
}

obn_status obn_string_set(obn_tensor *t, int64_t i, const void *bytes, size_t len)
{
    char *s;
    OBN_TRY(obn_str_new(bytes, len, &s));
    obn_string_take(t, i, s);
    return OBN_OK;
}

obn_status obn_string_copy(obn_tensor *dst, int64_t di, const obn_tensor *src, int64_t si)
{
    const char *s = obn_strs(src)[si];
    return obn_string_set(dst, di, s, obn_str_len(s));
}

bool obn_str_equal(const char *a, const char *b)
{
    size_t n = obn_str_len(a);
    return n == obn_str_len(b) && (n == 0 || memcmp(a, b, n) == 0);
}

void obn_strings_clear(obn_tensor *t)
{
    char **e = obn_strs(t);
    if (t->dtype != OBN_STRING || !e || !t->owns_data) return;
    for (int64_t i = 0; i < t->numel; i++) {
        obn_str_free(e[i]);
        e[i] = NULL;
    }
}

obn_status obn_tensor_copy_data(obn_tensor *dst, const obn_tensor *src)
{
    if (dst->data == src->data) return OBN_OK;
    if (src->dtype != OBN_STRING) {
        if (src->nbytes) memcpy(dst->data, src->data, src->nbytes);
        return OBN_OK;
    }
    for (int64_t i = 0; i < src->numel; i++) OBN_TRY(obn_string_copy(dst, i, src, i));
    return OBN_OK;
}

uint64_t obn_strings_bytes(const obn_tensor *t)
{
    uint64_t n = t->nbytes;
    const char *const *e = (const char *const *)t->data;
    if (!e) return n;
    for (int64_t i = 0; i < t->numel; i++) {
        size_t len = obn_str_len(e[i]);
        if (n > UINT64_MAX - len - sizeof(size_t) - 1) return UINT64_MAX;
        if (len) n += len + sizeof(size_t) + 1;
    }
    return n;
}

const char *obn_str_quote(const char *s, char *buf, size_t cap)
{
    size_t n = obn_str_len(s), k = 0;
    if (cap < 8) {
        if (cap) buf[0] = '\0';
        return buf;
    }
    buf[k++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        int w;
        if (c == '"' || c == '\\') w = snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n') w = snprintf(esc, sizeof esc, "\\n");
        else if (c == '\t') w = snprintf(esc, sizeof esc, "\\t");
        else if (c < 0x20 || c == 0x7f) w = snprintf(esc, sizeof esc, "\\x%02x", c);
        else w = snprintf(esc, sizeof esc, "%c", c); /* UTF-8 bytes pass through */
        if (k + (size_t)w + 5 > cap) {
            memcpy(buf + k, "...", 3);
            k += 3;
            break;
        }
        memcpy(buf + k, esc, (size_t)w);
        k += (size_t)w;
    }
    buf[k++] = '"';
    buf[k] = '\0';
    return buf;
}
