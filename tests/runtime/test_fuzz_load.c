/* Bounded, seeded mutation fuzzing of everything that reads hostile bytes:
 * valid models (built here, plus a few ONNX backend-test models when
 * /usr/share/libonnx-testdata is installed) and tensor files get bits
 * flipped, bytes set/inserted/deleted, chunks duplicated, varints replaced
 * and tails cut; each mutant is loaded, and if it loads it is described,
 * given a session and run on zero inputs of its declared shapes. Nothing
 * may crash; every failure must leave a message; the sanitizer build proves
 * no leak or out-of-bounds access. Deterministic: fixed seeds, fixed counts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tb_check.h"

/* The library must answer an impossible allocation (a mutated dim of 2^39)
 * with OBN_E_OUT_OF_MEMORY; under ASan, malloc would abort instead of
 * returning NULL unless told otherwise. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

enum { MODEL_MUTANTS_PER_SEED = 1500, TENSOR_MUTANTS_PER_SEED = 1000, MAX_RUN_ELEMENTS = 1 << 16 };

/* Longer campaigns by hand: OBN_FUZZ_SCALE multiplies the mutant counts and
 * OBN_FUZZ_SEED shifts every seed. Unset (as in ctest), the run is the same
 * every time. */
static int scale(void)
{
    const char *e = getenv("OBN_FUZZ_SCALE");
    int v = e ? atoi(e) : 1;
    return v > 0 ? v : 1;
}
static uint64_t seed_shift(void)
{
    const char *e = getenv("OBN_FUZZ_SEED");
    return e ? strtoull(e, NULL, 0) * 0x9e3779b97f4a7c15ull : 0;
}

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static size_t below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

typedef struct {
    unsigned char *data;
    size_t len, cap;
} bytes;

static void reserve(bytes *b, size_t n)
{
    if (n <= b->cap) return;
    b->cap = n * 2;
    b->data = realloc(b->data, b->cap);
    ck_assert_ptr_nonnull(b->data);
}

/* One random edit; lengths stay below 2x the seed's. */
static void mutate(bytes *b)
{
    static const uint64_t interesting[] = {0, 1, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0xffffffffu,
                                           (uint64_t)1 << 38, (uint64_t)-1};
    size_t pos = below(b->len + 1);
    switch (rnd() % 8) {
    case 0: /* flip a bit */
        if (b->len) b->data[below(b->len)] ^= (unsigned char)(1u << below(8));
        break;
    case 1: /* set a byte */
        if (b->len) b->data[below(b->len)] = (unsigned char)interesting[below(5)];
        break;
    case 2: { /* insert 1-8 random bytes */
        size_t n = 1 + below(8);
        reserve(b, b->len + n);
        memmove(b->data + pos + n, b->data + pos, b->len - pos);
        for (size_t i = 0; i < n; i++) b->data[pos + i] = (unsigned char)rnd();
        b->len += n;
        break;
    }
    case 3: { /* delete 1-16 bytes */
        size_t n = 1 + below(16);
        if (pos + n > b->len) n = b->len - pos;
        memmove(b->data + pos, b->data + pos + n, b->len - pos - n);
        b->len -= n;
        break;
    }
    case 4: /* cut the tail */
        b->len = pos;
        break;
    case 5: { /* duplicate a chunk somewhere else */
        if (!b->len) break;
        size_t from = below(b->len), n = 1 + below(32);
        if (from + n > b->len) n = b->len - from;
        reserve(b, b->len + n);
        unsigned char tmp[32];
        memcpy(tmp, b->data + from, n);
        memmove(b->data + pos + n, b->data + pos, b->len - pos);
        memcpy(b->data + pos, tmp, n);
        b->len += n;
        break;
    }
    case 6: { /* overwrite with a varint of an interesting value (lengths, dims, types) */
        uint64_t v = interesting[below(sizeof interesting / sizeof interesting[0])];
        unsigned char enc[10];
        size_t n = 0;
        do {
            enc[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
            v >>= 7;
        } while (v);
        if (pos + n <= b->len) memcpy(b->data + pos, enc, n);
        break;
    }
    default: /* increment or decrement a byte (small length/dim/type changes) */
        if (b->len) b->data[below(b->len)] += (rnd() & 1) ? 1 : 0xff;
        break;
    }
}

typedef struct {
    int loaded, sessions, ran;
} stats;

/* Zero inputs of the declared shapes (symbolic dims = `sym`); false if an
 * input would be too large to bother running. */
static bool make_inputs(const obn_model *model, int64_t sym, obn_tensor **inputs, const char **names)
{
    size_t n = obn_model_input_count(model);
    for (size_t i = 0; i < n; i++) inputs[i] = NULL;
    for (size_t i = 0; i < n; i++) {
        obn_value_info vi;
        ck_assert_int_eq(obn_model_input(model, i, &vi), OBN_OK);
        names[i] = vi.name;
        size_t rank = vi.rank == (size_t)-1 ? 1 : vi.rank;
        int64_t dims[OBN_MAX_RANK], count = 1;
        for (size_t d = 0; d < rank; d++) {
            dims[d] = vi.rank == (size_t)-1 || vi.dims[d] < 0 ? sym : vi.dims[d];
            if (dims[d] > MAX_RUN_ELEMENTS) return false;
            count *= dims[d];
            if (count > MAX_RUN_ELEMENTS) return false;
        }
        if (obn_tensor_create(vi.dtype, rank, dims, NULL, &inputs[i]) != OBN_OK) return false;
    }
    return true;
}

/* Reads every byte of every output (ASan checks they are really there). */
static unsigned touch_outputs(const obn_tensor *const *outs, size_t n)
{
    unsigned sum = 0;
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(outs[i]);
        const unsigned char *p = obn_tensor_cdata(outs[i]);
        for (size_t k = 0; k < obn_tensor_nbytes(outs[i]); k++) sum += p[k];
    }
    return sum;
}

