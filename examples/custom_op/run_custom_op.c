/* Running a model whose operators come from a plugin, through the C API:
 * load the plugin into a registry, load the model with that registry, run
 * it on the inputs of an ONNX test folder and compare with its expected
 * outputs.
 *
 *   run_custom_op PLUGIN.so TEST_DIR
 *
 * TEST_DIR holds model.onnx and test_data_set_0/input_K.pb, output_K.pb (as
 * make_model.py writes them). Prints each output's largest difference and
 * exits 0 when every value is within |got - want| <= 1e-6 + 1e-4 |want|. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "onnxbn.h"

#define RTOL 1e-4
#define ATOL 1e-6

static int fail(const char *what, obn_status s)
{
    fprintf(stderr, "run_custom_op: %s failed [%s]: %s\n", what, obn_status_name(s), obn_last_error());
    return 2;
}

/* Largest |got - want| over the elements; *bad counts those out of tolerance. */
static double compare(const obn_tensor *got, const obn_tensor *want, int64_t *bad)
{
    double worst = 0;
    *bad = 0;
    for (int64_t i = 0; i < obn_tensor_numel(want); i++) {
        double g = obn_tensor_value(got, i), w = obn_tensor_value(want, i), d = fabs(g - w);
        if (!(d <= ATOL + RTOL * fabs(w))) (*bad)++;
        if (d > worst) worst = d;
    }
    return worst;
}

static int run(obn_model *model, const char *dir)
{
    size_t n_in = obn_model_input_count(model), n_out = obn_model_output_count(model);
    obn_tensor **inputs = calloc(n_in + 1, sizeof *inputs);
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **outputs = calloc(n_out + 1, sizeof *outputs);
    obn_session *session = NULL;
    char path[4096];
    int rc = inputs && names && outputs ? 0 : 2;
    obn_status s = rc ? OBN_E_OUT_OF_MEMORY : obn_session_create(model, NULL, &session);
    if (s != OBN_OK && rc == 0) rc = fail("creating a session", s);
    for (size_t i = 0; rc == 0 && i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(model, i, &vi);
        names[i] = vi.name;
        snprintf(path, sizeof path, "%s/test_data_set_0/input_%zu.pb", dir, i);
        if ((s = obn_tensor_load(path, &inputs[i])) != OBN_OK) rc = fail(path, s);
    }
    if (rc == 0 && (s = obn_session_run(session, n_in, names, (const obn_tensor *const *)inputs, n_out, NULL,
                                        outputs)) != OBN_OK)
        rc = fail("running", s);
    for (size_t k = 0; rc != 2 && k < n_out; k++) {
        obn_value_info vi;
        obn_tensor *want = NULL;
        obn_model_output(model, k, &vi);
        snprintf(path, sizeof path, "%s/test_data_set_0/output_%zu.pb", dir, k);
        if ((s = obn_tensor_load(path, &want)) != OBN_OK) {
            rc = fail(path, s);
            break;
        }
        int64_t bad = 0;
        double worst = obn_tensor_numel(want) == obn_tensor_numel(outputs[k]) ? compare(outputs[k], want, &bad) : NAN;
        if (isnan(worst)) bad = 1;
        printf("%s: %lld values, max abs error %.3g%s\n", vi.name, (long long)obn_tensor_numel(want), worst,
               bad ? " FAIL" : "");
        if (bad) rc = 1;
        obn_tensor_destroy(want);
    }
    for (size_t i = 0; inputs && i < n_in; i++) obn_tensor_destroy(inputs[i]);
    free(inputs);
    free(names);
    free(outputs);
    obn_session_destroy(session);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: run_custom_op PLUGIN.so TEST_DIR\n");
        return 2;
    }
    /* 1. a registry of our own: nothing process-wide is changed */
    obn_op_registry *registry = NULL;
    obn_status s = obn_op_registry_create(&registry);
    if (s != OBN_OK) return fail("creating a registry", s);
    /* 2. the plugin adds its operators to it */
    if ((s = obn_plugin_load(registry, argv[1])) != OBN_OK) {
        obn_op_registry_destroy(registry);
        return fail("loading the plugin", s);
    }
    /* 3. models loaded with the registry resolve their nodes against it */
    obn_load_options options;
    obn_load_options_init(&options);
    options.registry = registry;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", argv[2]);
    obn_model *model = NULL;
    s = obn_model_load_with(path, &options, &model);
    /* the model holds its own reference: ours can go now */
    obn_op_registry_destroy(registry);
    if (s != OBN_OK) return fail("loading the model", s);
    int rc = run(model, argv[2]);
    obn_model_destroy(model);
    return rc;
}
