#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_list_push(cli_str_list *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        char **ni = realloc(l->items, cap * sizeof *ni);
        if (!ni) return -1;
        l->items = ni;
        l->cap = cap;
    }
    l->items[l->n] = strdup(s);
    return l->items[l->n] ? (int)(l->n++, 0) : -1;
}

void cli_list_free(cli_str_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i]);
    free(l->items);
    memset(l, 0, sizeof *l);
}

int cli_error(obn_status status)
{
    fprintf(stderr, "onnxbn: error [%s]: %s\n", obn_status_name(status), obn_last_error());
    return CLI_USAGE;
}

int cli_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("onnxbn: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n(run 'onnxbn help' for usage)\n", stderr);
    va_end(ap);
    return CLI_USAGE;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    if (!s || !*s) return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* "512M" -> 512 MiB; 0 and overflow are refused. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9') return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    case 'T': case 't': shift = 40; end++; break;
    default: break;
    }
    if (errno || *end || v == 0 || v > (UINT64_MAX >> shift)) return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

int cli_parse_limit_option(const char *cmd, int argc, char **argv, int *i, obn_limits *limits)
{
    const char *arg = argv[*i], *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    long n;
    if (strcmp(arg, "--max-initializers") == 0 || strcmp(arg, "--max-arena") == 0) {
        uint64_t *field = arg[6] == 'i' ? &limits->max_initializer_bytes : &limits->max_arena_bytes;
        if (parse_size(val, field)) return cli_usage("%s: %s needs a size in bytes (suffix K, M, G or T allowed)", cmd, arg);
    } else if (strcmp(arg, "--max-rank") == 0) {
        if (cli_parse_int(val, 1, OBN_MAX_RANK, &n)) return cli_usage("%s: --max-rank needs a number from 1 to %d", cmd, OBN_MAX_RANK);
        limits->max_rank = (int)n;
    } else if (strcmp(arg, "--max-graph-depth") == 0) {
        if (cli_parse_int(val, 1, 32, &n)) return cli_usage("%s: --max-graph-depth needs a number from 1 to 32", cmd);
        limits->max_graph_depth = (int)n;
    } else {
        return 0;
    }
    ++*i;
    return 1;
}

