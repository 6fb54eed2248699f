/* A pre-parse check of protobuf bytes. protobuf-c unpacks nested messages
 * recursively with no depth limit, so a small hostile file (a graph in an
 * attribute in a node in a graph ... a few hundred thousand levels deep)
 * overflows the stack inside protobuf_c_message_unpack. This walks the wire
 * format iteratively per level, with the message descriptors telling which
 * length-delimited fields are sub-messages, and refuses excessive nesting
 * before protobuf-c sees the bytes. */
#ifndef OBN_PROTO_GUARD_H
#define OBN_PROTO_GUARD_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "onnxbn.h"

/* Deepest message nesting accepted (protobuf's own default recursion limit).
 * A model is level 0, its graph 1, a node 2, an attribute 3, a subgraph 4. */
#define OBN_MAX_PROTO_DEPTH 100

/* OBN_OK if `data` is well-formed wire format for `desc` nested at most
 * OBN_MAX_PROTO_DEPTH deep; otherwise OBN_E_PARSE with a message prefixed by
 * `source`. */
obn_status obn_proto_check_nesting(const void *data, size_t size, const ProtobufCMessageDescriptor *desc,
                                   const char *source);

#endif
