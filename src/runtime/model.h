#ifndef OBN_MODEL_H
#define OBN_MODEL_H

#include "ir.h"

struct obn_model {
    obn_graph *graph;
    int refs; /* atomic: the caller's handle plus one per session */
    obn_value_info *inputs, *outputs;
    uint64_t initializer_bytes;
    size_t initializer_count;
};

obn_model *obn_model_retain(const obn_model *m);

#endif
