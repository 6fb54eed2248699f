/* obn graph IR -> ModelProto -> bytes: a standard ONNX model (fused
 * activations are written back out as their original ONNX nodes). */
#ifndef OBN_EXPORT_H
#define OBN_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"

/* Serialises the graph; *out (malloc'd, caller frees) holds *size bytes. */
obn_status obn_export_bytes(const obn_graph *g, uint8_t **out, size_t *size);

#endif
