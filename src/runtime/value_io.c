/* Value files of the ONNX backend tests beyond tensors: SequenceProto and
 * OptionalProto (onnx/onnx-data.proto, which Debian's onnx.proto lacks), read
 * by a small wire-format reader. The bytes are hostile: every length is
 * checked against what is left, nesting is bounded, and the tensors inside
 * go through the TensorProto reader with its own checks.
 *
 *   SequenceProto { name = 1; elem_type = 2; repeated tensor_values = 3;
 *                   sparse_tensor_values = 4; sequence_values = 5;
 *                   map_values = 6; optional_values = 7 }
 *   OptionalProto { name = 1; elem_type = 2; tensor_value = 3;
 *                   sparse_tensor_value = 4; sequence_value = 5;
 *                   map_value = 6; optional_value = 7 }
 *   elem_type: UNDEFINED 0, TENSOR 1, SPARSE_TENSOR 2, SEQUENCE 3, MAP 4,
 *              OPTIONAL 5
 * The field numbers of the values happen to match in both messages. */
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "tensor_proto.h"
#include "value.h"

enum { F_NAME = 1, F_ELEM_TYPE = 2, F_TENSOR = 3, F_SPARSE = 4, F_SEQUENCE = 5, F_MAP = 6, F_OPTIONAL = 7 };
enum { ELEM_UNDEFINED = 0, ELEM_TENSOR = 1, ELEM_SPARSE = 2, ELEM_SEQUENCE = 3, ELEM_MAP = 4, ELEM_OPTIONAL = 5 };

typedef struct {
    const unsigned char *p, *end;
} pb_reader;

