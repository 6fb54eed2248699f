/* onnxbn info MODEL */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *op;
    const char *domain;
    int count;
    int version; /* resolved since_version; 0 = not implemented */
} op_count;

static int cmp_count(const void *a, const void *b)
{
    const op_count *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return strcmp(x->op, y->op);
}

static void print_values(const obn_model *m, int outputs)
{
    size_t n = outputs ? obn_model_output_count(m) : obn_model_input_count(m);
    printf("%s (%zu):\n", outputs ? "outputs" : "inputs", n);
    for (size_t i = 0; i < n; i++) {
        obn_value_info vi;
        if (outputs) obn_model_output(m, i, &vi);
        else obn_model_input(m, i, &vi);
        char shape[512], type[64];
        cli_format_info_shape(&vi, shape, sizeof shape);
        const char *dt = vi.dtype ? obn_dtype_name(vi.dtype) : "?";
        /* sequences and optionals as ONNX writes them: seq(float), optional(seq(float)) */
        if (vi.kind == OBN_KIND_TENSOR)
            snprintf(type, sizeof type, "%s", dt);
        else if (vi.elem_kind == OBN_KIND_TENSOR)
            snprintf(type, sizeof type, "%s(%s)", vi.kind == OBN_KIND_SEQUENCE ? "seq" : "optional", dt);
        else
            snprintf(type, sizeof type, "%s(%s(%s))", vi.kind == OBN_KIND_SEQUENCE ? "seq" : "optional",
                     vi.elem_kind == OBN_KIND_SEQUENCE ? "seq" : "optional", dt);
        printf("  %-24s %-8s %s\n", vi.name, type, shape);
    }
}

static void print_ops(const obn_model *m, size_t n_nodes)
{
    op_count *counts = calloc(n_nodes ? n_nodes : 1, sizeof *counts);
    size_t distinct = 0;
    if (!counts) return;
    for (size_t i = 0; i < n_nodes; i++) {
        obn_node_info ni;
        obn_model_node(m, i, &ni);
        size_t k;
        for (k = 0; k < distinct; k++)
            if (strcmp(counts[k].op, ni.op_type) == 0 && strcmp(counts[k].domain, ni.domain) == 0) break;
        if (k == distinct) {
            counts[distinct].op = ni.op_type;
            counts[distinct].domain = ni.domain;
            counts[distinct].version = ni.since_version;
            distinct++;
        }
        counts[k].count++;
    }
    qsort(counts, distinct, sizeof *counts, cmp_count);
    printf("nodes: %zu\n", n_nodes);
    int unsupported = 0;
    for (size_t k = 0; k < distinct; k++) {
        printf("  %s%s%-28s %5d", counts[k].domain, counts[k].domain[0] ? "." : "", counts[k].op, counts[k].count);
        if (counts[k].version) printf("   (version %d)\n", counts[k].version);
        else printf("   NOT SUPPORTED by onnxbn\n");
        unsupported += counts[k].version == 0;
    }
    if (unsupported) printf("this model cannot run: %d operator type(s) are not supported\n", unsupported);
    free(counts);
}

