/* Embedding onnxbn in a C program: load a model, feed its inputs, run, and
 * print the outputs.
 *
 *   embed MODEL [INPUT.pb|INPUT.npy]...
 *
 * Input files are bound to the model's inputs in order; inputs without a
 * file get a constant 0.5 everywhere (symbolic dimensions set to 1). */
#include <stdio.h>
#include <stdlib.h>

#include "onnxbn.h"

static int fail(const char *what, obn_status s)
{
    fprintf(stderr, "embed: %s failed [%s]: %s\n", what, obn_status_name(s), obn_last_error());
    return 1;
}

/* A tensor shaped like the model input, filled with 0.5 (float inputs). */
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

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed MODEL [INPUT.pb|INPUT.npy]...\n");
        return 2;
    }
    obn_model *model = NULL;
    obn_status s = obn_model_load(argv[1], &model);
    if (s != OBN_OK) return fail("loading the model", s);

    obn_session_options opts;
    obn_session_options_init(&opts);
    opts.threads = 2;
    obn_session *session = NULL;
    if ((s = obn_session_create(model, &opts, &session)) != OBN_OK) {
        obn_model_destroy(model);
        return fail("creating a session", s);
    }
    /* the session keeps its own reference: the model handle can go now */
    obn_model_destroy(model);
    model = NULL;

    /* the session still describes the model through... the model. Reload a
     * handle-free description by keeping the inputs we need before: */
    int rc = 0;
    obn_model *desc = NULL;
    if ((s = obn_model_load(argv[1], &desc)) != OBN_OK) {
        obn_session_destroy(session);
        return fail("loading the model description", s);
    }
    size_t n_in = obn_model_input_count(desc), n_out = obn_model_output_count(desc);
    obn_tensor **inputs = calloc(n_in + 1, sizeof *inputs);
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **outputs = calloc(n_out + 1, sizeof *outputs);
    for (size_t i = 0; i < n_in && rc == 0; i++) {
        obn_value_info vi;
        obn_model_input(desc, i, &vi);
        names[i] = vi.name;
        s = (int)i + 2 < argc ? obn_tensor_load(argv[i + 2], &inputs[i]) : make_default_input(&vi, &inputs[i]);
        if (s != OBN_OK) rc = fail("preparing an input", s);
    }
    if (rc == 0) {
        s = obn_session_run(session, n_in, names, (const obn_tensor *const *)inputs, n_out, NULL, outputs);
        if (s != OBN_OK) rc = fail("running", s);
    }
    for (size_t i = 0; rc == 0 && i < n_out; i++) {
        obn_value_info vi;
        obn_model_output(desc, i, &vi);
        const obn_tensor *t = outputs[i]; /* borrowed: valid until the next run */
        printf("%s: %s [", vi.name, obn_dtype_name(obn_tensor_dtype(t)));
        for (size_t d = 0; d < obn_tensor_rank(t); d++)
            printf("%s%lld", d ? "," : "", (long long)obn_tensor_dims(t)[d]);
        printf("]");
        if (obn_tensor_dtype(t) == OBN_FLOAT) {
            const float *p = obn_tensor_cdata(t);
            for (int64_t k = 0; k < obn_tensor_numel(t) && k < 10; k++) printf(" %.6g", p[k]);
        }
        printf("\n");
    }
    for (size_t i = 0; i < n_in; i++) obn_tensor_destroy(inputs[i]);
    free(inputs);
    free(names);
    free(outputs);
    obn_model_destroy(desc);
    obn_session_destroy(session);
    return rc;
}
