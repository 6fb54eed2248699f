/* A program linked with libonnxbn.a cannot use plugins: the plugin links
 * libonnxbn.so, a second copy of the runtime. obn_plugin_load must notice
 * and refuse, naming the reason.
 *   plugin_static_check LIBMYOPS */
#include <stdio.h>
#include <string.h>

#include "onnxbn.h"

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    obn_op_registry *r = NULL;
    if (obn_op_registry_create(&r) != OBN_OK) return 2;
    obn_status s = obn_plugin_load(r, argv[1]);
    size_t n = obn_op_registry_count(r);
    obn_op_registry_destroy(r);
    printf("%s: %s\n", obn_status_name(s), obn_last_error());
    if (s != OBN_E_UNSUPPORTED || !strstr(obn_last_error(), "uses another copy of libonnxbn") || n != 0) {
        printf("FAIL: expected UNSUPPORTED 'uses another copy of libonnxbn' and an empty registry (%zu)\n", n);
        return 1;
    }
    return 0;
}
