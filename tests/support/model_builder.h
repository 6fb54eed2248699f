/* Builds ONNX models in memory for tests: a thin layer over the protobuf-c
 * structs, so that each test can make exactly the (valid or broken) model it
 * needs. Everything allocated belongs to the builder and is freed by
 * tb_free. */
#ifndef OBN_TEST_MODEL_BUILDER_H
#define OBN_TEST_MODEL_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "onnx.pb-c.h"
#include "onnxbn.h"

typedef struct tb_model tb_model;

/* A model with ir_version 8 and the given ai.onnx opset (0: no import). */
tb_model *tb_new(int opset);
void tb_free(tb_model *m);
/* Direct access for tests that break things on purpose. */
Onnx__ModelProto *tb_proto(tb_model *m);
/* Memory owned by the builder. */
void *tb_alloc(tb_model *m, size_t n);
char *tb_str(tb_model *m, const char *s);

void tb_opset(tb_model *m, const char *domain, int version);
/* Graph input/output. rank -1: no shape. dims entries < 0 become the
 * symbolic dimension "N". */
Onnx__ValueInfoProto *tb_input(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims);
Onnx__ValueInfoProto *tb_output(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims);

/* Wraps the type of a value info made by tb_input/tb_output in a sequence
 * (kind OBN_KIND_SEQUENCE) or optional (OBN_KIND_OPTIONAL) type; call twice
 * for optional(seq(tensor)): the sequence first. */
void tb_wrap_type(tb_model *m, Onnx__ValueInfoProto *v, int kind);

/* A tensor (raw_data form, data copied). */
Onnx__TensorProto *tb_tensor(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims,
                             const void *data, size_t nbytes);
Onnx__TensorProto *tb_tensor_f32(tb_model *m, const char *name, int rank, const int64_t *dims, const float *data);
/* Adds an initializer (returns the proto for further tweaking). */
Onnx__TensorProto *tb_add_init(tb_model *m, Onnx__TensorProto *t);
Onnx__TensorProto *tb_init_f32(tb_model *m, const char *name, int rank, const int64_t *dims, const float *data);
Onnx__TensorProto *tb_init_i64(tb_model *m, const char *name, int rank, const int64_t *dims, const int64_t *data);

/* A tensor with no data at all (fill a typed field with tb_set_*_data, or
 * point it at external data with tb_set_external). */
Onnx__TensorProto *tb_tensor_nodata(tb_model *m, const char *name, int dtype, int rank, const int64_t *dims);
void tb_set_float_data(tb_model *m, Onnx__TensorProto *t, size_t n, const float *v);
void tb_set_int32_data(tb_model *m, Onnx__TensorProto *t, size_t n, const int32_t *v);
void tb_set_int64_data(tb_model *m, Onnx__TensorProto *t, size_t n, const int64_t *v);
void tb_set_double_data(tb_model *m, Onnx__TensorProto *t, size_t n, const double *v);
void tb_set_uint64_data(tb_model *m, Onnx__TensorProto *t, size_t n, const uint64_t *v);
/* Moves the tensor's data to an external file: drops raw_data and sets
 * data_location=EXTERNAL with the given keys (location NULL, offset < 0 or
 * length < 0: that key is left out). */
void tb_set_external(tb_model *m, Onnx__TensorProto *t, const char *location, int64_t offset, int64_t length);

/* A node; inputs/outputs are comma-separated names ("x,,w": empty = omitted). */
Onnx__NodeProto *tb_node(tb_model *m, const char *op_type, const char *name, const char *inputs,
                         const char *outputs);
void tb_attr_int(tb_model *m, Onnx__NodeProto *n, const char *name, int64_t v);
void tb_attr_float(tb_model *m, Onnx__NodeProto *n, const char *name, float v);
void tb_attr_string(tb_model *m, Onnx__NodeProto *n, const char *name, const char *v);
void tb_attr_ints(tb_model *m, Onnx__NodeProto *n, const char *name, size_t count, const int64_t *v);
void tb_attr_floats(tb_model *m, Onnx__NodeProto *n, const char *name, size_t count, const float *v);
void tb_attr_strings(tb_model *m, Onnx__NodeProto *n, const char *name, size_t count, const char *const *v);
void tb_attr_tensor(tb_model *m, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t);
/* GRAPH attribute: the graph of `body` (a tb_new(0) model whose inputs,
 * outputs, nodes and initializers make the subgraph). body is not copied:
 * keep it until m is packed for the last time, then tb_free it too. */
void tb_attr_graph(tb_model *m, Onnx__NodeProto *n, const char *name, tb_model *body);

/* Serialises the model (owned by the builder). */
const uint8_t *tb_pack(tb_model *m, size_t *len);
/* Packs and loads; returns the status and sets *out (NULL on failure). */
obn_status tb_load(tb_model *m, obn_model **out);

/* Packs and loads with a base folder for external data. */
obn_status tb_load_dir(tb_model *m, const char *base_dir, obn_model **out);
/* Packs and writes the model to `path`; aborts on I/O errors. */
void tb_save(tb_model *m, const char *path);

/* --- files --- */

/* Writes bytes to a file (aborts on errors). */
void tb_write_file(const char *path, const void *data, size_t len);
/* Creates a fresh temporary directory; returns a malloc'd path. */
char *tb_tmpdir(void);
/* "dir/name" in a malloc'd string. */
char *tb_path(const char *dir, const char *name);
/* Removes a directory tree (symlinks are removed, not followed). */
void tb_rmtree(const char *dir);

/* --- running --- */

/* Runs a model (session with `threads`, passes as given) on float inputs
 * given in model input order and returns copies of all outputs (caller
 * destroys). */
obn_status tb_run(const obn_model *model, int threads, int passes, size_t n_in, obn_tensor *const *inputs,
                  size_t n_out, obn_tensor **outputs);

/* Float tensor from data (copied). */
obn_tensor *tb_f32(size_t rank, const int64_t *dims, const float *data);
/* Float tensor filled from a seeded generator with values in [lo, hi). */
obn_tensor *tb_f32_random(size_t rank, const int64_t *dims, uint64_t seed, float lo, float hi);

/* True if `msg` contains every one of the NULL-terminated strings (see
 * TB_HAS in tb_check.h). */
int tb_has_all(const char *msg, ...);

/* Max |a-b| over all elements where both are float tensors of equal shape;
 * returns -1 if dtypes or shapes differ. */
double tb_max_abs_diff(const obn_tensor *a, const obn_tensor *b);
/* True if every element satisfies |a-b| <= atol + rtol*|b|. */
int tb_allclose(const obn_tensor *a, const obn_tensor *b, double rtol, double atol);

/* Nodes of the model whose op type is `op`. */
size_t tb_count_op(const obn_model *m, const char *op);

#endif
