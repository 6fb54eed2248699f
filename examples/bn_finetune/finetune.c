/* Fine-tuning a BatchNorm -> Linear head on the device: runs the training
 * step graph that make_step.py builds, one mini-batch per run, feeding each
 * output NAME_new back in as input NAME (the parameters, their momenta and
 * the BN running statistics), through the public API only.
 *
 *   finetune DIR [OUT_DIR]
 *
 * DIR holds train_step.onnx, steps.txt ("STEPS BATCH LR"), the labelled data
 * set x.npy [M, D] float and labels.npy [M] int64, and NAME.npy for every
 * other graph input except lr and T (the step count). Prints the loss of
 * every step; writes the final state as OUT_DIR/NAME.pb when OUT_DIR is
 * given. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxbn.h"

#define MAX_INPUTS 32

typedef struct {
    obn_model *model;
    obn_session *session;
    size_t n_in;
    const char *in_names[MAX_INPUTS];
    obn_tensor *state[MAX_INPUTS];  /* NULL for x, labels, lr and T */
    int feedback[MAX_INPUTS];       /* output index of NAME_new, -1 if none */
    obn_tensor *x_all, *labels_all; /* the data set */
} trainer;

static int fail(const char *what, obn_status s)
{
    fprintf(stderr, "finetune: %s failed [%s]: %s\n", what, obn_status_name(s), obn_last_error());
    return 1;
}

static obn_status load_file(const char *dir, const char *name, const char *ext, obn_tensor **out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, ext);
    return obn_tensor_load(path, out);
}

static int is_per_step(const char *name)
{
    return !strcmp(name, "x") || !strcmp(name, "labels") || !strcmp(name, "lr") || !strcmp(name, "T");
}

/* The output named NAME_new, or -1. */
static int output_of(const obn_model *model, const char *name)
{
    char want[256];
    snprintf(want, sizeof want, "%s_new", name);
    for (size_t k = 0; k < obn_model_output_count(model); k++) {
        obn_value_info vi;
        if (obn_model_output(model, k, &vi) == OBN_OK && !strcmp(vi.name, want)) return (int)k;
    }
    return -1;
}

/* Loads the model, the data set and the initial state of every input. */
static obn_status trainer_open(trainer *t, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/train_step.onnx", dir);
    obn_status s = obn_model_load(path, &t->model);
    if (s) return s;
    t->n_in = obn_model_input_count(t->model);
    if (t->n_in > MAX_INPUTS) {
        fprintf(stderr, "finetune: the model has %zu inputs (at most %d)\n", t->n_in, MAX_INPUTS);
        return OBN_E_UNSUPPORTED;
    }
    for (size_t i = 0; i < t->n_in && s == OBN_OK; i++) {
        obn_value_info vi;
        s = obn_model_input(t->model, i, &vi);
        if (s) break;
        t->in_names[i] = vi.name;
        t->feedback[i] = output_of(t->model, vi.name);
        if (!is_per_step(vi.name)) s = load_file(dir, vi.name, ".npy", &t->state[i]);
    }
    if (s == OBN_OK) s = load_file(dir, "x", ".npy", &t->x_all);
    if (s == OBN_OK) s = load_file(dir, "labels", ".npy", &t->labels_all);
    if (s == OBN_OK) {
        obn_session_options opts;
        obn_session_options_init(&opts);
        opts.threads = 1; /* tiny tensors */
        s = obn_session_create(t->model, &opts, &t->session);
    }
    return s;
}

static void trainer_close(trainer *t)
{
    for (size_t i = 0; i < t->n_in; i++) obn_tensor_destroy(t->state[i]);
    obn_tensor_destroy(t->x_all);
    obn_tensor_destroy(t->labels_all);
    obn_session_destroy(t->session);
    obn_model_destroy(t->model);
}

/* Rows [start, start + batch) of a data-set tensor, borrowed. */
static obn_status rows(obn_tensor *all, int64_t start, int64_t batch, obn_tensor **out)
{
    const int64_t *d = obn_tensor_dims(all);
    int64_t dims[OBN_MAX_RANK], row = obn_tensor_numel(all) / d[0];
    size_t rank = obn_tensor_rank(all), elem = obn_dtype_size(obn_tensor_dtype(all));
    memcpy(dims, d, rank * sizeof *dims);
    dims[0] = batch;
    char *base = obn_tensor_data(all);
    return obn_tensor_wrap(obn_tensor_dtype(all), rank, dims, base + (size_t)(start * row) * elem,
                           (size_t)(batch * row) * elem, out);
}

