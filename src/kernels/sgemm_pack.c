/* Packing of SGEMM operands into micro-panels (layout in sgemm_ukernel.h),
 * the pre-packed operand API, and the portable micro-kernel. */
#include <stdlib.h>
#include <string.h>

#include "sgemm.h"
#include "sgemm_internal.h"

void obn_sgemm_pack_a_panels(const float *a, int64_t lda, int trans, int64_t i0, int64_t rows, int64_t p0,
                             int64_t kc, int mr, float *dst)
{
    for (int64_t ip = 0; ip < rows; ip += mr) {
        int64_t r = rows - ip < mr ? rows - ip : mr;
        float *d = dst + (ip / mr) * kc * mr;
        if (trans) { /* op(A)[i][k] = a[k*lda + i]: rows of the panel are contiguous in a */
            for (int64_t p = 0; p < kc; p++) {
                const float *s = a + (p0 + p) * lda + i0 + ip;
                for (int64_t rr = 0; rr < r; rr++) d[p * mr + rr] = s[rr];
                for (int64_t rr = r; rr < mr; rr++) d[p * mr + rr] = 0.0f;
            }
        } else { /* op(A)[i][k] = a[i*lda + k]: read each row once, scatter by mr */
            for (int64_t rr = 0; rr < r; rr++) {
                const float *s = a + (i0 + ip + rr) * lda + p0;
                for (int64_t p = 0; p < kc; p++) d[p * mr + rr] = s[p];
            }
            if (r < mr)
                for (int64_t p = 0; p < kc; p++)
                    for (int64_t rr = r; rr < mr; rr++) d[p * mr + rr] = 0.0f;
        }
    }
}

/* kc rows of nr floats (row stride ld) into a contiguous panel; nr is a
 * compile-time constant in each branch, so every row is a few vector moves
 * instead of a memcpy call. */
static void copy_rows(float *d, const float *s, int64_t ld, int64_t kc, int nr)
{
    switch (nr) {
    case 8:
        for (int64_t p = 0; p < kc; p++) __builtin_memcpy(d + p * 8, s + p * ld, 8 * sizeof(float));
        break;
    case 16:
        for (int64_t p = 0; p < kc; p++) __builtin_memcpy(d + p * 16, s + p * ld, 16 * sizeof(float));
        break;
    case 32:
        for (int64_t p = 0; p < kc; p++) __builtin_memcpy(d + p * 32, s + p * ld, 32 * sizeof(float));
        break;
    default:
        for (int64_t p = 0; p < kc; p++) memcpy(d + p * nr, s + p * ld, (size_t)nr * sizeof(float));
    }
}

void obn_sgemm_pack_b_panels(const float *b, int64_t ldb, int trans, int64_t p0, int64_t kc, int64_t j0,
                             int64_t cols, int nr, int64_t q0, int64_t q1, float *dst)
{
    if (!trans && q1 > q0 + 1 && cols >= q1 * nr && nr == 16) {
        /* several whole panels of a row-major B: row by row, so each read
         * is one contiguous run of (q1 - q0) * 16 floats */
        for (int64_t p = 0; p < kc; p++) {
            const float *s = b + (p0 + p) * ldb + j0 + q0 * 16;
            for (int64_t q = 0; q < q1 - q0; q++) __builtin_memcpy(dst + (q * kc + p) * 16, s + q * 16, 64);
        }
        return;
    }
    for (int64_t q = q0; q < q1; q++) {
        int64_t jj = q * nr;
        int64_t c = cols - jj < nr ? cols - jj : nr;
        float *d = dst + (q - q0) * kc * nr;
        if (!trans && c == nr) { /* op(B)[k][j] = b[k*ldb + j]: each k row of the panel is a copy */
            copy_rows(d, b + p0 * ldb + j0 + jj, ldb, kc, nr);
        } else if (!trans) {
            for (int64_t p = 0; p < kc; p++) {
                memcpy(d + p * nr, b + (p0 + p) * ldb + j0 + jj, (size_t)c * sizeof(float));
                for (int64_t cc = c; cc < nr; cc++) d[p * nr + cc] = 0.0f;
            }
        } else { /* op(B)[k][j] = b[j*ldb + k]: read each column once, scatter by nr */
            for (int64_t cc = 0; cc < c; cc++) {
                const float *s = b + (j0 + jj + cc) * ldb + p0;
                for (int64_t p = 0; p < kc; p++) d[p * nr + cc] = s[p];
            }
            if (c < nr)
                for (int64_t p = 0; p < kc; p++)
                    for (int64_t cc = c; cc < nr; cc++) d[p * nr + cc] = 0.0f;
        }
    }
}

/* Panels of R rows/columns over the full depth k: ceil(len/R)*k*R floats,
 * checked for overflow. Returns 0 on overflow. */
static size_t panel_bytes(int64_t len, int64_t k, int r)
{
    int64_t panels = (len + r - 1) / r, n;
    if (__builtin_mul_overflow(panels, k, &n) || __builtin_mul_overflow(n, (int64_t)r * 4, &n)) return 0;
    return (size_t)n;
}

