/* onnxbn optimize MODEL -o OUT.onnx [--verify] [--no-fuse-activation]
 *                 [--no-fold] [--seed S] [--threads N]
 * Runs the graph passes and writes a standard ONNX model. --verify runs the
 * original and the written model on the same seeded random inputs and
 * compares every output (rtol 1e-4, atol 1e-5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define VERIFY_RTOL 1e-4
#define VERIFY_ATOL 1e-5

/* A seeded random input for `vi`: a tensor (symbolic dims 1), or the
 * sequence (two items) or optional (full) around one, `depth` wrappers of
 * kinds[] deep. */
static obn_status random_value(const obn_value_info *vi, const obn_kind *kinds, int depth, uint64_t *rng,
                               obn_tensor **out)
{
    if (depth == 0) {
        int64_t dims[OBN_MAX_RANK];
        size_t rank = vi->rank == (size_t)-1 ? 0 : vi->rank;
        for (size_t d = 0; d < rank; d++) dims[d] = vi->dims[d] >= 0 ? vi->dims[d] : 1;
        obn_status s = obn_tensor_create(vi->dtype, rank, dims, NULL, out);
        if (s == OBN_OK) cli_fill_random(*out, rng);
        return s;
    }
    obn_tensor *items[2] = {NULL, NULL};
    int n = kinds[0] == OBN_KIND_SEQUENCE ? 2 : 1;
    obn_status s = OBN_OK;
    for (int i = 0; s == OBN_OK && i < n; i++) s = random_value(vi, kinds + 1, depth - 1, rng, &items[i]);
    if (s == OBN_OK)
        s = kinds[0] == OBN_KIND_SEQUENCE ? obn_sequence_create(vi->dtype, 2, (const obn_tensor *const *)items, out)
                                          : obn_optional_create(vi->dtype, items[0], out);
    for (int i = 0; i < n; i++) obn_tensor_destroy(items[i]);
    return s;
}

/* Runs `m` without passes on inputs made from `seed`; outputs cloned. */
static obn_status run_plain(const obn_model *m, uint64_t seed, int threads, obn_tensor **outs)
{
    size_t n_in = obn_model_input_count(m), n_out = obn_model_output_count(m);
    obn_tensor **ins = calloc(n_in + 1, sizeof *ins);
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **got = calloc(n_out + 1, sizeof *got);
    obn_session *s = NULL;
    obn_session_options o;
    obn_session_options_init(&o);
    o.enable_passes = 0;
    o.threads = threads;
    obn_status st = ins && names && got ? obn_session_create(m, &o, &s) : OBN_E_OUT_OF_MEMORY;
    uint64_t rng = seed;
    for (size_t i = 0; st == OBN_OK && i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        names[i] = vi.name;
        obn_kind kinds[2] = {vi.kind, vi.elem_kind};
        st = random_value(&vi, kinds, vi.kind == OBN_KIND_TENSOR ? 0 : vi.elem_kind == OBN_KIND_TENSOR ? 1 : 2, &rng,
                          &ins[i]);
    }
    if (st == OBN_OK) st = obn_session_run(s, n_in, names, (const obn_tensor *const *)ins, n_out, NULL, got);
    for (size_t i = 0; st == OBN_OK && i < n_out; i++) st = obn_tensor_clone(got[i], &outs[i]);
    for (size_t i = 0; ins && i < n_in; i++) obn_tensor_destroy(ins[i]);
    obn_session_destroy(s);
    free(ins);
    free(names);
    free(got);
    return st;
}

/* Compares two values of any kind (sequences item by item) into the
 * running maxima; 0 when they differ in kind, length, type or a value. */
static int compare_value(const obn_tensor *a, const obn_tensor *b, double *max_abs, double *max_rel)
{
    obn_kind k = obn_tensor_kind(a);
    if (k != obn_tensor_kind(b)) return 0;
    if (k == OBN_KIND_OPTIONAL) {
        if (obn_optional_has_value(a) != obn_optional_has_value(b)) return 0;
        return !obn_optional_has_value(a) ||
               compare_value(obn_optional_value(a), obn_optional_value(b), max_abs, max_rel);
    }
    if (k == OBN_KIND_SEQUENCE) {
        size_t n = obn_sequence_length(a);
        int ok = n == obn_sequence_length(b);
        for (size_t i = 0; ok && i < n; i++)
            ok = compare_value(obn_sequence_at(a, i), obn_sequence_at(b, i), max_abs, max_rel);
        return ok;
    }
    int ok = obn_tensor_numel(a) == obn_tensor_numel(b) && obn_tensor_dtype(a) == obn_tensor_dtype(b);
    if (ok && obn_tensor_dtype(a) == OBN_STRING) { /* strings: exactly */
        for (int64_t i = 0; ok && i < obn_tensor_numel(a); i++) {
            size_t la, lb;
            const char *sa = obn_tensor_string(a, i, &la), *sb = obn_tensor_string(b, i, &lb);
            ok = la == lb && memcmp(sa, sb, la) == 0;
        }
        return ok;
    }
    for (int64_t i = 0; ok && i < obn_tensor_numel(a); i++) {
        double x = obn_tensor_value(b, i), ref = obn_tensor_value(a, i), d = fabs(x - ref);
        if (isnan(x) != isnan(ref)) ok = 0;
        if (isnan(d)) continue;
        if (d > *max_abs) *max_abs = d;
        if (ref != 0 && d / fabs(ref) > *max_rel) *max_rel = d / fabs(ref);
        if (d > VERIFY_ATOL + VERIFY_RTOL * fabs(ref)) ok = 0;
    }
    return ok;
}

