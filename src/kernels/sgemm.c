/* SGEMM driver: argument checks, kernel choice, cache blocking, thread
 * partitioning, and the matrix-vector paths (m == 1 or n == 1) where a
 * register tile would be mostly padding. */
#include "sgemm.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "kstop.h"
#include "sgemm_internal.h"
#include "simd_clones.h"

/* Below this many multiply-adds a parallel region costs more than it saves:
 * waking a thread takes a few microseconds, in which one core does roughly
 * 2^17 FMAs. */
#define OBN_SGEMM_PARALLEL_MIN ((int64_t)1 << 17)

/* Outputs per matrix-vector chunk: a 1 KiB accumulator on the stack, a
 * multiple of every NR. */
#define OBN_GEMV_CHUNK 256

const obn_sgemm_kernel *obn_sgemm_current_kernel(void)
{
    switch (obn_cpu_isa()) {
    case OBN_ISA_AVX512: return &obn_sgemm_kernel_avx512;
    case OBN_ISA_AVX2: return &obn_sgemm_kernel_avx2;
    default: return &obn_sgemm_kernel_portable;
    }
}

const char *obn_sgemm_kernel_name(void) { return obn_sgemm_current_kernel()->name; }

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
static int64_t round_up(int64_t a, int64_t b) { return ceil_div(a, b) * b; }
static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* a*b*c >= OBN_SGEMM_PARALLEL_MIN, without overflow for any sizes. */
static int worth_threads(int64_t a, int64_t b, int64_t c)
{
    return (double)a * (double)b * (double)c >= (double)OBN_SGEMM_PARALLEL_MIN;
}

/* with_data = 0 checks only sizes (workspace queries at plan time, before
 * the buffers exist). */
static int check_operand(const obn_sgemm_operand *o, char side, int64_t rows, int64_t cols, int with_data)
{
    if (o->packed)
        return o->packed->side == side && o->packed->rows == rows && o->packed->cols == cols ? OBN_SGEMM_OK
                                                                                            : OBN_SGEMM_E_ARGS;
    /* stored X is rows x cols, or cols x rows when transposed */
    if ((with_data && !o->data) || o->ld < (o->trans ? rows : cols) || o->ld < 1) return OBN_SGEMM_E_ARGS;
    return OBN_SGEMM_OK;
}

static int check_call(const obn_sgemm_call *c, int with_data)
{
    if (c->m < 0 || c->n < 0 || c->k < 0) return OBN_SGEMM_E_ARGS;
    if (c->m == 0 || c->n == 0) return OBN_SGEMM_OK;
    if ((with_data && !c->c) || c->ldc < c->n) return OBN_SGEMM_E_ARGS;
    if (with_data && c->ep.bias_kind != OBN_BIAS_NONE && !c->ep.bias) return OBN_SGEMM_E_ARGS;
    if (c->k == 0) return OBN_SGEMM_OK;
    int rc = check_operand(&c->a, 'a', c->m, c->k, with_data);
    return rc ? rc : check_operand(&c->b, 'b', c->k, c->n, with_data);
}

/* Pre-packed operands fix the kernel; two packed under different ISA
 * levels cannot be combined. */
static int pick_kernel(const obn_sgemm_call *c, const obn_sgemm_kernel **out)
{
    const obn_sgemm_kernel *ka = c->a.packed ? c->a.packed->kr : NULL;
    const obn_sgemm_kernel *kb = c->b.packed ? c->b.packed->kr : NULL;
    if (ka && kb && ka != kb) return OBN_SGEMM_E_ARGS;
    *out = ka ? ka : kb ? kb : obn_sgemm_current_kernel();
    return OBN_SGEMM_OK;
}

/* Tile arguments for the epilogue of the tile at (i, j), or only the
 * accumulate/scale part when the tile is not yet complete (not last). */
