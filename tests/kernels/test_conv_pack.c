/* Packing convolution weights with a row scale folded in
 * (obn_conv_pack_weights_scaled: a BatchNormalization folded into a Conv)
 * against packing the scaled weights computed here from the definition,
 * W'[oc][...] = (float)((double)W[oc][...] * scale[oc]): the two packed
 * forms must give bit-identical convolutions, for the Winograd F(4x4) and
 * F(2x2) paths (panels of every micro-kernel width the ISA levels have,
 * partial last panels), the GEMM paths (im2col, pointwise, grouped), on
 * every ISA level the machine has, packed with 1 and 2 threads. Scales of
 * both signs and several magnitudes, so that the double product's rounding
 * to float is exercised. Exact equality: the same kernels run on panels
 * that must hold the same floats. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv.h"
#include "kernels/cpu.h"
#include "tb_check.h"

typedef struct {
    int64_t batch, c, m, groups, in, k, stride, pad;
} pack_case;

/* batch, c, m, groups, in (square), k, stride, pad */
static const pack_case cases[] = {
    {1, 16, 16, 1, 16, 3, 1, 1},   /* Winograd F(4x4), one panel */
    {1, 19, 23, 1, 30, 3, 1, 1},   /* F(4x4), M % MR != 0 */
    {1, 32, 28, 1, 28, 3, 1, 1},   /* F(4x4), two 14-row panels (AVX-512 tile) */
    {1, 40, 37, 1, 7, 3, 1, 1},    /* F(2x2) on 7x7, partial panel */
    {3, 32, 20, 1, 7, 3, 1, 1},    /* F(2x2), batch 3 */
    {1, 24, 40, 1, 12, 1, 1, 0},   /* pointwise */
    {1, 16, 32, 1, 14, 1, 2, 0},   /* 1x1 stride 2 */
    {1, 3, 8, 1, 45, 7, 2, 3},     /* 7x7 stride 2 (im2col) */
    {1, 32, 32, 8, 15, 3, 1, 1},   /* grouped: 4 channels per group */
    {1, 64, 64, 32, 12, 3, 2, 1},  /* grouped: 2 per group, stride 2 */
};
#define N_CASES (int)(sizeof cases / sizeof cases[0])

static uint64_t rng_state;
static float rnd(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((rng_state >> 40) & 0xffff) / 32768.0f - 1.0f;
}

static void make_shape(const pack_case *c, obn_conv_shape *s)
{
    memset(s, 0, sizeof *s);
    s->nd = 2;
    s->batch = c->batch;
    s->in_channels = c->c;
    s->out_channels = c->m;
    s->groups = c->groups;
    for (int i = 0; i < 2; i++) {
        s->in[i] = c->in;
        s->kernel[i] = c->k;
        s->stride[i] = c->stride;
        s->dilation[i] = 1;
        s->pad[i] = c->pad;
        s->out[i] = (c->in + 2 * c->pad - c->k) / c->stride + 1;
    }
}

static float *run(const obn_conv_shape *s, const float *x, const obn_conv_weights *pw, const float *bias, int64_t yn)
{
    float *y = malloc((size_t)yn * sizeof *y);
    obn_conv_epilogue ep = {bias, 0, 0.0f, 0.0f, 0, 0.0f};
    size_t wsb = obn_conv_workspace_size(s, 1);
    void *ws = wsb ? aligned_alloc(64, (wsb + 63) & ~(size_t)63) : NULL;
    ck_assert_int_eq(obn_conv_run(s, x, NULL, pw, &ep, y, ws, wsb, 1), 0);
    free(ws);
    return y;
}

static void check_case(const pack_case *c, int threads)
{
    obn_conv_shape s;
    make_shape(c, &s);
    rng_state = (uint64_t)(c->c * 31 + c->m * 7 + c->in);
    int64_t xn = s.batch * s.in_channels * s.in[0] * s.in[1];
    int64_t wn = s.out_channels * (s.in_channels / s.groups) * s.kernel[0] * s.kernel[1];
    int64_t yn = s.batch * s.out_channels * s.out[0] * s.out[1], run_len = wn / s.out_channels;
    float *x = malloc((size_t)xn * 4), *w = malloc((size_t)wn * 4), *ws = malloc((size_t)wn * 4);
    float *bias = malloc((size_t)s.out_channels * 4);
    double *scale = malloc((size_t)s.out_channels * sizeof *scale);
    for (int64_t i = 0; i < xn; i++) x[i] = rnd();
    for (int64_t i = 0; i < wn; i++) w[i] = rnd();
    for (int64_t o = 0; o < s.out_channels; o++) {
        bias[o] = rnd();
        /* magnitudes 1/7 .. 7, both signs: products that do not fit a float */
        scale[o] = (o % 3 == 0 ? -1.0 : 1.0) * (1.0 + 6.0 * (rnd() + 1.0) / 2.0) / (o % 2 ? 7.0 : 1.0);
    }
    for (int64_t o = 0; o < s.out_channels; o++)
        for (int64_t i = o * run_len; i < (o + 1) * run_len; i++) ws[i] = (float)((double)w[i] * scale[o]);
    int none_a = 0, none_b = 0;
    obn_conv_weights *a = obn_conv_pack_weights(&s, ws, &none_a);
    obn_conv_weights *b = obn_conv_pack_weights_scaled(&s, w, scale, threads, &none_b);
    /* grouped shapes may take the direct kernel on some levels: no packing */
    ck_assert_msg(a ? b != NULL : none_a && none_b && !b, "case c %lld m %lld g %lld: packed %d/%d", (long long)c->c,
                  (long long)c->m, (long long)c->groups, a != NULL, b != NULL);
    float *ya = NULL, *yb = NULL;
    if (!a) goto done;
    ya = run(&s, x, a, bias, yn);
    yb = run(&s, x, b, bias, yn);
    for (int64_t i = 0; i < yn; i++)
        ck_assert_msg(memcmp(&ya[i], &yb[i], sizeof(float)) == 0,
                      "case c %lld m %lld g %lld in %lld k %lld, isa %s, packed with %d threads: y[%lld] %.9g vs %.9g",
                      (long long)c->c, (long long)c->m, (long long)c->groups, (long long)c->in, (long long)c->k,
                      obn_isa_name(obn_cpu_isa()), threads, (long long)i, ya[i], yb[i]);
done:
    obn_conv_weights_free(a);
    obn_conv_weights_free(b);
    free(ya);
    free(yb);
    free(x);
    free(w);
    free(ws);
    free(bias);
    free(scale);
}

/* _i: ISA level * 2 + (threads - 1) */
START_TEST(scaled_packing_is_packing_the_product)
{
    int level = _i / 2, threads = 1 + _i % 2;
    if (level > (int)obn_cpu_detect()) return;
    ck_assert_int_eq(obn_cpu_force((obn_isa)level), level);
    for (int i = 0; i < N_CASES; i++) check_case(&cases[i], threads);
}
END_TEST

/* Shapes that need no packing say so, with or without a scale. */
START_TEST(depthwise_needs_none)
{
    pack_case c = {1, 8, 8, 8, 17, 3, 1, 1};
    obn_conv_shape s;
    make_shape(&c, &s);
    float w[8 * 9] = {0};
    double scale[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    int none = 0;
    ck_assert_ptr_null(obn_conv_pack_weights_scaled(&s, w, scale, 2, &none));
    ck_assert_int_eq(none, 1);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("conv weight packing");
    TCase *t = tcase_create("pack");
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, scaled_packing_is_packing_the_product, 0, 6);
    tcase_add_test(t, depthwise_needs_none);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
