/* onnxbn recalibrate MODEL --data PATH... -o OUT.onnx [--cumulative | --momentum M]
 *                    [--batch N] [--threads N]
 * Re-estimates every BatchNormalization's mean/var from calibration inputs
 * (obn_recalib_* in onnxbn.h) and writes the recalibrated model.
 *
 * Data: .pb/.npy files, or folders of them (searched recursively, in name
 * order). With one model input every file is data for it; with several, a
 * file belongs to the input its name starts with ("image_0007.npy" ->
 * input "image"; the longest matching name wins), or, for a .pb, to the
 * input its TensorProto is named after. The k-th files of the inputs go
 * together. A file holds one sample (the input's rank minus the batch axis)
 * or a batch of them; samples are regrouped into batches of --batch
 * (default: the input's fixed batch size, else 32); a last, smaller batch
 * is run too unless the model's batch size is fixed. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

typedef struct {
    const char *model, *out;
    char **paths;
    int n_paths;
    obn_recalib_options opts;
    long batch; /* 0: default */
} recal_args;

static int parse_args(int argc, char **argv, recal_args *a)
{
    obn_recalib_options_init(&a->opts);
    a->paths = calloc((size_t)argc, sizeof *a->paths);
    if (!a->paths) return cli_usage("out of memory");
    int rule_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (strcmp(arg, "--data") == 0) {
            if (!val) return cli_usage("recalibrate: --data needs a file or folder");
            while (i + 1 < argc && argv[i + 1][0] != '-') a->paths[a->n_paths++] = argv[++i];
        } else if (strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) {
            if (!val) return cli_usage("recalibrate: %s needs a file name", arg);
            a->out = argv[++i];
        } else if (strcmp(arg, "--cumulative") == 0) {
            if (rule_given++) return cli_usage("recalibrate: give one of --cumulative and --momentum");
            a->opts.rule = OBN_RECALIB_CUMULATIVE;
        } else if (strcmp(arg, "--momentum") == 0) {
            char *end = NULL;
            double m = val ? strtod(val, &end) : NAN;
            if (!val || *end || !(m >= 0 && m <= 1)) return cli_usage("recalibrate: --momentum needs a number in [0, 1]");
            if (rule_given++) return cli_usage("recalibrate: give one of --cumulative and --momentum");
            a->opts.rule = OBN_RECALIB_MOMENTUM;
            a->opts.momentum = m;
            i++;
        } else if (strcmp(arg, "--batch") == 0) {
            if (cli_parse_int(val, 1, 1 << 20, &a->batch)) return cli_usage("recalibrate: --batch needs a number >= 1");
            i++;
        } else if (strcmp(arg, "--threads") == 0) {
            if (cli_parse_int(val, 1, 1024, &n)) return cli_usage("recalibrate: --threads needs a number from 1 to 1024");
            a->opts.threads = (int)n;
            i++;
        } else if (arg[0] == '-') {
            return cli_usage("recalibrate: unknown option '%s'", arg);
        } else if (!a->model) {
            a->model = arg;
        } else {
            return cli_usage("recalibrate: unexpected argument '%s'", arg);
        }
    }
    if (!a->model || !a->out || a->n_paths == 0)
        return cli_usage("usage: onnxbn recalibrate MODEL --data PATH... -o OUT.onnx [--cumulative | --momentum M] "
                         "[--batch N] [--threads N]");
    return 0;
}

static int is_tensor_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 3 && strcmp(name + n - 3, ".pb") == 0) || (n > 4 && strcmp(name + n - 4, ".npy") == 0);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends the tensor files of `path` (a file, or a folder searched
 * recursively in name order). */
static int collect(const char *path, cli_str_list *files)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "onnxbn: error: %s: no such file or folder\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) return cli_list_push(files, path);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "onnxbn: error: %s: cannot open the folder\n", path);
        return -1;
    }
    cli_str_list names = {0};
    int rc = 0;
    for (struct dirent *e; rc == 0 && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *full = malloc(len);
        if (!full) {
            rc = -1;
            break;
        }
        snprintf(full, len, "%s/%s", path, e->d_name);
        struct stat es;
        if (stat(full, &es) == 0 && (S_ISDIR(es.st_mode) || is_tensor_file(e->d_name))) rc = cli_list_push(&names, full);
        free(full);
    }
    closedir(d);
    qsort(names.items, names.n, sizeof *names.items, cmp_str);
    for (size_t i = 0; rc == 0 && i < names.n; i++) rc = collect(names.items[i], files);
    cli_list_free(&names);
    return rc;
}

