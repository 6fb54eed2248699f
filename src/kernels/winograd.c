#include "winograd.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu.h"
#include "kstop.h"
#include "peak.h"
#include "simd_clones.h"
#include "sgemm_internal.h"

#define OBN_WINO_ISA portable
#include "winograd_tx.h"

typedef void (*wino_input_fn)(const float *const base[8], int64_t rs, float *v, int64_t xs);
typedef void (*wino_output_fn)(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep,
                               float *const out[8], const int rows[8], const int cols[8], int64_t os);

/* The AVX2 build of winograd_tx.h (winograd_avx2.c). */
void obn_wino_input8_avx2(const float *const base[8], int64_t rs, float *v, int64_t xs);
void obn_wino_output8_avx2(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep, float *const out[8],
                           const int rows[8], const int cols[8], int64_t os);
void obn_wino2_input8_avx2(const float *const base[8], int64_t rs, float *v, int64_t xs);
void obn_wino2_output8_avx2(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep, float *const out[8],
                            const int rows[8], const int cols[8], int64_t os);
/* The AVX-512 build (winograd_avx512.c). */
void obn_wino_input8_avx512(const float *const base[8], int64_t rs, float *v, int64_t xs);
void obn_wino_output8_avx512(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep, float *const out[8],
                             const int rows[8], const int cols[8], int64_t os);
void obn_wino2_input8_avx512(const float *const base[8], int64_t rs, float *v, int64_t xs);
void obn_wino2_output8_avx512(const float *m, int64_t xs, float bias, const obn_conv_epilogue *ep,
                              float *const out[8], const int rows[8], const int cols[8], int64_t os);

/* Largest number of transform positions (F(4x4, 3x3): 6x6). */
#define MAX_XI 36

/* The two algorithms: F(m x m, 3x3) takes (m+2)x(m+2) input patches to
 * m x m output tiles through (m+2)^2 transform positions. F(4x4) does 4x
 * fewer multiplications than a direct convolution, F(2x2) 2.25x; F(2x2)
 * keeps enough tiles to fill a GEMM panel on small images (7x7 at batch 1:
 * 16 tiles, against F(4x4)'s 4). G is the kernel transform (alpha x 3). */
typedef struct {
    int tile, alpha, xi;
    double g[6][3];
    int row_slack; /* floats the input transform reads past a patch row */
} wino_variant;

