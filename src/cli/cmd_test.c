/* onnxbn test [--verbose] [--expect LIST] [--threads N] PATH...
 * Runs ONNX backend-test folders: model.onnx plus test_data_set_N folders of
 * input_K.pb and output_K.pb, compared like the ONNX backend runner (numpy.allclose with
 * rtol=1e-3, atol=1e-7). */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* Defaults of the ONNX backend test runner. */
#define TEST_RTOL 1e-3
#define TEST_ATOL 1e-7

static double g_rtol = TEST_RTOL, g_atol = TEST_ATOL;

typedef enum { R_PASS, R_FAIL, R_UNSUPPORTED, R_ERROR } result_kind;
static const char *const result_names[] = {"PASS", "FAIL", "UNSUPPORTED", "ERROR"};

typedef struct {
    char *path;
    result_kind result;
} test_result;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Sorted entries of a folder (without . and ..), optionally by prefix. */
static int list_dir(const char *dir, const char *prefix, cli_str_list *out)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (prefix && strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        if (cli_list_push(out, e->d_name)) {
            closedir(d);
            return -1;
        }
    }
    closedir(d);
    qsort(out->items, out->n, sizeof *out->items, cmp_str);
    return 0;
}

/* Collects test folders (those holding model.onnx) under path. */
static void find_tests(const char *path, cli_str_list *tests, int depth)
{
    char model[4096];
    snprintf(model, sizeof model, "%s/model.onnx", path);
    if (is_file(model)) {
        cli_list_push(tests, path);
        return;
    }
    if (depth > 16) return;
    cli_str_list entries = {0};
    if (list_dir(path, NULL, &entries) == 0)
        for (size_t i = 0; i < entries.n; i++) {
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, entries.items[i]);
            if (is_dir(sub)) find_tests(sub, tests, depth + 1);
        }
    cli_list_free(&entries);
}

/* "node/test_relu" from ".../data/node/test_relu". */
static const char *display_name(const char *path)
{
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    int slashes = 0;
    for (size_t i = n; i > 0; i--)
        if (path[i - 1] == '/' && ++slashes == 2) return path + i;
    return path;
}

typedef struct {
    double max_abs, max_rel;
    int64_t bad;
    int64_t first_bad;
} compare_stats;

static int values_close(double got, double want)
{
    if (isnan(want) || isnan(got)) return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got)) return got == want;
    return fabs(got - want) <= g_atol + g_rtol * fabs(want);
}

/* The 8-bit and smaller types added in IR 9-13 are compared bit for bit:
 * one step of theirs is a large relative error, and their signed zeros and
 * NaN patterns are part of the spec. */
static int compare_bits(obn_dtype dt) { return dt >= OBN_FLOAT8E4M3FN; }

static void compare_values(const obn_tensor *got, const obn_tensor *want, compare_stats *st)
{
    memset(st, 0, sizeof *st);
    st->first_bad = -1;
    int64_t n = obn_tensor_numel(want);
    int bits = compare_bits(obn_tensor_dtype(want));
    const uint8_t *gb = obn_tensor_cdata(got), *wb = obn_tensor_cdata(want);
    for (int64_t i = 0; i < n; i++) {
        double g = obn_tensor_value(got, i), w = obn_tensor_value(want, i);
        if (bits ? gb[i] != wb[i] : !values_close(g, w)) {
            if (st->first_bad < 0) st->first_bad = i;
            st->bad++;
        }
        if (isfinite(g) && isfinite(w)) {
            double d = fabs(g - w);
            if (d > st->max_abs) st->max_abs = d;
            if (w != 0 && d / fabs(w) > st->max_rel) st->max_rel = d / fabs(w);
        }
    }
}

