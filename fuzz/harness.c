/* The fuzz targets' bodies (see harness.h). Public API only: these are the
 * calls a service makes on an uploaded model or tensor file. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnxbn.h"

/* Inputs larger than this are not run: the targets look for bugs, not for
 * models that are merely big. */
#define MAX_INPUT_ELEMENTS ((int64_t)1 << 16)
#define MAX_INPUTS 16
#define MAX_OUTPUTS 64

/* Limits far below libFuzzer's 2 GiB malloc limit: a model that asks for
 * more must be refused by the library, before it allocates. */
static const obn_limits fuzz_limits = {
    .max_initializer_bytes = 64u << 20,
    .max_arena_bytes = 256u << 20,
};

#ifndef OBN_FUZZ_MODEL_DIR
#define OBN_FUZZ_MODEL_DIR "fuzz/models"
#endif

static void die(const char *what, obn_status s)
{
    fprintf(stderr, "fuzz harness: %s [%s]: %s\n", what, obn_status_name(s), obn_last_error());
    abort();
}

/* Every failure must come with a message: the service shows it to the user. */
static void check_failure(const char *call, obn_status s)
{
    if (s == OBN_OK) return;
    const char *msg = obn_last_error();
    if (!msg || !msg[0]) die(call, s);
    if ((int)s < 0 || (int)s > 64) die("status out of range", s);
}

/* The harness's private folder: external data of fuzzed models and tensor
 * files resolves here, and it holds one data file ("ext.bin") for them to
 * name. Created once, removed at exit. */
static char work_dir[64];

static void remove_work_dir(void)
{
    char path[128];
    static const char *const files[] = {"ext.bin", "t.pb", "saved.onnx"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", work_dir, files[i]);
        unlink(path);
    }
    rmdir(work_dir);
}

static const char *get_work_dir(void)
{
    if (work_dir[0]) return work_dir;
    const char *tmp = getenv("TMPDIR");
    snprintf(work_dir, sizeof work_dir, "%.40s/obn-fuzz-XXXXXX", tmp && tmp[0] && strlen(tmp) < 40 ? tmp : "/tmp");
    if (!mkdtemp(work_dir)) {
        perror("fuzz harness: mkdtemp");
        abort();
    }
    atexit(remove_work_dir);
    char path[128];
    snprintf(path, sizeof path, "%s/ext.bin", work_dir);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    for (int i = 0; i < 4096; i++) fputc((i * 37 + 11) & 0xff, f);
    fclose(f);
    return work_dir;
}

static void write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror("fuzz harness: write");
        abort();
    }
}

/* Small values of every dtype, varied by position, so that data-dependent
 * ops (Reshape, Range, Gather indices...) see something other than zeros. */
static void fill_pattern(obn_tensor *t, uint32_t salt)
{
    if (obn_tensor_dtype(t) == OBN_STRING) { /* short strings, one empty in eight */
        static const char *const words[8] = {"", "a", "bb", "a b", "x.y", "Monday", "\xc3\xa9", "0.5"};
        for (int64_t i = 0; i < obn_tensor_numel(t); i++) {
            const char *w = words[(uint32_t)(i * 2654435761u + salt) >> 29];
            obn_tensor_set_string(t, i, w, strlen(w));
        }
        return;
    }
    uint8_t *p = obn_tensor_data(t);
    size_t n = obn_tensor_nbytes(t), es = obn_dtype_size(obn_tensor_dtype(t));
    obn_dtype dt = obn_tensor_dtype(t);
    for (size_t i = 0; es && i < n / es; i++) {
        uint32_t v = (uint32_t)(i * 2654435761u + salt) >> 29; /* 0..7 */
        switch (dt) {
        case OBN_FLOAT: ((float *)p)[i] = (float)v * 0.25f - 0.75f; break;
        case OBN_DOUBLE: ((double *)p)[i] = (double)v * 0.25 - 0.75; break;
        case OBN_BOOL: p[i] = v & 1; break;
        case OBN_FLOAT16: ((uint16_t *)p)[i] = (uint16_t)(0x3800 + (v << 7)); break; /* 0.5 .. ~1.4 */
        case OBN_BFLOAT16: ((uint16_t *)p)[i] = (uint16_t)(0x3f00 + (v << 4)); break;
        default: /* integers: the value in the low byte, the rest zero */
            memset(p + i * es, 0, es);
            p[i * es] = (uint8_t)(v & 3);
            break;
        }
    }
}

