/* ai.onnx.ml LabelEncoder (1, 2, 4): maps each element of X through a
 * table of keys to values, Y[i] = values[j] for keys[j] == X[i], else the
 * default; Y has X's shape.
 * - 1: classes_strings; a string X maps to its index in the list (else
 *   default_int64, -1), an int64 X to the string at that index (else
 *   default_string, "_Unused").
 * - 2: keys_strings/keys_int64s/keys_floats and values_* of the same count;
 *   defaults default_string ("_Unused"), default_int64 (-1), default_float
 *   (-0.0), the one of the values' type.
 * - 4: also keys_tensor/values_tensor (1-D; string, int64, float, int32,
 *   int16) and default_tensor (one element of the values' type; without it
 *   the default_* attribute of that type, -1 for int32/int16).
 * X must have the keys' type. A repeated key: the last one counts. Float
 * keys compare as numbers (-0.0 equals 0.0) and a NaN key matches any NaN.
 * The table is sorted once at load; each lookup is a binary search. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "op_helpers.h"
#include "string_tensor.h"

typedef struct {
    const char *s; /* strings: the key's bytes (borrowed from `keys`) */
    size_t len;
    int64_t i;     /* integer keys */
    double f;      /* float keys */
    int64_t index; /* position in keys/values */
} le_entry;

/* One direction of the table: LabelEncoder-1 has two (string -> index and
 * index -> string), the later versions one. */
typedef struct {
    obn_dtype key_type, value_type;
    obn_tensor *keys, *values, *def; /* owned references; def has one element */
    le_entry *sorted;                /* by key, repeated keys dropped but the last */
    int64_t n_sorted;
} le_table;

typedef struct {
    le_table t[2];
    int n_tables;
} le_attrs;

static void le_free_attrs(void *p)
{
    le_attrs *a = p;
    for (int k = 0; k < 2; k++) {
        obn_tensor_release(a->t[k].keys);
        obn_tensor_release(a->t[k].values);
        obn_tensor_release(a->t[k].def);
        free(a->t[k].sorted);
    }
    memset(a, 0, sizeof *a);
}

static bool is_float_type(obn_dtype t) { return t == OBN_FLOAT; }

/* -1, 0, 1: the order of two keys of `type` (NaN after every number). */
static int key_cmp(obn_dtype type, const le_entry *x, const le_entry *y)
{
    if (type == OBN_STRING) {
        size_t n = x->len < y->len ? x->len : y->len;
        int c = n ? memcmp(x->s, y->s, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return x->len < y->len ? -1 : x->len > y->len ? 1 : 0;
    }
    if (is_float_type(type)) {
        bool nx = isnan(x->f), ny = isnan(y->f);
        if (nx || ny) return nx == ny ? 0 : nx ? 1 : -1;
        return x->f < y->f ? -1 : x->f > y->f ? 1 : 0;
    }
    return x->i < y->i ? -1 : x->i > y->i ? 1 : 0;
}

/* qsort takes no context: the key type of the table being sorted, per thread */
static _Thread_local obn_dtype tl_sort_type;

static int entry_cmp(const void *a, const void *b)
{
    const le_entry *x = a, *y = b;
    int c = key_cmp(tl_sort_type, x, y);
    if (c) return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

static le_entry entry_of(const obn_tensor *t, int64_t i)
{
    le_entry e = {0};
    e.index = i;
    if (t->dtype == OBN_STRING) {
        const char *s = obn_strs(t)[i];
        e.s = obn_str_cstr(s);
        e.len = obn_str_len(s);
    } else if (is_float_type(t->dtype)) {
        e.f = obn_load_f64(t, i);
    } else {
        e.i = obn_load_i64(t, i);
    }
    return e;
}

/* Sorts the keys; of equal keys the last (highest index) stays. */
static obn_status build_table(le_table *t)
{
    int64_t n = t->keys->numel;
    t->sorted = malloc((size_t)(n ? n : 1) * sizeof *t->sorted);
    if (!t->sorted) return OBN_OOM();
    for (int64_t i = 0; i < n; i++) t->sorted[i] = entry_of(t->keys, i);
    tl_sort_type = t->key_type;
    qsort(t->sorted, (size_t)n, sizeof *t->sorted, entry_cmp);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (m && key_cmp(t->key_type, &t->sorted[m - 1], &t->sorted[i]) == 0) t->sorted[m - 1] = t->sorted[i];
        else t->sorted[m++] = t->sorted[i];
    }
    t->n_sorted = m;
    return OBN_OK;
}

/* A new 1-D tensor from a list attribute. */
static obn_status tensor_of_list(const obn_attr *a, obn_tensor **out)
{
    int64_t n = (int64_t)a->n;
    obn_dtype dt = a->type == OBN_ATTR_STRINGS ? OBN_STRING : a->type == OBN_ATTR_INTS ? OBN_INT64 : OBN_FLOAT;
    OBN_TRY(obn_tensor_new(dt, 1, &n, out));
    obn_status s = OBN_OK;
    for (int64_t i = 0; s == OBN_OK && i < n; i++) {
        if (dt == OBN_STRING)
            s = obn_string_set(*out, i, a->strings[i], a->string_lens ? a->string_lens[i] : strlen(a->strings[i]));
        else if (dt == OBN_INT64) ((int64_t *)(*out)->data)[i] = a->ints[i];
        else ((float *)(*out)->data)[i] = a->floats[i];
    }
    return s;
}

/* A one-element tensor of `type` holding a default. */
static obn_status scalar_tensor(obn_dtype type, const char *s, size_t len, int64_t i, float f, obn_tensor **out)
{
    int64_t one = 1;
    OBN_TRY(obn_tensor_new(type, 1, &one, out));
    if (type == OBN_STRING) return obn_string_set(*out, 0, s, len);
    if (type == OBN_FLOAT) ((float *)(*out)->data)[0] = f;
    else obn_store_i64(*out, 0, i);
    return OBN_OK;
}

static bool table_type(obn_dtype t, int v)
{
    return t == OBN_STRING || t == OBN_INT64 || t == OBN_FLOAT || (v >= 4 && (t == OBN_INT32 || t == OBN_INT16));
}

/* Exactly one of the attributes `names` (prefix_tensor from version 4,
 * prefix_strings, _int64s, _floats) as a 1-D tensor. */
static obn_status read_side(const obn_node *n, int v, const char *side, obn_tensor **out)
{
    static const char *const suffix[] = {"tensor", "strings", "int64s", "floats"};
    static const obn_attr_type types[] = {OBN_ATTR_TENSOR, OBN_ATTR_STRINGS, OBN_ATTR_INTS, OBN_ATTR_FLOATS};
    const obn_attr *found = NULL;
    int count = 0;
    for (int k = 0; k < 4; k++) {
        char name[32];
        snprintf(name, sizeof name, "%s_%s", side, suffix[k]);
        const obn_attr *a = obn_node_attr(n, name);
        if (!a) continue;
        if (k == 0 && v < 4)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of LabelEncoder-%d", name, v);
        if (a->type != types[k])
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' has type %s, expected %s", name,
                                obn_attr_type_name(a->type), obn_attr_type_name(types[k]));
        found = a;
        count++;
    }
    if (count != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "needs exactly one %s_* attribute, has %d", side, count);
    if (found->type != OBN_ATTR_TENSOR) return tensor_of_list(found, out);
    const obn_tensor *t = found->t;
    if (t->rank != 1)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s_tensor' has rank %d, expected a 1-D tensor", side, t->rank);
    if (!table_type(t->dtype, v))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s_tensor' has type %s (string, int64, float, int32 or int16)",
                            side, obn_dtype_name(t->dtype));
    *out = obn_tensor_retain((obn_tensor *)t);
    return OBN_OK;
}

