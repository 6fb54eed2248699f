/* The FFT of fft.h for one element type, included by fft.c with
 *   FT  the element type (double, float)
 *   FS  the name suffix (f64, f32)
 * Plan memory: a fft_plan header, then FT arrays of 2n each: the twiddles
 * of every pass, the cos/sin tables of the odd passes, the scratch vector,
 * and the odd passes' butterfly sums. */
#define FFT_CAT_(a, b) a##_##b
#define FFT_CAT(a, b) FFT_CAT_(a, b)
#define FFT_FN(name) FFT_CAT(name, FS)

/* 8n + 4 elements: the odd passes' sums take 2(ip + 1) <= 2n + 2. */
size_t FFT_FN(obn_fft_plan_bytes)(int64_t n) { return sizeof(fft_plan) + ((size_t)n * 8 + 4) * sizeof(FT); }

static FT *FFT_FN(plan_data)(void *plan) { return (FT *)((char *)plan + sizeof(fft_plan)); }

void FFT_FN(obn_fft_plan)(void *mem, int64_t n)
{
    fft_plan *p = mem;
    fft_factorize(p, n);
    FT *base = FFT_FN(plan_data)(mem);
    size_t tw = 0, cs = 2 * (size_t)n;
    int64_t l1 = 1;
    for (int f = 0; f < p->nf; f++) {
        int64_t ip = p->fct[f], ido = n / (l1 * ip), len = ido * ip;
        p->tw[f] = tw;
        /* tw(i, m) = exp(2 pi i * i*m / (ido*ip)) for i in [1, ido), m in [1, ip) */
        for (int64_t i = 1; i < ido; i++)
            for (int64_t m = 1; m < ip; m++) {
                double c, s;
                fft_unit_root(i * m % len, len, &c, &s);
                base[tw++] = (FT)c;
                base[tw++] = (FT)s;
            }
        p->cs[f] = cs;
        if (ip != 2 && ip != 4) {
            /* cos, sin of 2 pi k / ip for k in [0, ip) */
            for (int64_t k = 0; k < ip; k++) {
                double c, s;
                fft_unit_root(k, ip, &c, &s);
                base[cs++] = (FT)c;
                base[cs++] = (FT)s;
            }
        }
        l1 *= ip;
    }
}

/* CC(i, j, k) = cc[i + ido*(j + ip*k)], CH(i, k, m) = ch[i + ido*(k + l1*m)]
 * (complex indices); each pass takes the ip-point DFT of CC(i, ., k) and
 * multiplies output m by tw(i, m). */
static inline void FFT_FN(twiddle_store)(FT *out, FT ur, FT ui, const FT *w, FT sg)
{
    FT wr = w[0], wi = sg * w[1];
    out[0] = ur * wr - ui * wi;
    out[1] = ur * wi + ui * wr;
}

static void FFT_FN(pass2)(int64_t l1, int64_t ido, const FT *cc, FT *ch, const FT *tw, FT sg)
{
    for (int64_t k = 0; k < l1; k++)
        for (int64_t i = 0; i < ido; i++) {
            const FT *a = cc + 2 * (i + ido * 2 * k), *b = a + 2 * ido;
            FT *o0 = ch + 2 * (i + ido * k), *o1 = o0 + 2 * ido * l1;
            FT dr = a[0] - b[0], di = a[1] - b[1];
            o0[0] = a[0] + b[0];
            o0[1] = a[1] + b[1];
            if (i == 0) {
                o1[0] = dr;
                o1[1] = di;
            } else {
                FFT_FN(twiddle_store)(o1, dr, di, tw + 2 * (i - 1), sg);
            }
        }
}

