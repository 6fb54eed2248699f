/* Cast to and from strings (cast_string.h). */
#include "cast_string.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/half.h"
#include "op_helpers.h"
#include "string_tensor.h"

/* The decimal string s read back as the nearest value of `dtype`, compared
 * with v (which is such a value). */
static bool reads_back(const char *s, double v, obn_dtype dtype)
{
    switch (dtype) {
    case OBN_DOUBLE: return strtod(s, NULL) == v;
    case OBN_FLOAT16: return obn_f16_to_f32(obn_f32_to_f16(strtof(s, NULL))) == (float)v;
    case OBN_BFLOAT16: return obn_bf16_to_f32(obn_f32_to_bf16(strtof(s, NULL))) == (float)v;
    default: return strtof(s, NULL) == (float)v;
    }
}

/* Positional layout of the significant digits `dig` (no dot) times
 * 10^(exp10 - ndig + 1), as numpy prints it: "0.00123", "12.5", "100.0". */
static void layout_positional(bool neg, const char *dig, int ndig, int exp10, char *buf, size_t cap)
{
    size_t k = 0;
    if (neg && k + 1 < cap) buf[k++] = '-';
    if (exp10 < 0) {
        for (const char *p = "0."; *p && k + 1 < cap; p++) buf[k++] = *p;
        for (int i = 0; i < -exp10 - 1 && k + 1 < cap; i++) buf[k++] = '0';
        for (int i = 0; i < ndig && k + 1 < cap; i++) buf[k++] = dig[i];
    } else {
        for (int i = 0; i <= exp10 && k + 1 < cap; i++) buf[k++] = i < ndig ? dig[i] : '0';
        if (k + 1 < cap) buf[k++] = '.';
        if (ndig <= exp10 + 1 && k + 1 < cap) buf[k++] = '0';
        for (int i = exp10 + 1; i < ndig && k + 1 < cap; i++) buf[k++] = dig[i];
    }
    buf[k] = '\0';
}

void obn_format_float(double v, obn_dtype dtype, char *buf, size_t cap)
{
    if (isnan(v)) {
        snprintf(buf, cap, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, cap, v < 0 ? "-inf" : "inf");
        return;
    }
    if (v == 0) {
        snprintf(buf, cap, signbit(v) ? "-0.0" : "0.0");
        return;
    }
    /* the fewest significant digits that read back as v (17 always do) */
    char sci[40];
    int prec = 1;
    for (; prec < 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
        if (reads_back(sci, v, dtype)) break;
    }
    snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
    /* sci is "-d.ddde+XX": split into digits and exponent */
    char dig[24];
    int ndig = 0;
    const char *p = sci;
    bool neg = *p == '-';
    if (neg) p++;
    for (; *p && *p != 'e'; p++)
        if (isdigit((unsigned char)*p) && ndig < 20) dig[ndig++] = *p;
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (ndig > 1 && dig[ndig - 1] == '0') ndig--; /* "1.50e+00" -> "15" */
    dig[ndig] = '\0';
    double a = fabs(v);
    if (a >= 1e-4 && a < 1e16) {
        layout_positional(neg, dig, ndig, exp10, buf, cap);
        return;
    }
    /* scientific: "1e-05", "1.5e+16" */
    if (ndig == 1) snprintf(buf, cap, "%s%ce%c%02d", neg ? "-" : "", dig[0], exp10 < 0 ? '-' : '+', abs(exp10));
    else snprintf(buf, cap, "%s%c.%se%c%02d", neg ? "-" : "", dig[0], dig + 1, exp10 < 0 ? '-' : '+', abs(exp10));
}

obn_status obn_cast_to_string(const obn_op_ctx *ctx, const obn_tensor *x, obn_tensor *y)
{
    (void)ctx;
    bool is_float = obn_dtype_is_float(x->dtype), is_unsigned = obn_dtype_is_unsigned(x->dtype);
    for (int64_t i = 0; i < x->numel; i++) {
        char buf[64];
        if (is_float) obn_format_float(obn_load_f64(x, i), x->dtype, buf, sizeof buf);
        else if (is_unsigned) snprintf(buf, sizeof buf, "%llu", (unsigned long long)obn_load_u64(x, i));
        else snprintf(buf, sizeof buf, "%lld", (long long)obn_load_i64(x, i));
        OBN_TRY(obn_string_set(y, i, buf, strlen(buf)));
    }
    return OBN_OK;
}

/* A string element as a number: *f for floating-point targets (strtof for
 * float, so that the decimal rounds once), *n for integer ones. */
static obn_status parse_number(const obn_op_ctx *ctx, const char *s, int64_t i, obn_dtype to, double *f, int64_t *n,
                               uint64_t *u)
{
    const char *text = obn_str_cstr(s);
    char *end = NULL;
    errno = 0;
    bool integral = !obn_dtype_is_float(to) && to != OBN_BOOL;
    if (integral && obn_dtype_is_unsigned(to) && text[strspn(text, " \t\n\r\f\v")] != '-') {
        *u = strtoull(text, &end, 10);
        if (errno == ERANGE) *u = UINT64_MAX;
        *n = (int64_t)*u;
    } else if (integral) {
        *n = strtoll(text, &end, 10);
        *u = (uint64_t)*n;
    }
    if (!integral || !end || end == text || (*end && !isspace((unsigned char)*end))) {
        /* floats, and integers written with a fraction or an exponent */
        errno = 0;
        if (to == OBN_FLOAT) *f = strtof(text, &end);
        else *f = strtod(text, &end);
        if (integral) {
            *n = obn_f64_to_i64(*f);
            *u = *f >= 18446744073709551616.0 ? UINT64_MAX : *f >= 9223372036854775808.0 ? (uint64_t)*f : (uint64_t)*n;
        }
    } else {
        *f = (double)*n;
    }
    while (end && isspace((unsigned char)*end)) end++;
    if (end == text || !end || *end || obn_str_len(s) != strlen(text)) {
        char q[80];
        return obn_ctx_err(ctx, OBN_E_RUNTIME, "string #%lld (%s) of input '%s' is not a number, cannot cast it to %s",
                           (long long)i, obn_str_quote(s, q, sizeof q), obn_in_name(ctx, 0), obn_dtype_name(to));
    }
    return OBN_OK;
}

obn_status obn_cast_from_string(const obn_op_ctx *ctx, const obn_tensor *x, obn_tensor *y)
{
    const char *const *e = (const char *const *)x->data;
    for (int64_t i = 0; i < x->numel; i++) {
        double f = 0;
        int64_t n = 0;
        uint64_t u = 0;
        OBN_TRY(parse_number(ctx, e[i], i, y->dtype, &f, &n, &u));
        if (y->dtype == OBN_BOOL) ((uint8_t *)y->data)[i] = f != 0;
        else if (obn_dtype_is_float(y->dtype)) obn_store_f64(y, i, f);
        else if (y->dtype == OBN_UINT64) ((uint64_t *)y->data)[i] = u;
        else obn_store_i64(y, i, n); /* keeps the low bits, like every integer narrowing */
    }
    return OBN_OK;
}
