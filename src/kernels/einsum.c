#include "einsum.h"
#include "kstop.h"

#include <stdbool.h>
#include <string.h>

#include "sgemm.h"
#include "transpose.h"

#define L OBN_EINSUM_MAX_LABELS

/* Below this many output elements a loop runs on one thread. */
#define PARALLEL_MIN 4096

/* Workspace blocks start on cache lines. */
#define ALIGN 64

/* A strided view of an operand: its distinct labels with sizes and element
 * strides (a label repeated on several axes sums their strides: the
 * diagonal). */
typedef struct {
    int n;
    int label[L];
    int64_t size[L], stride[L];
} view;

static int find(const int *labels, int n, int l)
{
    for (int i = 0; i < n; i++)
        if (labels[i] == l) return i;
    return -1;
}

static void operand_view(const obn_einsum_operand *op, view *v)
{
    int64_t stride = 1, strides[OBN_EINSUM_MAX_RANK];
    for (int d = op->rank - 1; d >= 0; d--) {
        strides[d] = stride;
        stride *= op->dims[d];
    }
    v->n = 0;
    for (int d = 0; d < op->rank; d++) {
        int at = find(v->label, v->n, op->label[d]);
        if (at >= 0) {
            v->stride[at] += strides[d];
            continue;
        }
        v->label[v->n] = op->label[d];
        v->size[v->n] = op->dims[d];
        v->stride[v->n++] = strides[d];
    }
}

static void tensor_view(const obn_einsum_tensor *t, view *v)
{
    int64_t stride = 1;
    v->n = t->n;
    for (int d = t->n - 1; d >= 0; d--) {
        v->label[d] = t->label[d];
        v->size[d] = t->size[d];
        v->stride[d] = stride;
        stride *= t->size[d];
    }
}

static int64_t numel(const obn_einsum_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->n; i++) n *= t->size[i];
    return n;
}

/* The axis permutation when dst is src with its axes reordered (no
 * diagonal, broadcast or sum); false otherwise. */
static bool as_permutation(const view *v, const obn_einsum_tensor *t, int rank, int *perm)
{
    if (v->n != rank || t->n != rank) return false;
    for (int i = 0; i < rank; i++) {
        int at = find(v->label, v->n, t->label[i]);
        if (at < 0 || v->size[at] != t->size[i]) return false;
        perm[i] = at;
    }
    return true;
}

/* dst (contiguous, t's labels and sizes) = the sum over the labels of v
 * that t lacks; a label of t that v lacks or has with size 1 broadcasts. */
static void reduce_into(const float *src, const view *v, int src_rank, const obn_einsum_tensor *t, float *dst,
                        int threads)
{
    int perm[L];
    if (as_permutation(v, t, src_rank, perm)) {
        int64_t dims[L];
        for (int i = 0; i < v->n; i++) dims[i] = v->size[i];
        if (src_rank <= OBN_TRANSPOSE_MAX_RANK) {
            obn_transpose(src, dst, sizeof(float), src_rank, dims, perm, threads);
            return;
        }
    }
    int64_t keep_stride[L], red_size[L], red_stride[L];
    int n_red = 0;
    for (int i = 0; i < t->n; i++) {
        int at = find(v->label, v->n, t->label[i]);
        keep_stride[i] = at >= 0 && v->size[at] > 1 ? v->stride[at] : 0;
    }
    int64_t combos = 1;
    for (int i = 0; i < v->n; i++)
        if (find(t->label, t->n, v->label[i]) < 0) {
            red_size[n_red] = v->size[i];
            red_stride[n_red++] = v->stride[i];
            combos *= v->size[i];
        }
    int64_t total = numel(t);
    if (total == 0) return;
    int64_t inner = t->n ? t->size[t->n - 1] : 1, rows = total / inner;
    int64_t inner_stride = t->n ? keep_stride[t->n - 1] : 0;
    const obn_kstop *stop = obn_kstop_get();
    const int64_t every = obn_kstop_every((double)inner * (double)combos);
    int stopped = 0;
#pragma omp parallel for schedule(static) num_threads(threads) if (total * combos > PARALLEL_MIN)
    for (int64_t r = 0; r < rows; r++) {
        if (obn_kstop_step(stop, &stopped, r, every)) continue;
        int64_t base = 0, u = r;
        for (int i = t->n - 2; i >= 0; i--) {
            base += (u % t->size[i]) * keep_stride[i];
            u /= t->size[i];
        }
        float *out = dst + r * inner;
        for (int64_t j = 0; j < inner; j++) {
            const float *p = src + base + j * inner_stride;
            if (n_red == 0) {
                out[j] = p[0];
                continue;
            }
            /* odometer over the summed labels, accumulating in double */
            int64_t idx[L] = {0}, off = 0;
            double acc = 0;
            for (int64_t c = 0; c < combos; c++) {
                acc += p[off];
                for (int d = n_red - 1; d >= 0; d--) {
                    off += red_stride[d];
                    if (++idx[d] < red_size[d]) break;
                    off -= red_stride[d] * red_size[d];
                    idx[d] = 0;
                }
            }
            out[j] = (float)acc;
        }
    }
}