static void FFT_FN(pass4)(int64_t l1, int64_t ido, const FT *cc, FT *ch, const FT *tw, FT sg)
{
    const int64_t s = 2 * ido, so = 2 * ido * l1;
    for (int64_t k = 0; k < l1; k++)
        for (int64_t i = 0; i < ido; i++) {
            const FT *v = cc + 2 * (i + ido * 4 * k);
            FT *o = ch + 2 * (i + ido * k);
            FT t1r = v[0] + v[2 * s], t1i = v[1] + v[2 * s + 1];
            FT t2r = v[0] - v[2 * s], t2i = v[1] - v[2 * s + 1];
            FT t3r = v[s] + v[3 * s], t3i = v[s + 1] + v[3 * s + 1];
            FT t4r = v[s] - v[3 * s], t4i = v[s + 1] - v[3 * s + 1];
            /* u1 = t2 + i*sg*t4, u3 = t2 - i*sg*t4 */
            FT rr = sg * t4r, ri = sg * t4i;
            FT u[8] = {t1r + t3r, t1i + t3i, t2r - ri, t2i + rr, t1r - t3r, t1i - t3i, t2r + ri, t2i - rr};
            o[0] = u[0];
            o[1] = u[1];
            for (int m = 1; m < 4; m++) {
                FT *om = o + m * so;
                if (i == 0) {
                    om[0] = u[2 * m];
                    om[1] = u[2 * m + 1];
                } else {
                    FFT_FN(twiddle_store)(om, u[2 * m], u[2 * m + 1], tw + 2 * ((i - 1) * 3 + (m - 1)), sg);
                }
            }
        }
}

/* Odd ip: with tp_j = v_j + v_{ip-j}, tm_j = v_j - v_{ip-j} (j in [1, h],
 * h = (ip-1)/2), u_0 = v_0 + sum tp_j and, for m in [1, h],
 *   u_m, u_{ip-m} = ca_m +- i*cb_m,  ca_m = v_0 + sum_j cos(2 pi jm/ip) tp_j,
 *   cb_m = sg * sum_j sin(2 pi jm/ip) tm_j,
 * every sum taken in order of j. */
static void FFT_FN(pass_odd)(int64_t ip, int64_t l1, int64_t ido, const FT *cc, FT *ch, const FT *tw, const FT *cs, FT *tmp, FT sg,
                             const obn_kstop *stop)
{
    const int64_t h = (ip - 1) / 2, s = 2 * ido, so = 2 * ido * l1;
    FT *tp = tmp, *tm = tmp + 2 * (h + 1);
    /* one poll per ~64k operations: each output m costs ~h */
    const long long every = obn_kstop_every((double)h);
    long long steps = 0;
    int stopped = 0;
    for (int64_t k = 0; k < l1; k++)
        for (int64_t i = 0; i < ido; i++) {
            const FT *v = cc + 2 * (i + ido * ip * k);
            FT *o = ch + 2 * (i + ido * k);
            FT v0r = v[0], v0i = v[1], sr = v0r, si = v0i;
            for (int64_t j = 1; j <= h; j++) {
                const FT *a = v + j * s, *b = v + (ip - j) * s;
                tp[2 * j] = a[0] + b[0];
                tp[2 * j + 1] = a[1] + b[1];
                tm[2 * j] = a[0] - b[0];
                tm[2 * j + 1] = a[1] - b[1];
                sr += tp[2 * j];
                si += tp[2 * j + 1];
            }
            o[0] = sr;
            o[1] = si;
            for (int64_t m = 1; m <= h; m++) {
                if (obn_kstop_step(stop, &stopped, steps++, every)) return;
                FT car = v0r, cai = v0i, cbr = 0, cbi = 0;
                int64_t idx = 0;
                for (int64_t j = 1; j <= h; j++) {
                    idx += m;
                    if (idx >= ip) idx -= ip;
                    FT c = cs[2 * idx], sn = sg * cs[2 * idx + 1];
                    car += c * tp[2 * j];
                    cai += c * tp[2 * j + 1];
                    if (j == 1) {
                        cbr = sn * tm[2 * j];
                        cbi = sn * tm[2 * j + 1];
                    } else {
                        cbr += sn * tm[2 * j];
                        cbi += sn * tm[2 * j + 1];
                    }
                }
                /* u_m = ca + i*cb, u_{ip-m} = ca - i*cb */
                FT u1r = car - cbi, u1i = cai + cbr, u2r = car + cbi, u2i = cai - cbr;
                FT *om = o + m * so, *on = o + (ip - m) * so;
                if (i == 0) {
                    om[0] = u1r;
                    om[1] = u1i;
                    on[0] = u2r;
                    on[1] = u2i;
                } else {
                    const FT *w = tw + 2 * (i - 1) * (ip - 1);
                    FFT_FN(twiddle_store)(om, u1r, u1i, w + 2 * (m - 1), sg);
                    FFT_FN(twiddle_store)(on, u2r, u2i, w + 2 * (ip - m - 1), sg);
                }
            }
        }
}

