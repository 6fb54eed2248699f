/* Single-precision matrix multiply, row-major, BLAS-like:
 *
 *   C = act(alpha * op(A) * op(B) + beta * C + bias)
 *
 * op(X) is X or X^T; op(A) is m x k, op(B) is k x n, C is m x n. The bias
 * (per row or per column of C) and the activation are the epilogue: applied
 * while a tile of C is still in registers, so a following Relu (clamp to
 * [0, +inf)), Clip (clamp to [min, max]) or LeakyRelu costs nothing extra.
 * beta == 0 means C is write-only (it may hold garbage, even NaN).
 *
 * Algorithm: Goto & van de Geijn, "Anatomy of high-performance matrix
 * multiplication" (TOMS 2008), in the BLIS loop order (Van Zee & van de Geijn,
 * TOMS 2015): blocks of op(B) (kc x nc) and op(A) (mc x kc) are packed into
 * contiguous micro-panels, and a register-tiled micro-kernel per ISA
 * (src/kernels/cpu.h picks it at run time) multiplies them.
 *
 * A constant operand (weights) can be packed once with obn_sgemm_pack_a/_b
 * and passed as `packed` to every later call. No ONNX knowledge here. */
#ifndef OBN_KERNELS_SGEMM_H
#define OBN_KERNELS_SGEMM_H

#include <stddef.h>
#include <stdint.h>

typedef enum obn_bias_kind {
    OBN_BIAS_NONE = 0,
    OBN_BIAS_ROW = 1, /* bias[i] added to row i of C (m entries) */
    OBN_BIAS_COL = 2  /* bias[j] added to column j of C (n entries) */
} obn_bias_kind;

/* Zero-initialised means "no epilogue". */
typedef struct obn_sgemm_epilogue {
    obn_bias_kind bias_kind;
    const float *bias;
    int clamp;    /* nonzero: clamp to [lo, hi] (NaN stays NaN) */
    float lo, hi;
    int leaky;    /* nonzero: negative results times slope (after any clamp) */
    float slope;
} obn_sgemm_epilogue;

struct obn_sgemm_kernel;

/* An operand in the micro-kernels' panel layout: packed once by
 * obn_sgemm_pack_a/_b (owned), or a view of caller memory
 * (obn_sgemm_packed_b_view). Fields are private to the SGEMM; the struct is
 * complete only so that views can live on the caller's stack. */
typedef struct obn_sgemm_packed {
    const struct obn_sgemm_kernel *kr; /* the kernel whose MR/NR shaped the panels */
    char side;                         /* 'a' or 'b' */
    int64_t rows, cols;                /* op(A): m x k; op(B): k x n */
    float *data;                       /* panels over the full depth k */
    size_t bytes;
    int owned;                         /* data (and the struct) freed by obn_sgemm_packed_free */
} obn_sgemm_packed;

/* Widest panel of any kernel (AVX-512: 32 columns). */
#define OBN_SGEMM_MAX_NR 32

typedef struct obn_sgemm_operand {
    const float *data;   /* row-major storage of X */
    int64_t ld;          /* row stride of the stored X, in elements */
    int trans;           /* nonzero: op(X) = X^T */
    const obn_sgemm_packed *packed; /* if set, data/ld/trans are ignored */
} obn_sgemm_operand;

typedef struct obn_sgemm_call {
    int64_t m, n, k;
    float alpha, beta;
    obn_sgemm_operand a, b;
    float *c;
    int64_t ldc;
    obn_sgemm_epilogue ep;
    /* Early stop (kstop.h): NULL takes the calling thread's poll; a call
     * made from a worker thread passes its caller's. */
    const struct obn_kstop *stop;
} obn_sgemm_call;

enum {
    OBN_SGEMM_OK = 0,
    OBN_SGEMM_E_NOMEM = -1, /* no workspace given and malloc failed */
    OBN_SGEMM_E_ARGS = -2   /* negative size, ld too small, packed operand of other shape or kernel */
};

/* Scratch bytes obn_sgemm_run needs with up to `threads` threads (packing
 * buffers; 0 when both operands are pre-packed or the call takes a
 * packing-free path). Only sizes are looked at: data pointers may be NULL. */
size_t obn_sgemm_workspace_size(const obn_sgemm_call *call, int threads);

/* Runs the call with up to `threads` OpenMP threads (one parallel region,
 * never nested; small problems run on one thread). `workspace` must hold
 * obn_sgemm_workspace_size bytes, 64-byte alignment is best; with NULL (or
 * too small) the call allocates its own. Returns an OBN_SGEMM_* code. */
int obn_sgemm_run(const obn_sgemm_call *call, void *workspace, size_t workspace_bytes, int threads);

/* BLAS-style convenience wrapper around obn_sgemm_run (allocates its
 * workspace); ep may be NULL. */
int obn_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc, const obn_sgemm_epilogue *ep,
              int threads);

/* Packs op(A) (m x k) or op(B) (k x n) for the kernel of the current ISA
 * level. Returns NULL when out of memory or on bad sizes. The source is not
 * referenced afterwards. */
obn_sgemm_packed *obn_sgemm_pack_a(int64_t m, int64_t k, const float *a, int64_t lda, int trans);
obn_sgemm_packed *obn_sgemm_pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int trans);
void obn_sgemm_packed_free(obn_sgemm_packed *p);
size_t obn_sgemm_packed_bytes(const obn_sgemm_packed *p);

/* `groups` independent left operands packed once each (grouped
 * convolutions): group g's op(A) is m x k at a + g * group_stride. NULL when
 * out of memory or on bad sizes. */
typedef struct obn_sgemm_packed_groups {
    int64_t groups;
    obn_sgemm_packed **per_group;
} obn_sgemm_packed_groups;
obn_sgemm_packed_groups *obn_sgemm_pack_a_groups(int64_t groups, int64_t m, int64_t k, const float *a,
                                                 int64_t group_stride, int64_t lda, int trans);
void obn_sgemm_packed_groups_free(obn_sgemm_packed_groups *p);

/* Panel width NR of the kernel of `like` (a packed operand the call will
 * also use), or of the current ISA level's kernel when like is NULL. */
int obn_sgemm_b_panel_width(const obn_sgemm_packed *like);

/* Makes *view describe caller memory already in op(B) panel layout, so a
 * producer (im2col) can write B packed and the call skips packing: for a
 * k x n op(B) and NR = obn_sgemm_b_panel_width(like), column j of row p is at
 * panels[(j / NR) * k * NR + p * NR + j % NR], and the columns past n in the
 * last panel must be zero. The view borrows `panels`; it is not freed. */
void obn_sgemm_packed_b_view(obn_sgemm_packed *view, float *panels, int64_t k, int64_t n,
                             const obn_sgemm_packed *like);

/* Name of the micro-kernel the current ISA level uses ("avx2 6x16"...). */
const char *obn_sgemm_kernel_name(void);

#endif
