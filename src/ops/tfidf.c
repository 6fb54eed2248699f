/* TfIdfVectorizer (9): per row of X (int32/int64 tokens, [C] or [N, C]),
 * the counts of the pool's n-grams (pool_int64s, levels by ngram_counts)
 * of lengths min_gram_length..max_gram_length with up to max_skip_count
 * skipped tokens between consecutive ones (kernels/ngram.h), written to
 * Y[..., ngram_indexes[g]] (float, max(ngram_indexes) + 1 wide) as
 *   TF     the count
 *   IDF    weights[g] if the count is > 0, else 0
 *   TFIDF  the count * weights[g]
 * (weights default to 1). A pool of strings (pool_strings) needs string
 * tensors, which onnxbn does not have: such a node is refused at load as
 * unsupported. */
#include <stdlib.h>
#include <string.h>

#include "kernels/ngram.h"
#include "op_helpers.h"

typedef enum { MODE_TF, MODE_IDF, MODE_TFIDF } tfidf_mode;

typedef struct {
    int64_t *pool, *level_start, *level_count, *indexes;
    float *weights; /* NULL: all 1 */
    size_t n_pool, levels, n_grams;
    int64_t min_n, max_n, max_skip, width;
    tfidf_mode mode;
} tfidf_attrs;

static void tfidf_free_attrs(void *p)
{
    tfidf_attrs *a = p;
    free(a->pool);
    free(a->level_start);
    free(a->level_count);
    free(a->indexes);
    free(a->weights);
}

/* A required (or optional) INTS attribute copied into new memory. */
static obn_status copy_ints(const obn_node *n, const char *name, bool required, int64_t **out, size_t *count)
{
    const obn_attr *at = obn_node_attr(n, name);
    *out = NULL;
    *count = 0;
    if (!at) return required ? obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' is required", name) : OBN_OK;
    if (at->type != OBN_ATTR_INTS)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute '%s' has type %s; expected ints", name,
                            obn_attr_type_name(at->type));
    if (!(*out = malloc((at->n ? at->n : 1) * sizeof **out))) return OBN_OOM();
    if (at->n) memcpy(*out, at->ints, at->n * sizeof **out);
    *count = at->n;
    return OBN_OK;
}

/* The levels of ngram_counts: start offsets in the pool, non-decreasing,
 * each level a whole number of n-grams. */
static obn_status parse_levels(const obn_node *n, tfidf_attrs *a, const int64_t *starts)
{
    if (!(a->level_start = malloc((a->levels ? a->levels : 1) * sizeof(int64_t))) ||
        !(a->level_count = malloc((a->levels ? a->levels : 1) * sizeof(int64_t))))
        return OBN_OOM();
    a->n_grams = 0;
    for (size_t l = 0; l < a->levels; l++) {
        int64_t lo = starts[l], hi = l + 1 < a->levels ? starts[l + 1] : (int64_t)a->n_pool;
        if (lo < 0 || hi < lo || hi > (int64_t)a->n_pool || (hi - lo) % (int64_t)(l + 1) != 0)
            return obn_node_err(n, OBN_E_INVALID_MODEL,
                                "attribute 'ngram_counts' [%zu] = %lld: level %zu spans pool_int64s [%lld, %lld) of %zu "
                                "values, not a whole number of %zu-grams",
                                l, (long long)lo, l + 1, (long long)lo, (long long)hi, a->n_pool, l + 1);
        a->level_start[l] = lo;
        a->level_count[l] = (hi - lo) / (int64_t)(l + 1);
        a->n_grams += (size_t)a->level_count[l];
    }
    return OBN_OK;
}

static obn_status parse_weights(const obn_node *n, tfidf_attrs *a)
{
    const obn_attr *w = obn_node_attr(n, "weights");
    if (!w) return OBN_OK;
    if (w->type != OBN_ATTR_FLOATS || w->n != a->n_grams)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'weights' must be %zu floats (one per n-gram), has %zu %s",
                            a->n_grams, w->n, obn_attr_type_name(w->type));
    if (!(a->weights = malloc((w->n ? w->n : 1) * sizeof(float)))) return OBN_OOM();
    if (w->n) memcpy(a->weights, w->floats, w->n * sizeof(float));
    return OBN_OK;
}