void FFT_FN(obn_fft)(void *mem, FT *data, int sign)
{
    const fft_plan *p = mem;
    const int64_t n = p->n;
    FT *base = FFT_FN(plan_data)(mem), *scratch = base + 4 * (size_t)n, *tmp = base + 6 * (size_t)n;
    const FT sg = sign < 0 ? (FT)-1 : (FT)1;
    const obn_kstop *stop = obn_kstop_get();
    FT *src = data, *dst = scratch;
    int64_t l1 = 1;
    for (int f = 0; f < p->nf; f++) {
        int64_t ip = p->fct[f], ido = n / (l1 * ip);
        const FT *tw = base + p->tw[f];
        if (ip == 2) FFT_FN(pass2)(l1, ido, src, dst, tw, sg);
        else if (ip == 4) FFT_FN(pass4)(l1, ido, src, dst, tw, sg);
        else FFT_FN(pass_odd)(ip, l1, ido, src, dst, tw, base + p->cs[f], tmp, sg, stop);
        FT *t = src;
        src = dst;
        dst = t;
        l1 *= ip;
    }
    if (src != data) memcpy(data, src, (size_t)n * 2 * sizeof(FT));
}

/* Real input, even n = 2h: the h-point complex FFT of z_k = x_2k + i x_2k+1
 * (the reals as they lie), then E_m = (Z_m + conj Z_{h-m}) / 2 and O_m =
 * (Z_m - conj Z_{h-m}) / 2i, the spectra of the even and odd samples, give
 * X_m = E_m + W^m O_m for m in [0, h]. Plan: the h-point plan, then the h
 * twiddles W^m = exp(-2 pi i m / n). */
static size_t FFT_FN(rplan_head)(int64_t n) { return (FFT_FN(obn_fft_plan_bytes)(n / 2) + 63) / 64 * 64; }

size_t FFT_FN(obn_rfft_plan_bytes)(int64_t n) { return FFT_FN(rplan_head)(n) + (size_t)n * sizeof(FT); }

void FFT_FN(obn_rfft_plan)(void *mem, int64_t n)
{
    int64_t h = n / 2;
    FFT_FN(obn_fft_plan)(mem, h);
    FT *w = (FT *)((char *)mem + FFT_FN(rplan_head)(n));
    for (int64_t m = 0; m < h; m++) {
        double c, s;
        fft_unit_root(m, n, &c, &s);
        w[2 * m] = (FT)c;
        w[2 * m + 1] = (FT)-s;
    }
}

void FFT_FN(obn_rfft)(void *mem, FT *x, FT *out)
{
    const int64_t h = ((const fft_plan *)mem)->n;
    const FT *w = (const FT *)((const char *)mem + FFT_FN(rplan_head)(2 * h));
    FFT_FN(obn_fft)(mem, x, -1);
    const FT half = (FT)0.5;
    /* m = 0 and m = h: E_0 = Re Z_0, O_0 = Im Z_0, both real */
    out[0] = x[0] + x[1];
    out[1] = 0;
    out[2 * h] = x[0] - x[1];
    out[2 * h + 1] = 0;
    for (int64_t m = 1; m < h; m++) {
        FT ar = x[2 * m], ai = x[2 * m + 1], br = x[2 * (h - m)], bi = -x[2 * (h - m) + 1];
        FT er = half * (ar + br), ei = half * (ai + bi);
        /* O = (a - b) / 2i = (ai - bi, -(ar - br)) / 2 */
        FT or_ = half * (ai - bi), oi = -half * (ar - br);
        FT wr = w[2 * m], wi = w[2 * m + 1];
        out[2 * m] = er + (or_ * wr - oi * wi);
        out[2 * m + 1] = ei + (or_ * wi + oi * wr);
    }
}

#undef FFT_FN
#undef FFT_CAT
#undef FFT_CAT_