static obn_status read_default(const obn_node *n, obn_dtype type, obn_tensor **out)
{
    const obn_tensor *dt;
    OBN_TRY(obn_attr_get_tensor(n, "default_tensor", &dt));
    if (dt) {
        if (dt->dtype != type || dt->numel != 1)
            return obn_node_err(n, OBN_E_INVALID_MODEL,
                                "attribute 'default_tensor' is %s of %lld elements; expected one %s (the values' type)",
                                obn_dtype_name(dt->dtype), (long long)dt->numel, obn_dtype_name(type));
        *out = obn_tensor_retain((obn_tensor *)dt);
        return OBN_OK;
    }
    const char *ds;
    int64_t di;
    float df;
    OBN_TRY(obn_attr_get_string(n, "default_string", "_Unused", &ds));
    OBN_TRY(obn_attr_get_int(n, "default_int64", -1, &di));
    OBN_TRY(obn_attr_get_float(n, "default_float", -0.0f, &df));
    const obn_attr *sa = obn_node_attr(n, "default_string");
    return scalar_tensor(type, ds, sa ? sa->s_len : strlen(ds), di, df, out);
}

static obn_status parse_v1(const obn_node *n, le_attrs *a)
{
    const obn_attr *c = obn_node_attr(n, "classes_strings");
    if (c && c->type != OBN_ATTR_STRINGS)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'classes_strings' has type %s, expected STRINGS",
                            obn_attr_type_name(c->type));
    static const obn_attr empty = {.type = OBN_ATTR_STRINGS};
    obn_tensor *classes = NULL, *index = NULL;
    OBN_TRY(tensor_of_list(c ? c : &empty, &classes));
    int64_t count = classes->numel;
    obn_status s = obn_tensor_new(OBN_INT64, 1, &count, &index);
    for (int64_t i = 0; s == OBN_OK && i < count; i++) ((int64_t *)index->data)[i] = i;
    /* table 0: string -> index; table 1: index -> string */
    a->t[0] = (le_table){.key_type = OBN_STRING, .value_type = OBN_INT64, .keys = classes, .values = index};
    a->t[1] = (le_table){.key_type = OBN_INT64, .value_type = OBN_STRING,
                         .keys = obn_tensor_retain(index), .values = obn_tensor_retain(classes)};
    a->n_tables = 2;
    if (s != OBN_OK) return s;
    for (int k = 0; k < 2; k++) {
        OBN_TRY(read_default(n, a->t[k].value_type, &a->t[k].def));
        OBN_TRY(build_table(&a->t[k]));
    }
    return OBN_OK;
}

