/* What the fuzz targets do with one input, shared by the libFuzzer targets
 * (fuzz_*.c) and by the replay program that runs the kept crashers in the
 * normal test suite (replay_main.c). Public API only.
 *
 * Each function returns 0 and aborts the process (after printing why) when
 * the library breaks one of its promises: a failure without a message, a
 * success without outputs, a saved model that does not load again, ... */
#ifndef OBN_FUZZ_HARNESS_H
#define OBN_FUZZ_HARNESS_H

#include <stddef.h>
#include <stdint.h>

/* Model bytes -> load -> session -> one run on inputs of the declared shapes
 * (symbolic dimensions set to 1 or 2, inputs of more than 2^16 elements not
 * run). */
int obn_fuzz_model_run(const uint8_t *data, size_t size);

/* Tensor file bytes (.pb or .npy) -> obn_tensor_load -> a run of the fixed
 * model that takes a tensor of that dtype and any shape; the same bytes
 * also go to obn_value_load as a sequence and as an optional file (the
 * seeds include the ONNX tests' SequenceProto and OptionalProto files). */
int obn_fuzz_tensor_run(const uint8_t *data, size_t size);

/* Model bytes -> load -> obn_model_optimize -> obn_model_save -> load the
 * saved file again -> run both; the saved model must load and give the same
 * outputs, bit for bit, as the optimised one. */
int obn_fuzz_optimize(const uint8_t *data, size_t size);

#endif
