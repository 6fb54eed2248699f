#include "status.h"
#include "kernels/cpu.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define OBN_ERR_CAP 1024

static _Thread_local char err_message[OBN_ERR_CAP];
/* Counts the messages set on this thread (see obn_err_generation). */
static _Thread_local unsigned err_generation;

unsigned obn_err_generation(void) { return err_generation; }

bool obn_status_valid(int status) { return status >= (int)OBN_OK && status <= (int)OBN_E_CANCELLED; }

obn_status obn_err(obn_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err_message, sizeof err_message, fmt, ap);
    va_end(ap);
    err_generation++;
    return code;
}

obn_status obn_err_prefix(obn_status code, const char *fmt, ...)
{
    char prefix[OBN_ERR_CAP];
    char old[OBN_ERR_CAP];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err_message, sizeof old);
    size_t pl = strlen(prefix), ol = strlen(old);
    if (pl > OBN_ERR_CAP - 1) pl = OBN_ERR_CAP - 1;
    if (ol > OBN_ERR_CAP - 1 - pl) ol = OBN_ERR_CAP - 1 - pl;
    memcpy(err_message, prefix, pl);
    memcpy(err_message + pl, old, ol);
    err_message[pl + ol] = '\0';
    err_generation++;
    return code;
}

void obn_err_clear(void) { err_message[0] = '\0'; }

const char *obn_last_error(void) { return err_message; }

const char *obn_status_name(obn_status status)
{
    switch (status) {
    case OBN_OK: return "OK";
    case OBN_E_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case OBN_E_IO: return "IO";
    case OBN_E_PARSE: return "PARSE";
    case OBN_E_INVALID_MODEL: return "INVALID_MODEL";
    case OBN_E_UNSUPPORTED: return "UNSUPPORTED";
    case OBN_E_INVALID_INPUT: return "INVALID_INPUT";
    case OBN_E_OUT_OF_MEMORY: return "OUT_OF_MEMORY";
    case OBN_E_RUNTIME: return "RUNTIME";
    case OBN_E_CANCELLED: return "CANCELLED";
    }
    return "UNKNOWN";
}

const char *obn_version(void) { return "0.1.0"; }

const char *obn_isa_detected(void) { return obn_isa_name(obn_cpu_detect()); }
const char *obn_isa_active(void) { return obn_isa_name(obn_cpu_isa()); }