static obn_tile_args tile_args(const obn_sgemm_call *c, int first, int last, int64_t i, int64_t j)
{
    obn_tile_args t = {c->alpha, first ? c->beta : 1.0f, NULL, NULL, 0, 0.0f, 0.0f, 0, 0.0f};
    if (last) {
        if (c->ep.bias_kind == OBN_BIAS_ROW) t.row_bias = c->ep.bias + i;
        if (c->ep.bias_kind == OBN_BIAS_COL) t.col_bias = c->ep.bias + j;
        t.clamp = c->ep.clamp;
        t.lo = c->ep.lo;
        t.hi = c->ep.hi;
        t.leaky = c->ep.leaky;
        t.slope = c->ep.slope;
    }
    return t;
}

/* ------------------------------------------------------------ matrix-vector */

/* y (len outputs) = M * x, M(i,k) = mat[i*ld + k] (dot form) or
 * mat[k*ld + i] (axpy form), or panels of a packed op(B) (m == 1). */
typedef struct {
    int64_t len, depth;
    const float *x;
    int64_t xs;
    const float *mat;
    int64_t ld;
    int dot;
    const obn_sgemm_packed *packed;
    int m_is_one; /* outputs run along a row of C (else down a column) */
} gemv_job;

OBN_CLONES
static float dot_strided(const float *x, int64_t xs, const float *row, int64_t n)
{
    float s[16] = {0}, r = 0.0f;
    int64_t k = 0;
    if (xs == 1) /* 16 independent partial sums: vectorisable without reassociation */
        for (; k + 16 <= n; k += 16)
            for (int u = 0; u < 16; u++) s[u] += x[k + u] * row[k + u];
    for (; k < n; k++) r += x[k * xs] * row[k];
    for (int u = 0; u < 16; u++) r += s[u];
    return r;
}

OBN_CLONES
static void axpy_rows(float *acc, int64_t w, const float *x, int64_t xs, const float *mat, int64_t ld,
                      int64_t depth)
{
    for (int64_t k = 0; k < depth; k++) {
        float a = x[k * xs];
        const float *row = mat + k * ld;
        for (int64_t i = 0; i < w; i++) acc[i] += a * row[i];
    }
}

static void gemv_chunk(const obn_sgemm_call *c, const gemv_job *g, int64_t chunk)
{
    float acc[OBN_GEMV_CHUNK];
    int64_t i0 = chunk * OBN_GEMV_CHUNK, w = min64(OBN_GEMV_CHUNK, g->len - i0);
    memset(acc, 0, sizeof acc);
    if (g->packed) {
        const obn_sgemm_kernel *kr = g->packed->kr;
        const float *panel = g->packed->data + (i0 / kr->nr) * g->depth * kr->nr;
        for (int64_t j = 0; j < w; j += kr->nr, panel += g->depth * kr->nr)
            kr->gemv_panel(g->depth, g->x, g->xs, panel, acc + j);
    } else if (g->dot) {
        for (int64_t i = 0; i < w; i++) acc[i] = dot_strided(g->x, g->xs, g->mat + (i0 + i) * g->ld, g->depth);
    } else {
        axpy_rows(acc, w, g->x, g->xs, g->mat + i0, g->ld, g->depth);
    }
    if (g->m_is_one) {
        obn_tile_args t = tile_args(c, 1, 1, 0, i0);
        obn_sgemm_store_tile(acc, w, c->c + i0, c->ldc, 1, w, &t);
    } else {
        obn_tile_args t = tile_args(c, 1, 1, i0, 0);
        obn_sgemm_store_tile(acc, 1, c->c + i0 * c->ldc, c->ldc, w, 1, &t);
    }
}

/* m == 1 (any B, A not packed) or n == 1 (neither packed): 1 = row, 2 = column. */
static int gemv_kind(const obn_sgemm_call *c)
{
    if (c->m == 1 && !c->a.packed) return 1;
    if (c->n == 1 && !c->a.packed && !c->b.packed) return 2;
    return 0;
}

static void split_range(int64_t n, int parts, int idx, int64_t *lo, int64_t *hi)
{
    *lo = n * idx / parts;
    *hi = n * (idx + 1) / parts;
}