static obn_status le_parse(const obn_node *n, int v, void *out)
{
    le_attrs *a = out;
    /* the attributes of the other versions */
    for (int k = 0; k < n->n_attrs; k++) {
        const char *name = n->attrs[k].name;
        bool v1_only = strcmp(name, "classes_strings") == 0;
        bool later = strncmp(name, "keys_", 5) == 0 || strncmp(name, "values_", 7) == 0 ||
                     strcmp(name, "default_float") == 0 || strcmp(name, "default_tensor") == 0;
        if ((v == 1 && later) || (v > 1 && v1_only))
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is not part of LabelEncoder-%d", name, v);
    }
    if (v == 1) return parse_v1(n, a);
    le_table *t = &a->t[0];
    a->n_tables = 1;
    OBN_TRY(read_side(n, v, "keys", &t->keys));
    OBN_TRY(read_side(n, v, "values", &t->values));
    t->key_type = t->keys->dtype;
    t->value_type = t->values->dtype;
    if (t->keys->numel != t->values->numel)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "%lld keys but %lld values", (long long)t->keys->numel,
                            (long long)t->values->numel);
    if (v < 4 && obn_node_attr(n, "default_tensor"))
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'default_tensor' is not part of LabelEncoder-%d", v);
    OBN_TRY(read_default(n, t->value_type, &t->def));
    return build_table(t);
}

static const le_table *table_for(const obn_op_ctx *ctx)
{
    const le_attrs *a = ctx->attrs;
    for (int k = 0; k < a->n_tables; k++)
        if (a->t[k].key_type == ctx->inputs[0]->dtype) return &a->t[k];
    return NULL;
}

static obn_status le_infer(obn_op_ctx *ctx)
{
    const obn_tensor *x = ctx->inputs[0];
    const le_table *t = table_for(ctx);
    if (!t) {
        const le_attrs *a = ctx->attrs;
        return obn_ctx_err(ctx, OBN_E_INVALID_MODEL, "input 'X' ('%s') has type %s; the keys are %s%s", obn_in_name(ctx, 0),
                           obn_dtype_name(x->dtype), obn_dtype_name(a->t[0].key_type),
                           a->n_tables == 2 ? " or int64" : "");
    }
    return obn_set_output(ctx, 0, t->value_type, x->rank, x->dims);
}

/* The position of X[i]'s key in t->values, or -1 for the default. */
static int64_t lookup(const le_table *t, const obn_tensor *x, int64_t i)
{
    le_entry e = entry_of(x, i);
    int64_t lo = 0, hi = t->n_sorted;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = key_cmp(t->key_type, &t->sorted[mid], &e);
        if (c == 0) return t->sorted[mid].index;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -1;
}

/* String values are copied once per element: their bytes are counted
 * against the plan's memory limit (a first pass) before any is made. */
static obn_status count_string_values(obn_op_ctx *ctx, const le_table *t, const obn_tensor *x)
{
    uint64_t bytes = 0;
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t j = lookup(t, x, i);
        const char *s = j >= 0 ? obn_strs(t->values)[j] : obn_strs(t->def)[0];
        uint64_t b = obn_str_heap_bytes(obn_str_len(s));
        bytes = bytes > UINT64_MAX - b ? UINT64_MAX : bytes + b;
    }
    return obn_op_count_bytes(ctx, bytes, ctx->outputs[0]->name ? ctx->outputs[0]->name : "");
}

static obn_status le_run(obn_op_ctx *ctx)
{
    const le_table *t = table_for(ctx);
    const obn_tensor *x = ctx->inputs[0];
    obn_tensor *y = ctx->outputs[0];
    if (y->dtype == OBN_STRING) OBN_TRY(count_string_values(ctx, t, x));
    for (int64_t i = 0; i < x->numel; i++) {
        int64_t found = lookup(t, x, i);
        const obn_tensor *src = found >= 0 ? t->values : t->def;
        int64_t si = found >= 0 ? found : 0;
        if (y->dtype == OBN_STRING) OBN_TRY(obn_string_copy(y, i, src, si));
        else obn_copy_elem(y, i, src, si);
    }
    return OBN_OK;
}

static const int versions[] = {1, 2, 4, 0};
static const char *const attr_names[] = {"classes_strings", "default_int64", "default_string", "default_float",
                                         "default_tensor", "keys_tensor", "keys_strings", "keys_int64s",
                                         "keys_floats", "values_tensor", "values_strings", "values_int64s",
                                         "values_floats", NULL};
static const obn_op_sig le_sigs[] = {{1, "X", "Y"}, {0}};

const obn_op obn_op_label_encoder = {
    .domain = "ai.onnx.ml",
    .op_type = "LabelEncoder",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = le_sigs,
    .attrs_size = sizeof(le_attrs),
    .flags = OBN_OP_STRINGS,
    .parse = le_parse,
    .infer = le_infer,
    .run = le_run,
    .free_attrs = le_free_attrs,
};
OBN_REGISTER_OP(obn_op_label_encoder);
