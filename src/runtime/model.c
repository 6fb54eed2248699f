/* Public model API: loading files and buffers, describing the graph. */
#include "model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "external_data.h"
#include "import.h"
#include "resource_limits.h"

static obn_status wrap_graph(obn_graph *g, obn_model **out);
#include "status.h"

static obn_status build_infos(obn_model *m)
{
    const obn_graph *g = m->graph;
    m->inputs = calloc((size_t)(g->n_inputs ? g->n_inputs : 1), sizeof *m->inputs);
    m->outputs = calloc((size_t)(g->n_outputs ? g->n_outputs : 1), sizeof *m->outputs);
    if (!m->inputs || !m->outputs) return OBN_OOM();
    for (int pass = 0; pass < 2; pass++) {
        int n = pass ? g->n_outputs : g->n_inputs;
        const int *ids = pass ? g->outputs : g->inputs;
        obn_value_info *infos = pass ? m->outputs : m->inputs;
        for (int i = 0; i < n; i++) {
            const obn_value *v = &g->values[ids[i]];
            infos[i].name = v->name;
            infos[i].dtype = v->dtype;
            infos[i].rank = v->rank < 0 ? (size_t)-1 : (size_t)v->rank;
            infos[i].dims = v->dims;
            infos[i].dim_names = (const char *const *)v->dim_names;
            infos[i].kind = v->n_wrap ? v->wrap[0] : OBN_KIND_TENSOR;
            infos[i].elem_kind = v->n_wrap > 1 ? v->wrap[1] : OBN_KIND_TENSOR;
        }
    }
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].init) {
            m->initializer_count++;
            m->initializer_bytes += g->values[v].init->nbytes;
        }
    return OBN_OK;
}

obn_status obn_model_wrap(obn_graph *g, obn_model **out) { return wrap_graph(g, out); }

static obn_status wrap_graph(obn_graph *g, obn_model **out)
{
    obn_model *m = calloc(1, sizeof *m);
    if (!m) {
        obn_graph_free(g);
        return OBN_OOM();
    }
    m->graph = g;
    m->refs = 1;
    obn_status s = build_infos(m);
    if (s != OBN_OK) {
        obn_model_destroy(m);
        return s;
    }
    *out = m;
    return OBN_OK;
}

void obn_load_options_init(obn_load_options *options)
{
    if (options) memset(options, 0, sizeof *options);
}

/* Options with only `limits` set (the *_limited functions). */
static obn_load_options limits_only(const obn_limits *limits)
{
    obn_load_options o;
    obn_load_options_init(&o);
    o.limits = limits;
    return o;
}

