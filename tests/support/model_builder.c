#include "model_builder.h"

#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tb_model {
    Onnx__ModelProto model;
    Onnx__GraphProto graph;
    void **allocs;
    size_t n_allocs, cap_allocs;
    uint8_t *packed;
};

void *tb_alloc(tb_model *m, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) abort();
    if (m->n_allocs == m->cap_allocs) {
        m->cap_allocs = m->cap_allocs ? m->cap_allocs * 2 : 64;
        m->allocs = realloc(m->allocs, m->cap_allocs * sizeof *m->allocs);
        if (!m->allocs) abort();
    }
    m->allocs[m->n_allocs++] = p;
    return p;
}

char *tb_str(tb_model *m, const char *s)
{
    size_t n = strlen(s);
    char *p = tb_alloc(m, n + 1);
    memcpy(p, s, n + 1);
    return p;
}

/* Appends to a protobuf-c repeated pointer field. */
#define TB_APPEND(m, count, array, item)                                              \
    do {                                                                              \
        void *na_ = tb_alloc((m), ((count) + 1) * sizeof *(array));                   \
        if ((count)) memcpy(na_, (array), (count) * sizeof *(array));                 \
        (array) = na_;                                                                \
        (array)[(count)++] = (item);                                                  \
    } while (0)

tb_model *tb_new(int opset)
{
    tb_model *m = calloc(1, sizeof *m);
    if (!m) abort();
    onnx__model_proto__init(&m->model);
    onnx__graph_proto__init(&m->graph);
    m->model.has_ir_version = 1;
    m->model.ir_version = 8;
    m->model.producer_name = tb_str(m, "onnxbn-tests");
    m->model.graph = &m->graph;
    m->graph.name = tb_str(m, "test");
    if (opset > 0) tb_opset(m, "", opset);
    return m;
}

void tb_free(tb_model *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->n_allocs; i++) free(m->allocs[i]);
    free(m->allocs);
    free(m->packed);
    free(m);
}

Onnx__ModelProto *tb_proto(tb_model *m) { return &m->model; }

void tb_opset(tb_model *m, const char *domain, int version)
{
    Onnx__OperatorSetIdProto *o = tb_alloc(m, sizeof *o);
    onnx__operator_set_id_proto__init(o);
    o->domain = tb_str(m, domain);
    o->has_version = 1;
    o->version = version;
    TB_APPEND(m, m->model.n_opset_import, m->model.opset_import, o);
}