/* An empty packed operand for the current kernel: op(A) is rows x cols
 * (m x k) in panels of MR rows; op(B) is rows x cols (k x n) in panels of NR
 * columns; each panel spans the full depth k. */
static obn_sgemm_packed *new_packed_for(const obn_sgemm_kernel *kr, char side, int64_t rows, int64_t cols)
{
    if (rows < 0 || cols < 0) return NULL;
    obn_sgemm_packed *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->kr = kr;
    p->side = side;
    p->rows = rows;
    p->cols = cols;
    p->owned = 1;
    size_t bytes = side == 'a' ? panel_bytes(rows, cols, p->kr->mr) : panel_bytes(cols, rows, p->kr->nr);
    if (!bytes && rows && cols) { /* overflow */
        free(p);
        return NULL;
    }
    p->bytes = bytes;
    size_t alloc = (bytes + 63) & ~(size_t)63;
    p->data = aligned_alloc(64, alloc ? alloc : 64);
    if (!p->data) {
        free(p);
        return NULL;
    }
    return p;
}

static obn_sgemm_packed *new_packed(char side, int64_t rows, int64_t cols)
{
    return new_packed_for(obn_sgemm_current_kernel(), side, rows, cols);
}

static obn_sgemm_packed *pack_a_for(const obn_sgemm_kernel *kr, int64_t m, int64_t k, const float *a, int64_t lda,
                                    int trans)
{
    if (m > 0 && k > 0 && (!a || lda < (trans ? m : k))) return NULL;
    obn_sgemm_packed *p = new_packed_for(kr, 'a', m, k);
    if (p && m > 0 && k > 0) obn_sgemm_pack_a_panels(a, lda, trans, 0, m, 0, k, p->kr->mr, p->data);
    return p;
}

obn_sgemm_packed *obn_sgemm_pack_a(int64_t m, int64_t k, const float *a, int64_t lda, int trans)
{
    if (m > 0 && k > 0 && (!a || lda < (trans ? m : k))) return NULL;
    obn_sgemm_packed *p = new_packed('a', m, k);
    if (p && m > 0 && k > 0) obn_sgemm_pack_a_panels(a, lda, trans, 0, m, 0, k, p->kr->mr, p->data);
    return p;
}

obn_sgemm_packed *obn_sgemm_pack_b(int64_t k, int64_t n, const float *b, int64_t ldb, int trans)
{
    if (k > 0 && n > 0 && (!b || ldb < (trans ? k : n))) return NULL;
    obn_sgemm_packed *p = new_packed('b', k, n);
    if (p && k > 0 && n > 0) {
        int nr = p->kr->nr;
        obn_sgemm_pack_b_panels(b, ldb, trans, 0, k, 0, n, nr, 0, (n + nr - 1) / nr, p->data);
    }
    return p;
}

void obn_sgemm_packed_free(obn_sgemm_packed *p)
{
    if (!p || !p->owned) return;
    free(p->data);
    free(p);
}

void obn_sgemm_packed_groups_free(obn_sgemm_packed_groups *p)
{
    if (!p) return;
    for (int64_t g = 0; g < p->groups && p->per_group; g++) obn_sgemm_packed_free(p->per_group[g]);
    free(p->per_group);
    free(p);
}

static obn_sgemm_packed *pack_a_scaled_for(const obn_sgemm_kernel *kr, int64_t m, int64_t k, const float *a,
                                           int64_t lda, const double *row_scale, int threads);

/* Each group's A packed on its own: by pack_a_for (op(A), trans allowed),
 * or with `scaled` by pack_a_scaled_for (rows times row_scale, threaded). */
static obn_sgemm_packed_groups *pack_groups(const obn_sgemm_kernel *kr, int64_t groups, int64_t m, int64_t k,
                                            const float *a, int64_t group_stride, int64_t lda, int trans,
                                            const double *row_scale, int threads, int scaled)
{
    if (groups < 1) return NULL;
    obn_sgemm_packed_groups *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->groups = groups;
    p->per_group = calloc((size_t)groups, sizeof *p->per_group);
    if (!p->per_group) {
        free(p);
        return NULL;
    }
    for (int64_t g = 0; g < groups; g++) {
        const float *ag = a + g * group_stride;
        p->per_group[g] = scaled ? pack_a_scaled_for(kr, m, k, ag, lda, row_scale ? row_scale + g * m : NULL, threads)
                                 : pack_a_for(kr, m, k, ag, lda, trans);
        if (!p->per_group[g]) {
            obn_sgemm_packed_groups_free(p);
            return NULL;
        }
    }
    return p;
}

obn_sgemm_packed_groups *obn_sgemm_pack_a_groups(int64_t groups, int64_t m, int64_t k, const float *a,
                                                 int64_t group_stride, int64_t lda, int trans)
{
    return obn_sgemm_pack_a_groups_for(obn_sgemm_current_kernel(), groups, m, k, a, group_stride, lda, trans);
}

