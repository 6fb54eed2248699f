/* Element-wise unary float kernels (activations and math functions),
 * parallel over chunks of the flat range. */
#ifndef OBN_KERNELS_UNARY_H
#define OBN_KERNELS_UNARY_H

#include <stdint.h>

typedef enum obn_unop {
    OBN_UN_SIGMOID,      /* 1 / (1 + exp(-x)) */
    OBN_UN_HARDSIGMOID,  /* max(0, min(1, alpha*x + beta)) */
    OBN_UN_HARDSWISH,    /* x * max(0, min(1, x/6 + 1/2)) */
    OBN_UN_TANH,
    OBN_UN_EXP,
    OBN_UN_LOG,
    OBN_UN_SQRT,
    OBN_UN_ABS,
    OBN_UN_NEG,
    OBN_UN_FLOOR,
    OBN_UN_CEIL,
    OBN_UN_ROUND,        /* half to even */
    OBN_UN_RECIPROCAL,
    OBN_UN_ERF,
    OBN_UN_SIGN,
    OBN_UN_ELU,          /* x >= 0 ? x : alpha*(exp(x)-1) */
    OBN_UN_SELU,         /* gamma * (x > 0 ? x : alpha*(exp(x)-1)) (beta = gamma) */
    OBN_UN_CELU,         /* max(0,x) + min(0, alpha*(exp(x/alpha)-1)) */
    OBN_UN_SOFTPLUS,     /* log(1 + exp(x)) */
    OBN_UN_SOFTSIGN,     /* x / (1 + |x|) */
    OBN_UN_THRESHOLDED_RELU, /* x > alpha ? x : 0 */
    OBN_UN_SIN,
    OBN_UN_COS,
    OBN_UN_LEAKY_RELU,   /* x >= 0 ? x : alpha*x */
    OBN_UN_TAN,
    OBN_UN_ASIN,
    OBN_UN_ACOS,
    OBN_UN_ATAN,
    OBN_UN_SINH,
    OBN_UN_COSH,
    OBN_UN_ASINH,
    OBN_UN_ACOSH,
    OBN_UN_ATANH,
    OBN_UN_SWISH,        /* x * sigmoid(x) (SiLU), as Sigmoid then Mul compute it */
    OBN_UN_SWISH_HARD,   /* x * max(0, min(1, alpha*x + beta)), as HardSigmoid then Mul */
    OBN_UN_SWISH_ALPHA,  /* x * sigmoid(alpha*x) (the Swish op) */
    OBN_UN_GELU,         /* x/2 * (1 + erf(x/sqrt(2))) */
    OBN_UN_GELU_TANH,    /* x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715*x^3))) */
    OBN_UN_MISH          /* x * tanh(softplus(x)) */
} obn_unop;

/* y = op(x); alpha and beta are the op's parameters where it has any.
 * x and y may alias. */
void obn_unary_f32(obn_unop op, const float *x, float *y, int64_t n, float alpha, float beta, int threads);

/* The same function on one double (reference for the other float types). */
double obn_unary_f64(obn_unop op, double x, double alpha, double beta);

#endif
