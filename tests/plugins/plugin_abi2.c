/* A plugin as one built against a future onnxbn whose operator ABI has
 * major version 2 would look to this library: it reports ABI 2.0 and adds
 * nothing. It does not link libonnxbn (it calls nothing), so the host's
 * version check is the only thing that stops it. */
#include "onnxbn.h"

__attribute__((visibility("default"))) obn_status obn_plugin_register(obn_op_registry *registry, unsigned host_abi,
                                                                      unsigned *plugin_abi);

obn_status obn_plugin_register(obn_op_registry *registry, unsigned host_abi, unsigned *plugin_abi)
{
    (void)registry;
    (void)host_abi;
    *plugin_abi = 2u << 16;
    return OBN_OK;
}