/* Compares one output; returns 1 on mismatch, with the reason in msg. */
static int compare_output(const char *name, const obn_tensor *got, const obn_tensor *want, char *msg, size_t cap,
                          int verbose)
{
    char gs[256], ws[256];
    cli_format_dims(obn_tensor_dims(got), obn_tensor_rank(got), gs, sizeof gs);
    cli_format_dims(obn_tensor_dims(want), obn_tensor_rank(want), ws, sizeof ws);
    if (obn_tensor_dtype(got) != obn_tensor_dtype(want)) {
        snprintf(msg, cap, "output '%s': dtype %s, expected %s", name, obn_dtype_name(obn_tensor_dtype(got)),
                 obn_dtype_name(obn_tensor_dtype(want)));
        return 1;
    }
    if (strcmp(gs, ws) != 0) {
        snprintf(msg, cap, "output '%s': shape %s, expected %s", name, gs, ws);
        return 1;
    }
    if (obn_tensor_dtype(want) == OBN_STRING) { /* exactly, byte for byte */
        int64_t n = obn_tensor_numel(want), bad = 0, first = -1;
        for (int64_t i = 0; i < n; i++) {
            size_t gl, wl;
            const char *g = obn_tensor_string(got, i, &gl), *w = obn_tensor_string(want, i, &wl);
            if (!g || !w || gl != wl || memcmp(g, w, wl) != 0) {
                bad++;
                if (first < 0) first = i;
            }
        }
        if (bad) {
            char gq[96], wq[96];
            snprintf(msg, cap, "output '%s': %lld of %lld strings differ (first at %lld: %s, expected %s)", name,
                     (long long)bad, (long long)n, (long long)first, cli_format_string(got, first, gq, sizeof gq),
                     cli_format_string(want, first, wq, sizeof wq));
            return 1;
        }
        if (verbose) snprintf(msg, cap, "output '%s': %lld strings match", name, (long long)n);
        return 0;
    }
    compare_stats st;
    compare_values(got, want, &st);
    if (st.bad) {
        snprintf(msg, cap, "output '%s': %lld of %lld values differ (first at %lld: %.9g, expected %.9g); max abs err %.3g, max rel err %.3g",
                 name, (long long)st.bad, (long long)obn_tensor_numel(want), (long long)st.first_bad,
                 obn_tensor_value(got, st.first_bad), obn_tensor_value(want, st.first_bad), st.max_abs, st.max_rel);
        return 1;
    }
    if (verbose) snprintf(msg, cap, "output '%s': max abs err %.3g, max rel err %.3g", name, st.max_abs, st.max_rel);
    return 0;
}

/* Compares one output of any kind: sequences item by item (named
 * "out[2]"), optionals by presence and then their value. */
static int compare_value(const char *name, const obn_tensor *got, const obn_tensor *want, char *msg, size_t cap,
                         int verbose)
{
    obn_kind gk = obn_tensor_kind(got), wk = obn_tensor_kind(want);
    if (gk != wk) {
        snprintf(msg, cap, "output '%s': a %s, expected a %s", name, obn_kind_name(gk), obn_kind_name(wk));
        return 1;
    }
    if (wk == OBN_KIND_TENSOR) return compare_output(name, got, want, msg, cap, verbose);
    if (wk == OBN_KIND_OPTIONAL) {
        if (obn_optional_has_value(got) != obn_optional_has_value(want)) {
            snprintf(msg, cap, "output '%s': %s optional, expected %s", name, obn_optional_has_value(got) ? "a full" : "an empty",
                     obn_optional_has_value(want) ? "a full one" : "an empty one");
            return 1;
        }
        if (!obn_optional_has_value(want)) return 0;
        return compare_value(name, obn_optional_value(got), obn_optional_value(want), msg, cap, verbose);
    }
    size_t n = obn_sequence_length(want);
    if (obn_sequence_length(got) != n) {
        snprintf(msg, cap, "output '%s': a sequence of %zu, expected %zu", name, obn_sequence_length(got), n);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        char item[300];
        snprintf(item, sizeof item, "%.200s[%zu]", name, i);
        if (compare_value(item, obn_sequence_at(got, i), obn_sequence_at(want, i), msg, cap, 0)) return 1;
    }
    if (verbose) snprintf(msg, cap, "output '%s': %zu items match", name, n);
    return 0;
}

typedef struct {
    int verbose;
    int threads;
    int no_passes;
} test_opts;

static result_kind classify(obn_status s) { return s == OBN_E_UNSUPPORTED ? R_UNSUPPORTED : R_ERROR; }

/* Loads input_K.pb / output_K.pb files of one data set, each read as the
 * kind the model declares for it (a tensor, SequenceProto or OptionalProto). */
static int load_set(const obn_model *m, const char *dir, const char *prefix, size_t expect, obn_tensor **out, char *msg,
                    size_t cap)
{
    for (size_t k = 0;; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%zu.pb", dir, prefix, k);
        if (!is_file(path)) {
            if (k != expect) {
                snprintf(msg, cap, "%s has %zu %s files, the model has %zu %ss", display_name(dir), k, prefix, expect,
                         prefix);
                return -1;
            }
            return 0;
        }
        if (k >= expect) {
            snprintf(msg, cap, "%s has more %s files than the model's %zu %ss", display_name(dir), prefix, expect, prefix);
            return -1;
        }
        obn_value_info vi;
        obn_status s = prefix[0] == 'i' ? obn_model_input(m, k, &vi) : obn_model_output(m, k, &vi);
        if (s == OBN_OK) s = obn_value_load(path, vi.kind, &out[k]);
        if (s != OBN_OK) {
            snprintf(msg, cap, "%s", obn_last_error());
            return -1;
        }
    }
}