static Onnx__ValueInfoProto *value_info(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = tb_alloc(m, sizeof *v);
    onnx__value_info_proto__init(v);
    v->name = tb_str(m, name);
    Onnx__TypeProto *tp = tb_alloc(m, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = tb_alloc(m, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dtype;
    if (rank >= 0) {
        Onnx__TensorShapeProto *sh = tb_alloc(m, sizeof *sh);
        onnx__tensor_shape_proto__init(sh);
        for (int i = 0; i < rank; i++) {
            Onnx__TensorShapeProto__Dimension *d = tb_alloc(m, sizeof *d);
            onnx__tensor_shape_proto__dimension__init(d);
            if (dims[i] >= 0) {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                d->dim_value = dims[i];
            } else {
                d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                d->dim_param = tb_str(m, "N");
            }
            TB_APPEND(m, sh->n_dim, sh->dim, d);
        }
        tt->shape = sh;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    v->type = tp;
    return v;
}

Onnx__ValueInfoProto *tb_input(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = value_info(m, name, dtype, rank, dims);
    TB_APPEND(m, m->graph.n_input, m->graph.input, v);
    return v;
}

Onnx__ValueInfoProto *tb_output(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims)
{
    Onnx__ValueInfoProto *v = value_info(m, name, dtype, rank, dims);
    TB_APPEND(m, m->graph.n_output, m->graph.output, v);
    return v;
}

void tb_wrap_type(tb_model *m, Onnx__ValueInfoProto *v, int kind)
{
    Onnx__TypeProto *outer = tb_alloc(m, sizeof *outer);
    onnx__type_proto__init(outer);
    if (kind == OBN_KIND_SEQUENCE) {
        Onnx__TypeProto__Sequence *sq = tb_alloc(m, sizeof *sq);
        onnx__type_proto__sequence__init(sq);
        sq->elem_type = v->type;
        outer->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
        outer->sequence_type = sq;
    } else {
        Onnx__TypeProto__Optional *op = tb_alloc(m, sizeof *op);
        onnx__type_proto__optional__init(op);
        op->elem_type = v->type;
        outer->value_case = ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE;
        outer->optional_type = op;
    }
    v->type = outer;
}

Onnx__TensorProto *tb_tensor(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims,
                             const void *data, size_t nbytes)
{
    Onnx__TensorProto *t = tb_alloc(m, sizeof *t);
    onnx__tensor_proto__init(t);
    t->name = tb_str(m, name);
    t->has_data_type = 1;
    t->data_type = dtype;
    t->n_dims = (size_t)rank;
    t->dims = tb_alloc(m, (size_t)(rank ? rank : 1) * sizeof(int64_t));
    if (rank) memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
    t->has_raw_data = 1;
    t->raw_data.len = nbytes;
    t->raw_data.data = tb_alloc(m, nbytes);
    if (nbytes && data) memcpy(t->raw_data.data, data, nbytes);
    return t;
}

Onnx__TensorProto *tb_tensor_nodata(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims)
{
    Onnx__TensorProto *t = tb_tensor(m, name, dtype, rank, dims, NULL, 0);
    t->has_raw_data = 0;
    return t;
}

#define TB_SET_FIELD(field)                                              \
    do {                                                                 \
        t->n_##field = n;                                                \
        t->field = tb_alloc(m, (n ? n : 1) * sizeof *t->field);          \
        if (n) memcpy(t->field, v, n * sizeof *t->field);                \
    } while (0)

void tb_set_float_data(tb_model *m, Onnx__TensorProto *t, size_t n, const float *v) { TB_SET_FIELD(float_data); }
void tb_set_int32_data(tb_model *m, Onnx__TensorProto *t, size_t n, const int32_t *v) { TB_SET_FIELD(int32_data); }
void tb_set_int64_data(tb_model *m, Onnx__TensorProto *t, size_t n, const int64_t *v) { TB_SET_FIELD(int64_data); }
void tb_set_double_data(tb_model *m, Onnx__TensorProto *t, size_t n, const double *v) { TB_SET_FIELD(double_data); }
void tb_set_uint64_data(tb_model *m, Onnx__TensorProto *t, size_t n, const uint64_t *v) { TB_SET_FIELD(uint64_data); }

static void add_entry(tb_model *m, Onnx__TensorProto *t, const char *key, const char *value)
{
    Onnx__StringStringEntryProto *e = tb_alloc(m, sizeof *e);
    onnx__string_string_entry_proto__init(e);
    e->key = tb_str(m, key);
    e->value = tb_str(m, value);
    TB_APPEND(m, t->n_external_data, t->external_data, e);
}

void tb_set_external(tb_model *m, Onnx__TensorProto *t, const char *location, int64_t offset, int64_t length)
{
    char num[32];
    t->has_raw_data = 0;
    t->raw_data.len = 0;
    t->has_data_location = 1;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
    if (location) add_entry(m, t, "location", location);
    if (offset >= 0) {
        snprintf(num, sizeof num, "%lld", (long long)offset);
        add_entry(m, t, "offset", num);
    }
    if (length >= 0) {
        snprintf(num, sizeof num, "%lld", (long long)length);
        add_entry(m, t, "length", num);
    }
}

static size_t numel(int rank, const int64_t *dims)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

Onnx__TensorProto *tb_tensor_f32(tb_model *m, const char *name, int rank, const int64_t *dims, const float *data)
{
    return tb_tensor(m, name, OBN_FLOAT, rank, dims, data, numel(rank, dims) * sizeof(float));
}

Onnx__TensorProto *tb_add_init(tb_model *m, Onnx__TensorProto *t)
{
    TB_APPEND(m, m->graph.n_initializer, m->graph.initializer, t);
    return t;
}

Onnx__TensorProto *tb_init_f32(tb_model *m, const char *name, int rank, const int64_t *dims, const float *data)
{
    return tb_add_init(m, tb_tensor_f32(m, name, rank, dims, data));
}

Onnx__TensorProto *tb_init_i64(tb_model *m, const char *name, int rank, const int64_t *dims, const int64_t *data)
{
    return tb_add_init(m, tb_tensor(m, name, OBN_INT64, rank, dims, data, numel(rank, dims) * sizeof(int64_t)));
}

/* Splits "a,,b" into {"a", "", "b"}. */
static void split_names(tb_model *m, const char *list, size_t *count, char ***out)
{
    *count = 0;
    *out = NULL;
    if (!list || !*list) return;
    const char *p = list;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *s = tb_alloc(m, len + 1);
        memcpy(s, p, len);
        TB_APPEND(m, *count, *out, s);
        if (!e) break;
        p = e + 1;
    }
}

Onnx__NodeProto *tb_node(tb_model *m, const char *op_type, const char *name, const char *inputs,
                         const char *outputs)
{
    Onnx__NodeProto *n = tb_alloc(m, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = tb_str(m, op_type);
    n->name = tb_str(m, name ? name : "");
    split_names(m, inputs, &n->n_input, &n->input);
    split_names(m, outputs, &n->n_output, &n->output);
    TB_APPEND(m, m->graph.n_node, m->graph.node, n);
    return n;
}

static Onnx__AttributeProto *new_attr(tb_model *m, Onnx__NodeProto *n, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    Onnx__AttributeProto *a = tb_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = tb_str(m, name);
    a->has_type = 1;
    a->type = type;
    TB_APPEND(m, n->n_attribute, n->attribute, a);
    return a;
}

void tb_attr_int(tb_model *m, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void tb_attr_float(tb_model *m, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void tb_attr_string(tb_model *m, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)tb_str(m, v);
}

void tb_attr_ints(tb_model *m, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = count;
    a->ints = tb_alloc(m, count * sizeof(int64_t));
    if (count) memcpy(a->ints, v, count * sizeof(int64_t));
}

void tb_attr_floats(tb_model *m, Onnx__NodeProto *n, const char *name, size_t count, const float *v)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = count;
    a->floats = tb_alloc(m, count * sizeof(float));
    if (count) memcpy(a->floats, v, count * sizeof(float));
}

void tb_attr_strings(tb_model *m, Onnx__NodeProto *n, const char *name, size_t count, const char *const *v)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);
    a->n_strings = count;
    a->strings = tb_alloc(m, (count ? count : 1) * sizeof *a->strings);
    for (size_t i = 0; i < count; i++) {
        a->strings[i].data = (uint8_t *)tb_str(m, v[i]);
        a->strings[i].len = strlen(v[i]);
    }
}

void tb_attr_tensor(tb_model *m, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = t;
}

void tb_attr_graph(tb_model *m, Onnx__NodeProto *n, const char *name, tb_model *body)
{
    Onnx__AttributeProto *a = new_attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
    a->g = &body->graph;
}

const uint8_t *tb_pack(tb_model *m, size_t *len)
{
    free(m->packed);
    *len = onnx__model_proto__get_packed_size(&m->model);
    m->packed = malloc(*len ? *len : 1);
    if (!m->packed) abort();
    onnx__model_proto__pack(&m->model, m->packed);
    return m->packed;
}

obn_status tb_load(tb_model *m, obn_model **out)
{
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    return obn_model_load_buffer(bytes, len, NULL, out);
}

obn_status tb_load_dir(tb_model *m, const char *base_dir, obn_model **out)
{
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    return obn_model_load_buffer(bytes, len, base_dir, out);
}

void tb_save(tb_model *m, const char *path)
{
    size_t len;
    const uint8_t *bytes = tb_pack(m, &len);
    tb_write_file(path, bytes, len);
}

void tb_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (len && fwrite(data, 1, len, f) != len) abort();
    if (fclose(f) != 0) abort();
}