/* A tensor for graph input `info`: symbolic dims 1 or 2 (from salt), an
 * unknown rank as a scalar. NULL when it would be too large to run. */
static obn_tensor *make_input(const obn_value_info *info, uint32_t salt)
{
    int64_t dims[OBN_MAX_RANK];
    size_t rank = info->rank == (size_t)-1 ? 0 : info->rank;
    if (rank > OBN_MAX_RANK) return NULL;
    int64_t numel = 1;
    for (size_t d = 0; d < rank; d++) {
        dims[d] = info->dims[d] >= 0 ? info->dims[d] : 1 + ((salt >> d) & 1);
        if (dims[d] > MAX_INPUT_ELEMENTS || (dims[d] && numel > MAX_INPUT_ELEMENTS / dims[d])) return NULL;
        numel *= dims[d];
    }
    obn_tensor *t = NULL;
    obn_status s = obn_tensor_create(info->dtype, rank, dims, NULL, &t);
    check_failure("obn_tensor_create", s);
    if (s != OBN_OK) return NULL;
    fill_pattern(t, salt);
    return t;
}

typedef struct {
    size_t n;
    const char *names[MAX_INPUTS];
    obn_tensor *tensors[MAX_INPUTS];
} input_set;

static void free_inputs(input_set *in)
{
    for (size_t i = 0; i < in->n; i++) obn_tensor_destroy(in->tensors[i]);
    in->n = 0;
}

/* Inputs for every graph input of m; 0 when the model cannot be fed. */
static int make_inputs(const obn_model *m, uint32_t salt, input_set *in)
{
    in->n = 0;
    size_t n = obn_model_input_count(m);
    if (n > MAX_INPUTS) return 0;
    for (size_t i = 0; i < n; i++) {
        obn_value_info info;
        obn_status s = obn_model_input(m, i, &info);
        if (s != OBN_OK) die("obn_model_input", s);
        obn_tensor *t = make_input(&info, salt + (uint32_t)i);
        if (!t) {
            free_inputs(in);
            return 0;
        }
        in->names[in->n] = info.name;
        in->tensors[in->n++] = t;
    }
    return 1;
}

/* Every byte of a value is readable (ASan checks the range): a tensor's
 * data, each item of a sequence, an optional's value. */
static void touch_value(const obn_tensor *v)
{
    if (obn_tensor_kind(v) == OBN_KIND_SEQUENCE) {
        for (size_t i = 0; i < obn_sequence_length(v); i++) {
            const obn_tensor *item = obn_sequence_at(v, i);
            if (!item) die("a sequence item is NULL", OBN_OK);
            touch_value(item);
        }
        return;
    }
    if (obn_tensor_kind(v) == OBN_KIND_OPTIONAL) {
        if (obn_optional_has_value(v)) touch_value(obn_optional_value(v));
        return;
    }
    const uint8_t *p = obn_tensor_cdata(v);
    size_t nb = obn_tensor_nbytes(v);
    volatile uint8_t sink = 0;
    if (nb) sink ^= p[0] ^ p[nb - 1];
    for (int64_t i = 0; obn_tensor_dtype(v) == OBN_STRING && i < obn_tensor_numel(v); i++) {
        size_t len;
        const char *s = obn_tensor_string(v, i, &len); /* every string readable, NUL-terminated */
        sink ^= (uint8_t)(s[0] ^ s[len]);
    }
    (void)sink;
}

/* Each session creation and run gets this long, as a service would bound
 * what a valid but heavy model costs (a ConvTranspose with a 45x19 kernel
 * over 91 images is 600M multiply-adds: 3 s, and far longer under the
 * sanitizers): past it the run is cancelled between nodes or batch chunks,
 * well before libFuzzer's per-input timeout (10 s) calls it a hang. */