/* ONNX 1.12's test data stores bfloat16 tensors as uint16 (numpy has no
 * bfloat16): when the other side is bfloat16, read the same bits as such. */
static void retag_bfloat16(obn_tensor **t, obn_dtype want)
{
    if (want != OBN_BFLOAT16 || obn_tensor_kind(*t) != OBN_KIND_TENSOR || obn_tensor_dtype(*t) != OBN_UINT16) return;
    obn_tensor *bf = NULL;
    if (obn_tensor_create(OBN_BFLOAT16, obn_tensor_rank(*t), obn_tensor_dims(*t), obn_tensor_cdata(*t), &bf) != OBN_OK)
        return;
    obn_tensor_destroy(*t);
    *t = bf;
}

static result_kind run_data_set(obn_session *sess, const obn_model *m, const char *set_dir, const test_opts *o,
                                char *msg, size_t cap)
{
    size_t n_in = obn_model_input_count(m), n_out = obn_model_output_count(m);
    obn_tensor **ins = calloc(n_in + 1, sizeof *ins);
    obn_tensor **want = calloc(n_out + 1, sizeof *want);
    const obn_tensor **got = calloc(n_out + 1, sizeof *got);
    const char **names = calloc(n_in + 1, sizeof *names);
    result_kind r = R_ERROR;
    if (!ins || !want || !got || !names) {
        snprintf(msg, cap, "out of memory");
        goto done;
    }
    if (load_set(m, set_dir, "input", n_in, ins, msg, cap) || load_set(m, set_dir, "output", n_out, want, msg, cap))
        goto done;
    for (size_t i = 0; i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        names[i] = vi.name;
        retag_bfloat16(&ins[i], vi.dtype);
    }
    obn_status s = obn_session_run(sess, n_in, names, (const obn_tensor *const *)ins, n_out, NULL, got);
    if (s != OBN_OK) {
        r = classify(s);
        snprintf(msg, cap, "%s", obn_last_error());
        goto done;
    }
    r = R_PASS;
    size_t used = 0;
    for (size_t i = 0; i < n_out; i++) {
        obn_value_info vi;
        obn_model_output(m, i, &vi);
        char one[768] = "";
        retag_bfloat16(&want[i], obn_tensor_dtype(got[i]));
        if (compare_value(vi.name, got[i], want[i], one, sizeof one, o->verbose)) r = R_FAIL;
        if (one[0] && used < cap) used += (size_t)snprintf(msg + used, cap - used, "%s%s", used ? "; " : "", one);
    }
done:
    for (size_t i = 0; ins && i < n_in; i++) obn_tensor_destroy(ins[i]);
    for (size_t i = 0; want && i < n_out; i++) obn_tensor_destroy(want[i]);
    free(ins);
    free(want);
    free(got);
    free(names);
    return r;
}

static result_kind run_test(const char *dir, const test_opts *o, char *msg, size_t cap)
{
    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s/model.onnx", dir);
    msg[0] = '\0';
    obn_model *m = NULL;
    obn_session *sess = NULL;
    obn_status s = cli_load_model(model_path, NULL, &m);
    if (s != OBN_OK) {
        snprintf(msg, cap, "%s", obn_last_error());
        return classify(s);
    }
    obn_session_options opts;
    obn_session_options_init(&opts);
    opts.threads = o->threads;
    opts.enable_passes = !o->no_passes;
    s = obn_session_create(m, &opts, &sess);
    if (s != OBN_OK) {
        snprintf(msg, cap, "%s", obn_last_error());
        obn_model_destroy(m);
        return classify(s);
    }
    cli_str_list sets = {0};
    list_dir(dir, "test_data_set_", &sets);
    result_kind r = R_PASS;
    if (sets.n == 0) {
        r = R_ERROR;
        snprintf(msg, cap, "no test_data_set_* folder");
    }
    for (size_t i = 0; i < sets.n && r == R_PASS; i++) {
        char set_dir[4096];
        snprintf(set_dir, sizeof set_dir, "%s/%s", dir, sets.items[i]);
        r = run_data_set(sess, m, set_dir, o, msg, cap);
    }
    cli_list_free(&sets);
    obn_session_destroy(sess);
    obn_model_destroy(m);
    return r;
}

static int path_matches(const char *path, const char *entry)
{
    size_t pl = strlen(path), el = strlen(entry);
    while (pl > 1 && path[pl - 1] == '/') pl--;
    if (el > pl) return 0;
    if (memcmp(path + pl - el, entry, el) != 0) return 0;
    return el == pl || path[pl - el - 1] == '/';
}

