#include "cumulative.h"

#include "half.h"

/* Enough elements per parallel region to pay for waking threads. */
#define CUM_PAR_MIN 4096

/* One vector: elements base, base+stride, ... (n of them), in the order
 * `reverse` asks for. LOAD/STORE convert between the element and ACC. */
#define DEFINE_CUM(name, elem, acc_t, LOAD, STORE)                                                        \
    static void name(obn_cum_params p, const elem *x, elem *y, int64_t base, int64_t n, int64_t stride)  \
    {                                                                                                     \
        acc_t acc = p.product ? (acc_t)1 : (acc_t)0;                                                      \
        for (int64_t j = 0; j < n; j++) {                                                                 \
            int64_t at = base + (p.reverse ? n - 1 - j : j) * stride;                                     \
            acc_t v = LOAD(x[at]);                                                                        \
            if (p.exclusive) y[at] = STORE(acc);                                                          \
            acc = p.product ? acc * v : acc + v;                                                          \
            if (!p.exclusive) y[at] = STORE(acc);                                                         \
        }                                                                                                 \
    }

#define AS_IS(v) (v)
#define TO_F32(v) ((float)(v))
#define F16_IN(v) ((double)obn_f16_to_f32(v))
#define F16_OUT(v) obn_f32_to_f16((float)(v))
#define BF16_IN(v) ((double)obn_bf16_to_f32(v))
#define BF16_OUT(v) obn_f32_to_bf16((float)(v))

DEFINE_CUM(cum_f32, float, double, AS_IS, TO_F32)
DEFINE_CUM(cum_f64, double, double, AS_IS, AS_IS)
DEFINE_CUM(cum_f16, uint16_t, double, F16_IN, F16_OUT)
DEFINE_CUM(cum_bf16, uint16_t, double, BF16_IN, BF16_OUT)
DEFINE_CUM(cum_u32, uint32_t, uint32_t, AS_IS, AS_IS)
DEFINE_CUM(cum_u64, uint64_t, uint64_t, AS_IS, AS_IS)

static void cum_vector(obn_cum_type t, obn_cum_params p, const void *x, void *y, int64_t base, int64_t n,
                       int64_t stride)
{
    switch (t) {
    case OBN_CUM_F32: cum_f32(p, x, y, base, n, stride); break;
    case OBN_CUM_F64: cum_f64(p, x, y, base, n, stride); break;
    case OBN_CUM_F16: cum_f16(p, x, y, base, n, stride); break;
    case OBN_CUM_BF16: cum_bf16(p, x, y, base, n, stride); break;
    case OBN_CUM_U32: cum_u32(p, x, y, base, n, stride); break;
    default: cum_u64(p, x, y, base, n, stride); break;
    }
}

void obn_cumulate(obn_cum_type t, obn_cum_params p, const void *x, void *y, int64_t outer, int64_t n, int64_t inner,
                  int threads)
{
    int64_t vectors = outer * inner;
#pragma omp parallel for schedule(static) num_threads(threads) if (vectors > 1 && vectors * n > CUM_PAR_MIN)
    for (int64_t v = 0; v < vectors; v++) {
        int64_t o = v / inner, i = v % inner;
        cum_vector(t, p, x, y, o * n * inner + i, n, inner);
    }
}