static void run_gemv(const obn_sgemm_call *c, int kind, int threads, const obn_kstop *stop)
{
    gemv_job g = {0};
    g.depth = c->k;
    if (kind == 1) { /* y[j] = sum_k op(A)[0][k] op(B)[k][j] */
        g.len = c->n;
        g.m_is_one = 1;
        g.x = c->a.data;
        g.xs = c->a.trans ? c->a.ld : 1;
        g.packed = c->b.packed;
        g.mat = c->b.data;
        g.ld = c->b.ld;
        g.dot = c->b.trans;
    } else { /* y[i] = sum_k op(A)[i][k] op(B)[k][0] */
        g.len = c->m;
        g.x = c->b.data;
        g.xs = c->b.trans ? 1 : c->b.ld;
        g.mat = c->a.data;
        g.ld = c->a.ld;
        g.dot = !c->a.trans;
    }
    int64_t chunks = ceil_div(g.len, OBN_GEMV_CHUNK);
    int stopped = 0;
    if (threads > 1 && chunks > 1 && worth_threads(g.len, g.depth, 1)) {
#pragma omp parallel num_threads(threads)
        { /* each thread polls at the start of its own range, then every 16 chunks */
            int64_t lo, hi;
            split_range(chunks, omp_get_num_threads(), omp_get_thread_num(), &lo, &hi);
            for (int64_t ch = lo; ch < hi && !obn_kstop_step(stop, &stopped, ch - lo, 16); ch++) gemv_chunk(c, &g, ch);
        }
    } else {
        for (int64_t ch = 0; ch < chunks && !obn_kstop_step(stop, &stopped, ch, 16); ch++) gemv_chunk(c, &g, ch);
    }
}

/* ------------------------------------------------------------ blocked GEMM */

typedef struct {
    const obn_sgemm_call *call;
    const obn_sgemm_kernel *kr;
    int64_t kc, mc, nc;
    int threads;
    float *bbuf;          /* packed blocks of op(B) (NULL when pre-packed) */
    int64_t b_panels;     /* NR panels in the widest B block (min(n, nc) columns) */
    float *abuf;          /* one packed block of op(A) per thread (NULL when pre-packed) */
    int64_t abuf_floats;
    const obn_kstop *stop; /* asked once per block of rows or panels */
    int stream_a;         /* gemm_thread_stream_a: p->kc is its K block, B all columns */
} gemm_plan;

/* The A-streaming loop (gemm_thread_stream_a) keeps every column panel of B
 * for one K block in L2: at most this many bytes of them (three eighths of
 * the 1 MiB L2 of Zen 4/5 and recent Intel cores); B at most
 * OBN_SGEMM_STREAM_A_MAX_COLS wide (sgemm_internal.h). */
#define OBN_SGEMM_STREAM_A_B_BYTES ((int64_t)384 << 10)

/* The streaming loop's packed block of B column panels: a quarter of a
 * 512 KiB L2, next to the small A. Wide blocks make both the B reads and the
 * C writes long contiguous runs (each row panel of A writes MR rows of C
 * across the whole block). */
#define OBN_SGEMM_STREAM_B_BYTES ((int64_t)128 << 10)

/* The B buffer holds b_panels panels of kc x NR, plus one per thread: with
 * a column split each thread packs ceil(b_panels / nth) panels into its own
 * region (nth <= p->threads). */
static size_t b_buffer_bytes(const gemm_plan *p)
{
    if (p->stream_a) return align64((size_t)(p->b_panels * p->kc * p->kr->nr) * sizeof(float));
    size_t blocked = (size_t)((p->b_panels + p->threads) * p->kc * p->kr->nr) * sizeof(float);
    size_t stream = (size_t)p->threads * (size_t)(OBN_SGEMM_STREAM_B_BYTES + p->kc * p->kr->nr * 4);
    return align64(blocked > stream ? blocked : stream);
}