#define RUN_DEADLINE_S 1.0

/* Runs m once on `in`. With `keep`, clones of the outputs are stored there
 * (caller destroys them); returns the number of outputs, -1 when the run
 * failed (with a message), -2 when it passed the deadline. */
static int run_once(const obn_model *m, const input_set *in, obn_tensor **keep)
{
    size_t n_out = obn_model_output_count(m);
    if (n_out > MAX_OUTPUTS) return -1;
    obn_run_options *ro = NULL;
    if (obn_run_options_create(&ro) != OBN_OK || obn_run_options_set_timeout(ro, RUN_DEADLINE_S) != OBN_OK)
        die("obn_run_options", OBN_E_OUT_OF_MEMORY);
    obn_session_options opt;
    obn_session_options_init(&opt);
    opt.threads = 1;
    opt.limits = &fuzz_limits;
    opt.create_run_options = ro;
    obn_session *s = NULL;
    obn_status st = obn_session_create(m, &opt, &s);
    check_failure("obn_session_create", st);
    if (st != OBN_OK) {
        if (s) die("failed obn_session_create left a session", st);
        obn_run_options_destroy(ro);
        return st == OBN_E_CANCELLED ? -2 : -1;
    }
    const obn_tensor *outs[MAX_OUTPUTS];
    st = obn_session_run_with(s, ro, in->n, in->names, (const obn_tensor *const *)in->tensors, n_out, NULL, outs);
    check_failure("obn_session_run_with", st);
    int result = st == OBN_OK ? (int)n_out : st == OBN_E_CANCELLED ? -2 : -1;
    for (size_t k = 0; k < n_out; k++) {
        if (st != OBN_OK && outs[k]) die("failed run left an output", st);
        if (st != OBN_OK) continue;
        if (!outs[k]) die("run succeeded without an output", st);
        touch_value(outs[k]);
        if (keep && obn_tensor_clone(outs[k], &keep[k]) != OBN_OK) keep[k] = NULL;
    }
    obn_session_destroy(s);
    obn_run_options_destroy(ro);
    return result;
}

static uint32_t hash_bytes(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size && i < 256; i++) h = (h ^ data[i]) * 16777619u;
    return h;
}

static obn_model *load_bytes(const uint8_t *data, size_t size)
{
    obn_model *m = NULL;
    obn_status s = obn_model_load_buffer_limited(data, size, get_work_dir(), &fuzz_limits, &m);
    check_failure("obn_model_load_buffer_limited", s);
    if (s != OBN_OK && m) die("failed load left a model", s);
    return s == OBN_OK ? m : NULL;
}

/* Reading everything a model describes must be safe for any model that
 * loaded. */
static void describe(const obn_model *m)
{
    obn_model_meta meta;
    obn_model_get_meta(m, &meta);
    for (size_t i = 0; i < meta.node_count; i++) {
        obn_node_info ni;
        obn_status s = obn_model_node(m, i, &ni);
        if (s != OBN_OK || !ni.name || !ni.op_type || !ni.domain) die("obn_model_node", s);
    }
    for (size_t i = 0; i < obn_model_output_count(m); i++) {
        obn_value_info vi;
        obn_status s = obn_model_output(m, i, &vi);
        if (s != OBN_OK || !vi.name) die("obn_model_output", s);
    }
}

int obn_fuzz_model_run(const uint8_t *data, size_t size)
{
    obn_model *m = load_bytes(data, size);
    if (!m) return 0;
    describe(m);
    input_set in;
    if (make_inputs(m, hash_bytes(data, size), &in)) {
        run_once(m, &in, NULL);
        free_inputs(&in);
    }
    obn_model_destroy(m);
    return 0;
}

/* ------------------------------------------------------------ tensor target */

