#include "proto_guard.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "status.h"

typedef enum { SCAN_OK, SCAN_MALFORMED, SCAN_TOO_DEEP } scan_result;

static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return false;
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return true;
        }
    }
    return false; /* more than 10 bytes */
}

/* Walks one message; recursion depth is bounded by OBN_MAX_PROTO_DEPTH.
 * Wire types (protobuf encoding spec): 0 varint, 1 fixed64, 2 length-delimited,
 * 5 fixed32; 3/4 (groups) never occur in onnx.proto and are refused. */
static scan_result scan(const uint8_t *p, const uint8_t *end, const ProtobufCMessageDescriptor *desc, int depth)
{
    if (depth > OBN_MAX_PROTO_DEPTH) return SCAN_TOO_DEEP;
    while (p < end) {
        uint64_t key, len;
        if (!read_varint(&p, end, &key)) return SCAN_MALFORMED;
        uint64_t field = key >> 3;
        switch (key & 7) {
        case 0:
            if (!read_varint(&p, end, &len)) return SCAN_MALFORMED;
            break;
        case 1:
            if (end - p < 8) return SCAN_MALFORMED;
            p += 8;
            break;
        case 5:
            if (end - p < 4) return SCAN_MALFORMED;
            p += 4;
            break;
        case 2: {
            if (!read_varint(&p, end, &len) || len > (uint64_t)(end - p)) return SCAN_MALFORMED;
            const ProtobufCFieldDescriptor *fd =
                field <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(desc, (unsigned)field) : NULL;
            if (fd && fd->type == PROTOBUF_C_TYPE_MESSAGE) {
                scan_result r = scan(p, p + len, fd->descriptor, depth + 1);
                if (r != SCAN_OK) return r;
            }
            p += len;
            break;
        }
        default: return SCAN_MALFORMED;
        }
    }
    return SCAN_OK;
}

obn_status obn_proto_check_nesting(const void *data, size_t size, const ProtobufCMessageDescriptor *desc,
                                   const char *source)
{
    const uint8_t *p = data;
    switch (scan(p, p + size, desc, 0)) {
    case SCAN_OK: return OBN_OK;
    case SCAN_TOO_DEEP:
        return obn_err(OBN_E_PARSE, "%s: messages are nested more than %d levels deep (corrupt or hostile file)",
                       source, OBN_MAX_PROTO_DEPTH);
    default:
        return obn_err(OBN_E_PARSE, "%s: not a valid ONNX %s (the protobuf is truncated or corrupt)", source,
                       strcmp(desc->short_name, "ModelProto") == 0 ? "model" : desc->short_name);
    }
}