/* Compares outputs; prints one line per output; returns 1 if any differs. */
static int compare(const obn_model *m, obn_tensor **a, obn_tensor **b)
{
    int bad = 0;
    for (size_t i = 0; i < obn_model_output_count(m); i++) {
        obn_value_info vi;
        obn_model_output(m, i, &vi);
        double max_abs = 0, max_rel = 0;
        int ok = compare_value(a[i], b[i], &max_abs, &max_rel);
        printf("verify: output '%s': max abs diff %.3g, max rel diff %.3g: %s\n", vi.name, max_abs, max_rel,
               ok ? "ok" : "MISMATCH");
        bad |= !ok;
    }
    return bad;
}

static int verify(const obn_model *orig, const char *out_path, uint64_t seed, int threads)
{
    obn_model *saved = NULL;
    size_t n_out = obn_model_output_count(orig);
    obn_tensor **ra = calloc(n_out + 1, sizeof *ra), **rb = calloc(n_out + 1, sizeof *rb);
    obn_status s = cli_load_model(out_path, NULL, &saved);
    int rc = CLI_OK;
    if (s == OBN_OK) s = run_plain(orig, seed, threads, ra);
    if (s == OBN_OK) s = run_plain(saved, seed, threads, rb);
    if (s != OBN_OK) rc = cli_error(s);
    else if (compare(orig, ra, rb)) rc = CLI_FAILED;
    for (size_t i = 0; i < n_out; i++) {
        obn_tensor_destroy(ra[i]);
        obn_tensor_destroy(rb[i]);
    }
    free(ra);
    free(rb);
    obn_model_destroy(saved);
    return rc;
}

static size_t count_op(const obn_model *m, const char *op)
{
    obn_model_meta meta;
    obn_model_get_meta(m, &meta);
    size_t n = 0;
    for (size_t i = 0; i < meta.node_count; i++) {
        obn_node_info ni;
        obn_model_node(m, i, &ni);
        n += strcmp(ni.op_type, op) == 0;
    }
    return n;
}

int cmd_optimize(int argc, char **argv)
{
    const char *in = NULL, *out = NULL;
    int do_verify = 0;
    long seed = 0, threads = 0;
    obn_optimize_options oo;
    obn_optimize_options_init(&oo);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "-o") == 0) {
            if (!val) return cli_usage("optimize: -o needs a file name");
            out = val;
            i++;
        } else if (strcmp(arg, "--verify") == 0) do_verify = 1;
        else if (strcmp(arg, "--no-fuse-activation") == 0) oo.fuse_activation = 0;
        else if (strcmp(arg, "--no-fold") == 0) oo.fold_batchnorm = 0;
        else if (strcmp(arg, "--plugin") == 0) {
            if (cli_add_plugin("optimize", val)) return CLI_USAGE;
            i++;
        }
        else if (strcmp(arg, "--seed") == 0) {
            if (cli_parse_int(val, 0, 2147483647L, &seed)) return cli_usage("optimize: --seed needs a non-negative number");
            i++;
        } else if (strcmp(arg, "--threads") == 0) {
            if (cli_parse_int(val, 1, 1024, &threads)) return cli_usage("optimize: --threads needs a number from 1 to 1024");
            i++;
        } else if (arg[0] == '-') return cli_usage("optimize: unknown option '%s'", arg);
        else if (in) return cli_usage("optimize: more than one model given");
        else in = arg;
    }
    if (!in || !out) return cli_usage("optimize: usage: onnxbn optimize MODEL -o OUT.onnx [--verify]");
    obn_model *m = NULL, *opt = NULL;
    obn_status s = cli_load_model(in, NULL, &m);
    if (s == OBN_OK) s = obn_model_optimize(m, &oo, &opt);
    if (s == OBN_OK) s = obn_model_save(opt, out);
    int rc = CLI_OK;
    if (s != OBN_OK) {
        rc = cli_error(s);
    } else {
        for (size_t i = 0; i < obn_model_pass_log_count(opt); i++) printf("%s\n", obn_model_pass_log(opt, i));
        obn_model_meta a, b;
        obn_model_get_meta(m, &a);
        obn_model_get_meta(opt, &b);
        printf("wrote %s: %zu nodes (was %zu), %zu BatchNormalization left (was %zu)\n", out, b.node_count,
               a.node_count, count_op(opt, "BatchNormalization"), count_op(m, "BatchNormalization"));
        if (do_verify) rc = verify(m, out, (uint64_t)seed, (int)threads);
    }
    obn_model_destroy(opt);
    obn_model_destroy(m);
    return rc;
}