static void exercise(const obn_model *model, stats *st)
{
    obn_model_meta meta;
    obn_model_get_meta(model, &meta);
    for (size_t i = 0; i < meta.node_count; i++) {
        obn_node_info ni;
        ck_assert_int_eq(obn_model_node(model, i, &ni), OBN_OK);
        ck_assert_ptr_nonnull(ni.op_type);
    }
    size_t n_in = obn_model_input_count(model), n_out = obn_model_output_count(model);
    for (size_t i = 0; i < n_out; i++) {
        obn_value_info vi;
        ck_assert_int_eq(obn_model_output(model, i, &vi), OBN_OK);
    }
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = 1;
    obn_session *s = NULL;
    obn_status rc = obn_session_create(model, &o, &s);
    if (rc != OBN_OK) {
        ck_assert_msg(obn_last_error()[0], "session_create failed (%s) without a message", obn_status_name(rc));
        ck_assert_ptr_null(s);
        return;
    }
    st->sessions++;
    obn_tensor **inputs = calloc(n_in + 1, sizeof *inputs);
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **outs = calloc(n_out + 1, sizeof *outs);
    for (int64_t sym = 2; sym >= 1; sym--) { /* two shapes: the second run re-plans */
        if (make_inputs(model, sym, inputs, names)) {
            rc = obn_session_run(s, n_in, names, (const obn_tensor *const *)inputs, n_out, NULL, outs);
            if (rc == OBN_OK) {
                st->ran++;
                touch_outputs(outs, n_out);
            } else {
                ck_assert_msg(obn_last_error()[0], "run failed (%s) without a message", obn_status_name(rc));
            }
        }
        for (size_t i = 0; i < n_in; i++) obn_tensor_destroy(inputs[i]);
    }
    free(inputs);
    free(names);
    free(outs);
    obn_session_destroy(s);
}

static void load_one(const bytes *b, const char *base_dir, stats *st)
{
    /* an exact-size copy: reading one byte past the input is an ASan error */
    unsigned char *exact = malloc(b->len ? b->len : 1);
    if (b->len) memcpy(exact, b->data, b->len);
    obn_model *model = (obn_model *)(uintptr_t)1;
    obn_status rc = obn_model_load_buffer(exact, b->len, base_dir, &model);
    free(exact);
    if (rc != OBN_OK) {
        ck_assert_ptr_null(model);
        ck_assert_msg(rc >= OBN_E_INVALID_ARGUMENT && rc <= OBN_E_RUNTIME, "status %d", (int)rc);
        ck_assert_msg(strncmp(obn_last_error(), "<memory>: ", 10) == 0, "message: %s", obn_last_error());
        return;
    }
    st->loaded++;
    exercise(model, st);
    obn_model_destroy(model);
}

