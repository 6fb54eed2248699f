/* Conversion between ONNX TensorProto (protobuf-c) and obn_tensor. */
#ifndef OBN_TENSOR_PROTO_H
#define OBN_TENSOR_PROTO_H

#include "resource_limits.h"
#include "onnx.pb-c.h"
#include "tensor.h"

/* Reads every storage form ONNX allows for the supported types: raw_data,
 * the typed repeated fields, and external data (base_dir: folder of the
 * model; NULL forbids external data). Every count and length is checked.
 * Strings come from string_data, one entry per element.
 * Sub-byte types (packed two or four to a byte in raw_data, external data
 * and int32_data, one packed byte per int32) are unpacked to a byte each.
 * The tensor's bytes are counted in `budget` (NULL: no count) before its
 * data is allocated. `what` names the tensor in messages. *out: caller
 * owns. */
obn_status obn_tensor_from_proto(const Onnx__TensorProto *tp, const char *base_dir, obn_budget *budget,
                                 const char *what, obn_tensor **out);

/* The same, taking over a raw_data buffer of at least OBN_TAKE_RAW_MIN
 * bytes instead of copying it (tp's raw_data is then empty: for messages
 * freed right after, like the import's ModelProto). */
#define OBN_TAKE_RAW_MIN ((size_t)4096)
obn_status obn_tensor_from_proto_take(Onnx__TensorProto *tp, const char *base_dir, obn_budget *budget,
                                      const char *what, obn_tensor **out);

/* Bytes of scratch obn_tensor_to_proto needs to pack a sub-byte tensor's
 * elements or to list a string tensor's string_data (suitably aligned, as
 * malloc gives); 0 for the other types. */
size_t obn_tensor_proto_scratch(const obn_tensor *t);

/* Fills a TensorProto (raw_data form; string_data for strings) that borrows
 * the tensor's dims and data, or for sub-byte types `scratch`
 * (obn_tensor_proto_scratch bytes, filled with the packed elements, or the
 * string_data entries; NULL allowed when that is 0): valid while both live.
 * Nothing to free. */
void obn_tensor_to_proto(const obn_tensor *t, const char *name, uint8_t *scratch, Onnx__TensorProto *tp);

/* Reads a whole regular file (at most 2 GiB). *data: caller frees. */
obn_status obn_file_slurp(const char *path, unsigned char **data, size_t *size);

/* Parses a serialized TensorProto (nesting checked first); external data is
 * resolved against the folder of `path`, which also prefixes messages. */
obn_status obn_tensor_parse_pb(const unsigned char *buf, size_t size, const char *path, obn_tensor **out);

#endif
