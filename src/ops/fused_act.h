/* The activation the fuse_activation pass attached to a node (node->act),
 * in the form the Conv/Gemm kernel epilogues take: Relu and Clip are a
 * [lo, hi] clamp, LeakyRelu a slope for negative values. */
#ifndef OBN_OPS_FUSED_ACT_H
#define OBN_OPS_FUSED_ACT_H

#include "ir.h"

typedef struct {
    int clamp;
    float lo, hi;
    int leaky;
    float slope;
} obn_epilogue_act;

static inline obn_epilogue_act obn_node_epilogue_act(const obn_node *n)
{
    obn_epilogue_act e = {0, 0.0f, 0.0f, 0, 0.0f};
    switch (n->act.kind) {
    case OBN_ACT_RELU:
    case OBN_ACT_CLIP:
        e.clamp = 1;
        e.lo = n->act.lo;
        e.hi = n->act.hi;
        break;
    case OBN_ACT_LEAKY_RELU:
        e.leaky = 1;
        e.slope = n->act.alpha;
        break;
    default:
        break;
    }
    return e;
}

#endif
