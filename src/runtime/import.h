/* ModelProto (protobuf-c) -> obn graph IR. The proto can be freed afterwards:
 * the IR copies everything it keeps. */
#ifndef OBN_IMPORT_H
#define OBN_IMPORT_H

#include "ir.h"
#include "onnx.pb-c.h"

/* Largest model file accepted: protobuf's own 2 GiB message limit. */
#define OBN_MAX_MODEL_BYTES ((size_t)2 << 30)

/* Counts no real model comes near, which bound the loader's duplicate checks
 * (pairwise over these lists) so that a small hostile file cannot make
 * loading take minutes: ONNX operators have at most a few dozen attributes,
 * models import a handful of opsets. */
#define OBN_MAX_NODE_ATTRIBUTES 1024
#define OBN_MAX_OPSET_IMPORTS 1024
#define OBN_MAX_NODE_IO 10000

/* Builds and structurally validates the graph: names, types, shapes,
 * initializer data, opset imports, topological order. base_dir: folder for
 * external data (NULL forbids it). limits: NULL = the defaults; checked
 * before tensor data is allocated. */
obn_status obn_import_model(const Onnx__ModelProto *mp, const char *base_dir, const obn_limits *limits,
                            obn_graph **out);

/* Parses bytes as a ModelProto and imports it. `source` names the file in
 * messages (every message is prefixed with "source: "). */
/* With resolve false, operators are bound where implemented and left NULL
 * elsewhere (for describing models onnxbn cannot run). */
/* custom_ops: the registry nodes resolve against first (the graph keeps a
 * reference and the registry is frozen), NULL for built-in operators only. */
/* owned: when not NULL, a malloc'd buffer holding `data` that is freed as
 * soon as the bytes are decoded (in every case), so that the file's bytes,
 * the decoded protobuf and the imported graph are never all in memory at
 * once. */
obn_status obn_import_bytes(const void *data, size_t size, void *owned, const char *source, bool resolve,
                            const char *base_dir, const obn_limits *limits, const obn_op_registry *custom_ops,
                            obn_graph **out);

/* Binds every node to its operator implementation for the model's opsets,
 * checks input/output counts and attributes, and parses attributes. */
obn_status obn_graph_resolve(obn_graph *g);

/* True when every node is bound to an implementation. */
bool obn_graph_is_resolved(const obn_graph *g);

#endif
