/* onnxbn run MODEL [-i NAME=FILE]... [-o DIR] [--threads N] [--seed S] [--timeout S] [limits]
 *            [--trace] [--dump DIR] [--plugin LIB] */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

typedef struct {
    const char *name;
    const char *file;
} input_arg;

typedef struct {
    const char *model;
    const char *out_dir;
    long threads;
    uint64_t seed;
    int no_passes;
    double timeout; /* seconds; 0 = none */
    obn_limits limits;
    cli_observe observe; /* --trace, --dump DIR */
    input_arg *inputs;
    int n_inputs;
} run_args;

static int parse_args(int argc, char **argv, run_args *a)
{
    a->inputs = calloc((size_t)argc, sizeof *a->inputs);
    if (!a->inputs) return cli_usage("out of memory");
    obn_limits_init(&a->limits);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int lim = cli_parse_limit_option("run", argc, argv, &i, &a->limits);
        if (!lim) lim = cli_observe_option("run", argc, argv, &i, &a->observe);
        if (lim == CLI_USAGE) return lim;
        if (lim) continue;
        if (strcmp(arg, "-i") == 0 || strcmp(arg, "--input") == 0) {
            if (!val) return cli_usage("run: %s needs NAME=FILE", arg);
            const char *eq = strrchr(val, '=');
            if (!eq || eq == val || !eq[1]) return cli_usage("run: '%s' is not NAME=FILE", val);
            argv[i + 1][eq - val] = '\0';
            a->inputs[a->n_inputs].name = val;
            a->inputs[a->n_inputs++].file = eq + 1;
            i++;
        } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output-dir") == 0) {
            if (!val) return cli_usage("run: %s needs a folder", arg);
            a->out_dir = val;
            i++;
        } else if (strcmp(arg, "--threads") == 0) {
            if (cli_parse_int(val, 1, 1024, &a->threads)) return cli_usage("run: --threads needs a number from 1 to 1024");
            i++;
        } else if (strcmp(arg, "--timeout") == 0) {
            char *end = NULL;
            a->timeout = val ? strtod(val, &end) : 0.0;
            if (!val || *end || !(a->timeout > 0.0) || a->timeout > 1e9)
                return cli_usage("run: --timeout needs a number of seconds > 0");
            i++;
        } else if (strcmp(arg, "--no-fuse") == 0) {
            a->no_passes = 1;
        } else if (strcmp(arg, "--plugin") == 0) {
            if (cli_add_plugin("run", val)) return CLI_USAGE;
            i++;
        } else if (strcmp(arg, "--seed") == 0) {
            long s;
            if (cli_parse_int(val, 0, 2147483647L, &s)) return cli_usage("run: --seed needs a non-negative number");
            a->seed = (uint64_t)s;
            i++;
        } else if (arg[0] == '-') {
            return cli_usage("run: unknown option '%s'", arg);
        } else if (a->model) {
            return cli_usage("run: more than one model given ('%s' and '%s')", a->model, arg);
        } else {
            a->model = arg;
        }
    }
    if (!a->model) return cli_usage("run: no model given");
    return 0;
}

/* Builds the tensor for model input `vi`: from its file, or random. */
static int make_input(const obn_value_info *vi, const run_args *a, uint64_t *rng, obn_tensor **out)
{
    for (int k = 0; k < a->n_inputs; k++) {
        if (strcmp(a->inputs[k].name, vi->name) != 0) continue;
        obn_status s = obn_value_load(a->inputs[k].file, vi->kind, out); /* a SequenceProto for a sequence, ... */
        if (s != OBN_OK) return cli_error(s);
        return 0;
    }
    if (vi->kind != OBN_KIND_TENSOR) {
        fprintf(stderr, "onnxbn: run: input '%s' is a %s: give it as a file (an ONNX %s .pb)\n", vi->name,
                obn_kind_name(vi->kind), vi->kind == OBN_KIND_SEQUENCE ? "SequenceProto" : "OptionalProto");
        return CLI_FAILED;
    }
    int64_t dims[OBN_MAX_RANK];
    size_t rank = vi->rank == (size_t)-1 ? 0 : vi->rank;
    int symbolic = 0;
    for (size_t d = 0; d < rank; d++) {
        dims[d] = vi->dims[d] >= 0 ? vi->dims[d] : 1;
        symbolic |= vi->dims[d] < 0;
    }
    obn_status s = obn_tensor_create(vi->dtype, rank, dims, NULL, out);
    if (s != OBN_OK) return cli_error(s);
    cli_fill_random(*out, rng);
    char shape[256];
    cli_format_dims(dims, rank, shape, sizeof shape);
    fprintf(stderr, "note: input '%s' not given: filled with seeded random values (seed %llu), shape %s%s\n",
            vi->name, (unsigned long long)a->seed, shape, symbolic ? " (symbolic dims set to 1)" : "");
    return 0;
}

