/* The convolution kernel (obn_conv_run) against a direct convolution in
 * double written here from the definition (every output, every input
 * channel of its group, every tap; taps outside the input read zero), for
 * every ISA level the machine has (obn_cpu_force), 1 and 2 threads, with
 * and without pre-packed weights and a workspace of the size asked for.
 * Shapes are picked to reach every path: im2col from the padded copy with
 * one or several column chunks, split between threads or not (wide and
 * narrow outputs, K beyond the chunk cache budget), strides and dilations
 * (phase planes), output rows shorter than a panel (several runs per
 * panel), 1-D, 3-D (generic im2col), pointwise, grouped and depthwise
 * (multipliers, 3x3/5x5, strides 1 and 2; the in-place vector kernel's
 * masked edges at every width around its 8 and 16 lanes), and every
 * epilogue.
 * Tolerance: 1e-5 * sum|x*w| + 1e-6 per output (float rounding over the
 * few thousand terms here stays far below; an index error does not). */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/cpu.h"
#include "kernels/peak.h"
#include "tb_check.h"

#define SENTINEL 777.0f

typedef struct {
    int nd;
    int64_t batch, c, m, groups;
    int64_t in[3], k[3], stride[3], dil[3], pad[3]; /* leading pad; trailing pad = same */
    int epi; /* 0 none, 1 bias, 2 bias+relu, 3 bias+clip, 4 leaky, 5 bias+clip+leaky */
} conv_case;

static uint64_t rng_state;
static float rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) & 0xffff) / 32768.0f - 1.0f;
}

static void make_shape(const conv_case *c, obn_conv_shape *s)
{
    memset(s, 0, sizeof *s);
    s->nd = c->nd;
    s->batch = c->batch;
    s->in_channels = c->c;
    s->out_channels = c->m;
    s->groups = c->groups;
    for (int i = 0; i < c->nd; i++) {
        s->in[i] = c->in[i];
        s->kernel[i] = c->k[i];
        s->stride[i] = c->stride[i] ? c->stride[i] : 1;
        s->dilation[i] = c->dil[i] ? c->dil[i] : 1;
        s->pad[i] = c->pad[i];
        int64_t dk = (s->kernel[i] - 1) * s->dilation[i] + 1;
        s->out[i] = (s->in[i] + 2 * s->pad[i] - dk) / s->stride[i] + 1;
    }
}

static int64_t volume(const int64_t *d, int nd)
{
    int64_t v = 1;
    for (int i = 0; i < nd; i++) v *= d[i];
    return v;
}

/* y[b][m][o...] in double, and sum |x*w| per output for the tolerance. */
static void reference(const obn_conv_shape *s, const float *x, const float *w, const float *bias, double *y,
                      double *mag)
{
    int64_t cg = s->in_channels / s->groups, mg = s->out_channels / s->groups;
    int64_t on = volume(s->out, s->nd), in = volume(s->in, s->nd), kv = volume(s->kernel, s->nd);
    for (int64_t b = 0; b < s->batch; b++)
        for (int64_t m = 0; m < s->out_channels; m++)
            for (int64_t o = 0; o < on; o++) {
                int64_t oi[3] = {0, 0, 0}, rem = o;
                for (int d = s->nd - 1; d >= 0; d--) oi[d] = rem % s->out[d], rem /= s->out[d];
                double acc = bias ? bias[m] : 0.0, sum = 0.0;
                for (int64_t ci = 0; ci < cg; ci++) {
                    int64_t c = (m / mg) * cg + ci;
                    for (int64_t t = 0; t < kv; t++) {
                        int64_t ki[3] = {0, 0, 0}, r = t, pos = 0;
                        for (int d = s->nd - 1; d >= 0; d--) ki[d] = r % s->kernel[d], r /= s->kernel[d];
                        int inside = 1;
                        for (int d = 0; d < s->nd; d++) {
                            int64_t p = oi[d] * s->stride[d] - s->pad[d] + ki[d] * s->dilation[d];
                            inside &= p >= 0 && p < s->in[d];
                            pos = pos * s->in[d] + p;
                        }
                        if (!inside) continue;
                        double xv = x[(b * s->in_channels + c) * in + pos], wv = w[(m * cg + ci) * kv + t];
                        acc += xv * wv;
                        sum += fabs(xv * wv);
                    }
                }
                y[(b * s->out_channels + m) * on + o] = acc;
                mag[(b * s->out_channels + m) * on + o] = sum;
            }
}