static const obn_dtype tensor_model_types[] = {OBN_FLOAT,  OBN_UINT8,   OBN_INT8,   OBN_UINT16, OBN_INT16,
                                               OBN_INT32,  OBN_INT64,   OBN_BOOL,   OBN_FLOAT16, OBN_DOUBLE,
                                               OBN_UINT32, OBN_UINT64, OBN_BFLOAT16};
#define N_TENSOR_MODELS (sizeof tensor_model_types / sizeof tensor_model_types[0])
static obn_model *tensor_models[N_TENSOR_MODELS];

/* The model of fuzz/models/ that takes dtype `dt` (loaded once). */
static obn_model *tensor_model(obn_dtype dt)
{
    for (size_t i = 0; i < N_TENSOR_MODELS; i++) {
        if (tensor_model_types[i] != dt) continue;
        if (!tensor_models[i]) {
            const char *dir = getenv("OBN_FUZZ_MODELS");
            char path[4096];
            snprintf(path, sizeof path, "%s/tensor_%s.onnx", dir && dir[0] ? dir : OBN_FUZZ_MODEL_DIR,
                     obn_dtype_name(dt));
            obn_status s = obn_model_load(path, &tensor_models[i]);
            if (s != OBN_OK) die("loading the tensor target's fixed model (set OBN_FUZZ_MODELS)", s);
        }
        return tensor_models[i];
    }
    return NULL;
}

/* The same bytes as a SequenceProto and as an OptionalProto
 * (obn_value_load): a failure has a message and leaves nothing; a value
 * that loads is readable item by item, whatever its nesting. */
static void load_values(const char *path)
{
    static const obn_kind kinds[2] = {OBN_KIND_SEQUENCE, OBN_KIND_OPTIONAL};
    for (int k = 0; k < 2; k++) {
        obn_tensor *v = NULL;
        obn_status s = obn_value_load(path, kinds[k], &v);
        check_failure("obn_value_load", s);
        if (s != OBN_OK) {
            if (v) die("failed obn_value_load left a value", s);
            continue;
        }
        if (!v || obn_tensor_kind(v) != kinds[k]) die("obn_value_load gave another kind", s);
        touch_value(v);
        obn_tensor_destroy(v);
    }
}

int obn_fuzz_tensor_run(const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/t.pb", get_work_dir());
    write_file(path, data, size);
    load_values(path);
    obn_tensor *t = NULL;
    obn_status s = obn_tensor_load(path, &t);
    check_failure("obn_tensor_load", s);
    if (s != OBN_OK) {
        if (t) die("failed obn_tensor_load left a tensor", s);
        return 0;
    }
    /* what the accessors say must describe readable memory */
    size_t rank = obn_tensor_rank(t), nb = obn_tensor_nbytes(t);
    const int64_t *dims = obn_tensor_dims(t);
    int64_t numel = 1;
    for (size_t d = 0; d < rank; d++) numel *= dims[d];
    if (numel != obn_tensor_numel(t) || nb != (size_t)numel * obn_dtype_size(obn_tensor_dtype(t)))
        die("tensor size accessors disagree", OBN_OK);
    const uint8_t *p = obn_tensor_cdata(t);
    volatile uint8_t sink = 0;
    if (nb) sink ^= p[0] ^ p[nb - 1];
    for (int64_t i = 0; obn_tensor_dtype(t) == OBN_STRING && i < numel; i++) {
        size_t len;
        const char *str = obn_tensor_string(t, i, &len); /* each string readable up to its NUL */
        if (!str) die("a string tensor's element is missing", OBN_OK);
        sink ^= (uint8_t)(str[0] ^ str[len]);
    }
    (void)sink;
    obn_model *m = tensor_model(obn_tensor_dtype(t));
    if (m && numel <= MAX_INPUT_ELEMENTS) {
        input_set in = {1, {"x"}, {t}};
        run_once(m, &in, NULL);
    }
    obn_tensor_destroy(t);
    return 0;
}

/* ------------------------------------------------------------ optimise target */