obn_status obn_model_load_buffer_with(const void *data, size_t size, const char *base_dir,
                                      const obn_load_options *options, obn_model **out)
{
    if (!out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_load_buffer: out is NULL");
    *out = NULL;
    if (!data && size) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_load_buffer: data is NULL");
    obn_limits lim;
    OBN_TRY(obn_limits_resolve(options ? options->limits : NULL, "obn_model_load_buffer_limited", &lim));
    obn_graph *g;
    OBN_TRY(obn_import_bytes(data, size, NULL, "<memory>", true, base_dir, &lim, options ? options->registry : NULL, &g));
    return wrap_graph(g, out);
}

obn_status obn_model_load_buffer_limited(const void *data, size_t size, const char *base_dir,
                                         const obn_limits *limits, obn_model **out)
{
    obn_load_options o = limits_only(limits);
    return obn_model_load_buffer_with(data, size, base_dir, &o, out);
}

obn_status obn_model_load_buffer(const void *data, size_t size, const char *base_dir, obn_model **out)
{
    return obn_model_load_buffer_with(data, size, base_dir, NULL, out);
}

/* Files from this size on are mapped rather than read (when safe). */
#define OBN_MAP_MODEL_MIN ((size_t)1 << 20)

/* A whole file's bytes, refusing anything over the 2 GiB protobuf limit
 * before allocating. A large file that no other user may write (see
 * obn_fd_only_we_write) is mapped, populated at once: no copy of it into
 * anonymous memory (*mapped = true: release with munmap); any other is
 * read into a malloc'd buffer. */
static obn_status read_file(const char *path, void **data, size_t *size, bool *mapped)
{
    *mapped = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return obn_err(OBN_E_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return obn_err(OBN_E_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > OBN_MAX_MODEL_BYTES) {
        close(fd);
        return obn_err(OBN_E_UNSUPPORTED,
                       "%s: the model is %lld bytes; onnxbn reads models up to 2 GiB (larger weights belong in external data)",
                       path, (long long)sb.st_size);
    }
    size_t n = (size_t)sb.st_size;
    if (n >= OBN_MAP_MODEL_MIN && obn_fd_only_we_write(fd)) {
        void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (m != MAP_FAILED) {
            close(fd);
            *data = m;
            *size = n;
            *mapped = true;
            return OBN_OK;
        }
    }
    char *buf = malloc(n ? n : 1);
    if (!buf) {
        close(fd);
        return OBN_OOM();
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            free(buf);
            close(fd);
            return obn_err(OBN_E_IO, "%s: read failed%s%s", path, r < 0 ? ": " : " (the file shrank)",
                           r < 0 ? strerror(errno) : "");
        }
        got += (size_t)r;
    }
    close(fd);
    *data = buf;
    *size = n;
    return OBN_OK;
}

static obn_status load_path(const char *path, bool resolve, const obn_load_options *options, obn_model **out);

obn_status obn_model_load(const char *path, obn_model **out) { return load_path(path, true, NULL, out); }

obn_status obn_model_load_limited(const char *path, const obn_limits *limits, obn_model **out)
{
    obn_load_options o = limits_only(limits);
    return load_path(path, true, &o, out);
}

obn_status obn_model_inspect(const char *path, obn_model **out) { return load_path(path, false, NULL, out); }

obn_status obn_model_load_with(const char *path, const obn_load_options *options, obn_model **out)
{
    return load_path(path, true, options, out);
}

obn_status obn_model_inspect_with(const char *path, const obn_load_options *options, obn_model **out)
{
    return load_path(path, false, options, out);
}

static obn_status load_path(const char *path, bool resolve, const obn_load_options *options, obn_model **out)
{
    if (out) *out = NULL;
    if (!out || !path) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_load: NULL argument");
    obn_limits lim;
    OBN_TRY(obn_limits_resolve(options ? options->limits : NULL, "obn_model_load_limited", &lim));
    void *data = NULL;
    size_t size = 0;
    bool mapped;
    OBN_TRY(read_file(path, &data, &size, &mapped));
    char *dir = strdup(path);
    if (!dir) {
        if (mapped) munmap(data, size);
        else free(data);
        return OBN_OOM();
    }
    char *slash = strrchr(dir, '/');
    if (slash == dir) dir[1] = '\0';
    else if (slash) *slash = '\0';
    else strcpy(dir, ".");
    obn_graph *g;
    /* a read buffer is freed as soon as it is decoded; a mapping after the import */
    obn_status s = obn_import_bytes(data, size, mapped ? NULL : data, path, resolve, dir, &lim,
                                    options ? options->registry : NULL, &g);
    if (mapped) munmap(data, size);
    free(dir);
    if (s != OBN_OK) return s;
    return wrap_graph(g, out);
}

obn_model *obn_model_retain(const obn_model *m)
{
    obn_model *mm = (obn_model *)m;
    __atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
    return mm;
}

void obn_model_destroy(obn_model *m)
{
    if (!m) return;
    if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
    obn_graph_free(m->graph);
    for (int i = 0; i < m->n_pass_log; i++) free(m->pass_log[i]);
    free(m->pass_log);
    free(m->inputs);
    free(m->outputs);
    free(m);
}

size_t obn_model_input_count(const obn_model *m) { return m ? (size_t)m->graph->n_inputs : 0; }
size_t obn_model_output_count(const obn_model *m) { return m ? (size_t)m->graph->n_outputs : 0; }

obn_status obn_model_input(const obn_model *m, size_t index, obn_value_info *out)
{
    if (!m || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_input: NULL argument");
    if (index >= (size_t)m->graph->n_inputs)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_input: index %zu out of range (%d inputs)", index,
                       m->graph->n_inputs);
    *out = m->inputs[index];
    return OBN_OK;
}

obn_status obn_model_output(const obn_model *m, size_t index, obn_value_info *out)
{
    if (!m || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_output: NULL argument");
    if (index >= (size_t)m->graph->n_outputs)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_output: index %zu out of range (%d outputs)", index,
                       m->graph->n_outputs);
    *out = m->outputs[index];
    return OBN_OK;
}

void obn_model_get_meta(const obn_model *m, obn_model_meta *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!m) return;
    const obn_graph *g = m->graph;
    out->ir_version = g->ir_version;
    out->producer_name = g->producer_name;
    out->producer_version = g->producer_version;
    out->graph_name = g->graph_name;
    out->model_version = g->model_version;
    out->node_count = (size_t)g->n_nodes;
    out->initializer_count = m->initializer_count;
    out->initializer_bytes = m->initializer_bytes;
}

size_t obn_model_opset_count(const obn_model *m) { return m ? (size_t)m->graph->n_opsets : 0; }

obn_status obn_model_opset(const obn_model *m, size_t index, const char **domain, int64_t *version)
{
    if (!m || !domain || !version) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_opset: NULL argument");
    if (index >= (size_t)m->graph->n_opsets)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_opset: index %zu out of range", index);
    *domain = m->graph->opsets[index].domain;
    *version = m->graph->opsets[index].version;
    return OBN_OK;
}

obn_status obn_model_node(const obn_model *m, size_t index, obn_node_info *out)
{
    if (!m || !out) return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_node: NULL argument");
    if (index >= (size_t)m->graph->n_nodes)
        return obn_err(OBN_E_INVALID_ARGUMENT, "obn_model_node: index %zu out of range", index);
    const obn_node *n = &m->graph->nodes[index];
    out->name = n->name;
    out->op_type = n->op_type;
    out->domain = n->domain;
    out->since_version = n->since_version;
    return OBN_OK;
}