static double apply_epi(double v, const obn_conv_epilogue *ep)
{
    if (ep->clamp) v = v < ep->lo ? ep->lo : v > ep->hi ? ep->hi : v;
    if (ep->leaky && v < 0) v *= ep->slope;
    return v;
}

static void check_case(const conv_case *c, int threads, int packed)
{
    obn_conv_shape s;
    make_shape(c, &s);
    rng_state = (uint64_t)(c->c * 1009 + c->m * 131 + c->in[0] * 17 + c->k[0] * 7 + c->groups);
    int64_t xn = s.batch * s.in_channels * volume(s.in, s.nd), kv = volume(s.kernel, s.nd);
    int64_t wn = s.out_channels * (s.in_channels / s.groups) * kv, yn = s.batch * s.out_channels * volume(s.out, s.nd);
    float *x = malloc((size_t)xn * 4), *w = malloc((size_t)wn * 4), *bias = malloc((size_t)s.out_channels * 4);
    float *y = malloc((size_t)(yn + 1) * 4);
    double *want = malloc((size_t)yn * 8), *mag = malloc((size_t)yn * 8);
    for (int64_t i = 0; i < xn; i++) x[i] = rnd();
    for (int64_t i = 0; i < wn; i++) w[i] = rnd();
    for (int64_t i = 0; i < s.out_channels; i++) bias[i] = rnd();
    for (int64_t i = 0; i <= yn; i++) y[i] = SENTINEL;
    obn_conv_epilogue ep = {NULL, 0, 0.0f, 0.0f, 0, 0.0f};
    if (c->epi == 1 || c->epi == 2 || c->epi == 3 || c->epi == 5) ep.bias = bias;
    if (c->epi == 2) ep.clamp = 1, ep.lo = 0.0f, ep.hi = INFINITY;
    if (c->epi == 3 || c->epi == 5) ep.clamp = 1, ep.lo = -0.5f, ep.hi = 0.75f;
    if (c->epi == 4 || c->epi == 5) ep.leaky = 1, ep.slope = 0.125f;
    reference(&s, x, w, ep.bias, want, mag);
    int none = 0;
    obn_conv_weights *pw = packed ? obn_conv_pack_weights(&s, w, &none) : NULL;
    if (packed) ck_assert(pw || none);
    size_t wsb = obn_conv_workspace_size(&s, threads);
    void *ws = wsb ? aligned_alloc(64, (wsb + 63) & ~(size_t)63) : NULL;
    ck_assert_int_eq(obn_conv_run(&s, x, w, pw, &ep, y, ws, wsb, threads), 0);
    for (int64_t i = 0; i < yn; i++) {
        double v = apply_epi(want[i], &ep), tol = 1e-5 * mag[i] + 1e-6;
        ck_assert_msg(fabs(y[i] - v) <= tol,
                      "nd %d c %lld m %lld g %lld in %lld k %lld s %lld d %lld p %lld, threads %d packed %d isa %s: "
                      "y[%lld] = %.7g, expected %.7g",
                      c->nd, (long long)c->c, (long long)c->m, (long long)c->groups, (long long)c->in[0],
                      (long long)c->k[0], (long long)s.stride[0], (long long)s.dilation[0], (long long)c->pad[0],
                      threads, packed, obn_isa_name(obn_cpu_isa()), (long long)i, y[i], v);
    }
    ck_assert_msg(y[yn] == SENTINEL, "wrote past the output");
    obn_conv_weights_free(pw);
    free(ws);
    free(x);
    free(w);
    free(bias);
    free(y);
    free(want);
    free(mag);
}