static bool in_any_other(const obn_einsum_spec *s, int l, int self, int from)
{
    if (find(s->out_label, s->out_rank, l) >= 0) return true;
    for (int j = from; j < s->n_operands; j++)
        if (j != self && find(s->in[j].label, s->in[j].rank, l) >= 0) return true;
    return false;
}

static void append(obn_einsum_tensor *t, int label, int64_t size)
{
    t->label[t->n] = label;
    t->size[t->n++] = size;
}

/* Whether t holds exactly the groups g0, g1, g2 in this order with these
 * sizes (so a GEMM can read it in place). */
static bool laid_out_as(const obn_einsum_tensor *t, const obn_einsum_tensor *g0, const obn_einsum_tensor *g1,
                        const obn_einsum_tensor *g2)
{
    const obn_einsum_tensor *g[3] = {g0, g1, g2};
    int at = 0;
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < g[k]->n; i++, at++)
            if (at >= t->n || t->label[at] != g[k]->label[i] || t->size[at] != g[k]->size[i]) return false;
    return at == t->n;
}

static void concat3(obn_einsum_tensor *t, const obn_einsum_tensor *a, const obn_einsum_tensor *b,
                    const obn_einsum_tensor *c)
{
    t->n = 0;
    const obn_einsum_tensor *g[3] = {a, b, c};
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < g[k]->n; i++) append(t, g[k]->label[i], g[k]->size[i]);
}

static int64_t product_checked(const obn_einsum_tensor *t, bool *overflow)
{
    int64_t n = 1;
    for (int i = 0; i < t->n; i++) {
        if (t->size[i] != 0 && n > (INT64_MAX / 8) / t->size[i]) *overflow = true;
        else n *= t->size[i];
    }
    return n;
}

/* The batch/k groups in the label order of `order` (one of the sides). */
static void shared_groups(const obn_einsum_tensor *order, const obn_einsum_tensor *a, const obn_einsum_tensor *b,
                          const obn_einsum_spec *s, int next, obn_einsum_tensor *batch, obn_einsum_tensor *k)
{
    batch->n = k->n = 0;
    for (int i = 0; i < order->n; i++) {
        int l = order->label[i], ia = find(a->label, a->n, l), ib = find(b->label, b->n, l);
        if (ia < 0 || ib < 0) continue;
        int64_t size = a->size[ia] > b->size[ib] ? a->size[ia] : b->size[ib];
        append(in_any_other(s, l, -1, next) ? batch : k, l, size);
    }
}

