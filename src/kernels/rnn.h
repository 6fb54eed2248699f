/* One direction of a recurrent layer (simple RNN, GRU or LSTM) in float,
 * in the ONNX gate orders: GRU z, r, h; LSTM i, o, f, c (peepholes i, o,
 * f). The input projection X W^T of every step is one SGEMM; each step then
 * adds H R^T (one SGEMM over the batch) and applies the gates. No ONNX
 * knowledge: tensors come as pointers with strides. */
#ifndef OBN_KERNELS_RNN_H
#define OBN_KERNELS_RNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum obn_rnn_cell { OBN_RNN_SIMPLE, OBN_RNN_GRU, OBN_RNN_LSTM } obn_rnn_cell;

typedef enum obn_rnn_act {
    OBN_RNN_SIGMOID,
    OBN_RNN_TANH,
    OBN_RNN_RELU,
    OBN_RNN_AFFINE,           /* alpha*x + beta */
    OBN_RNN_LEAKY_RELU,       /* x >= 0 ? x : alpha*x */
    OBN_RNN_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
    OBN_RNN_SCALED_TANH,      /* alpha * tanh(beta*x) */
    OBN_RNN_HARD_SIGMOID,     /* max(0, min(1, alpha*x + beta)) */
    OBN_RNN_ELU,              /* x >= 0 ? x : alpha*(e^x - 1) */
    OBN_RNN_SOFTSIGN,         /* x / (1 + |x|) */
    OBN_RNN_SOFTPLUS          /* log(1 + e^x) */
} obn_rnn_act;

typedef struct obn_rnn_fn {
    obn_rnn_act kind;
    float alpha, beta;
} obn_rnn_fn;

/* Gates per cell: 1, 3, 4. */
int obn_rnn_gates(obn_rnn_cell cell);

typedef struct obn_rnn_dir {
    obn_rnn_cell cell;
    int64_t seq, batch, input, hidden;
    bool reverse;
    bool linear_before_reset; /* GRU */
    bool input_forget;        /* LSTM: f = 1 - i */
    float clip;               /* > 0: gate pre-activations clamped to [-clip, clip] */
    obn_rnn_fn f, g, h;       /* the cell's activations (h: LSTM only) */
    /* x row (time t, batch b) = x + (t*x_ts + b*x_bs) * input */
    const float *x;
    int64_t x_ts, x_bs;
    const float *w;  /* [G*hidden][input] */
    const float *r;  /* [G*hidden][hidden] */
    const float *wb, *rb; /* [G*hidden] each, or NULL */
    const float *p;  /* LSTM peepholes [3*hidden], or NULL */
    const int32_t *seq_lens; /* [batch] in [0, seq], or NULL (all seq) */
    /* state of batch b at h0/c0/yh/yc + b*s_bs (each may be NULL) */
    const float *h0, *c0;
    float *yh, *yc;
    int64_t s_bs;
    /* output of (t, b) at y + t*y_ts + b*y_bs (NULL: not wanted); steps past
     * a batch entry's length are zero */
    float *y;
    int64_t y_ts, y_bs;
} obn_rnn_dir;

/* Floats of scratch obn_rnn_run needs with up to `threads` threads. */
size_t obn_rnn_workspace_floats(const obn_rnn_dir *d, int threads);

/* Runs the direction; ws holds obn_rnn_workspace_floats(d, threads)
 * floats. Returns nonzero when the SGEMM fails (bad sizes). */
int obn_rnn_run(const obn_rnn_dir *d, float *ws, int threads);

#endif