/* A base-128 varint of at most 10 bytes. */
static bool read_varint(pb_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        unsigned char b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* One field: its number, wire type, and for length-delimited ones the
 * payload; other wire types are skipped. */
typedef struct {
    uint32_t number;
    int wire;
    uint64_t varint;
    const unsigned char *bytes;
    size_t len;
} pb_field;

static bool next_field(pb_reader *r, pb_field *f)
{
    uint64_t key;
    if (!read_varint(r, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX) return false;
    f->number = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    size_t left = (size_t)(r->end - r->p);
    switch (f->wire) {
    case 0: return read_varint(r, &f->varint);
    case 1:
        if (left < 8) return false;
        r->p += 8;
        return true;
    case 2: {
        uint64_t n;
        if (!read_varint(r, &n) || n > (uint64_t)(r->end - r->p)) return false;
        f->bytes = r->p;
        f->len = (size_t)n;
        r->p += n;
        return true;
    }
    case 5:
        if (left < 4) return false;
        r->p += 4;
        return true;
    default: return false; /* groups (3, 4) and undefined wire types */
    }
}

static obn_status read_value(const unsigned char *buf, size_t len, obn_kind kind, const char *path, int depth,
                             obn_tensor **out);

static const char *msg_name(obn_kind kind) { return kind == OBN_KIND_SEQUENCE ? "SequenceProto" : "OptionalProto"; }

/* The items of one message, collected before the container is made. */
typedef struct {
    obn_tensor **v;
    size_t n, cap;
    int kind_seen; /* elem type of the items seen, ELEM_UNDEFINED before the first */
    int64_t elem_type;
} item_list;

static void items_free(item_list *l)
{
    for (size_t i = 0; i < l->n; i++) obn_tensor_release(l->v[i]);
    free(l->v);
}

static obn_status items_push(item_list *l, obn_tensor *t)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        obn_tensor **v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            obn_tensor_release(t);
            return OBN_OOM();
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = t;
    return OBN_OK;
}

/* One value field (tensor, sequence or optional) of the message. */
static obn_status read_item(const pb_field *f, obn_kind kind, const char *path, int depth, item_list *l)
{
    const char *what = msg_name(kind);
    if (f->number == F_SPARSE || f->number == F_MAP)
        return obn_err(OBN_E_UNSUPPORTED, "%s: %s holds %s values, which onnxbn does not support", path, what,
                       f->number == F_SPARSE ? "sparse tensor" : "map");
    if (f->wire != 2) return obn_err(OBN_E_PARSE, "%s: %s field %u has the wrong wire type", path, what, f->number);
    int item_kind = f->number == F_TENSOR ? ELEM_TENSOR : f->number == F_SEQUENCE ? ELEM_SEQUENCE : ELEM_OPTIONAL;
    if (l->kind_seen != ELEM_UNDEFINED && l->kind_seen != item_kind)
        return obn_err(OBN_E_PARSE, "%s: %s mixes values of different kinds", path, what);
    if (kind == OBN_KIND_OPTIONAL && f->number == F_OPTIONAL)
        return obn_err(OBN_E_PARSE, "%s: an optional cannot hold an optional", path);
    if (kind == OBN_KIND_OPTIONAL && l->n)
        return obn_err(OBN_E_PARSE, "%s: OptionalProto holds more than one value", path);
    l->kind_seen = item_kind;
    obn_tensor *t = NULL;
    if (item_kind == ELEM_TENSOR) {
        if (f->len == 0) return obn_err(OBN_E_PARSE, "%s: %s holds an empty tensor message", path, what);
        OBN_TRY(obn_tensor_parse_pb(f->bytes, f->len, path, &t));
    } else {
        OBN_TRY(read_value(f->bytes, f->len, item_kind == ELEM_SEQUENCE ? OBN_KIND_SEQUENCE : OBN_KIND_OPTIONAL, path,
                           depth + 1, &t));
    }
    if (l->n && t->dtype != l->v[0]->dtype && t->dtype != OBN_UNDEFINED && l->v[0]->dtype != OBN_UNDEFINED) {
        obn_dtype a = l->v[0]->dtype, b = t->dtype;
        obn_tensor_release(t);
        return obn_err(OBN_E_PARSE, "%s: %s holds tensors of types %s and %s", path, what, obn_dtype_name(a),
                       obn_dtype_name(b));
    }
    return items_push(l, t);
}

/* The declared elem_type agrees with the items. */
static obn_status check_elem_type(const item_list *l, obn_kind kind, const char *path)
{
    int64_t e = l->elem_type;
    if (e == ELEM_SPARSE || e == ELEM_MAP)
        return obn_err(OBN_E_UNSUPPORTED, "%s: %s of %s values is not supported", path, msg_name(kind),
                       e == ELEM_SPARSE ? "sparse tensor" : "map");
    if (e < ELEM_UNDEFINED || e > ELEM_OPTIONAL)
        return obn_err(OBN_E_PARSE, "%s: %s has elem_type %lld, not a defined one", path, msg_name(kind), (long long)e);
    if (l->n && e != ELEM_UNDEFINED && e != l->kind_seen)
        return obn_err(OBN_E_PARSE, "%s: %s declares elem_type %lld but holds values of elem_type %d", path,
                       msg_name(kind), (long long)e, l->kind_seen);
    if (kind == OBN_KIND_OPTIONAL && e == ELEM_OPTIONAL)
        return obn_err(OBN_E_PARSE, "%s: an optional cannot hold an optional", path);
    return OBN_OK;
}

static obn_status read_value(const unsigned char *buf, size_t len, obn_kind kind, const char *path, int depth,
                             obn_tensor **out)
{
    *out = NULL;
    if (depth > OBN_MAX_VALUE_NESTING)
        return obn_err(OBN_E_PARSE, "%s: sequences and optionals nest more than %d deep", path, OBN_MAX_VALUE_NESTING);
    pb_reader r = {buf, buf + len};
    item_list l = {0};
    obn_status s = OBN_OK;
    while (s == OBN_OK && r.p < r.end) {
        pb_field f = {0};
        if (!next_field(&r, &f)) {
            s = obn_err(OBN_E_PARSE, "%s: not a valid %s (truncated or corrupt)", path, msg_name(kind));
        } else if (f.number == F_ELEM_TYPE) {
            if (f.wire != 0) s = obn_err(OBN_E_PARSE, "%s: %s elem_type has the wrong wire type", path, msg_name(kind));
            l.elem_type = (int64_t)f.varint;
        } else if (f.number >= F_TENSOR && f.number <= F_OPTIONAL) {
            s = read_item(&f, kind, path, depth, &l);
        } /* the name and unknown fields are skipped */
    }
    if (s == OBN_OK) s = check_elem_type(&l, kind, path);
    obn_tensor *t = NULL;
    if (s == OBN_OK) {
        t = calloc(1, sizeof *t);
        if (!t) s = OBN_OOM();
        else t->refs = 1;
    }
    obn_dtype elem = OBN_UNDEFINED;
    for (size_t i = 0; i < l.n && elem == OBN_UNDEFINED; i++) elem = l.v[i]->dtype;
    if (s == OBN_OK) s = obn_value_make(t, kind, elem, l.n);
    if (s == OBN_OK) {
        for (size_t i = 0; i < l.n; i++) obn_value_push(t, l.v[i]);
        l.n = 0; /* the container holds them now */
    }
    items_free(&l);
    if (s != OBN_OK) {
        obn_tensor_release(t);
        return s;
    }
    *out = t;
    return OBN_OK;
}

obn_status obn_value_load(const char *path, obn_kind kind, obn_tensor **out)
{
    if (out) *out = NULL;
    if (!path || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_value_load: NULL argument");
    if (kind == OBN_KIND_TENSOR) return obn_tensor_load(path, out);
    if (kind != OBN_KIND_SEQUENCE && kind != OBN_KIND_OPTIONAL)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_value_load: %d is not a value kind", (int)kind);
    unsigned char *buf = NULL;
    size_t size = 0;
    OBN_TRY(obn_file_slurp(path, &buf, &size));
    obn_status s = read_value(buf, size, kind, path, 1, out);
    free(buf);
    return s;
}