/* One left-to-right contraction of acc with prepared operand i. */
static void plan_step(const obn_einsum_spec *s, const obn_einsum_tensor *acc, const obn_einsum_tensor *rhs, int i,
                      obn_einsum_step *st, bool *overflow)
{
    obn_einsum_tensor batch, k, m = {0}, n = {0};
    for (int j = 0; j < acc->n; j++)
        if (find(rhs->label, rhs->n, acc->label[j]) < 0) append(&m, acc->label[j], acc->size[j]);
    for (int j = 0; j < rhs->n; j++)
        if (find(acc->label, acc->n, rhs->label[j]) < 0) append(&n, rhs->label[j], rhs->size[j]);
    /* shared labels in the left side's order; if that side must be copied
     * anyway, in the right side's order so that it may be read in place */
    shared_groups(acc, acc, rhs, s, i + 1, &batch, &k);
    if (!laid_out_as(acc, &batch, &m, &k) && !laid_out_as(acc, &batch, &k, &m))
        shared_groups(rhs, acc, rhs, s, i + 1, &batch, &k);
    st->a_trans = !laid_out_as(acc, &batch, &m, &k) && laid_out_as(acc, &batch, &k, &m);
    st->a_direct = laid_out_as(acc, &batch, &m, &k) || st->a_trans;
    st->b_trans = !laid_out_as(rhs, &batch, &k, &n) && laid_out_as(rhs, &batch, &n, &k);
    st->b_direct = laid_out_as(rhs, &batch, &k, &n) || st->b_trans;
    concat3(&st->a_layout, &batch, &m, &k);
    concat3(&st->b_layout, &batch, &k, &n);
    concat3(&st->result, &batch, &m, &n);
    st->operand = i;
    st->batch = product_checked(&batch, overflow);
    st->m = product_checked(&m, overflow);
    st->n = product_checked(&n, overflow);
    st->k = product_checked(&k, overflow);
    product_checked(&st->a_layout, overflow);
    product_checked(&st->b_layout, overflow);
    product_checked(&st->result, overflow);
}

static size_t align_up(size_t n) { return (n + ALIGN - 1) / ALIGN * ALIGN; }

static size_t sgemm_bytes(const obn_einsum_step *st, int threads)
{
    obn_sgemm_call call = {.m = st->m, .n = st->n, .k = st->k, .alpha = 1, .beta = 0};
    call.a = (obn_sgemm_operand){NULL, st->a_trans ? st->m : st->k, st->a_trans, NULL};
    call.b = (obn_sgemm_operand){NULL, st->b_trans ? st->k : st->n, st->b_trans, NULL};
    call.ldc = st->n;
    return obn_sgemm_workspace_size(&call, threads);
}

/* Whether t is the output (its labels in order, at the output sizes). */
static bool is_output(const obn_einsum_spec *s, const obn_einsum_tensor *t)
{
    if (t->n != s->out_rank) return false;
    for (int i = 0; i < t->n; i++)
        if (t->label[i] != s->out_label[i] || t->size[i] != s->label_size[s->out_label[i]]) return false;
    return true;
}

