/* Internal side of the custom-operator registry (src/ops/custom_op.c): what
 * the registry lookup, the loader, the graph passes and the plugin loader
 * need. The public side is in include/onnxbn.h. */
#ifndef OBN_CUSTOM_OP_H
#define OBN_CUSTOM_OP_H

#include <stdbool.h>
#include <stddef.h>

#include "op.h"

/* The registered version of (domain, op_type) with the highest
 * since_version <= opset, or NULL. *defined tells whether the registry has
 * any version of that operator: then it replaces the built-in one entirely,
 * and a NULL result is an error, not a fall-back to the built-in operator. */
const obn_op *obn_custom_find(const obn_op_registry *r, const char *domain, const char *op_type, int64_t opset,
                              int *since_version, bool *defined);
/* "1, 3": the versions registered for (domain, op_type), for messages. */
void obn_custom_versions(const obn_op_registry *r, const char *domain, const char *op_type, char *buf, size_t cap);

/* What the user's prepare returned for this planned custom node (NULL if
 * none), and the descriptor's user_data. */
void *obn_custom_state(const obn_op_ctx *ctx);
void *obn_custom_user_data(const obn_op *op);

/* For plugins: registry size before a registration, removal of what was
 * added after it (a failed plugin), keeping a library handle open until the
 * registry goes (closed with obn_plugin_close, src/ops/custom_plugin.c). */
bool obn_custom_frozen(const obn_op_registry *r);
size_t obn_custom_mark(const obn_op_registry *r);
void obn_custom_rollback(obn_op_registry *r, size_t mark);
obn_status obn_custom_keep_plugin(obn_op_registry *r, void *handle);
/* Closes the handle kept last (a plugin whose registration failed, after
 * obn_custom_rollback removed its operators). */
void obn_custom_drop_plugin(obn_op_registry *r);
void obn_plugin_close(void *handle);

#endif
