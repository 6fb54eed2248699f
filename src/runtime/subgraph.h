/* Running a subgraph (an If branch, a Loop or Scan body) from the node that
 * owns it: a small session over a graph attribute. It parses the body's
 * attributes once, keeps a plan for the input shapes it last saw and plans
 * again only when they change; a body whose shapes depend on data is
 * planned eagerly, with the data, on every run. One per graph attribute of
 * each parsed node, so per session: used by one thread at a time. */
#ifndef OBN_SUBGRAPH_H
#define OBN_SUBGRAPH_H

#include <stdbool.h>

#include "ir.h"
#include "op.h"
#include "plan.h"

typedef struct obn_subgraph {
    const obn_graph *g;     /* borrowed: the node's attribute */
    void **attrs;           /* parsed attributes per node of g */
    const obn_tensor **in;  /* g->n_inputs: what the next infer/run binds */
    obn_plan plan;
    bool have_plan;
    bool dynamic;           /* shapes depend on data: planned eagerly on each run */
} obn_subgraph;

/* Parses every node of g (resolved). *out: caller owns. */
obn_status obn_subgraph_create(const obn_graph *g, obn_subgraph **out);
void obn_subgraph_destroy(obn_subgraph *sg);

/* Formal inputs of the body (without the outer values). */
static inline int obn_subgraph_n_formal(const obn_subgraph *sg) { return sg->g->n_inputs - sg->g->n_outer; }

/* Binds the body's outer values to the implicit inputs of the node running
 * it (ctx->node, which has sg->g as an attribute). The formal inputs are
 * set by the caller in sg->in[0 .. obn_subgraph_n_formal). */
void obn_subgraph_bind_outer(obn_subgraph *sg, const obn_op_ctx *ctx);

/* Plans the body for the shapes of sg->in (data not needed); the plan is
 * kept for later runs. OBN_DEFER when its shapes depend on data; after
 * OBN_OK, obn_subgraph_output gives each output's type and shape. */
obn_status obn_subgraph_infer(obn_subgraph *sg, const obn_op_ctx *ctx);

/* Runs the body on sg->in (with data), planning first if needed. */
obn_status obn_subgraph_run(obn_subgraph *sg, const obn_op_ctx *ctx);

/* Output k after infer or run: owned by the subgraph, valid until its next
 * infer or run. */
const obn_tensor *obn_subgraph_output(const obn_subgraph *sg, int k);

#endif
