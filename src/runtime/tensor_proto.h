/* Conversion between ONNX TensorProto (protobuf-c) and obn_tensor. */
#ifndef OBN_TENSOR_PROTO_H
#define OBN_TENSOR_PROTO_H

#include "onnx.pb-c.h"
#include "tensor.h"

/* Reads every storage form ONNX allows for the supported types: raw_data,
 * the typed repeated fields, and external data (base_dir: folder of the
 * model; NULL forbids external data). Every count and length is checked.
 * `what` names the tensor in messages. *out: caller owns. */
obn_status obn_tensor_from_proto(const Onnx__TensorProto *tp, const char *base_dir,
                                 const char *what, obn_tensor **out);

/* Fills a TensorProto (raw_data form) that borrows the tensor's dims and
 * data: valid while the tensor lives; free with obn_tensor_proto_fini. */
obn_status obn_tensor_to_proto(const obn_tensor *t, const char *name, Onnx__TensorProto *tp);
void obn_tensor_proto_fini(Onnx__TensorProto *tp);

#endif