void cli_format_dims(const int64_t *dims, size_t rank, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; i < rank && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

void cli_format_info_shape(const obn_value_info *vi, char *buf, size_t cap)
{
    if (vi->rank == (size_t)-1) {
        snprintf(buf, cap, "[unknown rank]");
        return;
    }
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (size_t i = 0; i < vi->rank && n < cap; i++) {
        const char *sep = i ? "," : "";
        if (vi->dims[i] >= 0)
            n += (size_t)snprintf(buf + n, cap - n, "%s%lld", sep, (long long)vi->dims[i]);
        else if (vi->dim_names && vi->dim_names[i])
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", sep, vi->dim_names[i]);
        else
            n += (size_t)snprintf(buf + n, cap - n, "%s?", sep);
    }
    if (n < cap) snprintf(buf + n, cap - n, "]");
}

const char *cli_format_string(const obn_tensor *t, int64_t i, char *buf, size_t cap)
{
    size_t len, k = 0;
    const char *s = obn_tensor_string(t, i, &len);
    if (cap < 8) {
        if (cap) buf[0] = '\0';
        return buf;
    }
    if (!s) {
        snprintf(buf, cap, "(none)");
        return buf;
    }
    buf[k++] = '"';
    for (size_t j = 0; j < len; j++) {
        unsigned char c = (unsigned char)s[j];
        char esc[8];
        int w;
        if (c == '"' || c == '\\') w = snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n') w = snprintf(esc, sizeof esc, "\\n");
        else if (c < 0x20 || c == 0x7f) w = snprintf(esc, sizeof esc, "\\x%02x", c);
        else w = snprintf(esc, sizeof esc, "%c", c); /* UTF-8 bytes as they are */
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

/* Strings: the count of empty ones and the first few, quoted. */
static void print_strings(FILE *f, const obn_tensor *t)
{
    int64_t n = obn_tensor_numel(t), empty = 0;
    for (int64_t i = 0; i < n; i++) {
        size_t len;
        obn_tensor_string(t, i, &len);
        empty += len == 0;
    }
    if (empty) fprintf(f, "  (%lld empty)", (long long)empty);
    if (n > 0) fprintf(f, "\n  first:");
    for (int64_t i = 0; i < n && i < 8; i++) {
        char q[80];
        fprintf(f, " %s", cli_format_string(t, i, q, sizeof q));
    }
    if (n > 8) fprintf(f, " ...");
    fputc('\n', f);
}

void cli_print_summary(FILE *f, const char *name, const obn_tensor *t)
{
    if (obn_tensor_kind(t) == OBN_KIND_OPTIONAL && !obn_optional_has_value(t)) {
        fprintf(f, "output '%s': empty optional of %s\n", name, obn_dtype_name(obn_tensor_dtype(t)));
        return;
    }
    if (obn_tensor_kind(t) == OBN_KIND_OPTIONAL) t = obn_optional_value(t);
    if (obn_tensor_kind(t) == OBN_KIND_SEQUENCE) { /* one summary per item, named "out[i]" */
        size_t n = obn_sequence_length(t);
        fprintf(f, "output '%s': sequence of %zu %s tensors\n", name, n, obn_dtype_name(obn_tensor_dtype(t)));
        for (size_t i = 0; i < n; i++) {
            char item[300];
            snprintf(item, sizeof item, "%.200s[%zu]", name, i);
            cli_print_summary(f, item, obn_sequence_at(t, i));
        }
        return;
    }
    char shape[256];
    cli_format_dims(obn_tensor_dims(t), obn_tensor_rank(t), shape, sizeof shape);
    int64_t n = obn_tensor_numel(t);
    fprintf(f, "output '%s': %s %s", name, obn_dtype_name(obn_tensor_dtype(t)), shape);
    if (obn_tensor_dtype(t) == OBN_STRING) {
        print_strings(f, t);
        return;
    }
    if (n > 0) {
        double lo = INFINITY, hi = -INFINITY, sum = 0;
        int64_t nan = 0;
        for (int64_t i = 0; i < n; i++) {
            double v = obn_tensor_value(t, i);
            if (isnan(v)) {
                nan++;
                continue;
            }
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            sum += v;
        }
        if (n > nan) fprintf(f, "  min %.6g  max %.6g  mean %.6g", lo, hi, sum / (double)(n - nan));
        if (nan) fprintf(f, "  (%lld NaN)", (long long)nan);
        fprintf(f, "\n  first:");
        for (int64_t i = 0; i < n && i < 8; i++) fprintf(f, " %.6g", obn_tensor_value(t, i));
        if (n > 8) fprintf(f, " ...");
    }
    fputc('\n', f);
}

/* splitmix64: small, seedable, good enough for test inputs */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint16_t float_to_half_bits(float v, int bf16)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    if (bf16) return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    /* values in [-1, 1): normal or zero range only, truncating is fine */
    uint32_t sign = (u >> 16) & 0x8000u, abs = u & 0x7fffffffu;
    if (abs < 0x38800000u) return (uint16_t)sign;
    return (uint16_t)(sign | ((abs - 0x38000000u) >> 13));
}

void cli_fill_random(obn_tensor *t, uint64_t *rng)
{
    int64_t n = obn_tensor_numel(t);
    if (obn_tensor_dtype(t) == OBN_STRING) { /* short words */
        static const char *const words[] = {"alpha", "beta", "gamma", "delta", "Monday", "x", "", "onnx"};
        for (int64_t i = 0; i < n; i++) {
            const char *w = words[next_u64(rng) % 8];
            obn_tensor_set_string(t, i, w, strlen(w));
        }
        return;
    }
    void *p = obn_tensor_data(t);
    for (int64_t i = 0; i < n; i++) {
        uint64_t r = next_u64(rng);
        double u = (double)(r >> 11) * (1.0 / 9007199254740992.0); /* [0,1) */
        double f = 2.0 * u - 1.0;
        int64_t k = (int64_t)(r % 10);
        switch (obn_tensor_dtype(t)) {
        case OBN_FLOAT: ((float *)p)[i] = (float)f; break;
        case OBN_DOUBLE: ((double *)p)[i] = f; break;
        case OBN_FLOAT16: ((uint16_t *)p)[i] = float_to_half_bits((float)f, 0); break;
        case OBN_BFLOAT16: ((uint16_t *)p)[i] = float_to_half_bits((float)f, 1); break;
        case OBN_INT8: ((int8_t *)p)[i] = (int8_t)k; break;
        case OBN_INT16: ((int16_t *)p)[i] = (int16_t)k; break;
        case OBN_INT32: ((int32_t *)p)[i] = (int32_t)k; break;
        case OBN_INT64: ((int64_t *)p)[i] = k; break;
        case OBN_UINT8: ((uint8_t *)p)[i] = (uint8_t)k; break;
        case OBN_BOOL: ((uint8_t *)p)[i] = (uint8_t)(k & 1); break;
        case OBN_UINT16: ((uint16_t *)p)[i] = (uint16_t)k; break;
        case OBN_UINT32: ((uint32_t *)p)[i] = (uint32_t)k; break;
        case OBN_UINT64: ((uint64_t *)p)[i] = (uint64_t)k; break;
        /* one byte each: small values of the sub-byte integers; float8 and
         * float4 bit patterns with the sign clear and a small exponent */
        case OBN_UINT4: ((uint8_t *)p)[i] = (uint8_t)k; break;
        case OBN_INT4: ((int8_t *)p)[i] = (int8_t)(k - 5); break;
        case OBN_UINT2: ((uint8_t *)p)[i] = (uint8_t)(k & 3); break;
        case OBN_INT2: ((int8_t *)p)[i] = (int8_t)((k & 3) - 2); break;
        case OBN_FLOAT4E2M1: ((uint8_t *)p)[i] = (uint8_t)(r & 0x7); break;
        case OBN_FLOAT8E8M0: ((uint8_t *)p)[i] = (uint8_t)(0x7b + r % 8); break; /* 2^-4 .. 2^3 */
        case OBN_FLOAT8E4M3FN: case OBN_FLOAT8E4M3FNUZ: case OBN_FLOAT8E5M2: case OBN_FLOAT8E5M2FNUZ:
            ((uint8_t *)p)[i] = (uint8_t)(r & 0x3f);
            break;
        default: break;
        }
    }
}

void cli_safe_filename(const char *name, char *buf, size_t cap)
{
    size_t i = 0;
    for (; name[i] && i + 1 < cap; i++) {
        char c = name[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                 c == '_' || (c == '.' && i > 0);
        buf[i] = ok ? c : '_';
    }
    buf[i] = '\0';
    if (i == 0 && cap > 1) snprintf(buf, cap, "output");
}
