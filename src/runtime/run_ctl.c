#include "run_ctl.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "kernels/kstop.h"
#include "op.h"
#include "status.h"

double obn_monotonic_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

obn_status obn_run_options_create(obn_run_options **out)
{
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_run_options_create: out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? OBN_OK : OBN_OOM();
}

void obn_run_options_destroy(obn_run_options *o) { free(o); }

obn_status obn_run_options_set_timeout(obn_run_options *o, double seconds)
{
    if (!o) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_run_options_set_timeout: options is NULL");
    if (!(seconds >= 0.0) || !isfinite(seconds))
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_run_options_set_timeout: %g is not a number of seconds >= 0",
                       seconds);
    o->timeout = seconds;
    return OBN_OK;
}

void obn_run_options_terminate(obn_run_options *o)
{
    if (o) __atomic_store_n(&o->terminate, 1, __ATOMIC_RELEASE);
}

void obn_run_options_reset(obn_run_options *o)
{
    if (o) __atomic_store_n(&o->terminate, 0, __ATOMIC_RELEASE);
}

void obn_run_start(obn_run_state *rs, const obn_run_options *options)
{
    rs->options = options;
    rs->deadline = options && options->timeout > 0 ? obn_monotonic_seconds() + options->timeout : 0.0;
}

static bool terminated(const obn_run_state *rs)
{
    return rs && rs->options && __atomic_load_n(&rs->options->terminate, __ATOMIC_ACQUIRE);
}

static bool past_deadline(const obn_run_state *rs)
{
    return rs && rs->deadline > 0 && obn_monotonic_seconds() > rs->deadline;
}

bool obn_run_stopped(const obn_run_state *rs) { return terminated(rs) || past_deadline(rs); }

obn_status obn_run_check(const obn_run_state *rs, const obn_node *n, const char *where)
{
    char d[OBN_NODE_DESC_CAP];
    if (terminated(rs))
        return obn_err(OBN_E_CANCELLED, "run cancelled: terminated %s %s", where, obn_node_desc(n, d, sizeof d));
    if (past_deadline(rs))
        return obn_err(OBN_E_CANCELLED, "run cancelled: the timeout of %g s passed %s %s", rs->options->timeout,
                       where, obn_node_desc(n, d, sizeof d));
    return OBN_OK;
}

bool obn_op_cancelled(const obn_op_ctx *ctx) { return obn_run_stopped(ctx->run); }

obn_status obn_op_check_cancel(const obn_op_ctx *ctx)
{
    return ctx->run ? obn_run_check(ctx->run, ctx->node, "inside") : OBN_OK;
}

typedef struct {
    const obn_run_state *rs;
    int fired; /* set by any thread whose poll said stop */
} kstop_arg;

static int kstop_poll(void *arg)
{
    kstop_arg *k = arg;
    /* once stopped, the rest of the node is skipped cheaply */
    if (__atomic_load_n(&k->fired, __ATOMIC_RELAXED)) return 1;
    if (!obn_run_stopped(k->rs)) return 0;
    __atomic_store_n(&k->fired, 1, __ATOMIC_RELAXED);
    return 1;
}

obn_status obn_run_op(obn_op_ctx *ctx)
{
    const obn_run_state *rs = ctx->run;
    if (!rs || !rs->options) return ctx->node->op->run(ctx);
    kstop_arg arg = {rs, 0};
    obn_kstop stop = {kstop_poll, &arg};
    const obn_kstop *prev = obn_kstop_set(&stop);
    obn_status s = ctx->node->op->run(ctx);
    obn_kstop_set(prev);
    if (__atomic_load_n(&arg.fired, __ATOMIC_RELAXED)) { /* a kernel left its work unfinished */
        obn_status c = obn_run_check(rs, ctx->node, "inside");
        if (c != OBN_OK) return c;
        /* terminate was reset after a kernel stopped: its outputs are partial all the same */
        char d[OBN_NODE_DESC_CAP];
        return obn_err(OBN_E_CANCELLED, "run cancelled inside %s", obn_node_desc(ctx->node, d, sizeof d));
    }
    return s;
}