/* Blocks and thread count; returns the workspace bytes the plan needs. */
static size_t plan_gemm(const obn_sgemm_call *c, const obn_sgemm_kernel *kr, int threads, gemm_plan *p)
{
    memset(p, 0, sizeof *p);
    p->call = c;
    p->kr = kr;
    /* equal K blocks no larger than kr->kc (K = 300 -> 150 + 150, not 256 + 44) */
    int64_t kc = c->b.packed && !c->a.packed && kr->kc_packed_b ? kr->kc_packed_b : kr->kc;
    p->kc = ceil_div(c->k, ceil_div(c->k, kc));
    int64_t all_cols = round_up(c->n, kr->nr);
    if (c->a.packed && c->m * c->k * (int64_t)sizeof(float) > OBN_SGEMM_STREAM_A_BYTES &&
        all_cols <= OBN_SGEMM_STREAM_A_MAX_COLS) {
        /* equal K blocks whose B panels fit OBN_SGEMM_STREAM_A_B_BYTES */
        int64_t fit = OBN_SGEMM_STREAM_A_B_BYTES / (all_cols * (int64_t)sizeof(float));
        p->stream_a = 1;
        p->kc = ceil_div(c->k, ceil_div(c->k, fit < kr->kc ? kr->kc : fit));
    }
    p->mc = kr->mc;
    p->nc = kr->nc;
    int64_t tiles = ceil_div(c->m, kr->mr) * ceil_div(c->n, kr->nr);
    int nth = threads < 1 ? 1 : threads;
    if (!worth_threads(c->m, c->n, c->k)) nth = 1;
    if (nth > tiles) nth = (int)tiles;
    p->threads = nth;
    size_t bytes = 0;
    p->b_panels = p->stream_a ? all_cols / kr->nr : ceil_div(min64(c->n, p->nc), kr->nr);
    if (!c->b.packed) bytes += b_buffer_bytes(p);
    if (!c->a.packed) {
        p->abuf_floats = (int64_t)(align64((size_t)(p->kc * round_up(min64(c->m, p->mc), kr->mr)) * 4) / 4);
        bytes += (size_t)nth * (size_t)p->abuf_floats * sizeof(float);
    }
    return bytes;
}

/* Splits threads into a tm x tn grid over (row panels, column panels) that
 * minimises the busiest thread's tile count. Ties favour splitting columns
 * (tm = 1): each thread then packs exactly the B panels it multiplies, so
 * no barrier is needed. */
static void choose_grid(int nth, int64_t mp, int64_t np, int *tm, int *tn)
{
    int64_t best = -1;
    for (int d = 1; d <= nth; d++) {
        if (nth % d) continue;
        int64_t cost = ceil_div(mp, d) * ceil_div(np, nth / d);
        if (best < 0 || cost < best) {
            best = cost;
            *tm = d;
            *tn = nth / d;
        }
    }
}


/* One MR x NR tile; edge tiles go through a local buffer so the micro-kernel
 * always runs full-size and never touches C (or the bias) out of bounds. */
static void run_tile(const gemm_plan *p, const float *ap, const float *bp, int64_t kcur, int64_t i, int64_t j,
                     int first, int last)
{
    const obn_sgemm_call *c = p->call;
    int mr = p->kr->mr, nr = p->kr->nr;
    int64_t rows = min64(mr, c->m - i), cols = min64(nr, c->n - j);
    obn_tile_args t = tile_args(c, first, last, i, j);
    float *cp = c->c + i * c->ldc + j;
    if (rows == mr && cols == nr) {
        p->kr->ukernel(kcur, ap, bp, cp, c->ldc, &t);
        return;
    }
    if (cols == nr && p->kr->ukernel_rows) {
        p->kr->ukernel_rows((int)rows, kcur, ap, bp, cp, c->ldc, &t);
        return;
    }
    _Alignas(64) float tmp[OBN_SGEMM_MAX_TILE];
    obn_tile_args raw = {1.0f, 0.0f, NULL, NULL, 0, 0.0f, 0.0f, 0, 0.0f};
    if (cols < nr && p->kr->ukernel_cols) p->kr->ukernel_cols((int)cols, kcur, ap, bp, tmp);
    else p->kr->ukernel(kcur, ap, bp, tmp, nr, &raw);
    obn_sgemm_store_tile(tmp, nr, cp, c->ldc, rows, cols, &t);
}