int obn_einsum_plan_f32(const obn_einsum_spec *s, int threads, obn_einsum_plan *p)
{
    memset(p, 0, sizeof *p);
    p->spec = *s;
    bool overflow = false;
    size_t ws = 0;
    for (int i = 0; i < s->n_operands; i++) {
        view v;
        operand_view(&s->in[i], &v);
        obn_einsum_tensor *t = &p->prepared[i];
        for (int j = 0; j < v.n; j++)
            if (in_any_other(s, v.label[j], i, 0)) append(t, v.label[j], v.size[j]);
        p->prepared_in_place[i] = t->n == s->in[i].rank;
        p->prepared_offset[i] = ws;
        if (!p->prepared_in_place[i] && s->n_operands > 1)
            ws += align_up((size_t)product_checked(t, &overflow) * sizeof(float));
    }
    size_t acc_bytes = 0, a_bytes = 0, b_bytes = 0;
    const obn_einsum_tensor *acc = &p->prepared[0];
    for (int i = 1; i < s->n_operands; i++) {
        obn_einsum_step *st = &p->steps[p->n_steps++];
        plan_step(s, acc, &p->prepared[i], i, st, &overflow);
        if (overflow) return -1;
        st->to_output = i == s->n_operands - 1 && is_output(s, &st->result);
        size_t r = (size_t)numel(&st->result) * sizeof(float);
        if (!st->to_output && r > acc_bytes) acc_bytes = r;
        if (!st->a_direct && (size_t)numel(&st->a_layout) * sizeof(float) > a_bytes)
            a_bytes = (size_t)numel(&st->a_layout) * sizeof(float);
        if (!st->b_direct && (size_t)numel(&st->b_layout) * sizeof(float) > b_bytes)
            b_bytes = (size_t)numel(&st->b_layout) * sizeof(float);
        size_t g = sgemm_bytes(st, threads);
        if (g > p->gemm_bytes) p->gemm_bytes = g;
        acc = &st->result;
    }
    if (overflow) return -1;
    p->acc_offset[0] = ws;
    p->acc_offset[1] = ws += align_up(acc_bytes);
    p->a_offset = ws += align_up(acc_bytes);
    p->b_offset = ws += align_up(a_bytes);
    p->gemm_offset = ws += align_up(b_bytes);
    p->workspace = ws + p->gemm_bytes;
    return 0;
}

/* One batched GEMM: C[b] = A[b] x B[b]. */
static void batched_gemm(const obn_einsum_step *st, const float *a, const float *b, float *c, void *gemm_ws,
                         size_t gemm_bytes, int threads)
{
    if (st->m == 0 || st->n == 0) return;
    obn_sgemm_call call = {.m = st->m, .n = st->n, .k = st->k, .alpha = 1, .beta = 0, .ldc = st->n};
    call.a = (obn_sgemm_operand){NULL, st->a_trans ? st->m : st->k, st->a_trans, NULL};
    call.b = (obn_sgemm_operand){NULL, st->b_trans ? st->k : st->n, st->b_trans, NULL};
    for (int64_t i = 0; i < st->batch; i++) {
        call.a.data = a + i * st->m * st->k;
        call.b.data = b + i * st->k * st->n;
        call.c = c + i * st->m * st->n;
        obn_sgemm_run(&call, gemm_ws, gemm_bytes, threads);
    }
}

void obn_einsum_run_f32(const obn_einsum_plan *p, const float *const *x, float *y, void *workspace, int threads)
{
    const obn_einsum_spec *s = &p->spec;
    char *ws = workspace;
    obn_einsum_tensor out = {0};
    for (int i = 0; i < s->out_rank; i++) append(&out, s->out_label[i], s->label_size[s->out_label[i]]);
    view v;
    if (s->n_operands == 1) {
        operand_view(&s->in[0], &v);
        reduce_into(x[0], &v, s->in[0].rank, &out, y, threads);
        return;
    }
    const float *prepared[OBN_EINSUM_MAX_OPERANDS];
    for (int i = 0; i < s->n_operands; i++) {
        if (p->prepared_in_place[i]) {
            prepared[i] = x[i];
            continue;
        }
        float *buf = (float *)(ws + p->prepared_offset[i]);
        operand_view(&s->in[i], &v);
        reduce_into(x[i], &v, s->in[i].rank, &p->prepared[i], buf, threads);
        prepared[i] = buf;
    }
    const float *acc = prepared[0];
    const obn_einsum_tensor *acc_t = &p->prepared[0];
    for (int k = 0; k < p->n_steps; k++) {
        const obn_einsum_step *st = &p->steps[k];
        const float *a = acc, *b = prepared[st->operand];
        if (!st->a_direct) {
            tensor_view(acc_t, &v);
            reduce_into(acc, &v, acc_t->n, &st->a_layout, (float *)(ws + p->a_offset), threads);
            a = (const float *)(ws + p->a_offset);
        }
        if (!st->b_direct) {
            tensor_view(&p->prepared[st->operand], &v);
            reduce_into(b, &v, p->prepared[st->operand].n, &st->b_layout, (float *)(ws + p->b_offset), threads);
            b = (const float *)(ws + p->b_offset);
        }
        float *c = st->to_output ? y : (float *)(ws + p->acc_offset[k % 2]);
        batched_gemm(st, a, b, c, ws + p->gemm_offset, p->gemm_bytes, threads);
        acc = c;
        acc_t = &st->result;
    }
    if (!p->steps[p->n_steps - 1].to_output) {
        tensor_view(acc_t, &v);
        reduce_into(acc, &v, acc_t->n, &out, y, threads);
    }
}