int cmd_info(int argc, char **argv)
{
    const char *path = NULL;
    int passes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--passes") == 0) {
            passes = 1;
            continue;
        }
        if (strcmp(argv[i], "--plugin") == 0) {
            if (cli_add_plugin("info", i + 1 < argc ? argv[i + 1] : NULL)) return CLI_USAGE;
            i++;
            continue;
        }
        if (argv[i][0] == '-') return cli_usage("info: unknown option '%s'", argv[i]);
        if (path) return cli_usage("info: more than one model given");
        path = argv[i];
    }
    if (!path) return cli_usage("info: no model given");
    obn_model *m;
    obn_status s = cli_inspect_model(path, &m);
    if (s != OBN_OK) return cli_error(s);
    obn_model_meta meta;
    obn_model_get_meta(m, &meta);
    printf("model: %s\n", path);
    printf("ir_version: %lld\n", (long long)meta.ir_version);
    printf("producer: %s%s%s\n", meta.producer_name[0] ? meta.producer_name : "(none)",
           meta.producer_version[0] ? " " : "", meta.producer_version);
    if (meta.graph_name[0]) printf("graph: %s\n", meta.graph_name);
    printf("opsets:");
    for (size_t i = 0; i < obn_model_opset_count(m); i++) {
        const char *dom;
        int64_t ver;
        obn_model_opset(m, i, &dom, &ver);
        printf(" %s=%lld", dom[0] ? dom : "ai.onnx", (long long)ver);
    }
    printf("\n");
    print_values(m, 0);
    print_values(m, 1);
    print_ops(m, meta.node_count);
    printf("initializers: %zu (%llu bytes, %.2f MiB)\n", meta.initializer_count,
           (unsigned long long)meta.initializer_bytes, (double)meta.initializer_bytes / (1024.0 * 1024.0));
    int rc = CLI_OK;
    if (passes) {
        obn_model *opt = NULL;
        s = obn_model_optimize(m, NULL, &opt);
        if (s != OBN_OK) {
            rc = cli_error(s);
        } else {
            obn_model_meta after;
            obn_model_get_meta(opt, &after);
            printf("passes (%zu nodes -> %zu):\n", meta.node_count, after.node_count);
            for (size_t i = 0; i < obn_model_pass_log_count(opt); i++) printf("  %s\n", obn_model_pass_log(opt, i));
            if (obn_model_pass_log_count(opt) == 0) printf("  (nothing to do)\n");
        }
        obn_model_destroy(opt);
    }
    obn_model_destroy(m);
    return rc;
}

typedef struct {
    const char *domain, *op_type;
    const int *versions;
    size_t index;
} op_row;

static int cmp_op_row(const void *a, const void *b)
{
    const op_row *x = a, *y = b;
    int c = strcmp(x->op_type, y->op_type);
    return c ? c : strcmp(x->domain, y->domain);
}

/* The operators of --plugin libraries, in the order they were added. */
static void print_plugin_ops(bool signatures)
{
    const obn_op_registry *r = cli_registry();
    size_t n = obn_op_registry_count(r);
    if (n) printf("plugin operators:\n");
    for (size_t i = 0; i < n; i++) {
        const obn_custom_op *op;
        if (obn_op_registry_op(r, i, &op) != OBN_OK) continue;
        const char *dot = op->domain[0] ? "." : "";
        if (signatures)
            printf("%s%s%s-%d\t%s\t%s\n", op->domain, dot, op->op_type, op->since_version, op->inputs, op->outputs);
        else
            printf("%s%s%-28s %d\n", op->domain, dot, op->op_type, op->since_version);
    }
    if (n) printf("%zu plugin operator versions\n", n);
}

/* onnxbn ops [--signatures] [--plugin LIB]...: the registry, sorted by op
 * type; with --signatures one line per version with its formal inputs and
 * outputs. Plugin operators follow. */
int cmd_ops(int argc, char **argv)
{
    bool signatures = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--signatures") == 0) {
            signatures = true;
        } else if (strcmp(argv[i], "--plugin") == 0) {
            if (cli_add_plugin("ops", i + 1 < argc ? argv[i + 1] : NULL)) return CLI_USAGE;
            i++;
        } else {
            return cli_usage("ops: unknown option '%s' (options: --signatures, --plugin LIB)", argv[i]);
        }
    }
    size_t n = obn_operator_count();
    op_row *rows = calloc(n + 1, sizeof *rows);
    if (!rows) return cli_usage("out of memory");
    for (size_t i = 0; i < n; i++) {
        obn_operator(i, &rows[i].domain, &rows[i].op_type, &rows[i].versions);
        rows[i].index = i;
    }
    qsort(rows, n, sizeof *rows, cmp_op_row);
    for (size_t i = 0; i < n; i++) {
        const char *dot = rows[i].domain[0] ? "." : "";
        if (!signatures) {
            printf("%s%s%-28s", rows[i].domain, dot, rows[i].op_type);
            for (const int *v = rows[i].versions; *v; v++) printf(" %d", *v);
            printf("\n");
            continue;
        }
        for (const int *v = rows[i].versions; *v; v++) {
            const char *ins = "", *outs = "";
            obn_operator_signature(rows[i].index, *v, &ins, &outs);
            printf("%s%s%s-%d\t%s\t%s\n", rows[i].domain, dot, rows[i].op_type, *v, ins, outs);
        }
    }
    printf("%zu operators\n", n);
    free(rows);
    print_plugin_ops(signatures);
    return CLI_OK;
}