static obn_status parse_all(const obn_node *n, tfidf_attrs *a)
{
    if (obn_node_attr(n, "pool_strings"))
        return obn_node_err(n, OBN_E_UNSUPPORTED,
                            "attribute 'pool_strings': string n-grams need string tensors, which onnxbn does not support "
                            "(pool_int64s with int32/int64 input is supported)");
    const char *mode;
    OBN_TRY(obn_attr_get_string(n, "mode", "", &mode));
    if (strcmp(mode, "TF") == 0) a->mode = MODE_TF;
    else if (strcmp(mode, "IDF") == 0) a->mode = MODE_IDF;
    else if (strcmp(mode, "TFIDF") == 0) a->mode = MODE_TFIDF;
    else return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'mode' is \"%s\"; expected \"TF\", \"IDF\" or \"TFIDF\"", mode);
    OBN_TRY(obn_attr_get_int(n, "min_gram_length", 0, &a->min_n));
    OBN_TRY(obn_attr_get_int(n, "max_gram_length", 0, &a->max_n));
    OBN_TRY(obn_attr_get_int(n, "max_skip_count", -1, &a->max_skip));
    if (a->min_n < 1 || a->max_n < a->min_n || a->max_skip < 0)
        return obn_node_err(n, OBN_E_INVALID_MODEL,
                            "attributes min_gram_length %lld, max_gram_length %lld, max_skip_count %lld: need 1 <= min "
                            "<= max and skips >= 0 (all three are required)",
                            (long long)a->min_n, (long long)a->max_n, (long long)a->max_skip);
    int64_t *starts = NULL;
    size_t n_idx;
    OBN_TRY(copy_ints(n, "pool_int64s", true, &a->pool, &a->n_pool));
    obn_status s = copy_ints(n, "ngram_counts", true, &starts, &a->levels);
    if (s == OBN_OK) s = parse_levels(n, a, starts);
    free(starts);
    OBN_TRY(s);
    OBN_TRY(copy_ints(n, "ngram_indexes", true, &a->indexes, &n_idx));
    if (n_idx != a->n_grams)
        return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'ngram_indexes' has %zu values; the pool holds %zu n-grams",
                            n_idx, a->n_grams);
    a->width = 0;
    for (size_t g = 0; g < n_idx; g++) {
        if (a->indexes[g] < 0 || a->indexes[g] > INT32_MAX)
            return obn_node_err(n, OBN_E_INVALID_MODEL, "attribute 'ngram_indexes' [%zu] = %lld is out of range", g,
                                (long long)a->indexes[g]);
        if (a->indexes[g] + 1 > a->width) a->width = a->indexes[g] + 1;
    }
    return parse_weights(n, a);
}

static obn_status tfidf_parse(const obn_node *n, int v, void *out)
{
    (void)v;
    tfidf_attrs *a = out;
    memset(a, 0, sizeof *a);
    obn_status s = parse_all(n, a);
    if (s != OBN_OK) {
        tfidf_free_attrs(a);
        memset(a, 0, sizeof *a);
    }
    return s;
}

static obn_status tfidf_infer(obn_op_ctx *ctx)
{
    static const obn_dtype ints[] = {OBN_INT32, OBN_INT64, OBN_UNDEFINED};
    const tfidf_attrs *a = ctx->attrs;
    OBN_TRY(obn_check_input_dtype(ctx, 0, "X", ints));
    OBN_TRY(obn_check_rank(ctx, 0, "X", 1, 2));
    const obn_tensor *x = ctx->inputs[0];
    int64_t dims[2] = {x->dims[0], a->width};
    return x->rank == 1 ? obn_set_output(ctx, 0, OBN_FLOAT, 1, dims + 1) : obn_set_output(ctx, 0, OBN_FLOAT, 2, dims);
}

/* One row of tokens as int64, then the hits per pool n-gram. */
static size_t tfidf_workspace(const obn_op_ctx *ctx)
{
    const tfidf_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    return (size_t)x->dims[x->rank - 1] * sizeof(int64_t) + (a->n_grams + 1) * sizeof(float);
}

static obn_status tfidf_run(obn_op_ctx *ctx)
{
    const tfidf_attrs *a = ctx->attrs;
    const obn_tensor *x = ctx->inputs[0];
    float *y = ctx->outputs[0]->data;
    int64_t rows = x->rank == 2 ? x->dims[0] : 1, len = x->dims[x->rank - 1];
    int64_t *row = ctx->workspace;
    float *hits = (float *)(row + len);
    obn_ngram_pool pool = {a->pool, a->level_start, a->level_count, (int)a->levels};
    memset(y, 0, (size_t)ctx->outputs[0]->numel * sizeof *y);
    for (int64_t r = 0; r < rows; r++) {
        for (int64_t i = 0; i < len; i++) row[i] = obn_load_i64(x, r * len + i);
        memset(hits, 0, a->n_grams * sizeof *hits);
        obn_ngram_count(row, len, &pool, (int)a->min_n, (int)(a->max_n < INT32_MAX ? a->max_n : INT32_MAX),
                        a->max_skip, hits);
        float *yr = y + r * a->width;
        for (size_t g = 0; g < a->n_grams; g++) {
            float w = a->weights ? a->weights[g] : 1.0f;
            float v = a->mode == MODE_TF ? hits[g] : a->mode == MODE_IDF ? (hits[g] > 0 ? w : 0.0f) : hits[g] * w;
            yr[a->indexes[g]] += v;
        }
    }
    return OBN_OK;
}

static const int versions[] = {9, 0};
static const char *const attr_names[] = {"max_gram_length", "max_skip_count", "min_gram_length", "mode",
                                         "ngram_counts",    "ngram_indexes",  "pool_int64s",     "pool_strings",
                                         "weights",         NULL};
static const obn_op_sig tfidf_sigs[] = {{9, "X", "Y"}, {0}};

const obn_op obn_op_tfidf_vectorizer = {
    .domain = "",
    .op_type = "TfIdfVectorizer",
    .since_versions = versions,
    .attr_names = attr_names,
    .sigs = tfidf_sigs,
    .attrs_size = sizeof(tfidf_attrs),
    .parse = tfidf_parse,
    .infer = tfidf_infer,
    .run = tfidf_run,
    .workspace = tfidf_workspace,
    .free_attrs = tfidf_free_attrs,
};
OBN_REGISTER_OP(obn_op_tfidf_vectorizer);