char *tb_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p = tb_path(base && base[0] ? base : "/tmp", "onnxbn-test-XXXXXX");
    if (!mkdtemp(p)) abort();
    return p;
}

char *tb_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) abort();
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tb_rmtree(const char *dir)
{
    if (dir) nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int tb_has_all(const char *msg, ...)
{
    va_list ap;
    va_start(ap, msg);
    int ok = 1;
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
        if (!strstr(msg, s)) ok = 0;
    va_end(ap);
    return ok;
}

obn_status tb_run(const obn_model *model, int threads, int passes, size_t n_in, obn_tensor *const *inputs,
                  size_t n_out, obn_tensor **outputs)
{
    obn_session_options o;
    obn_session_options_init(&o);
    o.threads = threads;
    o.enable_passes = passes;
    obn_session *s = NULL;
    obn_status st = obn_session_create(model, &o, &s);
    if (st != OBN_OK) return st;
    const char **names = calloc(n_in + 1, sizeof *names);
    const obn_tensor **outs = calloc(n_out + 1, sizeof *outs);
    for (size_t i = 0; i < n_in; i++) {
        obn_value_info vi;
        obn_model_input(model, i, &vi);
        names[i] = vi.name;
    }
    st = obn_session_run(s, n_in, names, (const obn_tensor *const *)inputs, n_out, NULL, outs);
    for (size_t i = 0; i < n_out; i++) {
        outputs[i] = NULL;
        if (st == OBN_OK) st = obn_tensor_clone(outs[i], &outputs[i]);
    }
    free(names);
    free(outs);
    obn_session_destroy(s);
    return st;
}

obn_tensor *tb_f32(size_t rank, const int64_t *dims, const float *data)
{
    obn_tensor *t = NULL;
    if (obn_tensor_create(OBN_FLOAT, rank, dims, data, &t) != OBN_OK) abort();
    return t;
}

obn_tensor *tb_f32_random(size_t rank, const int64_t *dims, uint64_t seed, float lo, float hi)
{
    obn_tensor *t = tb_f32(rank, dims, NULL);
    float *p = obn_tensor_data(t);
    uint64_t s = seed * 2654435761u + 1;
    for (int64_t i = 0; i < obn_tensor_numel(t); i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        p[i] = lo + (hi - lo) * (float)((double)(s >> 11) / 9007199254740992.0);
    }
    return t;
}

static int same_shape(const obn_tensor *a, const obn_tensor *b)
{
    if (obn_tensor_dtype(a) != obn_tensor_dtype(b) || obn_tensor_rank(a) != obn_tensor_rank(b)) return 0;
    for (size_t i = 0; i < obn_tensor_rank(a); i++)
        if (obn_tensor_dims(a)[i] != obn_tensor_dims(b)[i]) return 0;
    return 1;
}

double tb_max_abs_diff(const obn_tensor *a, const obn_tensor *b)
{
    if (!same_shape(a, b) || obn_tensor_dtype(a) != OBN_FLOAT) return -1;
    const float *x = obn_tensor_cdata(a), *y = obn_tensor_cdata(b);
    double m = 0;
    for (int64_t i = 0; i < obn_tensor_numel(a); i++) {
        double d = fabs((double)x[i] - (double)y[i]);
        if (isnan(d)) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

int tb_allclose(const obn_tensor *a, const obn_tensor *b, double rtol, double atol)
{
    if (!same_shape(a, b) || obn_tensor_dtype(a) != OBN_FLOAT) return 0;
    const float *x = obn_tensor_cdata(a), *y = obn_tensor_cdata(b);
    for (int64_t i = 0; i < obn_tensor_numel(a); i++)
        if (!(fabs((double)x[i] - (double)y[i]) <= atol + rtol * fabs((double)y[i]))) return 0;
    return 1;
}

size_t tb_count_op(const obn_model *m, const char *op)
{
    obn_model_meta meta;
    obn_model_get_meta(m, &meta);
    size_t n = 0;
    for (size_t i = 0; i < meta.node_count; i++) {
        obn_node_info ni;
        obn_model_node(m, i, &ni);
        n += strcmp(ni.op_type, op) == 0;
    }
    return n;
}