/* ------------------------------------------------------------ seeds */

static const int64_t C3[1] = {3};

static tb_model *seed_bn_relu(int opset)
{
    static const float s[3] = {1, 2, 3}, b[3] = {0, 0.5f, -0.5f}, m[3] = {0.1f, 0.2f, 0.3f}, v[3] = {1, 2, 0.5f};
    int64_t xd[4] = {-1, 3, 2, 2};
    tb_model *t = tb_new(opset);
    tb_input(t, "x", OBN_FLOAT, 4, xd);
    tb_init_f32(t, "scale", 1, C3, s);
    tb_init_f32(t, "bias", 1, C3, b);
    tb_init_f32(t, "mean", 1, C3, m);
    tb_init_f32(t, "var", 1, C3, v);
    Onnx__NodeProto *n = tb_node(t, "BatchNormalization", "bn", "x,scale,bias,mean,var", "t");
    tb_attr_float(t, n, "epsilon", 1e-3f);
    if (opset < 9) tb_attr_int(t, n, "spatial", 1);
    if (opset == 1) tb_attr_ints(t, n, "consumed_inputs", 2, (const int64_t[]){0, 0});
    tb_node(t, "Relu", "relu", "t", "u");
    tb_node(t, "Identity", "id", "u", "y");
    tb_output(t, "y", OBN_FLOAT, 4, xd);
    return t;
}

/* Typed storage forms, scalars, empty tensors, IR 3 initializers-as-inputs. */
static tb_model *seed_storage(void)
{
    tb_model *t = tb_new(14);
    tb_proto(t)->ir_version = 3;
    int64_t d2[2] = {2, 3}, z[2] = {0, 4};
    tb_set_float_data(t, tb_add_init(t, tb_tensor_nodata(t, "f", OBN_FLOAT, 2, d2)), 6,
                      (const float[]){1, 2, 3, 4, 5, 6});
    tb_set_int32_data(t, tb_add_init(t, tb_tensor_nodata(t, "h", OBN_FLOAT16, 2, d2)), 6,
                      (const int32_t[]){0x3c00, 0, 1, 0x7c00, 0xfc00, 0x7bff});
    tb_set_int64_data(t, tb_add_init(t, tb_tensor_nodata(t, "i", OBN_INT64, 0, NULL)), 1, (const int64_t[]){7});
    tb_set_uint64_data(t, tb_add_init(t, tb_tensor_nodata(t, "u", OBN_UINT32, 1, C3)), 3,
                       (const uint64_t[]){1, 2, 3});
    tb_set_double_data(t, tb_add_init(t, tb_tensor_nodata(t, "d", OBN_DOUBLE, 1, C3)), 3,
                       (const double[]){1, 2, 3});
    tb_add_init(t, tb_tensor(t, "e", OBN_FLOAT, 2, z, NULL, 0));
    tb_input(t, "f", OBN_FLOAT, 2, d2);
    int64_t xd[2] = {-1, 3};
    tb_input(t, "x", OBN_FLOAT, 2, xd);
    const char *outs[] = {"f", "h", "i", "u", "d", "e"};
    for (int k = 0; k < 6; k++) {
        char name[16], out[16];
        snprintf(name, sizeof name, "id_%s", outs[k]);
        snprintf(out, sizeof out, "o_%s", outs[k]);
        tb_node(t, "Identity", name, outs[k], out);
        tb_output(t, out, k == 1 ? OBN_FLOAT16 : OBN_FLOAT, -1, NULL);
    }
    tb_node(t, "Relu", "r", "x", "rx");
    tb_output(t, "rx", OBN_FLOAT, 2, xd);
    tb_output(t, "x", OBN_FLOAT, 2, xd);
    return t;
}