/* Bit-equal values: tensors, and sequences and optionals item by item. */
static int same_tensor(const obn_tensor *a, const obn_tensor *b)
{
    if (obn_tensor_kind(a) != obn_tensor_kind(b)) return 0;
    if (obn_tensor_kind(a) == OBN_KIND_SEQUENCE) {
        size_t n = obn_sequence_length(a);
        if (n != obn_sequence_length(b)) return 0;
        for (size_t i = 0; i < n; i++)
            if (!same_tensor(obn_sequence_at(a, i), obn_sequence_at(b, i))) return 0;
        return 1;
    }
    if (obn_tensor_kind(a) == OBN_KIND_OPTIONAL) {
        if (obn_optional_has_value(a) != obn_optional_has_value(b)) return 0;
        return !obn_optional_has_value(a) || same_tensor(obn_optional_value(a), obn_optional_value(b));
    }
    size_t rank = obn_tensor_rank(a), nb = obn_tensor_nbytes(a);
    if (obn_tensor_dtype(a) != obn_tensor_dtype(b) || rank != obn_tensor_rank(b) || nb != obn_tensor_nbytes(b))
        return 0;
    if (rank && memcmp(obn_tensor_dims(a), obn_tensor_dims(b), rank * sizeof(int64_t)) != 0) return 0;
    if (obn_tensor_dtype(a) == OBN_STRING) {
        if (obn_tensor_numel(a) != obn_tensor_numel(b)) return 0;
        for (int64_t i = 0; i < obn_tensor_numel(a); i++) {
            size_t la, lb;
            const char *sa = obn_tensor_string(a, i, &la), *sb = obn_tensor_string(b, i, &lb);
            if (la != lb || memcmp(sa, sb, la) != 0) return 0;
        }
        return 1;
    }
    return !nb || memcmp(obn_tensor_cdata(a), obn_tensor_cdata(b), nb) == 0;
}

/* The saved copy of `opt` must load, keep inputs and outputs, and compute
 * what `opt` computes. */
static void check_saved(const obn_model *opt, const uint8_t *data, size_t size)
{
    char path[128];
    snprintf(path, sizeof path, "%s/saved.onnx", get_work_dir());
    obn_status s = obn_model_save(opt, path);
    check_failure("obn_model_save", s);
    if (s != OBN_OK) return;
    obn_model *back = NULL;
    s = obn_model_load_limited(path, &fuzz_limits, &back);
    if (s != OBN_OK) die("the saved model does not load", s);
    if (obn_model_input_count(back) != obn_model_input_count(opt) ||
        obn_model_output_count(back) != obn_model_output_count(opt))
        die("the saved model has other inputs or outputs", OBN_OK);
    input_set in;
    if (make_inputs(opt, hash_bytes(data, size), &in)) {
        obn_tensor *want[MAX_OUTPUTS] = {0}, *got[MAX_OUTPUTS] = {0};
        int n = run_once(opt, &in, want);
        int n2 = n >= 0 ? run_once(back, &in, got) : -1;
        if (n >= 0 && n2 != n && n2 != -2) die("the saved model fails where the optimised one runs", OBN_OK);
        for (int k = 0; k < n; k++) {
            if (n2 == n && want[k] && got[k] && !same_tensor(want[k], got[k]))
                die("the saved model computes something else", OBN_OK);
            obn_tensor_destroy(want[k]);
            obn_tensor_destroy(got[k]);
        }
        free_inputs(&in);
    }
    obn_model_destroy(back);
}

int obn_fuzz_optimize(const uint8_t *data, size_t size)
{
    obn_model *m = load_bytes(data, size);
    if (!m) return 0;
    obn_model *opt = NULL;
    obn_status s = obn_model_optimize(m, NULL, &opt);
    check_failure("obn_model_optimize", s);
    if (s == OBN_OK) {
        for (size_t i = 0; i < obn_model_pass_log_count(opt); i++)
            if (!obn_model_pass_log(opt, i)) die("pass log entry is NULL", s);
        check_saved(opt, data, size);
        obn_model_destroy(opt);
    } else if (opt) {
        die("failed obn_model_optimize left a model", s);
    }
    obn_model_destroy(m);
    return 0;
}
