/* onnxbn run --trace and --dump DIR: both are a node callback on the
 * session (obn_session_set_node_callback). --trace prints one line per
 * computed node to stderr; --dump writes every node output as
 * DIR/<value>.pb while it is still in its buffer (later nodes reuse it). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* File names already written: values whose names differ only in characters
 * a file name cannot hold get "_2", "_3", ... */
static int name_taken(const cli_observe *o, const char *file)
{
    for (size_t i = 0; i < o->n_files; i++)
        if (strcmp(o->files[i], file) == 0) return 1;
    return 0;
}

static obn_status remember(cli_observe *o, const char *file)
{
    if (o->n_files == o->cap_files) {
        size_t cap = o->cap_files ? o->cap_files * 2 : 64;
        char **nf = realloc(o->files, cap * sizeof *nf);
        if (!nf) return OBN_E_OUT_OF_MEMORY;
        o->files = nf;
        o->cap_files = cap;
    }
    if (!(o->files[o->n_files] = strdup(file))) return OBN_E_OUT_OF_MEMORY;
    o->n_files++;
    return OBN_OK;
}

static obn_status dump_tensor(cli_observe *o, const obn_node_event *e, const obn_tensor *t)
{
    char base[200], file[216], path[4096];
    cli_safe_filename(obn_tensor_name(t), base, sizeof base);
    snprintf(file, sizeof file, "%s", base);
    for (int k = 2; name_taken(o, file); k++) snprintf(file, sizeof file, "%s_%d", base, k);
    if (remember(o, file) != OBN_OK) return obn_node_error(e->node, OBN_E_OUT_OF_MEMORY, "--dump: out of memory");
    int n = snprintf(path, sizeof path, "%s/%s.pb", o->dump_dir, file);
    if (n < 0 || (size_t)n >= sizeof path)
        return obn_node_error(e->node, OBN_E_IO, "--dump: the path of '%s' is too long", obn_tensor_name(t));
    obn_status s = obn_tensor_save(t, obn_tensor_name(t), path);
    if (s != OBN_OK)
        return obn_node_error(e->node, s, "--dump: output '%s': %s", obn_tensor_name(t), obn_last_error());
    o->n_dumped++;
    return OBN_OK;
}

/* "#3 conv (Conv-11) [1x1, fused Relu] 0.214 ms -> y float [1,8,8,8]" */
static void trace_line(cli_observe *o, const obn_node_event *e)
{
    fprintf(stderr, "trace: #%zu %s (%s%s%s-%d)", e->index, e->name[0] ? e->name : "(unnamed)", e->domain,
            e->domain[0] ? "." : "", e->op_type, e->since_version);
    if (e->variant[0]) fprintf(stderr, " [%s]", e->variant);
    fprintf(stderr, " %.3f ms%s ->", e->seconds * 1e3, e->folded ? " (folded while planning)" : "");
    for (size_t k = 0; k < e->n_outputs; k++) {
        const obn_tensor *t = e->outputs[k];
        if (!t) continue;
        char shape[256];
        cli_format_dims(obn_tensor_dims(t), obn_tensor_rank(t), shape, sizeof shape);
        fprintf(stderr, "%s %s %s %s", k ? "," : "", obn_tensor_name(t), obn_dtype_name(obn_tensor_dtype(t)), shape);
    }
    fputc('\n', stderr);
    o->n_traced++;
    o->seconds += e->seconds;
}

static obn_status on_node(const obn_node_event *e, void *user)
{
    cli_observe *o = user;
    if (o->trace) trace_line(o, e);
    obn_status s = OBN_OK;
    for (size_t k = 0; s == OBN_OK && o->dump_dir && k < e->n_outputs; k++)
        if (e->outputs[k]) s = dump_tensor(o, e, e->outputs[k]);
    return s;
}

int cli_observe_option(const char *cmd, int argc, char **argv, int *i, cli_observe *o)
{
    if (strcmp(argv[*i], "--trace") == 0) {
        o->trace = 1;
        return 1;
    }
    if (strcmp(argv[*i], "--dump") != 0) return 0;
    if (*i + 1 >= argc) return cli_usage("%s: --dump needs a directory", cmd);
    o->dump_dir = argv[++*i];
    return 1;
}

int cli_observe_attach(obn_session *s, cli_observe *o)
{
    if (!o->trace && !o->dump_dir) return 0;
    if (o->dump_dir && mkdir(o->dump_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "onnxbn: run: cannot create '%s': %s\n", o->dump_dir, strerror(errno));
        return CLI_USAGE;
    }
    obn_status st = obn_session_set_node_callback(s, on_node, o);
    return st == OBN_OK ? 0 : cli_error(st);
}

void cli_observe_finish(cli_observe *o)
{
    if (o->trace) fprintf(stderr, "trace: %zu nodes, %.3f ms in nodes\n", o->n_traced, o->seconds * 1e3);
    if (o->dump_dir) fprintf(stderr, "dump: %zu tensors written to %s\n", o->n_dumped, o->dump_dir);
    for (size_t i = 0; i < o->n_files; i++) free(o->files[i]);
    free(o->files);
    o->files = NULL;
    o->n_files = o->cap_files = 0;
}