obn_sgemm_packed_groups *obn_sgemm_pack_a_groups_for(const obn_sgemm_kernel *kr, int64_t groups, int64_t m,
                                                     int64_t k, const float *a, int64_t group_stride, int64_t lda,
                                                     int trans)
{
    return pack_groups(kr, groups, m, k, a, group_stride, lda, trans, NULL, 1, 0);
}

/* op(A) = a (not transposed) with row i scaled by row_scale[i] in double
 * and rounded once to float (row_scale NULL: a itself), packed as
 * obn_sgemm_pack_a_panels packs the stored product: weights with a
 * BatchNormalization folded into them, packed straight from the unscaled
 * ones. */
static obn_sgemm_packed *pack_a_scaled_for(const obn_sgemm_kernel *kr, int64_t m, int64_t k, const float *a,
                                           int64_t lda, const double *row_scale, int threads)
{
    if (m > 0 && k > 0 && (!a || lda < k)) return NULL;
    obn_sgemm_packed *p = new_packed_for(kr, 'a', m, k);
    if (!p || m <= 0 || k <= 0) return p;
    int mr = kr->mr;
    /* row panels are independent: split when there are a few per thread
     * and enough data to pay for the parallel region (64K floats) */
    int64_t panels = (m + mr - 1) / mr;
    int nt = threads > 1 && panels >= 2 * (int64_t)threads && m * k >= ((int64_t)1 << 16) ? threads : 1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t q = 0; q < panels; q++) {
        int64_t ip = q * mr;
        int64_t r = m - ip < mr ? m - ip : mr;
        float *d = p->data + (ip / mr) * k * mr;
        for (int64_t rr = 0; rr < r; rr++) {
            const float *s = a + (ip + rr) * lda;
            if (!row_scale) {
                for (int64_t j = 0; j < k; j++) d[j * mr + rr] = s[j];
                continue;
            }
            double sc = row_scale[ip + rr];
            for (int64_t j = 0; j < k; j++) d[j * mr + rr] = (float)((double)s[j] * sc);
        }
        for (int64_t j = 0; r < mr && j < k; j++)
            for (int64_t rr = r; rr < mr; rr++) d[j * mr + rr] = 0.0f;
    }
    return p;
}

obn_sgemm_packed_groups *obn_sgemm_pack_a_groups_scaled_for(const obn_sgemm_kernel *kr, int64_t groups, int64_t m,
                                                            int64_t k, const float *a, int64_t group_stride,
                                                            int64_t lda, const double *row_scale, int threads)
{
    return pack_groups(kr, groups, m, k, a, group_stride, lda, 0, row_scale, threads, 1);
}

int obn_sgemm_b_panel_width(const obn_sgemm_packed *like)
{
    return like ? like->kr->nr : obn_sgemm_current_kernel()->nr;
}

void obn_sgemm_packed_b_view(obn_sgemm_packed *view, float *panels, int64_t k, int64_t n,
                             const obn_sgemm_packed *like)
{
    view->kr = like ? like->kr : obn_sgemm_current_kernel();
    view->side = 'b';
    view->rows = k;
    view->cols = n;
    view->data = panels;
    view->bytes = (size_t)((n + view->kr->nr - 1) / view->kr->nr * k * view->kr->nr) * sizeof(float);
    view->owned = 0;
}

size_t obn_sgemm_packed_bytes(const obn_sgemm_packed *p) { return p ? p->bytes : 0; }

/* Portable micro-kernel, 4x8: 4 rows x 2 SSE vectors = 8 of the 16 xmm
 * registers baseline x86-64 has, leaving room for B and the broadcast; the
 * compiler vectorises the fixed-size inner loops. */
#define PMR 4
#define PNR 8
static void ukernel_portable(int64_t kc, const float *a, const float *b, float *c, int64_t ldc,
                             const obn_tile_args *t)
{
    float acc[PMR][PNR] = {{0}};
    for (int64_t p = 0; p < kc; p++) {
        for (int i = 0; i < PMR; i++)
            for (int j = 0; j < PNR; j++) acc[i][j] += a[i] * b[j];
        a += PMR;
        b += PNR;
    }
    obn_sgemm_store_tile(&acc[0][0], PNR, c, ldc, PMR, PNR, t);
}

static void gemv_panel_portable(int64_t depth, const float *x, int64_t xs, const float *panel, float *out)
{
    float acc[PNR] = {0};
    for (int64_t k = 0; k < depth; k++, panel += PNR)
        for (int j = 0; j < PNR; j++) acc[j] += x[k * xs] * panel[j];
    for (int j = 0; j < PNR; j++) out[j] = acc[j];
}

/* Blocking for unknown hardware, sized for the smallest common caches
 * (32 KiB L1d, 256 KiB L2): B micro-panel 256*8*4 = 8 KiB; A block
 * 128*256*4 = 128 KiB; B block 256*2048*4 = 2 MiB. */
const obn_sgemm_kernel obn_sgemm_kernel_portable = {
    .name = "portable 4x8", .isa = OBN_ISA_PORTABLE, .mr = PMR, .nr = PNR, .kc = 256, .mc = 128, .nc = 2048,
    .ukernel = ukernel_portable, .gemv_panel = gemv_panel_portable,
};