/* Multiplies this thread's row range of A by its `npanels` packed B panels
 * (the first at bblk, then every bstride floats), covering columns from j0. */
static void compute_block(const gemm_plan *p, int tid, int64_t row0, int64_t row1, const float *bblk,
                          int64_t bstride, int64_t npanels, int64_t j0, int64_t pc, int64_t kcur)
{
    const obn_sgemm_call *c = p->call;
    int mr = p->kr->mr, nr = p->kr->nr;
    int first = pc == 0, last = pc + kcur >= c->k;
    float *abuf = p->abuf ? p->abuf + (int64_t)tid * p->abuf_floats : NULL;
    for (int64_t ic = row0; ic < row1; ic += p->mc) {
        if (obn_kstop_hit(p->stop)) return;
        int64_t mcur = min64(p->mc, row1 - ic);
        const float *ablk;
        int64_t astride;
        if (c->a.packed) {
            ablk = c->a.packed->data + (ic / mr) * c->k * mr + pc * mr;
            astride = c->k * mr;
        } else {
            obn_sgemm_pack_a_panels(c->a.data, c->a.ld, c->a.trans, ic, mcur, pc, kcur, mr, abuf);
            ablk = abuf;
            astride = kcur * mr;
        }
        for (int64_t q = 0; q < npanels; q++)
            for (int64_t ip = 0; ip < mcur; ip += mr)
                run_tile(p, ablk + (ip / mr) * astride, bblk + q * bstride, kcur, ic + ip, j0 + q * nr, first, last);
    }
}

/* Whether the call takes the streaming loop: A pre-packed and small enough
 * to stay in L2, B not packed, and more column panels than a block. */
static int stream_b(const gemm_plan *p)
{
    const obn_sgemm_call *c = p->call;
    return c->a.packed && !c->b.packed && c->m * c->k * (int64_t)sizeof(float) <= OBN_SGEMM_STREAM_A_BYTES;
}

/* The loop nest for a small pre-packed A: each thread takes an equal share
 * of B's column panels and, a block of panels and one K block at a time,
 * packs them into a buffer of its own that stays in L2 and runs every row
 * panel of A across the whole block. B is read from memory once and never
 * written back out as a packed block (the BLIS order packs a whole kc x nc
 * block, larger than L2, and reads it back), and C is written in runs of the
 * block's width. No barrier. */
static void gemm_thread_stream(const gemm_plan *p, int tid, int nth)
{
    const obn_sgemm_call *c = p->call;
    int mr = p->kr->mr, nr = p->kr->nr;
    int64_t q0, q1;
    split_range(ceil_div(c->n, nr), nth, tid, &q0, &q1);
    int64_t per = OBN_SGEMM_STREAM_B_BYTES / (p->kc * nr * (int64_t)sizeof(float));
    if (per < 1) per = 1;
    float *panels = p->bbuf + (int64_t)tid * (OBN_SGEMM_STREAM_B_BYTES / (int64_t)sizeof(float) + p->kc * nr);
    for (int64_t pc = 0; pc < c->k; pc += p->kc) {
        int64_t kcur = min64(p->kc, c->k - pc);
        int64_t width = per * p->kc / kcur; /* panels per block at this depth */
        const float *ablk = c->a.packed->data + pc * mr;
        for (int64_t qb = q0; qb < q1; qb += width) {
            if (obn_kstop_hit(p->stop)) return;
            int64_t qe = min64(q1, qb + width);
            obn_sgemm_pack_b_panels(c->b.data, c->b.ld, c->b.trans, pc, kcur, 0, c->n, nr, qb, qe, panels);
            for (int64_t i = 0; i < c->m; i += mr)
                for (int64_t q = qb; q < qe; q++)
                    run_tile(p, ablk + (i / mr) * c->k * mr, panels + (q - qb) * kcur * nr, kcur, i, q * nr,
                             pc == 0, pc + kcur >= c->k);
        }
    }
}

