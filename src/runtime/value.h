/* Sequence and optional values. They share struct obn_tensor with dense
 * tensors (kind != OBN_KIND_TENSOR): `data` is an array of numel item
 * pointers (a sequence's items; an optional's 0 or 1 value), each a heap
 * value of its own, reference counted and immutable once made, so copying a
 * sequence copies the array and retains the items. With owns_data the
 * container holds a reference on each item and owns the array; a borrowed
 * container (a plan's view of a caller's input) holds neither. The array is
 * never NULL once the value is known ("data known" as for tensors).
 *
 * These values live on the heap, outside the plan's arena: ops that make
 * them run while planning (OBN_OP_RUN_SHAPES), like other ops whose output
 * shapes depend on data. */
#ifndef OBN_VALUE_H
#define OBN_VALUE_H

#include <stdbool.h>

#include "status.h"
#include "tensor.h"

static inline obn_tensor **obn_value_items(const obn_tensor *t) { return (obn_tensor **)t->data; }

/* Drops what t holds (owned tensor data, or the items and their array) and
 * leaves t an unknown tensor of its dtype: kind TENSOR, no data. */
void obn_value_clear(obn_tensor *t);

/* t (a container of the caller: plan value, loop slot) becomes an empty
 * sequence or optional with room for `cap` items; old contents dropped. */
obn_status obn_value_make(obn_tensor *t, obn_kind kind, obn_dtype elem, size_t cap);

/* Appends item to a container made by obn_value_make, taking over the
 * caller's reference; the capacity must have room. */
void obn_value_push(obn_tensor *t, obn_tensor *item);

/* An immutable heap copy of src for a sequence or optional to hold: a
 * tensor's data is copied (src may live in an arena); a sequence or
 * optional shares src's items. *out: a new reference. */
obn_status obn_value_snapshot(const obn_tensor *src, obn_tensor **out);

/* dst (a container of the caller) becomes a copy of the sequence or
 * optional src, sharing its items. */
obn_status obn_value_assign(obn_tensor *dst, const obn_tensor *src);

/* Same kind, element type and, for tensors, shape; for containers the
 * kinds nested inside too when both have items to show them. */
bool obn_value_same_type(const obn_tensor *x, const obn_tensor *y);

/* "sequence of float", "optional of sequence of int64", "float tensor" into
 * buf, for messages. */
const char *obn_value_type_str(const obn_tensor *t, char *buf, size_t cap);
#define OBN_VALUE_TYPE_CAP 96

#endif
