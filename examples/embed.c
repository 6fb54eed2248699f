/* Embedding onnxbn in a C program: load a model, feed its inputs, run it,
 * print the outputs.
 *
 *   embed MODEL [INPUT.pb|INPUT.npy]...
 *
 * Input files are bound to the model's inputs in order; an input without a
 * file is filled with 0.5 (symbolic dimensions set to 1). */
#include <stdio.h>
#include <stdlib.h>

#include "onnxbn.h"

static int fail(const char *what, obn_status s)
{
    fprintf(stderr, "embed: %s failed [%s]: %s\n", what, obn_status_name(s), obn_last_error());
    return 1;
}

/* A tensor shaped like the model input, every element 0.5 (float inputs) or
 * zero (other types). */
static obn_status make_default_input(const obn_value_info *vi, obn_tensor **out)
{
    int64_t dims[OBN_MAX_RANK];
    size_t rank = vi->rank == (size_t)-1 ? 0 : vi->rank;
    for (size_t d = 0; d < rank; d++) dims[d] = vi->dims[d] >= 0 ? vi->dims[d] : 1;
    obn_status s = obn_tensor_create(vi->dtype, rank, dims, NULL, out);
    if (s == OBN_OK && vi->dtype == OBN_FLOAT) {
        float *p = obn_tensor_data(*out);
        for (int64_t i = 0; i < obn_tensor_numel(*out); i++) p[i] = 0.5f;
    }
    return s;
}

static void print_output(const char *name, const obn_tensor *t)
{
    printf("%s: %s [", name, obn_dtype_name(obn_tensor_dtype(t)));
    for (size_t d = 0; d < obn_tensor_rank(t); d++) printf("%s%lld", d ? "," : "", (long long)obn_tensor_dims(t)[d]);
    printf("]");
    if (obn_tensor_dtype(t) == OBN_FLOAT) {
        const float *p = obn_tensor_cdata(t);
        for (int64_t k = 0; k < obn_tensor_numel(t) && k < 10; k++) printf(" %.6g", p[k]);
    }
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed MODEL [INPUT.pb|INPUT.npy]...\n");
        return 2;
    }
    /* 1. load: parses, validates and resolves every operator */
    obn_model *model = NULL;
    obn_status s = obn_model_load(argv[1], &model);
    if (s != OBN_OK) return fail("loading the model", s);

    /* 2. a session: per-run state; the model could be shared by several */
    obn_session_options opts;
    obn_session_options_init(&opts);
    opts.threads = 2;
    obn_session *session = NULL;
    if ((s = obn_session_create(model, &opts, &session)) != OBN_OK) {
        obn_model_destroy(model);
        return fail("creating a session", s);
    }

    /* 3. inputs, in the model's order */
    size_t n_in = obn_model_input_count(model), n_out = obn_model_output_count(model);
    obn_tensor **inputs = calloc(n_in + 1, sizeof *inputs);
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **outputs = calloc(n_out + 1, sizeof *outputs);
    int rc = inputs && names && outputs ? 0 : 1;
    for (size_t i = 0; i < n_in && rc == 0; i++) {
        obn_value_info vi;
        obn_model_input(model, i, &vi);
        names[i] = vi.name;
        s = (int)i + 2 < argc ? obn_tensor_load(argv[i + 2], &inputs[i]) : make_default_input(&vi, &inputs[i]);
        if (s != OBN_OK) rc = fail("preparing an input", s);
    }

    /* 4. run; outputs are borrowed from the session until its next run */
    if (rc == 0) {
        s = obn_session_run(session, n_in, names, (const obn_tensor *const *)inputs, n_out, NULL, outputs);
        if (s != OBN_OK) rc = fail("running", s);
    }
    for (size_t i = 0; rc == 0 && i < n_out; i++) {
        obn_value_info vi;
        obn_model_output(model, i, &vi);
        print_output(vi.name, outputs[i]);
    }

    /* 5. clean up: each create/load has its destroy */
    for (size_t i = 0; inputs && i < n_in; i++) obn_tensor_destroy(inputs[i]);
    free(inputs);
    free(names);
    free(outputs);
    obn_session_destroy(session);
    obn_model_destroy(model);
    return rc;
}
