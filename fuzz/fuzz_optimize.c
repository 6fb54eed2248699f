/* libFuzzer entry point of the optimise target (optimise, save, reload) (see harness.h). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return obn_fuzz_optimize(data, size); }