static int check_inputs_known(const obn_model *m, const run_args *a)
{
    for (int k = 0; k < a->n_inputs; k++) {
        int found = 0;
        for (size_t i = 0; i < obn_model_input_count(m); i++) {
            obn_value_info vi;
            obn_model_input(m, i, &vi);
            found |= strcmp(vi.name, a->inputs[k].name) == 0;
        }
        if (!found) {
            fprintf(stderr, "onnxbn: run: the model has no input named '%s'; its inputs are:", a->inputs[k].name);
            for (size_t i = 0; i < obn_model_input_count(m); i++) {
                obn_value_info vi;
                obn_model_input(m, i, &vi);
                fprintf(stderr, " '%s'", vi.name);
            }
            fputc('\n', stderr);
            return CLI_USAGE;
        }
    }
    return 0;
}

static int write_outputs(const obn_model *m, const obn_tensor **outs, const char *dir)
{
    if (dir && mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "onnxbn: run: cannot create '%s': %s\n", dir, strerror(errno));
        return CLI_USAGE;
    }
    for (size_t i = 0; i < obn_model_output_count(m); i++) {
        obn_value_info vi;
        obn_model_output(m, i, &vi);
        cli_print_summary(stdout, vi.name, outs[i]);
        if (!dir) continue;
        char file[256], path[4096];
        cli_safe_filename(vi.name, file, sizeof file);
        snprintf(path, sizeof path, "%s/%s.pb", dir, file);
        obn_status s = obn_tensor_save(outs[i], vi.name, path);
        if (s != OBN_OK) return cli_error(s);
        printf("  wrote %s\n", path);
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    run_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        free(a.inputs);
        return rc;
    }
    obn_model *m = NULL;
    obn_session *sess = NULL;
    size_t n_in = 0, n_out = 0;
    obn_tensor **ins = NULL;
    const char **names = NULL;
    const obn_tensor **outs = NULL;
    obn_run_options *ro = NULL;
    obn_status s = cli_load_model(a.model, &a.limits, &m);
    if (s != OBN_OK) {
        rc = cli_error(s);
        goto done;
    }
    if ((rc = check_inputs_known(m, &a))) goto done;
    obn_session_options opts;
    obn_session_options_init(&opts);
    opts.threads = (int)a.threads;
    opts.enable_passes = !a.no_passes;
    opts.limits = &a.limits;
    /* --timeout bounds the session's planning and the run, each */
    if ((s = obn_run_options_create(&ro)) != OBN_OK || (s = obn_run_options_set_timeout(ro, a.timeout)) != OBN_OK) {
        rc = cli_error(s);
        goto done;
    }
    opts.create_run_options = ro;
    if ((s = obn_session_create(m, &opts, &sess)) != OBN_OK) {
        rc = s == OBN_E_CANCELLED ? (cli_error(s), CLI_FAILED) : cli_error(s);
        goto done;
    }
    if ((rc = cli_observe_attach(sess, &a.observe))) goto done;
    n_in = obn_model_input_count(m);
    n_out = obn_model_output_count(m);
    ins = calloc(n_in + 1, sizeof *ins);
    names = calloc(n_in + 1, sizeof *names);
    outs = calloc(n_out + 1, sizeof *outs);
    if (!ins || !names || !outs) {
        rc = cli_usage("out of memory");
        goto done;
    }
    uint64_t rng = a.seed;
    for (size_t i = 0; i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        names[i] = vi.name;
        if ((rc = make_input(&vi, &a, &rng, &ins[i]))) goto done;
    }
    s = obn_session_run_with(sess, ro, n_in, names, (const obn_tensor *const *)ins, n_out, NULL, outs);
    if (s != OBN_OK) {
        /* a run that ran out of time failed; it is not a usage error */
        rc = s == OBN_E_CANCELLED ? (cli_error(s), CLI_FAILED) : cli_error(s);
        goto done;
    }
    rc = write_outputs(m, outs, a.out_dir);
done:
    cli_observe_finish(&a.observe);
    for (size_t i = 0; ins && i < n_in; i++) obn_tensor_destroy(ins[i]);
    free(ins);
    free(names);
    free(outs);
    obn_run_options_destroy(ro);
    obn_session_destroy(sess);
    obn_model_destroy(m);
    free(a.inputs);
    return rc;
}