/* The loop nest for a large pre-packed A and a narrow B (pointwise and
 * im2col convolutions on 7x7 and 14x14 images: N <= 384, weights of
 * several hundred KiB to MiB, read from memory once per run): per K block,
 * every column panel of B is packed once (the threads each pack a share,
 * between two barriers) and stays in L2, and each thread streams its share
 * of A's row panels past it in storage order, each panel's K block a
 * contiguous run that the prefetchers follow. The BLIS order instead reads
 * A in mc x kc blocks, short runs at a stride of the whole depth, which on
 * Zen 5 made such layers twice as slow with cold weights as with weights
 * in cache. With one K block (most shapes) every C tile is written once. */
static void gemm_thread_stream_a(const gemm_plan *p, int tid, int nth)
{
    const obn_sgemm_call *c = p->call;
    int mr = p->kr->mr, nr = p->kr->nr;
    int64_t npan = ceil_div(c->n, nr), i0, i1;
    split_range(ceil_div(c->m, mr), nth, tid, &i0, &i1);
    for (int64_t pc = 0; pc < c->k; pc += p->kc) {
        int64_t kcur = min64(p->kc, c->k - pc);
        const float *bblk;
        int64_t bstride;
        if (c->b.packed) {
            bstride = c->k * nr;
            bblk = c->b.packed->data + pc * nr;
        } else {
            int64_t s0, s1;
            bstride = kcur * nr;
            split_range(npan, nth, tid, &s0, &s1);
            if (nth > 1) {
#pragma omp barrier
            }
            obn_sgemm_pack_b_panels(c->b.data, c->b.ld, c->b.trans, pc, kcur, 0, c->n, nr, s0, s1,
                                    p->bbuf + s0 * bstride);
            if (nth > 1) {
#pragma omp barrier
            }
            bblk = p->bbuf;
        }
        if (obn_kstop_hit(p->stop)) continue; /* the barriers above still match */
        for (int64_t ip = i0; ip < i1; ip++) {
            const float *ap = c->a.packed->data + ip * c->k * mr + pc * mr;
            for (int64_t q = 0; q < npan; q++)
                run_tile(p, ap, bblk + q * bstride, kcur, ip * mr, q * nr, pc == 0, pc + kcur >= c->k);
        }
    }
}

/* The BLIS loop nest for thread tid of nth: jc (nc) -> pc (kc, pack B) ->
 * ic (mc, pack own A) -> tiles. With a pure column split (tm = 1) a thread
 * packs only the B panels it uses, into its own fixed region of the buffer,
 * and needs no barrier; otherwise threads sharing columns pack B together
 * between barriers (every thread runs the same jc/pc iterations, so the
 * barriers match). */
static void gemm_thread(const gemm_plan *p, int tid, int nth)
{
    const obn_sgemm_call *c = p->call;
    int mr = p->kr->mr, nr = p->kr->nr, tm = 1, tn = 1;
    choose_grid(nth, ceil_div(c->m, mr), ceil_div(c->n, nr), &tm, &tn);
    int64_t mp0, mp1;
    split_range(ceil_div(c->m, mr), tm, tid / tn, &mp0, &mp1);
    int64_t row0 = mp0 * mr, row1 = min64(c->m, mp1 * mr);
    int64_t nc = c->b.packed ? c->n : p->nc;
    for (int64_t jc = 0; jc < c->n; jc += nc) {
        int64_t ncur = min64(nc, c->n - jc), npan = ceil_div(ncur, nr), q0, q1;
        split_range(npan, tn, tid % tn, &q0, &q1);
        for (int64_t pc = 0; pc < c->k; pc += p->kc) {
            int64_t kcur = min64(p->kc, c->k - pc);
            const float *bblk;
            int64_t bstride;
            if (c->b.packed) {
                bstride = c->k * nr;
                bblk = c->b.packed->data + (jc / nr + q0) * bstride + pc * nr;
            } else if (tm == 1) {
                bstride = kcur * nr;
                float *mine = p->bbuf + (int64_t)tid * ceil_div(p->b_panels, nth) * p->kc * nr;
                obn_sgemm_pack_b_panels(c->b.data, c->b.ld, c->b.trans, pc, kcur, jc, ncur, nr, q0, q1, mine);
                bblk = mine;
            } else {
                int64_t s0, s1;
                bstride = kcur * nr;
                split_range(npan, nth, tid, &s0, &s1);
#pragma omp barrier
                obn_sgemm_pack_b_panels(c->b.data, c->b.ld, c->b.trans, pc, kcur, jc, ncur, nr, s0, s1,
                                        p->bbuf + s0 * bstride);
#pragma omp barrier
                bblk = p->bbuf + q0 * bstride;
            }
            if (q0 < q1 && row0 < row1)
                compute_block(p, tid, row0, row1, bblk, bstride, q1 - q0, jc + q0 * nr, pc, kcur);
        }
    }
}

