#include "profile.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/cpu.h"
#include "kernels/peak.h"
#include "plan.h"

/* Rows of the per-node part of the report (OBN_PROFILE=all: every node). */
#define PROFILE_TOP_NODES 15
/* A kind label: op type, variant, activation. */
#define PROFILE_LABEL_CAP 96

/* -1 unread; 0 off; 1 on; 2 on, every node listed */
static atomic_int enabled = -1;

static int profile_mode(void)
{
    int e = atomic_load(&enabled);
    if (e < 0) {
        const char *v = getenv("OBN_PROFILE");
        e = !(v && *v && strcmp(v, "0") != 0) ? 0 : strcmp(v, "all") == 0 ? 2 : 1;
        atomic_store(&enabled, e);
    }
    return e;
}

bool obn_profile_enabled(void) { return profile_mode() != 0; }

double obn_profile_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The activation fused into a node, "" if none. */
static const char *fused_act(const obn_node *n)
{
    return n->act.kind == OBN_ACT_NONE         ? ""
           : n->act.kind == OBN_ACT_SWISH      ? "x*Sigmoid"
           : n->act.kind == OBN_ACT_HARD_SWISH ? "x*HardSigmoid"
                                               : n->act.op_type;
}

static void step_label(const obn_step *st, char *buf, size_t cap)
{
    const obn_node *n = st->ctx.node;
    char variant[64] = "";
    if (n->op->describe) n->op->describe(&st->ctx, variant, sizeof variant);
    const char *act = fused_act(n);
    snprintf(buf, cap, "%s%s%s%s%s%s", n->op_type, variant[0] ? "[" : "", variant, variant[0] ? "]" : "",
             act[0] ? "+" : "", act);
}

void obn_profile_variant(const obn_op_ctx *ctx, char *buf, size_t cap)
{
    char variant[64] = "";
    if (ctx->node->op->describe) ctx->node->op->describe(ctx, variant, sizeof variant);
    const char *act = fused_act(ctx->node);
    snprintf(buf, cap, "%s%s%s%s", variant, variant[0] && act[0] ? ", " : "", act[0] ? "fused " : "", act);
}

/* Floating-point operations (ops with a flops callback) or bytes read and
 * written (the rest) of one run of a step. */
static double step_work(const obn_step *st, bool *is_flops)
{
    const obn_op_ctx *ctx = &st->ctx;
    *is_flops = ctx->node->op->flops != NULL;
    if (*is_flops) return ctx->node->op->flops(ctx);
    double bytes = 0;
    for (int k = 0; k < ctx->n_inputs; k++)
        if (ctx->inputs[k]) bytes += (double)ctx->inputs[k]->nbytes;
    for (int k = 0; k < ctx->n_outputs; k++)
        if (ctx->outputs[k]) bytes += (double)ctx->outputs[k]->nbytes;
    return bytes;
}

/* "  71.3 GFLOP/s" or "  12.0 GB/s" for `work` done in `sec` */
static const char *rate_str(double work, bool is_flops, double sec, char *buf, size_t cap)
{
    if (sec <= 0 || work <= 0) snprintf(buf, cap, "%14s", "");
    else snprintf(buf, cap, "%8.1f %s", work / sec * 1e-9, is_flops ? "GFLOP/s" : "GB/s   ");
    return buf;
}

typedef struct {
    char label[PROFILE_LABEL_CAP];
    double sec, work;
    bool is_flops;
    int count;
} kind_total;

static int cmp_kind(const void *a, const void *b)
{
    double x = ((const kind_total *)a)->sec, y = ((const kind_total *)b)->sec;
    return x < y ? 1 : x > y ? -1 : 0;
}

typedef struct {
    double sec;
    int step;
} step_time;

static int cmp_step(const void *a, const void *b)
{
    double x = ((const step_time *)a)->sec, y = ((const step_time *)b)->sec;
    return x < y ? 1 : x > y ? -1 : 0;
}

void obn_profile_report(const obn_plan *p)
{
    if (!p->prof_sec || p->prof_runs == 0) return;
    kind_total *kinds = calloc((size_t)p->n_steps + 1, sizeof *kinds);
    step_time *order = malloc(((size_t)p->n_steps + 1) * sizeof *order);
    if (!kinds || !order) {
        free(kinds);
        free(order);
        return;
    }
    int n_kinds = 0;
    double total = 0;
    for (int i = 0; i < p->n_steps; i++) {
        char label[PROFILE_LABEL_CAP];
        step_label(&p->steps[i], label, sizeof label);
        int k = 0;
        while (k < n_kinds && strcmp(kinds[k].label, label) != 0) k++;
        if (k == n_kinds) snprintf(kinds[n_kinds++].label, PROFILE_LABEL_CAP, "%s", label);
        kinds[k].sec += p->prof_sec[i];
        kinds[k].work += step_work(&p->steps[i], &kinds[k].is_flops);
        kinds[k].count++;
        total += p->prof_sec[i];
        order[i] = (step_time){p->prof_sec[i], i};
    }
    qsort(kinds, (size_t)n_kinds, sizeof *kinds, cmp_kind);
    double per = 1e3 / (double)p->prof_runs, runs = (double)p->prof_runs;
    obn_isa isa = obn_cpu_isa();
    fprintf(stderr, "OBN_PROFILE: %ld runs, %d steps, %.3f ms/run in steps\n", p->prof_runs, p->n_steps,
            total * per);
    fprintf(stderr, "  machine, measured now: FMA peak of one thread %.1f GFLOP/s (%s), copy %.1f GB/s\n",
            obn_peak_fma_flops(isa) * 1e-9, obn_isa_name(isa), obn_peak_copy_bytes() * 1e-9);
    fprintf(stderr, "  %-48s %6s %10s %6s %15s\n", "kind", "nodes", "ms/run", "%", "rate");
    char rate[32];
    for (int k = 0; k < n_kinds; k++)
        fprintf(stderr, "  %-48s %6d %10.3f %6.1f %s\n", kinds[k].label, kinds[k].count, kinds[k].sec * per,
                total > 0 ? 100.0 * kinds[k].sec / total : 0.0,
                rate_str(kinds[k].work * runs, kinds[k].is_flops, kinds[k].sec, rate, sizeof rate));
    qsort(order, (size_t)p->n_steps, sizeof *order, cmp_step);
    bool all = profile_mode() == 2;
    fprintf(stderr, "  %s:\n", all ? "every node, slowest first" : "slowest nodes (OBN_PROFILE=all lists every node)");
    for (int r = 0; r < p->n_steps && (all || r < PROFILE_TOP_NODES); r++) {
        const obn_step *st = &p->steps[order[r].step];
        char label[PROFILE_LABEL_CAP], shape[OBN_SHAPE_STR_CAP] = "?";
        step_label(st, label, sizeof label);
        const obn_tensor *y = st->ctx.n_outputs > 0 ? st->ctx.outputs[0] : NULL;
        if (y) obn_shape_str(y->rank, y->dims, shape, sizeof shape);
        bool is_flops;
        double work = step_work(st, &is_flops) * runs;
        fprintf(stderr, "  %10.3f ms %s  %-40s %-28s -> %s\n", order[r].sec * per,
                rate_str(work, is_flops, order[r].sec, rate, sizeof rate), label, st->ctx.node->name, shape);
    }
    free(kinds);
    free(order);
}