/* nd, batch, c, m, groups, in, k, stride, dilation, pad, epilogue */
static const conv_case cases[] = {
    /* im2col from the padded copy: one chunk, several chunks, thread split */
    {2, 1, 3, 5, 1, {9, 11}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},
    {2, 1, 16, 24, 1, {40, 37}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},  /* 1480 columns, K 144 */
    {2, 2, 64, 13, 1, {23, 21}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 3},  /* K 576: chunks of 96 */
    {2, 1, 300, 7, 1, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 5},   /* K 2700 > cache budget */
    {2, 1, 3, 8, 1, {45, 47}, {7, 7}, {2, 2}, {1, 1}, {3, 3}, 2},    /* stem: stride 2, phase planes */
    {2, 1, 5, 6, 1, {17, 19}, {3, 2}, {3, 2}, {2, 3}, {2, 1}, 4},    /* strides 3/2, dilations 2/3 */
    {2, 1, 8, 9, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},      /* 7-wide rows: 3 runs per panel */
    {2, 1, 6, 4, 1, {3, 40}, {1, 5}, {1, 3}, {1, 1}, {0, 4}, 1},     /* wide pad, stride 3 */
    {2, 1, 4, 4, 1, {5, 2}, {3, 3}, {2, 1}, {1, 1}, {1, 1}, 0},      /* 1-2 wide rows */
    {2, 1, 16, 32, 1, {14, 14}, {1, 1}, {2, 2}, {1, 1}, {0, 0}, 1},  /* 1x1 stride 2 (downsample) */
    {1, 1, 7, 9, 1, {50}, {5}, {2}, {1}, {2}, 2},                    /* 1-D */
    {1, 2, 4, 6, 2, {33}, {3}, {1}, {2}, {2}, 1},                    /* 1-D, grouped, dilated */
    {3, 1, 3, 4, 1, {5, 6, 7}, {3, 3, 3}, {1, 2, 1}, {1, 1, 1}, {1, 1, 1}, 1}, /* generic im2col */
    /* pointwise */
    {2, 1, 24, 40, 1, {12, 13}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, 2},
    {2, 1, 300, 20, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, 5},   /* one position (squeeze-excitation) */
    {2, 5, 20, 300, 1, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {0, 0}, 3},   /* one position, batch 5 */
    {1, 3, 7, 9, 1, {1}, {1}, {1}, {1}, {0}, 1},                     /* one position, 1-D */
    /* grouped */
    {2, 1, 32, 32, 8, {15, 17}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},  /* 4 channels per group */
    {2, 1, 64, 64, 32, {12, 12}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 1}, /* 2 per group, stride 2 */
    {2, 2, 12, 18, 3, {9, 8}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 3},
    /* depthwise */
    {2, 1, 16, 16, 16, {19, 21}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 3},
    {2, 1, 24, 24, 24, {20, 23}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 2},
    {2, 1, 8, 8, 8, {17, 18}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, 1},
    {2, 2, 8, 8, 8, {21, 16}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, 5},
    {2, 1, 6, 12, 6, {9, 35}, {3, 3}, {1, 2}, {2, 1}, {2, 1}, 4},    /* multiplier 2, dilation */
    {2, 1, 5, 5, 5, {4, 3}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},      /* narrower than a vector */
    {2, 1, 4, 4, 4, {7, 9}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, 0},      /* no padding */
    {2, 1, 3, 3, 3, {11, 10}, {7, 7}, {3, 3}, {1, 1}, {3, 3}, 2},
    {1, 1, 8, 8, 8, {70}, {3}, {1}, {1}, {1}, 2},                    /* 1-D depthwise */
    /* depthwise, in-place vector kernel (AVX2 8 / AVX-512 16 lanes): rows
     * shorter than, equal to and just past one and two vectors (masked
     * edges on both sides, masked tail stores), blocks of 8x1 and 4x2
     * with rows past the output, 3x3 and 5x5, strides 1 and 2, pads 0..3 */
    {2, 1, 3, 3, 3, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 3},      /* 7x7: one short vector */
    {2, 2, 5, 5, 5, {14, 14}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 2},    /* 14 -> 7, stride 2 */
    {2, 1, 4, 4, 4, {16, 16}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},    /* exactly 16 wide */
    {2, 1, 4, 4, 4, {13, 17}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, 5},    /* 17 wide, 5x5 */
    {2, 1, 3, 3, 3, {9, 33}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},     /* 33 wide: two blocks */
    {2, 1, 3, 3, 3, {11, 67}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 4},    /* stride 2, 34 outputs */
    {2, 1, 2, 2, 2, {15, 61}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, 1},    /* 5x5 stride 2, odd */
    {2, 1, 2, 2, 2, {12, 40}, {5, 5}, {2, 2}, {1, 1}, {0, 0}, 3},    /* 5x5 stride 2, no pad */
    {2, 1, 3, 3, 3, {10, 29}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, 1},    /* 3x3, no pad */
    {2, 1, 3, 3, 3, {6, 21}, {5, 5}, {1, 1}, {1, 1}, {3, 3}, 2},     /* pad wider than half the kernel */
    {2, 1, 2, 2, 2, {3, 5}, {5, 5}, {2, 2}, {1, 1}, {2, 2}, 0},      /* tiny: every tap an edge */
    {2, 1, 4, 8, 4, {19, 26}, {3, 3}, {2, 2}, {1, 1}, {1, 1}, 5},    /* multiplier 2, stride 2 */
    {2, 3, 6, 6, 6, {28, 28}, {5, 5}, {1, 1}, {1, 1}, {2, 2}, 2},    /* batch 3, 28x28 5x5 */
    {2, 1, 2, 2, 2, {9, 12}, {3, 3}, {1, 1}, {2, 2}, {2, 2}, 1},     /* dilation 2: row kernel */
    {2, 1, 4, 4, 4, {14, 14}, {7, 7}, {1, 1}, {1, 1}, {3, 3}, 2},    /* ConvNeXt 7x7 on 14x14 */
    {2, 2, 3, 3, 3, {7, 7}, {7, 7}, {1, 1}, {1, 1}, {3, 3}, 1},      /* 7x7 on 7x7: every tap an edge */
    {2, 1, 3, 3, 3, {9, 37}, {7, 7}, {1, 1}, {1, 1}, {3, 3}, 4},     /* 7x7, 37 wide: two blocks + tail */
    {2, 1, 2, 2, 2, {20, 35}, {7, 7}, {2, 2}, {1, 1}, {3, 3}, 2},    /* 7x7 stride 2 */
    {2, 1, 2, 2, 2, {11, 19}, {7, 7}, {1, 1}, {1, 1}, {0, 0}, 3},    /* 7x7 no pad */
    /* Winograd (3x3, stride 1, >= 16 channels, >= 16 tiles of 2x2): F(4x4),
     * or F(2x2) when fewer than 16 4x4 tiles */
    {2, 1, 16, 16, 1, {16, 16}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},  /* 16 tiles: one panel */
    {2, 1, 19, 23, 1, {30, 27}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},  /* partial edge tiles, M % MR */
    {2, 3, 32, 20, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 5},    /* F(2x2): 16 tiles per image, blocks shared */
    {2, 1, 270, 19, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},   /* F(2x2), C beyond one K block */
    {2, 2, 16, 16, 1, {5, 9}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 4},    /* F(2x2), odd sizes: edge tiles */
    {2, 5, 16, 16, 1, {7, 7}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},    /* F(4x4) with 4 tiles per image */
    {2, 2, 16, 24, 1, {13, 9}, {3, 3}, {1, 1}, {1, 1}, {0, 0}, 3},   /* no padding */
    {2, 1, 24, 16, 1, {10, 22}, {3, 3}, {1, 1}, {1, 1}, {2, 2}, 4},  /* padding 2 */
    {2, 1, 300, 17, 1, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},  /* C beyond one K block */
    {2, 1, 64, 64, 1, {56, 56}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},  /* several blocks (ResNet layer 1) */
    {2, 1, 128, 32, 1, {28, 28}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2}, /* DenseNet: C x tb planes of 4 KiB multiples, skewed */
    /* Winograd on the AVX-512 14x32 tile (AVX-512 CPUs take it where it
     * pads the GEMMs no more than the 6x16 one: M a multiple of 14) */
    {2, 1, 16, 28, 1, {30, 27}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 2},  /* F(4x4), 56 tiles, edge tiles */
    {2, 2, 24, 14, 1, {9, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 5},   /* F(4x4), blocks across images */
    {2, 1, 300, 28, 1, {9, 10}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},  /* F(2x2), C beyond one K block */
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

/* _i: ISA level * 2 + (threads - 1) */
START_TEST(every_path_every_isa_and_threads)
{
    int level = _i / 2, threads = 1 + _i % 2;
    if (level > (int)obn_cpu_detect()) return;
    ck_assert_int_eq(obn_cpu_force((obn_isa)level), level);
    for (int i = 0; i < N_CASES; i++)
        for (int packed = 0; packed < 2; packed++) check_case(&cases[i], threads, packed);
}
END_TEST

/* On AVX-512 CPUs the GEMM and Winograd paths choose between the 14x32 and
 * the 6x16 tile by whether 512-bit FMAs run at full rate (peak.h): both
 * choices, whatever this CPU measured. */
START_TEST(avx512_both_fma_rates)
{
    if (obn_cpu_detect() < OBN_ISA_AVX512) return;
    int measured = obn_peak_avx512_full_rate();
    ck_assert_int_eq(obn_cpu_force(OBN_ISA_AVX512), OBN_ISA_AVX512);
    obn_peak_force_avx512_full_rate(!measured);
    for (int i = 0; i < N_CASES; i++)
        for (int packed = 0; packed < 2; packed++) check_case(&cases[i], 1 + packed, packed);
    obn_peak_force_avx512_full_rate(measured);
}
END_TEST

/* The same cases with Winograd turned off: the 3x3 shapes then take the
 * im2col path, which must agree too. */
START_TEST(without_winograd)
{
    obn_conv_set_winograd(0);
    for (int i = 0; i < N_CASES; i++) check_case(&cases[i], 2, 1);
    obn_conv_set_winograd(1);
}
END_TEST

/* Without a workspace obn_conv_run allocates its own. */
START_TEST(no_workspace)
{
    obn_conv_shape s;
    make_shape(&cases[2], &s);
    float *x = calloc((size_t)(s.batch * s.in_channels * volume(s.in, 2)), 4);
    float *w = calloc((size_t)(s.out_channels * s.in_channels * 9), 4);
    float *y = malloc((size_t)(s.batch * s.out_channels * volume(s.out, 2)) * 4);
    obn_conv_epilogue ep = {NULL, 0, 0.0f, 0.0f, 0, 0.0f};
    ck_assert_int_eq(obn_conv_run(&s, x, w, NULL, &ep, y, NULL, 0, 2), 0);
    ck_assert(y[0] == 0.0f);
    free(x);
    free(w);
    free(y);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conv kernel");
    TCase *t = tcase_create("conv");
    tcase_set_timeout(t, 300);
    tcase_add_loop_test(t, every_path_every_isa_and_threads, 0, 6);
    tcase_add_test(t, avx512_both_fma_rates);
    tcase_add_test(t, without_winograd);
    tcase_add_test(t, no_workspace);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
