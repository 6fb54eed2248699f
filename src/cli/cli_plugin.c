/* --plugin LIB for every command that loads models: one registry for the
 * whole command, filled in the order the options come, used for every model
 * the command loads. */
#include <stdlib.h>

#include "cli.h"

static obn_op_registry *registry;

static void free_registry(void) { obn_op_registry_destroy(registry); }

int cli_add_plugin(const char *cmd, const char *path)
{
    if (!path) return cli_usage("%s: --plugin needs a shared library", cmd);
    if (!registry) {
        obn_status s = obn_op_registry_create(&registry);
        if (s != OBN_OK) return cli_error(s);
        atexit(free_registry);
    }
    obn_status s = obn_plugin_load(registry, path);
    return s == OBN_OK ? 0 : cli_error(s);
}

const obn_op_registry *cli_registry(void) { return registry; }

obn_status cli_load_model(const char *path, const obn_limits *limits, obn_model **out)
{
    obn_load_options o;
    obn_load_options_init(&o);
    o.registry = registry;
    o.limits = limits;
    return obn_model_load_with(path, &o, out);
}

obn_status cli_inspect_model(const char *path, obn_model **out)
{
    obn_load_options o;
    obn_load_options_init(&o);
    o.registry = registry;
    return obn_model_inspect_with(path, &o, out);
}