/* BatchNormalization in training mode with the optional outputs. */
static tb_model *seed_training(void)
{
    tb_model *t = seed_bn_relu(15);
    Onnx__NodeProto *n = tb_proto(t)->graph->node[0];
    tb_attr_int(t, n, "training_mode", 1);
    tb_attr_float(t, n, "momentum", 0.8f);
    n->n_output = 3;
    n->output = tb_alloc(t, 3 * sizeof(char *));
    n->output[0] = tb_str(t, "t");
    n->output[1] = tb_str(t, "rm");
    n->output[2] = tb_str(t, "rv");
    tb_output(t, "rm", OBN_FLOAT, 1, C3);
    tb_output(t, "rv", OBN_FLOAT, 1, C3);
    return t;
}

/* Parameters in dir/weights.bin. */
static tb_model *seed_external(const char *dir)
{
    tb_model *t = seed_bn_relu(15);
    float w[16] = {1, 2, 3, 0, 0, 0.5f, -0.5f, 0, 0.1f, 0.2f, 0.3f, 0, 1, 2, 0.5f, 0};
    char *path = tb_path(dir, "weights.bin");
    tb_write_file(path, w, sizeof w);
    free(path);
    for (int p = 0; p < 4; p++)
        tb_set_external(t, tb_proto(t)->graph->initializer[p], "weights.bin", 16 * p, 12);
    return t;
}

static bool read_whole(const char *path, bytes *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    out->len = 0;
    unsigned char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        reserve(out, out->len + n);
        memcpy(out->data + out->len, chunk, n);
        out->len += n;
    }
    fclose(f);
    return out->len > 0;
}

static void fuzz_seed(const bytes *seed, const char *base_dir, uint64_t rng_seed, int mutants, stats *st)
{
    bytes b = {0};
    reserve(&b, seed->len * 2 + 64);
    load_one(seed, base_dir, st); /* the seed itself */
    rng_state = (rng_seed + seed_shift()) | 1;
    mutants *= scale();
    for (int i = 0; i < mutants; i++) {
        b.len = seed->len;
        memcpy(b.data, seed->data, seed->len);
        int edits = (rnd() & 1) ? 1 : 2 + (int)below(3); /* half of the mutants get a single edit */
        for (int e = 0; e < edits && b.len < seed->len * 2; e++) mutate(&b);
        load_one(&b, base_dir, st);
    }
    free(b.data);
}

static void fuzz_built(tb_model *m, const char *base_dir, uint64_t rng_seed, stats *st)
{
    bytes seed = {0};
    size_t len;
    const uint8_t *p = tb_pack(m, &len);
    reserve(&seed, len);
    memcpy(seed.data, p, len);
    seed.len = len;
    fuzz_seed(&seed, base_dir, rng_seed, MODEL_MUTANTS_PER_SEED, st);
    free(seed.data);
    tb_free(m);
}

START_TEST(fuzz_built_models)
{
    stats st = {0};
    static const int opsets[] = {15, 14, 9, 7, 6, 1};
    for (int i = 0; i < 6; i++) fuzz_built(seed_bn_relu(opsets[i]), NULL, 0x9e3779b97f4a7c15ull + (uint64_t)i, &st);
    fuzz_built(seed_storage(), NULL, 0x1234567ull, &st);
    fuzz_built(seed_training(), NULL, 0xabcdefull, &st);
    char *dir = tb_tmpdir();
    fuzz_built(seed_external(dir), dir, 0x5eedull, &st);
    tb_rmtree(dir);
    free(dir);
    /* most edits break the wire format or a rule; enough must get through
     * to sessions and runs for those paths to be fuzzed too */
    fprintf(stderr, "fuzz_built_models: %d mutants, %d loaded, %d sessions, %d runs\n", 9 * MODEL_MUTANTS_PER_SEED * scale(),
            st.loaded, st.sessions, st.ran);
    ck_assert_int_gt(st.loaded, 9 * MODEL_MUTANTS_PER_SEED * scale() / 50);
    ck_assert_int_gt(st.ran, 9 * MODEL_MUTANTS_PER_SEED * scale() / 50);
}
END_TEST