/* Every manifest entry must name a test that ran and passed. */
static int check_expectations(const char *list_path, const test_result *results, size_t n)
{
    FILE *f = fopen(list_path, "r");
    if (!f) {
        fprintf(stderr, "onnxbn: test: cannot open manifest '%s'\n", list_path);
        return CLI_USAGE;
    }
    char line[1024];
    int missing = 0, failing = 0, entries = 0;
    while (fgets(line, sizeof line, f)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        char *s = line, *e;
        while (*s == ' ' || *s == '\t') s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t' || e[-1] == '/')) *--e = '\0';
        if (!*s) continue;
        entries++;
        int found = 0;
        for (size_t i = 0; i < n; i++) {
            if (!path_matches(results[i].path, s)) continue;
            found = 1;
            if (results[i].result != R_PASS) {
                printf("EXPECTED TO PASS: %s (%s)\n", s, result_names[results[i].result]);
                failing++;
            }
        }
        if (!found) {
            printf("EXPECTED TO PASS: %s (not found)\n", s);
            missing++;
        }
    }
    fclose(f);
    printf("manifest %s: %d entries, %d not passing, %d not found\n", list_path, entries, failing, missing);
    return failing || missing ? CLI_FAILED : CLI_OK;
}

int cmd_test(int argc, char **argv)
{
    test_opts o = {0, 0, 0};
    cli_str_list expects = {0}, roots = {0}, tests = {0};
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0) {
            o.verbose = 1;
        } else if (strcmp(argv[i], "--no-fuse") == 0) {
            o.no_passes = 1;
        } else if (strcmp(argv[i], "--expect") == 0) {
            if (i + 1 >= argc) return cli_usage("test: --expect needs a manifest file");
            cli_list_push(&expects, argv[++i]);
        } else if (strcmp(argv[i], "--rtol") == 0 || strcmp(argv[i], "--atol") == 0) {
            char *end;
            double v = i + 1 < argc ? strtod(argv[i + 1], &end) : -1;
            if (i + 1 >= argc || *end || !(v >= 0) || v > 1)
                return cli_usage("test: %s needs a number from 0 to 1", argv[i]);
            if (argv[i][2] == 'r') g_rtol = v;
            else g_atol = v;
            i++;
        } else if (strcmp(argv[i], "--plugin") == 0) {
            if (cli_add_plugin("test", i + 1 < argc ? argv[i + 1] : NULL)) return CLI_USAGE;
            i++;
        } else if (strcmp(argv[i], "--threads") == 0) {
            long t;
            if (cli_parse_int(i + 1 < argc ? argv[i + 1] : NULL, 1, 1024, &t))
                return cli_usage("test: --threads needs a number from 1 to 1024");
            o.threads = (int)t;
            i++;
        } else if (argv[i][0] == '-') {
            return cli_usage("test: unknown option '%s'", argv[i]);
        } else {
            cli_list_push(&roots, argv[i]);
        }
    }
    if (roots.n == 0) return cli_usage("test: no PATH given");
    for (size_t i = 0; i < roots.n; i++) {
        if (!is_dir(roots.items[i])) {
            fprintf(stderr, "onnxbn: test: '%s' is not a folder\n", roots.items[i]);
            cli_list_free(&roots);
            cli_list_free(&tests);
            cli_list_free(&expects);
            return CLI_USAGE;
        }
        find_tests(roots.items[i], &tests, 0);
    }
    test_result *results = calloc(tests.n + 1, sizeof *results);
    int counts[4] = {0};
    for (size_t i = 0; results && i < tests.n; i++) {
        char msg[4096];
        result_kind r = run_test(tests.items[i], &o, msg, sizeof msg);
        results[i].path = tests.items[i];
        results[i].result = r;
        counts[r]++;
        if (r == R_PASS && !(o.verbose && msg[0]))
            printf("PASS %s\n", display_name(tests.items[i]));
        else
            printf("%s %s: %s\n", result_names[r], display_name(tests.items[i]), msg);
        fflush(stdout);
    }
    int rc = CLI_OK;
    for (size_t i = 0; i < expects.n; i++) {
        int r = check_expectations(expects.items[i], results, tests.n);
        if (r > rc) rc = r;
    }
    if (expects.n == 0 && counts[R_FAIL] + counts[R_ERROR]) rc = CLI_FAILED;
    printf("%d passed, %d failed, %d skipped\n", counts[R_PASS], counts[R_FAIL] + counts[R_ERROR],
           counts[R_UNSUPPORTED]);
    free(results);
    cli_list_free(&expects);
    cli_list_free(&roots);
    cli_list_free(&tests);
    return rc;
}