/* Index of the model input `file` is for, -1 if none: by file name prefix,
 * then by the name stored in a .pb. */
static int input_of(const obn_model *m, const char *file)
{
    size_t n_in = obn_model_input_count(m);
    if (n_in == 1) return 0;
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    int best = -1;
    size_t best_len = 0;
    for (size_t i = 0; i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        size_t len = strlen(vi.name);
        char next = base[len];
        if (strncmp(base, vi.name, len) == 0 && (next == '.' || next == '_' || next == '-') && len > best_len) {
            best = (int)i;
            best_len = len;
        }
    }
    if (best >= 0 || !strstr(base, ".pb")) return best;
    obn_tensor *t = NULL;
    if (obn_tensor_load(file, &t) != OBN_OK) return -1;
    for (size_t i = 0; i < n_in && best < 0; i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        if (strcmp(obn_tensor_name(t), vi.name) == 0) best = (int)i;
    }
    obn_tensor_destroy(t);
    return best;
}

/* Samples of one model input waiting to be run, row-major. */
typedef struct {
    const char *name;
    obn_dtype dtype;
    size_t rank;           /* the model input's rank */
    int64_t dims[OBN_MAX_RANK];
    size_t row_bytes;
    unsigned char *buf;
    int64_t rows, cap;
    cli_str_list files;
} pending;

/* Appends the samples of file `path` to p; the sample shape must agree
 * with what came before. Returns the number of samples, -1 on error. */
static int64_t append_file(pending *p, const char *path)
{
    obn_tensor *t = NULL;
    if (obn_tensor_load(path, &t) != OBN_OK) {
        fprintf(stderr, "onnxbn: error: %s: %s\n", path, obn_last_error());
        return -1;
    }
    size_t rank = obn_tensor_rank(t);
    const int64_t *dims = obn_tensor_dims(t);
    int batched = rank == p->rank;
    int ok = obn_tensor_dtype(t) == p->dtype && (batched || rank + 1 == p->rank) && p->rank > 0;
    int64_t rows = batched && ok ? dims[0] : 1;
    for (size_t d = 1; ok && d < p->rank; d++) {
        int64_t got = dims[batched ? d : d - 1];
        if (p->dims[d] < 0) p->dims[d] = got; /* the first file fixes a symbolic dim */
        ok = got == p->dims[d];
    }
    if (!ok) {
        char want[256];
        cli_format_dims(p->dims, p->rank, want, sizeof want);
        fprintf(stderr, "onnxbn: error: %s: %s tensor does not fit input '%s' (%s %s: a sample or a batch)\n", path,
                obn_dtype_name(obn_tensor_dtype(t)), p->name, obn_dtype_name(p->dtype), want);
        obn_tensor_destroy(t);
        return -1;
    }
    p->row_bytes = obn_dtype_size(p->dtype);
    for (size_t d = 1; d < p->rank; d++) p->row_bytes *= (size_t)p->dims[d];
    if (p->rows + rows > p->cap) {
        int64_t cap = (p->rows + rows) * 2;
        unsigned char *nb = realloc(p->buf, (size_t)cap * p->row_bytes);
        if (!nb) {
            obn_tensor_destroy(t);
            return -1;
        }
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + (size_t)p->rows * p->row_bytes, obn_tensor_cdata(t), (size_t)rows * p->row_bytes);
    p->rows += rows;
    obn_tensor_destroy(t);
    return rows;
}

/* Runs the first `rows` pending samples of every input as one batch and
 * drops them. */