START_TEST(fuzz_backend_test_models)
{
    static const char *const names[] = {"test_relu", "test_identity", "test_batchnorm_example",
                                        "test_batchnorm_epsilon", "test_batchnorm_epsilon_training_mode"};
    const char *root = "/usr/share/libonnx-testdata/data/node";
    stats st = {0};
    int found = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s/model.onnx", root, names[i]);
        bytes seed = {0};
        if (read_whole(path, &seed)) {
            found++;
            fuzz_seed(&seed, NULL, 0xfeedull + i, MODEL_MUTANTS_PER_SEED, &st);
        }
        free(seed.data);
    }
    fprintf(stderr, "fuzz_backend_test_models: %d seeds, %d loaded, %d sessions, %d runs\n", found, st.loaded,
            st.sessions, st.ran);
    if (found) ck_assert_int_gt(st.loaded, found);
}
END_TEST

/* ------------------------------------------------------- tensor files */

static void tensor_one(const bytes *b, const char *path)
{
    tb_write_file(path, b->data, b->len);
    obn_tensor *t = (obn_tensor *)(uintptr_t)1;
    obn_status rc = obn_tensor_load(path, &t);
    if (rc != OBN_OK) {
        ck_assert_ptr_null(t);
        ck_assert_msg(strstr(obn_last_error(), path), "message: %s", obn_last_error());
        return;
    }
    const unsigned char *p = obn_tensor_cdata(t);
    unsigned sum = 0;
    for (size_t k = 0; k < obn_tensor_nbytes(t); k++) sum += p[k];
    (void)sum;
    obn_tensor_destroy(t);
}

START_TEST(fuzz_tensor_files)
{
    char *dir = tb_tmpdir(), *path = tb_path(dir, "t.bin");
    /* seeds: a .pb written by the library, and .npy 1.0 and 2.0 */
    int64_t d[2] = {2, 3};
    obn_tensor *t = NULL;
    ck_assert_int_eq(obn_tensor_create(OBN_INT16, 2, d, (const int16_t[]){1, -2, 3, -4, 5, -6}, &t), OBN_OK);
    ck_assert_int_eq(obn_tensor_save(t, "seed", path), OBN_OK);
    obn_tensor_destroy(t);
    bytes seeds[3] = {{0}, {0}, {0}};
    ck_assert(read_whole(path, &seeds[0]));
    static const char hdr[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    for (int v = 1; v <= 2; v++) {
        bytes *b = &seeds[v];
        size_t prefix = v == 1 ? 10 : 12, hl = 64 - prefix;
        reserve(b, prefix + hl + 24);
        memcpy(b->data, "\x93NUMPY", 6);
        b->data[6] = (unsigned char)v;
        b->data[7] = 0;
        memset(b->data + 8, 0, prefix - 8);
        b->data[8] = (unsigned char)hl;
        memset(b->data + prefix, ' ', hl);
        memcpy(b->data + prefix, hdr, sizeof hdr - 1);
        b->data[prefix + hl - 1] = '\n';
        for (int k = 0; k < 24; k++) b->data[prefix + hl + k] = (unsigned char)k;
        b->len = prefix + hl + 24;
    }
    for (int s = 0; s < 3; s++) {
        bytes b = {0};
        reserve(&b, seeds[s].len * 2 + 64);
        tensor_one(&seeds[s], path);
        rng_state = (0x7e57ull + (uint64_t)s + seed_shift()) | 1;
        for (int i = 0; i < TENSOR_MUTANTS_PER_SEED * scale(); i++) {
            b.len = seeds[s].len;
            memcpy(b.data, seeds[s].data, b.len);
            int edits = 1 + (int)below(3);
            for (int e = 0; e < edits; e++) mutate(&b);
            tensor_one(&b, path);
        }
        free(b.data);
        free(seeds[s].data);
    }
    tb_rmtree(dir);
    free(path);
    free(dir);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fuzz_load");
    TCase *t = tcase_create("fuzz");
    tcase_set_timeout(t, 300); /* a few seconds normally; the sanitizer build is slower */
    tcase_add_test(t, fuzz_built_models);
    tcase_add_test(t, fuzz_backend_test_models);
    tcase_add_test(t, fuzz_tensor_files);
    suite_add_tcase(s, t);
    return s;
}

int main(void) { return tb_run_suite(suite()); }