/* ------------------------------------------------------------ entry points */

size_t obn_sgemm_workspace_size(const obn_sgemm_call *call, int threads)
{
    const obn_sgemm_kernel *kr;
    if (check_call(call, 0) || call->m == 0 || call->n == 0 || call->k == 0 || pick_kernel(call, &kr)) return 0;
    if (gemv_kind(call)) return 0;
    gemm_plan p;
    return plan_gemm(call, kr, threads, &p);
}

int obn_sgemm_run(const obn_sgemm_call *c, void *workspace, size_t workspace_bytes, int threads)
{
    const obn_sgemm_kernel *kr;
    int rc = check_call(c, 1);
    if (rc || c->m == 0 || c->n == 0) return rc;
    if (c->k == 0) { /* C = beta*C + epilogue */
        obn_tile_args t = tile_args(c, 1, 1, 0, 0);
        obn_sgemm_store_tile(NULL, 0, c->c, c->ldc, c->m, c->n, &t);
        return OBN_SGEMM_OK;
    }
    if ((rc = pick_kernel(c, &kr))) return rc;
    const obn_kstop *stop = c->stop ? c->stop : obn_kstop_get();
    int gv = gemv_kind(c);
    if (gv) {
        run_gemv(c, gv, threads, stop);
        return OBN_SGEMM_OK;
    }
    gemm_plan p;
    size_t need = plan_gemm(c, kr, threads, &p);
    p.stop = stop;
    void *own = NULL;
    if (need && (!workspace || workspace_bytes < need)) {
        own = aligned_alloc(64, need);
        if (!own) return OBN_SGEMM_E_NOMEM;
        workspace = own;
    }
    char *ws = workspace;
    if (!c->b.packed) {
        p.bbuf = (float *)ws;
        ws += b_buffer_bytes(&p);
    }
    if (!c->a.packed) p.abuf = (float *)ws;
    void (*loop)(const gemm_plan *, int, int) =
        p.stream_a ? gemm_thread_stream_a : stream_b(&p) ? gemm_thread_stream : gemm_thread;
    if (p.threads > 1) {
#pragma omp parallel num_threads(p.threads)
        loop(&p, omp_get_thread_num(), omp_get_num_threads());
    } else {
        loop(&p, 0, 1);
    }
    free(own);
    return OBN_SGEMM_OK;
}

int obn_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
              const float *b, int64_t ldb, float beta, float *c, int64_t ldc, const obn_sgemm_epilogue *ep,
              int threads)
{
    obn_sgemm_call call = {.m = m, .n = n, .k = k, .alpha = alpha, .beta = beta, .c = c, .ldc = ldc};
    call.a = (obn_sgemm_operand){a, lda, trans_a, NULL};
    call.b = (obn_sgemm_operand){b, ldb, trans_b, NULL};
    if (ep) call.ep = *ep;
    return obn_sgemm_run(&call, NULL, 0, threads);
}
