/* onnxbn bench MODEL [--runs N] [--warmup N] [--threads N] [--batch B]
 *                    [--no-fuse] [--seed S] [--json]
 * Times obn_session_run on seeded random inputs and reports the median, the
 * spread and throughput, the time to load the model and to create the
 * session, the planned arena, the peak resident set of the process and the
 * kernels' ISA. Timing lives here (and in bench/), never in tests. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"

typedef struct {
    const char *model;
    long runs, warmup, threads, batch;
    int passes, json;
    uint64_t seed;
} bench_args;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int parse(int argc, char **argv, bench_args *a)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        long *target = NULL, lo = 1, hi = 1000000;
        if (strcmp(arg, "--runs") == 0) target = &a->runs;
        else if (strcmp(arg, "--warmup") == 0) target = &a->warmup, lo = 0;
        else if (strcmp(arg, "--threads") == 0) target = &a->threads, hi = 1024;
        else if (strcmp(arg, "--batch") == 0) target = &a->batch, hi = 65536;
        else if (strcmp(arg, "--no-fuse") == 0) a->passes = 0;
        else if (strcmp(arg, "--json") == 0) a->json = 1;
        else if (strcmp(arg, "--plugin") == 0) {
            if (cli_add_plugin("bench", val)) return CLI_USAGE;
            i++;
        }
        else if (strcmp(arg, "--seed") == 0) {
            long s;
            if (cli_parse_int(val, 0, 2147483647L, &s)) return cli_usage("bench: --seed needs a non-negative number");
            a->seed = (uint64_t)s;
            i++;
        } else if (arg[0] == '-') return cli_usage("bench: unknown option '%s'", arg);
        else if (a->model) return cli_usage("bench: more than one model given");
        else a->model = arg;
        if (target) {
            if (cli_parse_int(val, lo, hi, target)) return cli_usage("bench: %s needs a number from %ld to %ld", arg, lo, hi);
            i++;
        }
    }
    if (!a->model) return cli_usage("bench: no model given");
    return 0;
}

/* Random inputs shaped like the model's; symbolic dims are 1, except a
 * symbolic leading (batch) dim which takes --batch. */
static int make_inputs(const obn_model *m, const bench_args *a, obn_tensor **ins, const char **names)
{
    uint64_t rng = a->seed;
    for (size_t i = 0; i < obn_model_input_count(m); i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        int64_t dims[OBN_MAX_RANK];
        size_t rank = vi.rank == (size_t)-1 ? 0 : vi.rank;
        for (size_t d = 0; d < rank; d++) dims[d] = vi.dims[d] >= 0 ? vi.dims[d] : (d == 0 ? a->batch : 1);
        obn_status s = obn_tensor_create(vi.dtype, rank, dims, NULL, &ins[i]);
        if (s != OBN_OK) return cli_error(s);
        cli_fill_random(ins[i], &rng);
        names[i] = vi.name;
    }
    return 0;
}

int cmd_bench(int argc, char **argv)
{
    bench_args a = {NULL, 20, 3, 0, 1, 1, 0, 0};
    int rc = parse(argc, argv, &a);
    if (rc) return rc;
    obn_model *m = NULL;
    obn_session *sess = NULL;
    double t_load0 = now_ms();
    obn_status s = cli_load_model(a.model, NULL, &m);
    if (s != OBN_OK) return cli_error(s);
    double t_load = now_ms() - t_load0;
    size_t n_in = obn_model_input_count(m), n_out = obn_model_output_count(m);
    obn_tensor **ins = calloc(n_in + 1, sizeof *ins);
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **outs = calloc(n_out + 1, sizeof *outs);
    double *times = calloc((size_t)a.runs, sizeof *times);
    obn_session_options opts;
    obn_session_options_init(&opts);
    opts.threads = (int)a.threads;
    opts.enable_passes = a.passes;
    if (!ins || !names || !outs || !times) {
        rc = cli_usage("out of memory");
        goto done;
    }
    double t0 = now_ms();
    if ((s = obn_session_create(m, &opts, &sess)) != OBN_OK) {
        rc = cli_error(s);
        goto done;
    }
    double t_create = now_ms() - t0;
    if ((rc = make_inputs(m, &a, ins, names))) goto done;
    for (long i = 0; i < a.warmup + a.runs; i++) {
        double start = now_ms();
        s = obn_session_run(sess, n_in, names, (const obn_tensor *const *)ins, n_out, NULL, outs);
        if (s != OBN_OK) {
            rc = cli_error(s);
            goto done;
        }
        if (i >= a.warmup) times[i - a.warmup] = now_ms() - start;
    }
    qsort(times, (size_t)a.runs, sizeof *times, cmp_double);
    double median = a.runs % 2 ? times[a.runs / 2] : 0.5 * (times[a.runs / 2 - 1] + times[a.runs / 2]);
    double p90 = times[(size_t)((double)(a.runs - 1) * 0.9)];
    /* images/s: the leading dimension of the first input (the batch) per second */
    int64_t images = a.batch;
    if (n_in && obn_tensor_rank(ins[0]) > 0) images = obn_tensor_dims(ins[0])[0];
    double per_s = median > 0 ? (double)images * 1000.0 / median : 0;
    double arena_mb = (double)obn_session_arena_bytes(sess) / (1024.0 * 1024.0);
    struct rusage ru;
    double rss_mb = getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024.0 : 0; /* ru_maxrss: KiB */
    if (a.json)
        printf("{\"model\": \"%s\", \"runs\": %ld, \"threads\": %ld, \"batch\": %ld, \"passes\": %d, "
               "\"isa\": \"%s\", \"median_ms\": %.4f, \"min_ms\": %.4f, \"p90_ms\": %.4f, \"images_per_s\": %.2f, "
               "\"load_ms\": %.3f, \"session_create_ms\": %.3f, \"arena_mb\": %.2f, \"peak_rss_mb\": %.1f}\n",
               a.model, a.runs, a.threads, a.batch, a.passes, obn_isa_active(), median, times[0], p90, per_s, t_load,
               t_create, arena_mb, rss_mb);
    else
        printf("%s: median %.3f ms  min %.3f ms  p90 %.3f ms  %.1f images/s  (%ld runs after %ld warm-up, threads %s%ld, "
               "passes %s, %s kernels; loaded in %.1f ms, session created in %.1f ms; arena %.1f MiB, peak RSS %.1f MiB)\n",
               a.model, median, times[0], p90, per_s, a.runs, a.warmup, a.threads ? "" : "default/", a.threads,
               a.passes ? "on" : "off", obn_isa_active(), t_load, t_create, arena_mb, rss_mb);
done:
    for (size_t i = 0; ins && i < n_in; i++) obn_tensor_destroy(ins[i]);
    free(ins);
    free(names);
    free(outs);
    free(times);
    obn_session_destroy(sess);
    obn_model_destroy(m);
    return rc;
}
