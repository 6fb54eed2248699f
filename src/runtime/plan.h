/* The planner: turns a graph plus concrete input shapes into an execution
 * plan. Shapes are inferred node by node; nodes whose inputs are all known at
 * plan time (initializers, Shape of a known shape, ...) are computed right
 * away (constant folding); the rest become steps whose outputs live in one
 * arena, placed by lifetime so that buffers are reused. Running a plan
 * allocates nothing.
 *
 * When an output shape depends on run-time data (an infer function returns
 * OBN_DEFER), the plan is built "eagerly" instead: with the input data at
 * hand, so that every node is computed while planning. */
#ifndef OBN_PLAN_H
#define OBN_PLAN_H

#include <stdbool.h>

#include "ir.h"
#include "resource_limits.h"
#include "op.h"
#include "run_ctl.h"

typedef struct obn_step {
    int node;
    obn_op_ctx ctx;
    obn_tensor **io; /* ctx.inputs = io, ctx.outputs = io + n_inputs */
} obn_step;

/* The session's node callback (obn_session_set_node_callback). */
typedef struct obn_observer {
    obn_node_callback fn;
    void *user;
} obn_observer;

/* What a plan is built and run under. */
typedef struct obn_plan_env {
    int threads;               /* OpenMP threads for the kernels */
    const obn_limits *limits;  /* NULL = the defaults */
    const obn_run_state *run;  /* cancellation of the current run; NULL = none */
    const obn_observer *observe; /* told after every node computed (folded or
                                    eager while planning, or a step); NULL = none */
} obn_plan_env;

typedef struct obn_plan {
    int n_values;
    obn_tensor **vals;   /* per value id; NULL if the value is not used */
    obn_step *steps;
    int n_steps;
    void *arena;
    size_t arena_bytes;
    void *workspace;
    size_t workspace_bytes;
    bool eager;          /* built with input data: every value is computed */
    int folded;          /* nodes computed at plan time */
    obn_budget memory;   /* arena, workspace and tensors computed while planning,
                            against limits->max_arena_bytes */
    double *prof_sec;    /* OBN_PROFILE: seconds per step, summed over runs (else NULL) */
    long prof_runs;
} obn_plan;

/* Builds a plan for inputs shaped like `inputs` (one per g->inputs entry).
 * attrs[i] is node i's parsed attribute struct. If eager, inputs must carry
 * data and the whole graph is computed. env->run is checked between nodes
 * (and by the ops computed now: constant folding, eager plans). Memory and ranks are checked against env->limits before
 * allocating. Returns OBN_DEFER (with p freed) when a static plan is
 * impossible. */
obn_status obn_plan_build(obn_plan *p, const obn_graph *g, void *const *attrs,
                          const obn_tensor *const *inputs, bool eager, const obn_plan_env *env);

/* Runs a static plan on inputs of the planned shapes; OBN_E_CANCELLED when
 * env->run says stop (checked between nodes and by the ops themselves). */
obn_status obn_plan_run(obn_plan *p, const obn_graph *g, const obn_tensor *const *inputs, const obn_plan_env *env);

void obn_plan_free(obn_plan *p);

#endif
