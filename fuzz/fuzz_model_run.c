/* libFuzzer entry point of the model target (load, session, run) (see harness.h). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return obn_fuzz_model_run(data, size); }
