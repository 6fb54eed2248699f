/* Opt-in per-node timing (OBN_PROFILE=1 in the environment, read once):
 * obn_plan_run times every step, and when the plan is freed (session
 * destroyed or re-planned) a summary goes to stderr: time per kernel kind
 * (op type, the variant the op reports through obn_op.describe, and a fused
 * activation), then the slowest nodes. Off, it costs a predictable branch
 * per step. Numbers include warm-up runs. */
#ifndef OBN_PROFILE_H
#define OBN_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "op.h"

struct obn_plan;

bool obn_profile_enabled(void);

/* Monotonic clock in seconds. */
double obn_profile_now(void);

/* The kernel variant a planned node runs (its op's describe) and the
 * activation fused into it: "winograd", "winograd, fused Relu", "fused
 * Relu", or "". */
#define OBN_VARIANT_CAP 96
void obn_profile_variant(const obn_op_ctx *ctx, char *buf, size_t cap);

/* Prints the plan's accumulated step times to stderr (nothing if no run). */
void obn_profile_report(const struct obn_plan *p);

#endif
