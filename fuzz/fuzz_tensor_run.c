/* libFuzzer entry point of the tensor target (tensor file, fixed model) (see harness.h). */
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return obn_fuzz_tensor_run(data, size); }
