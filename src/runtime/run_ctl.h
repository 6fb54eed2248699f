/* Cancellation: the public obn_run_options (a timeout and a terminate flag
 * that any thread may set) and the state of one run that checks them. */
#ifndef OBN_RUN_CTL_H
#define OBN_RUN_CTL_H

#include <stdbool.h>

#include "ir.h"
#include "onnxbn.h"

struct obn_run_options {
    int terminate;  /* set and read atomically */
    double timeout; /* seconds from the start of a run; 0 = none */
};

/* One run: the options it was given and its deadline on the monotonic
 * clock. Lives on the stack of obn_session_run_with. */
typedef struct obn_run_state {
    const obn_run_options *options; /* NULL: never cancelled */
    double deadline;                /* obn_monotonic_seconds(); 0 = none */
} obn_run_state;

double obn_monotonic_seconds(void);

/* Starts a run under `options` (NULL allowed). */
void obn_run_start(obn_run_state *rs, const obn_run_options *options);

/* True when the run must stop: terminated, or past its deadline. Cheap (an
 * atomic load and, with a deadline, a vDSO clock read). NULL: false. */
bool obn_run_stopped(const obn_run_state *rs);

/* OBN_OK, or OBN_E_CANCELLED with a message saying why and where: "before"
 * or "inside" node n. */
obn_status obn_run_check(const obn_run_state *rs, const obn_node *n, const char *where);

struct obn_op_ctx;
/* Runs the op of ctx's node under ctx->run: long kernels inside it may stop
 * at their chunk boundaries (kernels/kstop.h) when the run is terminated or
 * its deadline passes, and when one did, this returns OBN_E_CANCELLED
 * naming the node ("inside"), whatever the op returned (its outputs are
 * partial). A node that ran to its end keeps its result: the check before
 * the next node sees the deadline. Without run options it is op->run(ctx). */
obn_status obn_run_op(struct obn_op_ctx *ctx);

#endif