static const wino_variant F4 = {4, 6, 36,
                                {{1.0 / 4, 0, 0},
                                 {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                 {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                 {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                 {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                 {0, 0, 1}},
                                2};
static const wino_variant F2 = {2, 4, 16, {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}, 0};

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* F(4x4) unless that leaves fewer tiles than this (one GEMM panel). */
#define OBN_WINO_F4_MIN_TILES 16

static int64_t tiles_of(const obn_conv_shape *s, int tile)
{
    return s->batch * ((s->out[0] + tile - 1) / tile) * ((s->out[1] + tile - 1) / tile);
}

static const wino_variant *variant_for(const obn_conv_shape *s)
{
    return tiles_of(s, 4) >= OBN_WINO_F4_MIN_TILES ? &F4 : &F2;
}

/* Budget for one block's transformed input and GEMM output (36 x (C + M)
 * x tiles floats): about half of a 512 KiB L2 (Zen 2/3; Intel's 1-2 MiB hold
 * more), so that the three steps pass the data on in cache. */
#define OBN_WINO_BLOCK_BYTES ((int64_t)256 << 10)

/* The most tiles per block: beyond this the GEMMs gain nothing more from
 * wider B operands. */
#define OBN_WINO_MAX_BLOCK 256

struct obn_winograd_weights {
    const wino_variant *var;
    const obn_sgemm_kernel *kr; /* the micro-kernel the panels are shaped for */
    int64_t m, c;               /* output and input channels */
    int64_t panels;             /* row panels of MR output channels */
    float *u;                   /* xi x panels x [c][mr] */
};

/* The micro-kernel (and transform build) of the current ISA level. On
 * AVX-512 CPUs the AVX2 one (6x16 tiles) is taken instead of the 14x32 one
 * where the wider tile pads the GEMMs (output channels to 14, tiles to 32)
 * enough to lose its own speed-up: measured on Zen 4 (which splits 512-bit
 * FMAs in two), the 14x32 kernel is about 12% faster at equal padding
 * (Inception's 35x35 and 17x17 layers, ResNet's 7x7 at batch 8), and 1.8x
 * slower on 14x14 images at batch 1 (16 tiles: half of one 32-wide panel);
 * figures in cnn.md. */
#define OBN_WINO_AVX512_GAIN_PCT 112
/* Where 512-bit FMAs are not split (Zen 5, peak.h) the wide tile gains
 * less than its 2x FMA rate here (the transforms and the 36 small GEMMs'
 * loads do not double): measured on Zen 5, ResNet-50 at batch 1, the wide
 * tile is 1.33x faster on 56x56 (it pads 1.14x more) and 1.7x slower on
 * 14x14 and 7x7 (16 tiles, padded 2.06x more). */
#define OBN_WINO_AVX512_FULL_GAIN_PCT 150
static const obn_sgemm_kernel *winograd_kernel(const obn_conv_shape *s)
{
    const obn_sgemm_kernel *kr = obn_sgemm_current_kernel(), *narrow = &obn_sgemm_kernel_avx2;
    if (kr->isa != OBN_ISA_AVX512) return kr;
    int64_t t = tiles_of(s, variant_for(s)->tile), m = s->out_channels;
    int64_t wide_cost = ceil_div(t, kr->nr) * kr->nr * (ceil_div(m, kr->mr) * kr->mr);
    int64_t narrow_cost = ceil_div(t, narrow->nr) * narrow->nr * (ceil_div(m, narrow->mr) * narrow->mr);
    int64_t gain = obn_peak_avx512_full_rate() ? OBN_WINO_AVX512_FULL_GAIN_PCT : OBN_WINO_AVX512_GAIN_PCT;
    return wide_cost * 100 <= narrow_cost * gain ? kr : narrow;
}
static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

int obn_winograd_applicable(const obn_conv_shape *s)
{
    return s->nd == 2 && s->groups == 1 && s->kernel[0] == 3 && s->kernel[1] == 3 && s->stride[0] == 1 &&
           s->stride[1] == 1 && s->dilation[0] == 1 && s->dilation[1] == 1 && s->pad[0] >= 0 && s->pad[1] >= 0;
}

/* Lanes of the weight transform: one per kernel of a row panel, rounded up
 * to a whole number of vectors (16 doubles: two AVX-512 registers) and at
 * least the widest micro-kernel's MR (14). */
#define WINO_PACK_LANES 16

/* Transformed weights U = G g G^T of row panel p (its `rows` kernels, the
 * lanes past them zero), every input channel: for each channel the panel's
 * kernels are transformed together in double, one kernel per lane of
 * fixed-width loops the compiler vectorises for each ISA level (clones);
 * each lane evaluates exactly the scalar expressions, in the same order and
 * without contraction (ISO C: -ffp-contract=off), so every clone gives the
 * same bits. Each of the xi planes gets a run of mr consecutive floats per
 * channel. */
OBN_CLONES static void pack_panel(const wino_variant *v, const float *w, const double *row_scale, int64_t channels,
                                  int64_t panels, int mr, int64_t p, int64_t rows, float *u)
{
    enum { L = WINO_PACK_LANES };
    const int alpha = v->alpha;
    double g[9][L], t[6][3][L];
    float uu[L];
    for (int k = 0; k < 9; k++)
        for (int r = 0; r < L; r++) g[k][r] = 0.0;
    for (int64_t c = 0; c < channels; c++) {
        for (int r = 0; r < rows; r++) {
            const float *src = w + ((p * mr + r) * channels + c) * 9;
            if (row_scale) /* the scaled weights as stored: rounded to float first */
                for (int k = 0; k < 9; k++) g[k][r] = (double)(float)((double)src[k] * row_scale[p * mr + r]);
            else
                for (int k = 0; k < 9; k++) g[k][r] = (double)src[k];
        }
        for (int i = 0; i < alpha; i++)
            for (int j = 0; j < 3; j++)
                for (int r = 0; r < L; r++)
                    t[i][j][r] = v->g[i][0] * g[j][r] + v->g[i][1] * g[3 + j][r] + v->g[i][2] * g[6 + j][r];
        for (int i = 0; i < alpha; i++)
            for (int k = 0; k < alpha; k++) {
                for (int r = 0; r < L; r++)
                    uu[r] = (float)(t[i][0][r] * v->g[k][0] + t[i][1][r] * v->g[k][1] + t[i][2][r] * v->g[k][2]);
                float *dst = u + (((int64_t)(i * alpha + k) * panels + p) * channels + c) * mr;
                /* the micro-kernels' MR as constants: a few vector moves */
                switch (mr) {
                case 14: __builtin_memcpy(dst, uu, 14 * sizeof(float)); break;
                case 6: __builtin_memcpy(dst, uu, 6 * sizeof(float)); break;
                case 4: __builtin_memcpy(dst, uu, 4 * sizeof(float)); break;
                default: memcpy(dst, uu, (size_t)mr * sizeof(float));
                }
            }
    }
}

obn_winograd_weights *obn_winograd_pack(const obn_conv_shape *s, const float *w)
{
    return obn_winograd_pack_scaled(s, w, NULL, 1);
}

obn_winograd_weights *obn_winograd_pack_scaled(const obn_conv_shape *s, const float *w, const double *row_scale,
                                               int threads)
{
    obn_winograd_weights *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    pw->var = variant_for(s);
    pw->kr = winograd_kernel(s);
    pw->m = s->out_channels;
    pw->c = s->in_channels;
    int mr = pw->kr->mr;
    if (mr > WINO_PACK_LANES) {
        free(pw);
        return NULL;
    }
    pw->panels = ceil_div(pw->m, mr);
    int xis = pw->var->xi;
    size_t floats = (size_t)xis * (size_t)pw->panels * (size_t)pw->c * (size_t)mr;
    pw->u = aligned_alloc(64, align64(floats * sizeof(float)));
    if (!pw->u) {
        free(pw);
        return NULL;
    }
    /* panels are independent: split between the threads when there are
     * enough of them to pay for the parallel region */
    int64_t panels = pw->panels;
    int nt = threads > 1 && panels >= 2 * (int64_t)threads ? threads : 1;
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t p = 0; p < panels; p++) {
        int64_t rows = pw->m - p * mr < mr ? pw->m - p * mr : mr;
        pack_panel(pw->var, w, row_scale, pw->c, panels, mr, p, rows, pw->u);
    }
    return pw;
}

void obn_winograd_weights_free(obn_winograd_weights *u)
{
    if (!u) return;
    free(u->u);
    free(u);
}

/* Tiling of one call: tiles of all images in one sequence (image, tile
 * row, tile column), processed in blocks of tb; images padded `group` at a
 * time into planes of hp x wp (wp with the slack the transform reads past a
 * patch row: no read leaves the plane). */
typedef struct {
    const wino_variant *var;
    int tile, xi;
    int64_t th, tw, per_image;   /* tiles per column, per row, per image */
    int64_t hp, wp, plane;       /* padded plane */
    int64_t group;               /* images padded together */
    int64_t tb;                  /* tiles per block: a multiple of NR and of 8 */
    int64_t c, m, mpad;          /* input channels, output channels, m rounded up to MR */
    int64_t vxs, mxs;            /* floats between transform positions in V and in M */
    size_t pad_bytes, v_bytes, m_bytes;
} wino_geom;

/* The distance between the transform positions' planes of V and of M, in
 * floats: a plane is C x tb (or MR-padded M x tb) floats, a multiple of 4 KiB
 * for the usual channel counts, which would put the 36 stores of one tile's
 * input transform (and the output transform's 36 loads) in one set of the
 * L1 cache (64 sets of 64-byte lines: a 4 KiB period), where they evict each
 * other before the next tiles fill the rest of their lines. An odd number of
 * cache lines per plane spreads the 36 over different sets. */
static int64_t skew(int64_t floats)
{
    int64_t lines = (floats + 15) / 16;
    return (lines | 1) * 16;
}

static wino_geom geometry(const obn_conv_shape *s, const obn_winograd_weights *u)
{
    wino_geom g;
    const obn_sgemm_kernel *kr = u ? u->kr : winograd_kernel(s);
    g.var = u ? u->var : variant_for(s);
    g.tile = g.var->tile;
    g.xi = g.var->xi;
    g.th = ceil_div(s->out[0], g.tile);
    g.tw = ceil_div(s->out[1], g.tile);
    g.per_image = g.th * g.tw;
    g.hp = g.tile * g.th + 2;
    g.wp = g.tile * g.tw + 2 + g.var->row_slack;
    g.plane = g.hp * g.wp;
    g.c = s->in_channels;
    g.m = s->out_channels;
    g.mpad = ceil_div(g.m, kr->mr) * kr->mr;
    int64_t unit = kr->nr > 8 ? kr->nr : 8; /* both powers of two */
    int64_t fit = OBN_WINO_BLOCK_BYTES / (g.xi * (g.c + g.mpad) * (int64_t)sizeof(float));
    g.tb = fit / unit * unit;
    if (g.tb < unit) g.tb = unit;
    if (g.tb > OBN_WINO_MAX_BLOCK) g.tb = OBN_WINO_MAX_BLOCK;
    int64_t all = ceil_div(s->batch * g.per_image, unit) * unit;
    if (g.tb > all) g.tb = all;
    g.group = g.tb / g.per_image;
    if (g.group < 1) g.group = 1;
    if (g.group > s->batch) g.group = s->batch;
    g.pad_bytes = align64((size_t)(g.group * g.c * g.plane) * sizeof(float));
    g.vxs = skew(g.c * g.tb);
    g.mxs = skew(g.mpad * g.tb);
    g.v_bytes = align64((size_t)(g.xi * g.vxs) * sizeof(float));
    g.m_bytes = align64((size_t)(g.xi * g.mxs) * sizeof(float));
    return g;
}

size_t obn_winograd_workspace_size(const obn_conv_shape *s, const obn_winograd_weights *u)
{
    wino_geom g = geometry(s, u);
    return g.pad_bytes + g.v_bytes + g.m_bytes;
}

/* Plane (image b, channel c) of the input into its zero-padded copy:
 * padded row r, column q hold input (r - pad top, q - pad left). */
static void pad_plane(const obn_conv_shape *s, const wino_geom *g, const float *x, float *dst)
{
    int64_t ih = s->in[0], iw = s->in[1], pt = s->pad[0], pl = s->pad[1];
    for (int64_t r = 0; r < g->hp; r++) {
        float *row = dst + r * g->wp;
        int64_t sr = r - pt;
        if (sr < 0 || sr >= ih) {
            memset(row, 0, (size_t)g->wp * sizeof(float));
            continue;
        }
        int64_t q0 = pl < g->wp ? pl : g->wp;           /* first copied column */
        int64_t q1 = pl + iw < g->wp ? pl + iw : g->wp; /* one past the last; q1 >= q0 */
        memset(row, 0, (size_t)q0 * sizeof(float));
        memcpy(row + q0, x + sr * iw, (size_t)(q1 - q0) * sizeof(float));
        memset(row + q1, 0, (size_t)(g->wp - q1) * sizeof(float));
    }
}

/* Where 8 consecutive tiles of a block start: offsets of their patches in
 * the padded group (channel 0) and of their outputs in y (channel 0), and
 * how many rows / columns of each are inside the output. Lanes past the
 * block's last tile repeat its first tile and write nothing. */
typedef struct {
    int64_t in_off[8], out_off[8];
    int rows[8], cols[8];
} tile_group;

static void locate_tiles(const obn_conv_shape *s, const wino_geom *g, int64_t first_image, int64_t t0,
                         int64_t block_start, int64_t block_end, tile_group *tg)
{
    int64_t oh = s->out[0], ow = s->out[1], T = g->tile;
    for (int i = 0; i < 8; i++) {
        int64_t t = t0 + i, real = t < block_end;
        if (!real) t = block_start;
        int64_t img = t / g->per_image, rem = t % g->per_image, ty = rem / g->tw, tx = rem % g->tw;
        tg->in_off[i] = (img * g->c) * g->plane + T * ty * g->wp + T * tx;
        tg->out_off[i] = ((first_image + img) * g->m * oh + T * ty) * ow + T * tx;
        tg->rows[i] = real ? (int)(oh - T * ty < T ? oh - T * ty : T) : 0;
        tg->cols[i] = real ? (int)(ow - T * tx < T ? ow - T * tx : T) : 0;
    }
}

/* The tiles of one block, in groups of 8. */
typedef struct {
    int64_t groups;
    tile_group tg[OBN_WINO_MAX_BLOCK / 8];
} block_tiles;

typedef struct {
    const obn_conv_shape *s;
    wino_geom g;
    const obn_winograd_weights *u;
    const obn_conv_epilogue *ep;
    const float *x;
    float *y, *padded, *v, *mb;
    wino_input_fn input8;
    wino_output_fn output8;
    const obn_kstop *stop; /* asked per GEMM item: uneven stops cost no barrier */
} wino_job;

/* Input transform of channel c for the block's tiles [b0, b1) (indices in
 * the padded group), into V in B-panel layout: V_xi + q*C*NR + c*NR + lane
 * for tile b0 + q*NR + lane. */
static void input_channel(const wino_job *j, int64_t c, const block_tiles *bt)
{
    const wino_geom *g = &j->g;
    int nr = j->u->kr->nr;
    for (int64_t q = 0; q < bt->groups; q++) {
        const float *base[8];
        for (int i = 0; i < 8; i++) base[i] = j->padded + bt->tg[q].in_off[i] + c * g->plane;
        int64_t t = 8 * q; /* tile within the block */
        j->input8(base, g->wp, j->v + (t / nr) * g->c * nr + c * nr + t % nr, g->vxs);
    }
}

/* GEMM item (xi, row panel p) of the block: M_xi rows p*MR.. = U_xi panel p
 * times V_xi, over `cols` columns (whole NR panels). */
static void gemm_item(const wino_job *j, int64_t item, int64_t cols)
{
    const obn_sgemm_kernel *kr = j->u->kr;
    const wino_geom *g = &j->g;
    int64_t panels = j->u->panels, xi = item / panels, p = item % panels;
    const float *a = j->u->u + (xi * panels + p) * g->c * kr->mr;
    const float *vb = j->v + xi * g->vxs;
    float *c = j->mb + xi * g->mxs + p * kr->mr * g->tb;
    int64_t kc = kr->kc;
    for (int64_t q = 0; q < cols / kr->nr; q++) {
        const float *b = vb + q * g->c * kr->nr;
        for (int64_t k0 = 0; k0 < g->c; k0 += kc) {
            int64_t depth = g->c - k0 < kc ? g->c - k0 : kc;
            obn_tile_args t = {1.0f, k0 ? 1.0f : 0.0f, NULL, NULL, 0, 0.0f, 0.0f, 0, 0.0f};
            kr->ukernel(depth, a + k0 * kr->mr, b + k0 * kr->nr, c + q * kr->nr, g->tb, &t);
        }
    }
}

/* Output transform of output channel m for the block's tiles. */
static void output_channel(const wino_job *j, int64_t m, const block_tiles *bt)
{
    const wino_geom *g = &j->g;
    int64_t plane = j->s->out[0] * j->s->out[1];
    float bias = j->ep->bias ? j->ep->bias[m] : 0.0f;
    for (int64_t q = 0; q < bt->groups; q++) {
        const tile_group *tg = &bt->tg[q];
        float *out[8];
        for (int i = 0; i < 8; i++) out[i] = j->y + tg->out_off[i] + m * plane;
        j->output8(j->mb + m * g->tb + 8 * q, g->mxs, bias, j->ep, out, tg->rows, tg->cols, j->s->out[1]);
    }
}

/* One group of images: pad them, then every block of their tiles through
 * the three steps. Called by every thread of the team (or by one). */
static void run_group(const wino_job *j, int64_t first_image, int64_t images)
{
    const wino_geom *g = &j->g;
    const obn_sgemm_kernel *kr = j->u->kr;
    int64_t planes = images * g->c, tiles = images * g->per_image;
#pragma omp for schedule(static)
    for (int64_t p = 0; p < planes; p++)
        pad_plane(j->s, g, j->x + (first_image * g->c + p) * j->s->in[0] * j->s->in[1], j->padded + p * g->plane);
    for (int64_t b0 = 0; b0 < tiles; b0 += g->tb) {
        int64_t b1 = b0 + g->tb < tiles ? b0 + g->tb : tiles;
        int64_t cols = ceil_div(b1 - b0, kr->nr) * kr->nr; /* whole panels; lanes past b1 are padding */
        block_tiles bt; /* each thread its own copy: cheaper than a barrier */
        bt.groups = cols / 8;
        for (int64_t q = 0; q < bt.groups; q++) locate_tiles(j->s, g, first_image, b0 + 8 * q, b0, b1, &bt.tg[q]);
#pragma omp for schedule(static)
        for (int64_t c = 0; c < g->c; c++)
            if (!obn_kstop_hit(j->stop)) input_channel(j, c, &bt);
        int64_t items = g->xi * j->u->panels;
#pragma omp for schedule(static)
        for (int64_t it = 0; it < items; it++)
            if (!obn_kstop_hit(j->stop)) gemm_item(j, it, cols);
#pragma omp for schedule(static)
        for (int64_t m = 0; m < g->m; m++)
            if (!obn_kstop_hit(j->stop)) output_channel(j, m, &bt);
    }
}

void obn_winograd_run(const obn_conv_shape *s, const float *x, const obn_winograd_weights *u,
                      const obn_conv_epilogue *ep, float *y, void *workspace, int threads)
{
    static const obn_conv_epilogue none = {0};
    wino_job j = {s, geometry(s, u), u, ep ? ep : &none, x, y, NULL, NULL, NULL, NULL, NULL, obn_kstop_get()};
    char *ws = workspace;
    j.padded = (float *)ws;
    j.v = (float *)(ws + j.g.pad_bytes);
    j.mb = (float *)(ws + j.g.pad_bytes + j.g.v_bytes);
    int f2 = u->var == &F2;
    switch (u->kr->isa) {
    case OBN_ISA_AVX512:
        j.input8 = f2 ? obn_wino2_input8_avx512 : obn_wino_input8_avx512;
        j.output8 = f2 ? obn_wino2_output8_avx512 : obn_wino_output8_avx512;
        break;
    case OBN_ISA_AVX2:
        j.input8 = f2 ? obn_wino2_input8_avx2 : obn_wino_input8_avx2;
        j.output8 = f2 ? obn_wino2_output8_avx2 : obn_wino_output8_avx2;
        break;
    default:
        j.input8 = f2 ? obn_wino2_input8_portable : obn_wino_input8_portable;
        j.output8 = f2 ? obn_wino2_output8_portable : obn_wino_output8_portable;
    }
#pragma omp parallel num_threads(threads) if (threads > 1)
    for (int64_t b = 0; b < s->batch; b += j.g.group)
        run_group(&j, b, s->batch - b < j.g.group ? s->batch - b : j.g.group);
}