/* One training step on the rows from `start`; *loss receives the loss and
 * the state is replaced by the step's outputs. */
static obn_status train_step(trainer *t, int64_t step, int64_t start, int64_t batch, float lr, float *loss)
{
    obn_tensor *x = NULL, *labels = NULL, *lr_t = NULL, *step_t = NULL;
    obn_status s = rows(t->x_all, start, batch, &x);
    if (s == OBN_OK) s = rows(t->labels_all, start, batch, &labels);
    if (s == OBN_OK) s = obn_tensor_create(OBN_FLOAT, 0, NULL, &lr, &lr_t);
    if (s == OBN_OK) s = obn_tensor_create(OBN_INT64, 0, NULL, &step, &step_t);
    const obn_tensor *in[MAX_INPUTS];
    for (size_t i = 0; i < t->n_in; i++) {
        const char *n = t->in_names[i];
        in[i] = !strcmp(n, "x") ? x : !strcmp(n, "labels") ? labels : !strcmp(n, "lr") ? lr_t
              : !strcmp(n, "T") ? step_t : t->state[i];
    }
    size_t n_out = obn_model_output_count(t->model);
    const obn_tensor **out = calloc(n_out, sizeof *out);
    if (s == OBN_OK && !out) s = OBN_E_OUT_OF_MEMORY;
    if (s == OBN_OK) s = obn_session_run(t->session, t->n_in, t->in_names, in, n_out, NULL, out);
    for (size_t i = 0; i < t->n_in && s == OBN_OK; i++) {
        if (!t->state[i] || t->feedback[i] < 0) continue;
        obn_tensor *next = NULL;
        s = obn_tensor_clone(out[t->feedback[i]], &next); /* outputs are the session's until the next run */
        if (s == OBN_OK) {
            obn_tensor_destroy(t->state[i]);
            t->state[i] = next;
        }
    }
    if (s == OBN_OK) *loss = *(const float *)obn_tensor_cdata(out[0]);
    free(out);
    obn_tensor_destroy(x);
    obn_tensor_destroy(labels);
    obn_tensor_destroy(lr_t);
    obn_tensor_destroy(step_t);
    return s;
}

static obn_status save_state(const trainer *t, const char *out_dir)
{
    for (size_t i = 0; i < t->n_in; i++) {
        if (!t->state[i]) continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.pb", out_dir, t->in_names[i]);
        obn_status s = obn_tensor_save(t->state[i], t->in_names[i], path);
        if (s) return s;
    }
    return OBN_OK;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: finetune DIR [OUT_DIR]\n");
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/steps.txt", argv[1]);
    FILE *f = fopen(path, "r");
    long steps = 0, batch = 0;
    float lr = 0;
    int ok = f && fscanf(f, "%ld %ld %f", &steps, &batch, &lr) == 3 && steps > 0 && batch > 0;
    if (f) fclose(f);
    if (!ok) {
        fprintf(stderr, "finetune: %s: expected \"STEPS BATCH LR\"\n", path);
        return 1;
    }
    trainer t = {0};
    obn_status s = trainer_open(&t, argv[1]);
    if (s) {
        trainer_close(&t);
        return fail("loading", s);
    }
    int64_t samples = obn_tensor_dims(t.x_all)[0];
    if (samples < batch || obn_tensor_numel(t.labels_all) != samples) {
        fprintf(stderr, "finetune: %lld samples and %lld labels for batches of %ld\n", (long long)samples,
                (long long)obn_tensor_numel(t.labels_all), batch);
        trainer_close(&t);
        return 1;
    }
    for (long step = 0; step < steps && s == OBN_OK; step++) {
        float loss = 0;
        int64_t start = step * batch % samples;
        if (start + batch > samples) start = 0;
        s = train_step(&t, step, start, batch, lr, &loss);
        if (s == OBN_OK) printf("step %ld loss %.6f\n", step, loss);
    }
    if (s == OBN_OK && argc == 3) s = save_state(&t, argv[2]);
    trainer_close(&t);
    return s ? fail("training", s) : 0;
}
