#ifndef OBN_MODEL_H
#define OBN_MODEL_H

#include "ir.h"

struct obn_model {
    obn_graph *graph;
    int refs; /* atomic: the caller's handle plus one per session */
    obn_value_info *inputs, *outputs;
    uint64_t initializer_bytes;
    size_t initializer_count;
    char **pass_log; /* what obn_model_optimize's passes did */
    int n_pass_log;
};

/* Wraps an imported, resolved graph as a model (takes ownership). */
obn_status obn_model_wrap(obn_graph *g, obn_model **out);

obn_model *obn_model_retain(const obn_model *m);

#endif
