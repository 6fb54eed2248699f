/* TfIdfVectorizer against counts worked out by hand: 1- to 3-grams with
 * skips, the three modes with weights, min_gram_length, a batch of rows,
 * and the refusals (string pool, inconsistent levels). */
#include "op_testing.h"

/* pool: 1-grams [1] [3], 2-grams [1,2] [2,3], 3-gram [1,2,3], written to
 * output coordinates 4, 3, 2, 1, 0. In [1,2,1,2,3] with up to one skip:
 * [1] x2, [3] x1, [1,2] x2 (no skipped pair matches), [2,3] x1, [1,2,3] x1
 * (positions 2,3,4). */
static const int64_t POOL[9] = {1, 3, 1, 2, 2, 3, 1, 2, 3}, LEVELS[3] = {0, 2, 6}, INDEXES[5] = {4, 3, 2, 1, 0};
static const float WEIGHTS[5] = {0.5f, 2, 1, 3, 0.25f};

static tb_model *model(const char *mode, int64_t min_n, int weights, int rank, const int64_t *xd)
{
    tb_model *tm = tb_new(9);
    tb_input(tm, "x", OBN_INT32, rank, xd);
    Onnx__NodeProto *n = tb_node(tm, "TfIdfVectorizer", "tfidf", "x", "y");
    tb_attr_string(tm, n, "mode", mode);
    tb_attr_int(tm, n, "min_gram_length", min_n);
    tb_attr_int(tm, n, "max_gram_length", 3);
    tb_attr_int(tm, n, "max_skip_count", 1);
    tb_attr_ints(tm, n, "pool_int64s", 9, POOL);
    tb_attr_ints(tm, n, "ngram_counts", 3, LEVELS);
    tb_attr_ints(tm, n, "ngram_indexes", 5, INDEXES);
    if (weights) tb_attr_floats(tm, n, "weights", 5, WEIGHTS);
    tb_output(tm, "y", OBN_FLOAT, -1, NULL);
    return tm;
}

static void check(const char *mode, int64_t min_n, int weights, int rank, const int64_t *xd, const int32_t *x,
                  const double *want)
{
    tb_model *tm = model(mode, min_n, weights, rank, xd);
    obn_tensor *in = ot_tensor(OBN_INT32, rank, xd, x), *y;
    OT_RUN_OK(tm, 1, &in, 1, &y);
    int64_t yd[2] = {xd[0], 5};
    ot_expect_shape(y, rank, rank == 1 ? yd + 1 : yd);
    ot_expect_f32(y, want, rank == 1 ? 5 : 10, 1e-7);
    obn_tensor_destroy(y);
    obn_tensor_destroy(in);
    tb_free(tm);
}

START_TEST(counts_by_hand)
{
    const int64_t d1[1] = {5}, d2[2] = {2, 5};
    const int32_t x[10] = {1, 2, 1, 2, 3, 3, 3, 0, 0, 0};
    const double tf[5] = {1, 1, 2, 1, 2};
    check("TF", 1, 0, 1, d1, x, tf);
    const double tfidf[5] = {0.25, 3, 2, 2, 1}; /* counts times weights */
    check("TFIDF", 1, 1, 1, d1, x, tfidf);
    const double idf[5] = {0.25, 3, 1, 2, 0.5}; /* the weights of the n-grams present */
    check("IDF", 1, 1, 1, d1, x, idf);
    const double bigrams_up[5] = {1, 1, 2, 0, 0}; /* no 1-grams */
    check("TF", 2, 0, 1, d1, x, bigrams_up);
    const double batch[10] = {1, 1, 2, 1, 2, 0, 0, 0, 2, 0}; /* row 2: [3] twice */
    check("TF", 1, 0, 2, d2, x, batch);
}
END_TEST

START_TEST(refusals)
{
    const int64_t d1[1] = {5};
    tb_model *tm = model("TF", 1, 0, 1, d1);
    const char *strs[2] = {"a", "b"};
    tb_attr_strings(tm, tb_proto(tm)->graph->node[0], "pool_strings", 2, strs);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_UNSUPPORTED, "\"tfidf\"", "pool_strings", "string tensors");
    tb_free(tm);
    tm = model("TF", 1, 0, 1, d1);
    Onnx__NodeProto *n = tb_proto(tm)->graph->node[0];
    const int64_t bad_levels[3] = {0, 3, 6}; /* level 2 would hold 3 values */
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(n->attribute[i]->name, "ngram_counts") == 0) n->attribute[i]->ints = (int64_t *)bad_levels;
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"tfidf\"", "ngram_counts", "2-grams");
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(n->attribute[i]->name, "ngram_counts") == 0) n->attribute[i]->ints = NULL, n->attribute[i]->n_ints = 0;
    tb_free(tm);
    tm = model("BM25", 1, 0, 1, d1);
    OT_EXPECT_CREATE_ERROR(tm, OBN_E_INVALID_MODEL, "\"tfidf\"", "mode", "BM25");
    tb_free(tm);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tfidf");
    TCase *t = tcase_create("tfidf");
    tcase_add_test(t, counts_by_hand);
    tcase_add_test(t, refusals);
    suite_add_tcase(s, t);
    return ot_main(s);
}