static obn_status run_batch(obn_recalib *r, pending *ps, size_t n_in, int64_t rows)
{
    obn_tensor **ts = calloc(n_in, sizeof *ts);
    const char **names = calloc(n_in, sizeof *names);
    obn_status st = ts && names ? OBN_OK : OBN_E_OUT_OF_MEMORY;
    for (size_t i = 0; st == OBN_OK && i < n_in; i++) {
        int64_t dims[OBN_MAX_RANK];
        memcpy(dims, ps[i].dims, sizeof dims);
        dims[0] = rows;
        names[i] = ps[i].name;
        st = obn_tensor_create(ps[i].dtype, ps[i].rank, dims, ps[i].buf, &ts[i]);
    }
    if (st == OBN_OK) st = obn_recalib_feed(r, n_in, names, (const obn_tensor *const *)ts);
    for (size_t i = 0; ts && i < n_in; i++) {
        obn_tensor_destroy(ts[i]);
        memmove(ps[i].buf, ps[i].buf + (size_t)rows * ps[i].row_bytes, (size_t)(ps[i].rows - rows) * ps[i].row_bytes);
        ps[i].rows -= rows;
    }
    free(ts);
    free(names);
    return st;
}

static void progress(size_t done, size_t total, int64_t samples)
{
    int width = 40, filled = total ? (int)(width * done / total) : width;
    fprintf(stderr, "\r[%.*s%*s] %zu/%zu files, %lld samples", filled, "########################################",
            width - filled, "", done, total, (long long)samples);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

static void print_table(const obn_recalib *r)
{
    int width = (int)strlen("BatchNormalization");
    obn_recalib_report rep;
    for (size_t i = 0; i < obn_recalib_bn_count(r); i++)
        if (obn_recalib_bn_report(r, i, &rep) == OBN_OK && (int)strlen(rep.node_name) > width)
            width = (int)strlen(rep.node_name);
    printf("%-*s %7s %9s %12s %24s %22s\n", width, "BatchNormalization", "version", "channels", "values/ch",
           "max |mean shift|/sigma", "variance ratio");
    for (size_t i = 0; i < obn_recalib_bn_count(r); i++) {
        if (obn_recalib_bn_report(r, i, &rep) != OBN_OK) continue;
        char shift[64], ratio[64];
        snprintf(shift, sizeof shift, "%.3g (channel %lld)", rep.max_mean_shift, (long long)rep.max_shift_channel);
        snprintf(ratio, sizeof ratio, "%.3g .. %.3g", rep.var_ratio_min, rep.var_ratio_max);
        printf("%-*s %7d %9lld %12.0f %24s %22s\n", width, rep.node_name[0] ? rep.node_name : "(unnamed)",
               rep.since_version, (long long)rep.channels, rep.values, shift, ratio);
    }
}

/* Sets up one pending buffer per model input; the batch size in *batch. */
static int init_pending(const obn_model *m, pending *ps, size_t n_in, long *batch)
{
    for (size_t i = 0; i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(m, i, &vi);
        if (vi.rank == (size_t)-1 || vi.rank == 0 || obn_dtype_size(vi.dtype) == 0) {
            fprintf(stderr, "onnxbn: error: input '%s' has no declared rank and dtype with a batch axis\n", vi.name);
            return -1;
        }
        ps[i].name = vi.name;
        ps[i].dtype = vi.dtype;
        ps[i].rank = vi.rank;
        memcpy(ps[i].dims, vi.dims, vi.rank * sizeof *vi.dims);
        if (vi.dims[0] > 0) {
            if (*batch && *batch != vi.dims[0]) {
                fprintf(stderr, "onnxbn: error: input '%s' has a fixed batch size of %lld; --batch %ld does not fit\n",
                        vi.name, (long long)vi.dims[0], *batch);
                return -1;
            }
            *batch = vi.dims[0];
        }
    }
    if (*batch == 0) *batch = 32;
    return 0;
}

/* Feeds every group of files through r in batches of `batch` samples. */
static int feed_all(obn_recalib *r, pending *ps, size_t n_in, long batch, int fixed)
{
    size_t groups = ps[0].files.n, total = groups * n_in, done = 0;
    int tty = isatty(STDERR_FILENO);
    int64_t samples = 0;
    for (size_t g = 0; g < groups; g++) {
        int64_t rows = -1;
        for (size_t i = 0; i < n_in; i++) {
            int64_t got = append_file(&ps[i], ps[i].files.items[g]);
            if (got < 0) return CLI_USAGE;
            if (rows >= 0 && got != rows) {
                fprintf(stderr, "onnxbn: error: %s has %lld samples, %s %lld\n", ps[i].files.items[g], (long long)got,
                        ps[0].files.items[g], (long long)rows);
                return CLI_USAGE;
            }
            rows = got;
            done++;
        }
        samples += rows;
        while (ps[0].rows >= batch) {
            obn_status st = run_batch(r, ps, n_in, batch);
            if (st != OBN_OK) return cli_error(st);
        }
        if (tty) progress(done, total, samples);
    }
    if (ps[0].rows > 0) {
        if (fixed)
            fprintf(stderr, "onnxbn: note: the last %lld samples do not fill a batch of %ld (fixed by the model) and "
                    "are left out\n", (long long)ps[0].rows, batch);
        else {
            obn_status st = run_batch(r, ps, n_in, ps[0].rows);
            if (st != OBN_OK) return cli_error(st);
        }
    }
    return CLI_OK;
}

/* Sorts the files among the model inputs; every input needs the same
 * number of files. */
static int assign_files(const obn_model *m, const cli_str_list *files, pending *ps, size_t n_in)
{
    for (size_t f = 0; f < files->n; f++) {
        int i = input_of(m, files->items[f]);
        if (i < 0) {
            fprintf(stderr, "onnxbn: error: %s: cannot tell which model input it is for: name the file after the "
                    "input ('NAME_0001.npy') or store the input's name in the .pb\n", files->items[f]);
            return -1;
        }
        if (cli_list_push(&ps[i].files, files->items[f])) return -1;
    }
    for (size_t i = 0; i < n_in; i++)
        if (ps[i].files.n != ps[0].files.n || ps[i].files.n == 0) {
            fprintf(stderr, "onnxbn: error: input '%s' has %zu data files, input '%s' %zu\n", ps[i].name,
                    ps[i].files.n, ps[0].name, ps[0].files.n);
            return -1;
        }
    return 0;
}

static int recalibrate(const recal_args *a, obn_model *m, obn_recalib *r)
{
    size_t n_in = obn_model_input_count(m);
    if (n_in == 0) {
        fprintf(stderr, "onnxbn: error: %s has no inputs to feed\n", a->model);
        return CLI_USAGE;
    }
    pending *ps = calloc(n_in, sizeof *ps);
    cli_str_list files = {0};
    long batch = a->batch;
    int rc = ps ? CLI_OK : CLI_USAGE;
    for (int i = 0; rc == CLI_OK && i < a->n_paths; i++)
        if (collect(a->paths[i], &files)) rc = CLI_USAGE;
    if (rc == CLI_OK && files.n == 0) {
        fprintf(stderr, "onnxbn: error: no .pb or .npy files in the --data paths\n");
        rc = CLI_USAGE;
    }
    if (rc == CLI_OK && (init_pending(m, ps, n_in, &batch) || assign_files(m, &files, ps, n_in))) rc = CLI_USAGE;
    obn_value_info vi;
    obn_model_input(m, 0, &vi);
    if (rc == CLI_OK) rc = feed_all(r, ps, n_in, batch, vi.dims[0] > 0);
    for (size_t i = 0; ps && i < n_in; i++) {
        free(ps[i].buf);
        cli_list_free(&ps[i].files);
    }
    free(ps);
    cli_list_free(&files);
    return rc;
}

int cmd_recalibrate(int argc, char **argv)
{
    recal_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        free(a.paths);
        return rc;
    }
    obn_model *m = NULL, *out = NULL;
    obn_recalib *r = NULL;
    obn_status st = obn_model_load(a.model, &m);
    if (st == OBN_OK) st = obn_recalib_create(m, &a.opts, &r);
    if (st != OBN_OK) {
        rc = cli_error(st);
    } else {
        rc = recalibrate(&a, m, r);
    }
    if (rc == CLI_OK && (st = obn_recalib_finish(r, &out)) == OBN_OK) st = obn_model_save(out, a.out);
    if (rc == CLI_OK && st != OBN_OK) rc = cli_error(st);
    if (rc == CLI_OK) {
        obn_recalib_report rep;
        obn_recalib_bn_report(r, 0, &rep);
        printf("recalibrated %zu BatchNormalization nodes over %lld batches (%s)\n", obn_recalib_bn_count(r),
               (long long)rep.batches, a.opts.rule == OBN_RECALIB_MOMENTUM ? "momentum rule" : "exact cumulative");
        print_table(r);
        printf("wrote %s\n", a.out);
    }
    obn_model_destroy(out);
    obn_recalib_destroy(r);
    obn_model_destroy(m);
    free(a.paths);
    return rc;
}