/* Per operand, the element stride of each label (0 where it is absent or
 * broadcast). */
static void label_strides(const obn_einsum_spec *s, int64_t (*stride)[L])
{
    for (int i = 0; i < s->n_operands; i++) {
        view v;
        operand_view(&s->in[i], &v);
        for (int l = 0; l < s->n_labels; l++) stride[i][l] = 0;
        for (int j = 0; j < v.n; j++)
            if (v.size[j] > 1) stride[i][v.label[j]] = v.stride[j];
    }
}

#define DEFINE_LOOP(NAME, T)                                                                                       \
    void NAME(const obn_einsum_spec *s, const T *const *x, T *y, int threads)                                    \
    {                                                                                                              \
        int64_t st[OBN_EINSUM_MAX_OPERANDS][L];                                                                    \
        label_strides(s, st);                                                                                      \
        int sum[L], n_sum = 0, nop = s->n_operands;                                                                \
        int64_t total = 1, combos = 1;                                                                             \
        for (int i = 0; i < s->out_rank; i++) total *= s->label_size[s->out_label[i]];                            \
        for (int l = 0; l < s->n_labels; l++)                                                                      \
            if (find(s->out_label, s->out_rank, l) < 0) {                                                          \
                sum[n_sum++] = l;                                                                                  \
                combos *= s->label_size[l];                                                                        \
            }                                                                                                      \
        _Pragma("omp parallel for schedule(static) num_threads(threads) if (total * combos > PARALLEL_MIN)")       \
        for (int64_t e = 0; e < total; e++) {                                                                      \
            int64_t off[OBN_EINSUM_MAX_OPERANDS] = {0}, u = e, idx[L] = {0};                                       \
            for (int d = s->out_rank - 1; d >= 0; d--) {                                                           \
                int l = s->out_label[d];                                                                           \
                for (int i = 0; i < nop; i++) off[i] += (u % s->label_size[l]) * st[i][l];                         \
                u /= s->label_size[l];                                                                             \
            }                                                                                                      \
            T acc = 0;                                                                                             \
            for (int64_t c = 0; c < combos; c++) {                                                                 \
                T prod = x[0][off[0]];                                                                             \
                for (int i = 1; i < nop; i++) prod *= x[i][off[i]];                                                \
                acc += prod;                                                                                       \
                for (int d = n_sum - 1; d >= 0; d--) {                                                             \
                    int l = sum[d];                                                                                \
                    for (int i = 0; i < nop; i++) off[i] += st[i][l];                                              \
                    if (++idx[d] < s->label_size[l]) break;                                                        \
                    for (int i = 0; i < nop; i++) off[i] -= st[i][l] * s->label_size[l];                           \
                    idx[d] = 0;                                                                                    \
                }                                                                                                  \
            }                                                                                                      \
            y[e] = acc;                                                                                            \
        }                                                                                                          \
    }

DEFINE_LOOP(obn_einsum_loop_f64, double)
DEFINE_LOOP(obn_einsum_loop_u64, uint64_t)
