/* Plugins: shared libraries that add custom operators to a registry through
 * the one function they export (OBN_PLUGIN_ENTRY, see include/onnxbn.h).
 * The function's signature never changes; the operator ABI version it
 * reports decides whether the plugin may stay. */
#include <dlfcn.h>
#include <string.h>

#include "custom_op.h"
#include "status.h"

void obn_plugin_close(void *handle)
{
    if (handle) dlclose(handle);
}

/* The library must use this copy of onnxbn: a plugin linked to another copy
 * (a program built with libonnxbn.a loading a plugin linked to
 * libonnxbn.so) would register into that copy's registry type and report
 * its errors into that copy's message buffer. */
static obn_status check_same_runtime(void *handle, const char *path)
{
    void *theirs = dlsym(handle, "obn_op_registry_add");
    obn_status (*ours)(obn_op_registry *, const obn_custom_op *) = obn_op_registry_add;
    void *ours_ptr;
    memcpy(&ours_ptr, &ours, sizeof ours_ptr); /* function to object pointer, as dlsym returns */
    if (theirs && theirs != ours_ptr)
        return obn_err(OBN_E_UNSUPPORTED,
                       "plugin '%s' uses another copy of libonnxbn than this program (plugins need a program linked "
                       "with libonnxbn.so)",
                       path);
    return OBN_OK;
}

/* Calls the plugin's registration function and checks the ABI it reports;
 * on any failure the registry is put back as it was. */
static obn_status register_plugin(obn_op_registry *r, obn_plugin_register_fn fn, const char *path)
{
    size_t mark = obn_custom_mark(r);
    unsigned plugin_abi = 0;
    unsigned gen = obn_err_generation();
    obn_status s = fn(r, OBN_OP_ABI_VERSION, &plugin_abi);
    if (plugin_abi >> 16 != OBN_OP_ABI_MAJOR) {
        obn_custom_rollback(r, mark);
        return obn_err(OBN_E_UNSUPPORTED,
                       "plugin '%s' was built for onnxbn operator ABI %u.%u; this library implements %d.%d (rebuild "
                       "the plugin against this onnxbn)",
                       path, plugin_abi >> 16, plugin_abi & 0xffffu, OBN_OP_ABI_MAJOR, OBN_OP_ABI_MINOR);
    }
    if (s != OBN_OK) {
        obn_custom_rollback(r, mark);
        if (obn_err_generation() == gen)
            return obn_err(s, "plugin '%s': registration failed (%s)", path, obn_status_name(s));
        return obn_err_prefix(s, "plugin '%s': ", path);
    }
    return OBN_OK;
}

obn_status obn_plugin_load(obn_op_registry *r, const char *path)
{
    if (!r || !path) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_plugin_load: NULL argument");
    if (obn_custom_frozen(r))
        return obn_err(OBN_E_INVALID_ARGUMENT,
                       "obn_plugin_load '%s': the registry is in use by a loaded model; load plugins before models",
                       path);
    dlerror();
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char *why = dlerror();
        return obn_err(OBN_E_IO, "cannot load plugin '%s': %s", path, why ? why : "unknown error");
    }
    void *sym = dlsym(handle, OBN_PLUGIN_ENTRY);
    obn_status s = OBN_OK;
    if (!sym)
        s = obn_err(OBN_E_IO, "'%s' is not an onnxbn plugin: it does not export %s()", path, OBN_PLUGIN_ENTRY);
    if (s == OBN_OK) s = check_same_runtime(handle, path);
    /* the registry holds the handle before any operator whose code is in the
     * library is added */
    if (s == OBN_OK) s = obn_custom_keep_plugin(r, handle);
    if (s != OBN_OK) {
        dlclose(handle);
        return s;
    }
    obn_plugin_register_fn fn;
    memcpy(&fn, &sym, sizeof fn); /* dlsym's object pointer to a function pointer (POSIX) */
    s = register_plugin(r, fn, path);
    if (s != OBN_OK) obn_custom_drop_plugin(r); /* closes it */
    return s;
}
