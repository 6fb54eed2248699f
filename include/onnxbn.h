/*
 * onnxbn — a lean ONNX inference runtime.
 *
 * This is the whole public API. Conventions:
 *   - Every call that can fail returns an obn_status; OBN_OK (0) is success.
 *     On failure obn_last_error() returns a message naming the file, node,
 *     operator and tensor involved. The message is per thread and stays valid
 *     until the next failing call on the same thread.
 *   - Results are returned through the last parameters. On failure, output
 *     handles are set to NULL and nothing is leaked.
 *   - Handles are opaque. Each *_create / *_load has a matching *_destroy,
 *     which accepts NULL.
 *   - Ownership is written next to each pointer: "caller owns" means the
 *     caller must destroy it; "borrowed" means the library keeps ownership and
 *     the comment says how long the pointer stays valid.
 *   - Thread safety: an obn_model is immutable once loaded and may be used by
 *     any number of threads at once (for example to create one session per
 *     thread). An obn_session must be used by one thread at a time.
 */
#ifndef ONNXBN_H
#define ONNXBN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared in this header is the library's exported interface:
 * libonnxbn.so is built with hidden visibility and exports these functions
 * only (tests/install/check_exports.sh checks the list). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

#define OBN_VERSION_MAJOR 0
#define OBN_VERSION_MINOR 1
#define OBN_VERSION_PATCH 0

/* Library version string, e.g. "0.1.0". Borrowed, static. */
const char *obn_version(void);

/* The instruction-set level of the numeric kernels: "portable", "avx2" or
 * "avx512". obn_isa_detected is the highest this CPU (and OS) supports;
 * obn_isa_active the one in use: the detected level, or a lower one asked
 * for by the environment variable OBN_ISA=portable|avx2|avx512 (read once;
 * a level above the CPU's is clamped). Borrowed, static. */
const char *obn_isa_detected(void);
const char *obn_isa_active(void);

/* ---------------------------------------------------------------- status */

typedef enum obn_status {
    OBN_OK = 0,
    OBN_E_INVALID_ARGUMENT = 1, /* API misuse: NULL handle, bad option value */
    OBN_E_IO = 2,               /* a file cannot be opened, read or written */
    OBN_E_PARSE = 3,            /* bytes are not a valid ONNX protobuf/npy */
    OBN_E_INVALID_MODEL = 4,    /* parses, but breaks the ONNX rules */
    OBN_E_UNSUPPORTED = 5,      /* valid ONNX that onnxbn does not implement */
    OBN_E_INVALID_INPUT = 6,    /* run(): input name, dtype or shape is wrong */
    OBN_E_OUT_OF_MEMORY = 7,
    OBN_E_RUNTIME = 8,          /* a kernel failed while running */
    OBN_E_CANCELLED = 9         /* the run was terminated or passed its deadline
                                   (obn_run_options); the session stays usable */
} obn_status;

/* Message of the last failure on the calling thread ("" if none).
 * Borrowed: valid until the next failing call on this thread. */
const char *obn_last_error(void);

/* Short stable name of a status code, e.g. "INVALID_MODEL". Borrowed, static. */
const char *obn_status_name(obn_status status);

/* ---------------------------------------------------------------- dtypes */

/* Element types; the values are ONNX's TensorProto.DataType numbers. */
typedef enum obn_dtype {
    OBN_UNDEFINED = 0,
    OBN_FLOAT = 1,
    OBN_UINT8 = 2,
    OBN_INT8 = 3,
    OBN_UINT16 = 4,
    OBN_INT16 = 5,
    OBN_INT32 = 6,
    OBN_INT64 = 7,
    OBN_STRING = 8, /* byte strings: see "String tensors" below */
    OBN_BOOL = 9,
    OBN_FLOAT16 = 10,
    OBN_DOUBLE = 11,
    OBN_UINT32 = 12,
    OBN_UINT64 = 13,
    OBN_COMPLEX64 = 14,  /* not supported as tensor data */
    OBN_COMPLEX128 = 15, /* not supported as tensor data */
    OBN_BFLOAT16 = 16,
    /* 8-bit floats (IR 9): sign, exponent, mantissa bits and exponent bias */
    OBN_FLOAT8E4M3FN = 17,   /* 1-4-3, bias 7: no inf, NaN 0x7f/0xff, max 448 */
    OBN_FLOAT8E4M3FNUZ = 18, /* 1-4-3, bias 8: no inf, no -0, NaN 0x80, max 240 */
    OBN_FLOAT8E5M2 = 19,     /* 1-5-2, bias 15: IEEE-like with inf and NaN, max 57344 */
    OBN_FLOAT8E5M2FNUZ = 20, /* 1-5-2, bias 16: no inf, no -0, NaN 0x80, max 57344 */
    OBN_UINT4 = 21,          /* IR 10: 0..15 */
    OBN_INT4 = 22,           /* IR 10: -8..7 */
    OBN_FLOAT4E2M1 = 23,     /* IR 11: 1-2-1, bias 1: no inf or NaN, +-{0,.5,1,1.5,2,3,4,6} */
    OBN_FLOAT8E8M0 = 24,     /* IR 12: unsigned power of two 2^(e-127), 0xff NaN */
    OBN_UINT2 = 25,          /* IR 13: 0..3 */
    OBN_INT2 = 26            /* IR 13: -2..1 */
} obn_dtype;

/* In memory every element takes whole bytes, including the sub-byte types:
 * uint4, int4, float4e2m1, uint2 and int2 are stored UNPACKED, one element
 * per byte. int4/int2 are a sign-extended int8 (-8..7, -2..1); uint4, uint2
 * and float4e2m1 are a uint8 holding the value or bit pattern in its low 4
 * (2) bits, the high bits zero. The float8 types are their one-byte bit
 * pattern. Only TensorProto data (model initializers and attributes,
 * obn_tensor_load/obn_tensor_save, exported models) packs sub-byte elements
 * two (four) to a byte, the ONNX way. obn_tensor_create refuses data with a
 * sub-byte element out of range, and so does obn_session_run for inputs. */

/* Lower-case ONNX name ("float", "int64", "float8e4m3fn", "uint4"...);
 * "undefined" for unknown values. Borrowed, static. */
const char *obn_dtype_name(obn_dtype dtype);

/* Bytes per element in memory (1 for every sub-byte type, see above); 0 for
 * types that cannot be stored as tensor data, and for string (whose
 * elements are read and written one by one: "String tensors" below). */
size_t obn_dtype_size(obn_dtype dtype);

/* ---------------------------------------------------------------- tensors */

/* Maximum tensor rank onnxbn handles; higher ranks are rejected with
 * OBN_E_UNSUPPORTED. */
#define OBN_MAX_RANK 8

typedef struct obn_tensor obn_tensor;

/* Creates a dense row-major tensor. dims has `rank` entries, each >= 0.
 * If data is non-NULL, numel*dtype_size bytes are copied from it; otherwise
 * the tensor is zero-filled. *out: caller owns (obn_tensor_destroy).
 * For OBN_STRING, data is NULL (every element the empty string) or an
 * array of numel NUL-terminated strings (const char *const *), each copied
 * (obn_tensor_set_string stores strings holding NUL bytes).
 * Errors: OBN_E_INVALID_ARGUMENT for a negative dim, NULL dims with rank > 0,
 * a dtype that is not an ONNX number, a size over 1 TiB, a NULL string, or a
 * sub-byte element out of its type's range (see the dtypes above);
 * OBN_E_UNSUPPORTED for complex dtypes and rank > OBN_MAX_RANK. */
obn_status obn_tensor_create(obn_dtype dtype, size_t rank, const int64_t *dims,
                             const void *data, obn_tensor **out);

/* Like obn_tensor_create, but the tensor borrows `data` (nbytes long, which
 * must equal numel*dtype_size) instead of copying it. The caller keeps
 * ownership of data and must keep it alive until the tensor is destroyed.
 * Sub-byte elements are range-checked as in obn_tensor_create. String
 * tensors cannot borrow (OBN_E_UNSUPPORTED). *out: caller owns. */
obn_status obn_tensor_wrap(obn_dtype dtype, size_t rank, const int64_t *dims,
                           void *data, size_t nbytes, obn_tensor **out);

/* Deep copy. *out: caller owns. */
obn_status obn_tensor_clone(const obn_tensor *tensor, obn_tensor **out);

/* Reads a tensor file: an ONNX TensorProto (.pb) or a NumPy array (.npy
 * format 1.0/2.0/3.0, little-endian numeric or bool, C order; recognised by
 * its magic bytes). A .pb may keep its data in an external file, resolved
 * against the .pb's folder with the same checks as model external data.
 * *out: caller owns. */
obn_status obn_tensor_load(const char *path, obn_tensor **out);

/* Writes the tensor as a serialized ONNX TensorProto named `name` (may be
 * NULL). */
obn_status obn_tensor_save(const obn_tensor *tensor, const char *name, const char *path);

void obn_tensor_destroy(obn_tensor *tensor);

obn_dtype obn_tensor_dtype(const obn_tensor *tensor);
size_t obn_tensor_rank(const obn_tensor *tensor);
/* `rank` dimensions. Borrowed: valid while the tensor lives. */
const int64_t *obn_tensor_dims(const obn_tensor *tensor);
int64_t obn_tensor_numel(const obn_tensor *tensor);
size_t obn_tensor_nbytes(const obn_tensor *tensor);
/* Element data, row-major. Borrowed: valid while the tensor lives. */
void *obn_tensor_data(obn_tensor *tensor);
const void *obn_tensor_cdata(const obn_tensor *tensor);
/* Element i (row-major) as a double: exact for every type of up to 32 bits,
 * the float8, float4 and sub-byte types included (int64/uint64 round to the
 * nearest double). NaN for an index out of range or a tensor without data. */
double obn_tensor_value(const obn_tensor *tensor, int64_t i);
/* Name read from a .pb file, or "" . Borrowed: valid while the tensor lives. */
const char *obn_tensor_name(const obn_tensor *tensor);

/* ---------------------------------------------------------------- string tensors */

/* A tensor of dtype OBN_STRING holds numel byte strings (ONNX strings are
 * bytes: UTF-8 text by convention, NUL bytes allowed). The tensor owns its
 * strings. obn_tensor_rank, dims and numel work as for other tensors;
 * obn_tensor_data, cdata give NULL, nbytes 0 and obn_tensor_value NaN: the
 * strings are read with obn_tensor_string and written with
 * obn_tensor_set_string. String tensors are created with obn_tensor_create
 * (not wrap), loaded and saved as TensorProto files (string_data), cloned,
 * given to and returned by obn_session_run like other tensors. */

/* String i (row-major) of a string tensor: its bytes, always followed by a
 * NUL (so a string without NUL bytes is a C string), and through *len (may
 * be NULL) its length. NULL (and *len 0) when `tensor` is not a string
 * tensor with data or i is out of range. Borrowed: valid until the element
 * is set again or the tensor is destroyed. */
const char *obn_tensor_string(const obn_tensor *tensor, int64_t i, size_t *len);

/* Sets string i of a string tensor made by obn_tensor_create (or a clone or
 * a loaded one) to a copy of `len` bytes (bytes may be NULL when len is 0).
 * OBN_E_INVALID_ARGUMENT for another tensor, an index out of range or a
 * string over 2 GiB. */
obn_status obn_tensor_set_string(obn_tensor *tensor, int64_t i, const void *bytes, size_t len);

/* ------------------------------------------------- sequences and optionals */

/* A value passed to or returned by obn_session_run is an obn_tensor handle
 * of one of three kinds: a dense tensor; a sequence (ONNX seq(T)): an
 * ordered list of values, each a tensor of the same element type (shapes
 * may differ) or, for nested types, itself a sequence or optional; or an
 * optional (ONNX optional(T)): empty, or holding one tensor or sequence.
 * Sequences and optionals are immutable once made. The tensor accessors
 * above are safe on them: obn_tensor_dtype gives the element type, rank,
 * numel and nbytes give 0, dims, data and cdata NULL, obn_tensor_value NaN.
 * obn_tensor_destroy releases any kind; obn_tensor_clone copies any kind;
 * obn_tensor_save refuses the other kinds (OBN_E_INVALID_ARGUMENT). */
typedef enum obn_kind {
    OBN_KIND_TENSOR = 0,
    OBN_KIND_SEQUENCE = 1,
    OBN_KIND_OPTIONAL = 2
} obn_kind;

/* "tensor", "sequence", "optional"; "undefined" for other numbers. Borrowed,
 * static. */
const char *obn_kind_name(obn_kind kind);

/* OBN_KIND_TENSOR for NULL. */
obn_kind obn_tensor_kind(const obn_tensor *value);

/* A sequence of n values of element type elem_dtype (n may be 0). Each item
 * is copied (tensors deep, sequences/optionals share their immutable
 * contents); the caller keeps its items. Items must not be optionals here
 * unless nested types are meant; every tensor inside must have elem_dtype.
 * *out: caller owns. OBN_E_INVALID_ARGUMENT for NULL items with n > 0, a
 * NULL item, a tensor without data or of another element type, or an
 * element type that cannot be stored. */
obn_status obn_sequence_create(obn_dtype elem_dtype, size_t n, const obn_tensor *const *items, obn_tensor **out);

/* Number of items; 0 for anything that is not a sequence. */
size_t obn_sequence_length(const obn_tensor *sequence);

/* Item i, or NULL when i is out of range or `sequence` is not one.
 * Borrowed: valid while the sequence lives. */
const obn_tensor *obn_sequence_at(const obn_tensor *sequence, size_t i);

/* An optional of element type elem_dtype: empty when value is NULL, else
 * holding a copy of value (a tensor or a sequence, whose element type must
 * be elem_dtype). *out: caller owns. */
obn_status obn_optional_create(obn_dtype elem_dtype, const obn_tensor *value, obn_tensor **out);

/* 1 when `optional` is an optional holding a value, else 0. */
int obn_optional_has_value(const obn_tensor *optional);

/* The value an optional holds; NULL when it is empty or not an optional.
 * Borrowed: valid while the optional lives. */
const obn_tensor *obn_optional_value(const obn_tensor *optional);

/* Reads a value file of the given kind: OBN_KIND_TENSOR as
 * obn_tensor_load; OBN_KIND_SEQUENCE an ONNX SequenceProto, OBN_KIND_OPTIONAL
 * an ONNX OptionalProto (onnx-data.proto, as the ONNX backend tests store
 * them), holding tensors, sequences or optionals nested at most
 * OBN_MAX_VALUE_NESTING deep. Map and sparse values are OBN_E_UNSUPPORTED;
 * malformed bytes OBN_E_PARSE, naming the file. *out: caller owns. */
obn_status obn_value_load(const char *path, obn_kind kind, obn_tensor **out);

/* How deep sequence and optional types may nest (optional(seq(tensor)) is
 * 2), in models and in value files. */
#define OBN_MAX_VALUE_NESTING 4

/* ---------------------------------------------------------------- operators */

/* The operators onnxbn implements. For index < obn_operator_count():
 * *domain ("" = ai.onnx), *op_type and *since_versions (the operator
 * versions implemented, ascending, 0-terminated). All borrowed, static. A
 * model's node resolves to the highest implemented version <= its opset. */
size_t obn_operator_count(void);
obn_status obn_operator(size_t index, const char **domain, const char **op_type, const int **since_versions);
/* The formal inputs and outputs of version `since_version` of operator
 * `index`, in the spec's order and with its names, separated by spaces
 * ("X W ?B"): a leading '?' marks an optional one, a trailing "..." a
 * variadic last one ("?name..." may have no entries). Loading a model
 * refuses a node that leaves a required one out or gives it the empty name.
 * Borrowed, static. OBN_E_INVALID_ARGUMENT when the operator does not
 * implement that version. */
obn_status obn_operator_signature(size_t index, int since_version, const char **inputs, const char **outputs);

/* ---------------------------------------------------------------- models */

typedef struct obn_model obn_model;

/* Loads and validates an ONNX model file: parses it, imports it into
 * onnxbn's graph form, resolves every node to an operator implementation and
 * checks its attributes. *out: caller owns (obn_model_destroy).
 *
 * Model files are treated as hostile. Refused before or while parsing:
 * files over 2 GiB (OBN_E_UNSUPPORTED, checked before reading), protobuf
 * messages nested more than 100 deep (OBN_E_PARSE), more than 1024
 * attributes on a node or 1024 opset imports (OBN_E_UNSUPPORTED). Tensor
 * data must match its shape exactly and is checked before it is allocated.
 *
 * External tensor data (data_location=EXTERNAL) is read relative to the
 * model's folder: the location must be relative, must not contain a ".."
 * component, must resolve (after symlinks) to a regular file inside that
 * folder, and offset+length must lie within the file; length, when given,
 * must equal the tensor's size. Anything else is OBN_E_INVALID_MODEL, or
 * OBN_E_IO when the file cannot be opened. The folder check is made on the
 * file actually opened, so a path component swapped for a symlink while
 * loading is caught. Tensors of 64 KiB or more at 64-byte aligned offsets
 * are memory-mapped (privately, copy-on-write) rather than copied: such a
 * file must not be truncated while the model is loaded. */
obn_status obn_model_load(const char *path, obn_model **out);

/* Same as obn_model_load from bytes in memory. `base_dir` is the folder
 * external data is resolved against; NULL rejects models with external data.
 * The bytes are not referenced after the call returns. *out: caller owns. */
obn_status obn_model_load_buffer(const void *data, size_t size, const char *base_dir,
                                 obn_model **out);

/* Like obn_model_load, for describing a model rather than running it:
 * operators onnxbn does not implement are accepted (obn_model_node reports
 * since_version 0 for them). Creating a session from such a model fails with
 * OBN_E_UNSUPPORTED naming the first unsupported operator. *out: caller owns. */
obn_status obn_model_inspect(const char *path, obn_model **out);

/* Releases the caller's reference. Sessions created from the model keep
 * their own reference, so a model may be destroyed before its sessions. */
void obn_model_destroy(obn_model *model);

/* Description of a graph input or output. All pointers borrowed: valid while
 * the model lives. */
typedef struct obn_value_info {
    const char *name;
    obn_dtype dtype;
    size_t rank;             /* 0 for scalars; (size_t)-1 if the rank is unknown */
    const int64_t *dims;     /* rank entries; -1 where a dim is symbolic/unknown */
    const char *const *dim_names; /* rank entries; the symbolic name or NULL */
    obn_kind kind;           /* tensor, sequence or optional; dtype, rank and
                                dims then describe the tensors inside */
    obn_kind elem_kind;      /* a sequence's items / an optional's value:
                                OBN_KIND_TENSOR for seq(tensor), SEQUENCE for
                                optional(seq(tensor)); TENSOR for a tensor */
} obn_value_info;

/* Graph inputs that must be fed at run time (initializers excluded). */
size_t obn_model_input_count(const obn_model *model);
size_t obn_model_output_count(const obn_model *model);
obn_status obn_model_input(const obn_model *model, size_t index, obn_value_info *out);
obn_status obn_model_output(const obn_model *model, size_t index, obn_value_info *out);

/* Model metadata. Strings borrowed (valid while the model lives), "" when
 * absent. */
typedef struct obn_model_meta {
    int64_t ir_version;
    const char *producer_name;
    const char *producer_version;
    const char *graph_name;
    int64_t model_version;
    size_t node_count;
    size_t initializer_count;
    uint64_t initializer_bytes;
} obn_model_meta;
void obn_model_get_meta(const obn_model *model, obn_model_meta *out);

/* Opset imports: index < obn_model_opset_count. Domain "" is ai.onnx.
 * *domain borrowed (valid while the model lives). */
size_t obn_model_opset_count(const obn_model *model);
obn_status obn_model_opset(const obn_model *model, size_t index, const char **domain,
                           int64_t *version);

/* Node `index` in execution order: its name, op type, domain and the
 * operator version (since_version) it resolved to, 0 if onnxbn does not
 * implement it (models from obn_model_inspect). Strings borrowed. */
typedef struct obn_node_info {
    const char *name;
    const char *op_type;
    const char *domain;
    int since_version;
} obn_node_info;
obn_status obn_model_node(const obn_model *model, size_t index, obn_node_info *out);

/* ---------------------------------------------------------------- optimisation */

typedef struct obn_optimize_options {
    int fold_batchnorm;  /* fold BatchNormalization into Conv/ConvTranspose/Gemm/MatMul
                            neighbours, and per-channel constant Mul/Add into a preceding
                            InstanceNormalization/GroupNormalization-21 (default 1) */
    int fuse_activation; /* fuse Relu/Clip/LeakyRelu into the producing Conv/Gemm (and
                            Relu into an unfoldable BatchNormalization), replace the Erf-form
                            GELU chain by one com.microsoft:Gelu, drop inference
                            Dropout/Identity (default 1) */
} obn_optimize_options;

/* Fills *options with the defaults (everything on). */
void obn_optimize_options_init(obn_optimize_options *options);

/* Runs the graph passes on a copy of `model` and returns the optimised model
 * (options NULL = defaults). What each pass did, or why it left a node alone,
 * is in the new model's pass log. *out: caller owns (obn_model_destroy). */
obn_status obn_model_optimize(const obn_model *model, const obn_optimize_options *options, obn_model **out);

/* Lines of the pass log ("folded BatchNormalization 'bn1' into Conv 'conv1'",
 * "kept BatchNormalization 'bn2': ..."); empty for models not made by
 * obn_model_optimize. Borrowed: valid while the model lives. */
size_t obn_model_pass_log_count(const obn_model *model);
const char *obn_model_pass_log(const obn_model *model, size_t index);

/* Writes the model as a standard .onnx file: same inputs, outputs and opset
 * imports; folded weights as initializers; fused activations written back as
 * their ONNX nodes. */
obn_status obn_model_save(const obn_model *model, const char *path);

/* ---------------------------------------------------------------- sessions */

typedef struct obn_session obn_session;

typedef struct obn_session_options {
    int threads;       /* worker threads for kernels; 0 = OpenMP default
                          (OMP_NUM_THREADS or the number of cores) */
    int enable_passes; /* 1 = run the graph passes (BatchNormalization folding and
                          activation fusion) before planning (default), 0 = off */
    int fuse_activation; /* with enable_passes: 1 = fuse activations (default) */
    const struct obn_limits *limits; /* resource limits (see "Limits and cancellation"
                                        below); NULL = the defaults. Copied by
                                        obn_session_create. */
    const struct obn_run_options *create_run_options; /* timeout/terminate for the work
                                        obn_session_create does (shape inference,
                                        constant folding), checked as in
                                        obn_session_run_with: OBN_E_CANCELLED and
                                        no session. NULL = none. Only read during
                                        the call. */
} obn_session_options;

/* Fills *options with the defaults. */
void obn_session_options_init(obn_session_options *options);

/* Creates a session for `model` (options may be NULL for defaults). When every
 * input shape is fixed, the execution plan is built and checked here, so
 * shape errors are reported now rather than on the first run. The session
 * holds its own reference to the model. *out: caller owns
 * (obn_session_destroy). */
obn_status obn_session_create(const obn_model *model, const obn_session_options *options,
                              obn_session **out);
void obn_session_destroy(obn_session *session);

/* Bytes of the session's current execution plan: the arena holding every
 * intermediate tensor plus the largest scratch space of any node (0 before
 * a plan exists, e.g. for symbolic input shapes until the first run). */
size_t obn_session_arena_bytes(const obn_session *session);

/* Runs the model. inputs[i] is bound to the graph input named
 * input_names[i]; every model input must be given exactly once. The input
 * tensors are only read, and only during the call.
 *
 * output_names selects the outputs, in that order; if output_names is NULL,
 * n_outputs must equal obn_model_output_count and the outputs come in the
 * model's order. outputs[i] is borrowed: owned by the session and valid until
 * the next obn_session_run or obn_session_destroy on this session (clone it
 * to keep it). It never aliases an input tensor: a graph output that is also
 * a graph input is copied.
 *
 * An input with the wrong name, dtype, rank or fixed dimension, a missing
 * input or one given twice fails with OBN_E_INVALID_INPUT and a message that
 * names the input and the declared dtype and shape ("float [N,3,224,224]").
 * When input shapes equal those of the previous run, nothing is allocated;
 * when they differ (say, another batch size) the session re-plans, and shape
 * errors that only these shapes reveal are reported by this call. After any
 * failure the outputs are NULL and the session remains usable. */
obn_status obn_session_run(obn_session *session, size_t n_inputs, const char *const *input_names,
                           const obn_tensor *const *inputs, size_t n_outputs,
                           const char *const *output_names, const obn_tensor **outputs);

/* ================================================================
 * Limits and cancellation (docs/security.md)
 *
 * For models and inputs from people you do not trust: limits on what a
 * model may make onnxbn allocate, checked before allocating, and run
 * options that bound how long a run may take.
 * ================================================================ */

/* Resource limits. An over-limit model or input is refused with
 * OBN_E_UNSUPPORTED and a message naming the tensor and the limit; nothing
 * is allocated for it. A 0 field means "the default". */
typedef struct obn_limits {
    /* Total bytes of a model's initializers and tensor attributes (Constant
     * values), external data included. Default 64 GiB. */
    uint64_t max_initializer_bytes;
    /* Memory a session plans for one run: intermediate tensors, scratch space
     * and tensors computed while planning. Default 16 GiB. */
    uint64_t max_arena_bytes;
    /* Largest tensor rank, 1 to OBN_MAX_RANK. Default OBN_MAX_RANK. */
    int max_rank;
    /* How deep graphs may nest in graph attributes (If/Loop/Scan bodies).
     * Default 16. No operator with a subgraph is implemented yet, so such a
     * node is refused as unsupported anyway; the depth is checked first. */
    int max_graph_depth;
} obn_limits;

/* Fills *limits with the defaults. */
void obn_limits_init(obn_limits *limits);

/* obn_model_load / obn_model_load_buffer under `limits` (NULL = defaults):
 * max_initializer_bytes, max_rank and max_graph_depth are checked while the
 * file is read, before the tensor data is allocated. OBN_E_INVALID_ARGUMENT
 * for a limit out of range. *out: caller owns. */
obn_status obn_model_load_limited(const char *path, const obn_limits *limits, obn_model **out);
obn_status obn_model_load_buffer_limited(const void *data, size_t size, const char *base_dir,
                                         const obn_limits *limits, obn_model **out);

/* Options of one obn_session_run_with call: a timeout and a terminate flag.
 * Opaque; thread safety as stated per function. */
typedef struct obn_run_options obn_run_options;

/* *out: caller owns (obn_run_options_destroy); no timeout, flag clear. */
obn_status obn_run_options_create(obn_run_options **out);
void obn_run_options_destroy(obn_run_options *options);

/* Each run given these options must finish within `seconds` of its start
 * (0 = no time limit). Not to be called while a run uses the options. */
obn_status obn_run_options_set_timeout(obn_run_options *options, double seconds);

/* Asks every run using these options to stop: runs in progress and later
 * ones, until obn_run_options_reset. Safe to call from any thread at any
 * time (a signal handler included). */
void obn_run_options_terminate(obn_run_options *options);
/* Clears the terminate flag. Not while a run uses the options. */
void obn_run_options_reset(obn_run_options *options);

/* obn_session_run with run options (NULL = none). The run checks them
 * between nodes and at chunk boundaries inside long operators, and returns
 * OBN_E_CANCELLED ("terminated" or "deadline of S s passed", with the node
 * it stopped at) when asked to stop or out of time; the outputs are then
 * NULL and the session remains usable. Several sessions may share one
 * obn_run_options. */
obn_status obn_session_run_with(obn_session *session, const obn_run_options *options, size_t n_inputs,
                                const char *const *input_names, const obn_tensor *const *inputs,
                                size_t n_outputs, const char *const *output_names,
                                const obn_tensor **outputs);

/* ================================================================
 * Custom operators and plugins (docs/plugins.md)
 *
 * An operator onnxbn lacks, or a different implementation of one it has, is
 * added to an obn_op_registry; a model loaded with that registry
 * (obn_model_load_with and obn_load_options below) resolves its nodes against
 * the registry first and the built-in operators second. There is no
 * process-wide registry: which operators a model sees is decided by the
 * options it is loaded with, so two models in one process may use different
 * implementations of the same operator, and an embedder that never creates a
 * registry gets the built-in operators only.
 *
 * A custom operator goes through the same stages as a built-in one, with the
 * same rules:
 *   - load: the node is matched to the registered version with the highest
 *     since_version <= the model's opset for the operator's domain; its
 *     inputs and outputs are checked against that version's signature (a
 *     missing or empty required input is refused, as for every operator, so
 *     infer and compute never see NULL in a required position); attributes
 *     not in `attributes` are refused; parse reads the attributes.
 *   - plan: infer sets every output's element type and shape from the
 *     inputs' (their data is there too when it is constant); prepare may
 *     precompute per-plan state. When all inputs are constant the node is
 *     computed once while planning.
 *   - run: compute reads the inputs and writes the outputs, which are
 *     allocated by the runtime with the shapes infer set.
 * Errors a callback returns name the node and the operator like a built-in's
 * ('node "n1" (com.example.Gelu2-1): ...'): obn_node_error writes such a
 * message, and a message set otherwise gets the prefix added.
 * ================================================================ */

/* Version of the custom-operator interface: the layout of obn_custom_op and
 * the meaning of the functions in this section. A descriptor or plugin built
 * for another major version is refused; minor versions only add. */
#define OBN_OP_ABI_MAJOR 1
#define OBN_OP_ABI_MINOR 0
#define OBN_OP_ABI_VERSION ((unsigned)(OBN_OP_ABI_MAJOR << 16 | OBN_OP_ABI_MINOR))

/* A node of a loaded model, as a custom operator's parse sees it. Borrowed:
 * valid while the model (or the session using it) lives. */
typedef struct obn_node obn_node;
/* One node of a session's plan, as infer, prepare and compute see it.
 * Borrowed: valid during the callback only. */
typedef struct obn_op_ctx obn_op_ctx;

typedef struct obn_custom_op {
    unsigned abi_version;  /* OBN_OP_ABI_VERSION of the header it was built with */
    const char *domain;    /* "" (ai.onnx) to replace a built-in operator, or an
                              operator set of its own such as "com.example" */
    const char *op_type;
    int since_version;     /* the operator version this descriptor implements, >= 1 */
    /* Formal inputs and outputs, separated by spaces, in order: "X ?B". A
     * leading '?' marks an optional one (a node may leave it out or give the
     * empty name), a trailing "..." a variadic last one (one or more
     * entries; "?X..." also none). "" for none. */
    const char *inputs;
    const char *outputs;
    /* Attribute names the operator understands, NULL-terminated (NULL: none).
     * A node with any other attribute is refused at load. */
    const char *const *attributes;
    /* Size of the operator's attribute struct: the runtime allocates it
     * zeroed per node, parse fills it, infer/prepare/compute read it through
     * obn_op_attrs. Pointers stored in it may borrow from the node
     * (obn_node_attr_string and the list getters). 0: no struct. */
    size_t attrs_size;
    void *user_data;       /* for the callbacks: obn_node_user_data, obn_op_user_data */

    /* Optional: reads the node's attributes into `attrs` (attrs_size bytes,
     * zeroed) with the obn_node_attr_* getters, which apply defaults and
     * refuse wrong types; rejects what the operator does not support. Called
     * at load and again for every session. */
    obn_status (*parse)(const obn_node *node, void *attrs);
    /* Required: sets every present output's type and shape with
     * obn_op_set_output, after checking the inputs (types, ranks, shapes). */
    obn_status (*infer)(obn_op_ctx *ctx);
    /* Required: computes the outputs (obn_tensor_data(obn_op_output(ctx, k))),
     * reading the inputs. May use obn_op_threads(ctx) threads. */
    obn_status (*compute)(obn_op_ctx *ctx);
    /* Optional: once per plan after infer, returns state that compute reads
     * with obn_op_state (packed weights, tables); freed by free_state when
     * the plan goes (session destroyed, or re-planned for other shapes). */
    obn_status (*prepare)(obn_op_ctx *ctx, void **state);
    void (*free_state)(void *state, void *user_data);
    /* Optional: the kernel variant this planned node runs ("avx2", "4x4
     * tiles"), shown by OBN_PROFILE and node callbacks. */
    void (*describe)(const obn_op_ctx *ctx, char *buf, size_t cap);
    /* Optional: called once with user_data when the registry is freed. */
    void (*destroy)(void *user_data);
} obn_custom_op;

/* A set of custom operators. Reference counted: models loaded with it keep
 * it (and the plugins it loaded) alive. Add every operator before loading
 * the first model with it: once a model uses it the registry is frozen and
 * adding fails. A frozen registry is read-only and may be used by any number
 * of threads. */
typedef struct obn_op_registry obn_op_registry;

/* *out: caller owns (obn_op_registry_destroy). */
obn_status obn_op_registry_create(obn_op_registry **out);
/* Releases the caller's reference. */
void obn_op_registry_destroy(obn_op_registry *registry);

/* Adds one operator version. The descriptor and its strings are copied;
 * user_data is kept as given. Errors (OBN_E_INVALID_ARGUMENT, naming the
 * operator): an abi_version of another major version, an empty op_type,
 * since_version < 1, no infer or compute, a malformed signature, the same
 * (domain, op_type, since_version) twice, a frozen registry. */
obn_status obn_op_registry_add(obn_op_registry *registry, const obn_custom_op *op);

/* Operators in the registry, in the order added: index < count. *op is the
 * registry's copy of the descriptor (domain "" for ai.onnx). Borrowed: valid
 * while the registry lives. */
size_t obn_op_registry_count(const obn_op_registry *registry);
obn_status obn_op_registry_op(const obn_op_registry *registry, size_t index, const obn_custom_op **op);

/* Plugins: a shared library that exports one function,
 *     obn_status obn_plugin_register(obn_op_registry *registry, unsigned host_abi,
 *                                    unsigned *plugin_abi);
 * best defined with OBN_PLUGIN_REGISTER below. obn_plugin_load opens the
 * library (dlopen), calls the function and keeps the library loaded while
 * the registry lives. A plugin must link libonnxbn.so (the same copy the
 * program uses: a program linked with libonnxbn.a cannot load plugins). A
 * plugin that reports another major version of the operator ABI is refused
 * (OBN_E_UNSUPPORTED); a plugin that fails to register leaves the registry
 * as it was. OBN_E_IO when the library cannot be opened or lacks the
 * function. */
obn_status obn_plugin_load(obn_op_registry *registry, const char *path);

/* The signature of the function a plugin exports. This signature stays the
 * same in every version: it is how the versions tell each other apart. */
typedef obn_status (*obn_plugin_register_fn)(obn_op_registry *registry, unsigned host_abi,
                                             unsigned *plugin_abi);
#define OBN_PLUGIN_ENTRY "obn_plugin_register"

/* Defines the exported function of a plugin: reports the ABI the plugin was
 * built with and, when the host's major version is the same, calls
 * `obn_status fn(obn_op_registry *registry)`, which adds the operators. */
#define OBN_PLUGIN_REGISTER(fn)                                                              \
    __attribute__((visibility("default"))) obn_status obn_plugin_register(                   \
        obn_op_registry *registry, unsigned host_abi, unsigned *plugin_abi);                 \
    obn_status obn_plugin_register(obn_op_registry *registry, unsigned host_abi,             \
                                   unsigned *plugin_abi)                                     \
    {                                                                                        \
        *plugin_abi = OBN_OP_ABI_VERSION;                                                    \
        if (host_abi >> 16 != OBN_OP_ABI_MAJOR) return OBN_E_UNSUPPORTED;                    \
        return fn(registry);                                                                 \
    }

/* ---- loading models with custom operators */

typedef struct obn_load_options {
    const obn_op_registry *registry; /* custom operators; NULL = built-in only.
                                        The model keeps a reference. */
    const obn_limits *limits;        /* as for obn_model_load_limited; NULL = defaults */
} obn_load_options;

/* Fills *options with the defaults (no registry, default limits). */
void obn_load_options_init(obn_load_options *options);

/* obn_model_load, obn_model_load_buffer and obn_model_inspect with options
 * (NULL = defaults). Loading freezes the registry. *out: caller owns. */
obn_status obn_model_load_with(const char *path, const obn_load_options *options, obn_model **out);
obn_status obn_model_load_buffer_with(const void *data, size_t size, const char *base_dir,
                                      const obn_load_options *options, obn_model **out);
obn_status obn_model_inspect_with(const char *path, const obn_load_options *options, obn_model **out);

/* ---- for parse: the node and its attributes */

/* Name, operator type, domain ("" = ai.onnx) and resolved version of a node.
 * Borrowed: valid while the node lives. */
const char *obn_node_name(const obn_node *node);
const char *obn_node_op_type(const obn_node *node);
const char *obn_node_domain(const obn_node *node);
int obn_node_since_version(const obn_node *node);
/* The descriptor's user_data. */
void *obn_node_user_data(const obn_node *node);

/* 1 when the node has the attribute, else 0. */
int obn_node_has_attr(const obn_node *node, const char *name);
/* Attribute getters: an absent attribute gives the default (lists: count 0,
 * values NULL; tensor: NULL) and OBN_OK; one of another type fails with
 * OBN_E_INVALID_MODEL naming the node, the attribute and both types.
 * Strings, lists and tensors are borrowed from the node. */
obn_status obn_node_attr_int(const obn_node *node, const char *name, int64_t default_value, int64_t *out);
obn_status obn_node_attr_float(const obn_node *node, const char *name, float default_value, float *out);
obn_status obn_node_attr_string(const obn_node *node, const char *name, const char *default_value,
                                const char **out);
obn_status obn_node_attr_ints(const obn_node *node, const char *name, size_t *count, const int64_t **values);
obn_status obn_node_attr_floats(const obn_node *node, const char *name, size_t *count, const float **values);
obn_status obn_node_attr_tensor(const obn_node *node, const char *name, const obn_tensor **out);

/* Sets the thread's error message to 'node "NAME" (DOMAIN.OP-VERSION): ' and
 * the formatted text, and returns `status`. */
obn_status obn_node_error(const obn_node *node, obn_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- for infer, prepare and compute: the planned node */

const obn_node *obn_op_node(const obn_op_ctx *ctx);
int obn_op_since_version(const obn_op_ctx *ctx);
/* The parsed attribute struct (NULL when attrs_size is 0). */
const void *obn_op_attrs(const obn_op_ctx *ctx);
/* What prepare returned (NULL without prepare). */
void *obn_op_state(const obn_op_ctx *ctx);
void *obn_op_user_data(const obn_op_ctx *ctx);
/* Threads compute may use (OpenMP), as the session was configured. */
int obn_op_threads(const obn_op_ctx *ctx);

/* The node's inputs and outputs as it lists them (optional trailing ones
 * may be absent). obn_op_input/obn_op_output return NULL for an omitted
 * optional one or an index out of range. In infer and prepare an input's
 * data (obn_tensor_cdata) is NULL unless it is constant; an output has no
 * data before compute. Borrowed: valid during the callback. */
size_t obn_op_input_count(const obn_op_ctx *ctx);
size_t obn_op_output_count(const obn_op_ctx *ctx);
const obn_tensor *obn_op_input(const obn_op_ctx *ctx, size_t index);
obn_tensor *obn_op_output(obn_op_ctx *ctx, size_t index);

/* In infer: sets output `index`'s element type and shape (a storable dtype,
 * rank <= OBN_MAX_RANK, dims >= 0, size checked against overflow). An
 * omitted optional output is ignored. OBN_E_INVALID_ARGUMENT outside infer,
 * for an index out of range or a bad shape. */
obn_status obn_op_set_output(obn_op_ctx *ctx, size_t index, obn_dtype dtype, size_t rank, const int64_t *dims);

/* ================================================================
 * BatchNormalization training: the backward pass and the
 * recalibration of population statistics
 *
 * Gradients of Y = scale * (X - mean) * inv_std + B for X of shape
 * [N, C, D1, ...] (rank 2 to 5 tested; any rank >= 2 works) and per-channel
 * parameters of C elements. With M = N*D1*... values per channel and
 * X^ = (X - mean) * inv_std:
 *     dB = sum(dY),  dscale = sum(dY * X^)  (per channel)
 * X and dY are float or double, of the same dtype and shape; scale, mean,
 * inv_std / var are float, double, float16 or bfloat16. The outputs are new
 * tensors in X's dtype: *dx of X's shape, *dscale and *dbias of shape [C].
 * dscale and dbias may be NULL (not wanted). Caller owns what is returned.
 * Sums run in double; channels are shared among `threads` (0 = OpenMP
 * default).
 * ================================================================ */

/* Training mode: mean and inv_std are the batch statistics of X (the
 * forward pass's saved mean and 1/sqrt(var + epsilon), var the population
 * variance), which depend on X:
 *     dX = scale * inv_std * (dY - dB/M - X^ * dscale/M). */
obn_status obn_batchnorm_backward(const obn_tensor *x, const obn_tensor *scale, const obn_tensor *dy,
                                  const obn_tensor *saved_mean, const obn_tensor *saved_inv_std, int threads,
                                  obn_tensor **dx, obn_tensor **dscale, obn_tensor **dbias);

/* Frozen statistics (inference mode): running mean and variance are
 * constants, inv_std = 1/sqrt(var + epsilon), dX = scale * inv_std * dY.
 * OBN_E_INVALID_ARGUMENT when epsilon is negative or not finite, or var +
 * epsilon is not positive. */
obn_status obn_batchnorm_backward_frozen(const obn_tensor *x, const obn_tensor *scale, const obn_tensor *dy,
                                         const obn_tensor *running_mean, const obn_tensor *running_var,
                                         double epsilon, int threads, obn_tensor **dx, obn_tensor **dscale,
                                         obn_tensor **dbias);

/* ---- Recalibration: BatchNormalization population statistics from data
 *
 * Re-estimates every BatchNormalization's mean and variance initializers
 * from calibration inputs (AdaBN, Li et al. 2016): the model runs with each
 * BatchNormalization in training mode (it normalises with the statistics of
 * its batch, as PyTorch's train() mode does) and each node's batch mean and
 * population variance are accumulated over the batches fed:
 *   OBN_RECALIB_CUMULATIVE (default): the exact mean and population variance
 *     over every value seen, by Chan et al.'s pairwise combination of the
 *     batches' means and sums of squared deviations -- the result does not
 *     depend on how the data was split into batches (for a node whose input
 *     passes through no other BatchNormalization; deeper ones see inputs
 *     normalised with batch statistics upstream, which depend on the batch
 *     size, as in training);
 *   OBN_RECALIB_MOMENTUM: ONNX's exponential rule, starting from the model's
 *     statistics: stat = stat * momentum + batch_stat * (1 - momentum).
 * Every BatchNormalization version (1, 6, 7, 9, 14, 15, spatial=0 too). Each
 * node's mean and var must be initializers used by that node only. A model
 * without BatchNormalization (for example one whose BN was folded into
 * Conv/Gemm by obn_model_optimize) is refused: recalibrate before folding. */

typedef enum obn_recalib_rule {
    OBN_RECALIB_CUMULATIVE = 0,
    OBN_RECALIB_MOMENTUM = 1
} obn_recalib_rule;

typedef struct obn_recalib_options {
    obn_recalib_rule rule; /* default OBN_RECALIB_CUMULATIVE */
    double momentum;       /* OBN_RECALIB_MOMENTUM: weight of the old statistics,
                              in [0, 1] (default 0.9) */
    int threads;           /* kernel threads; 0 = OpenMP default */
} obn_recalib_options;

void obn_recalib_options_init(obn_recalib_options *options);

typedef struct obn_recalib obn_recalib;

/* Prepares recalibration of `model` (options NULL = defaults). The model
 * is retained, not modified. *out: caller owns (obn_recalib_destroy). */
obn_status obn_recalib_create(const obn_model *model, const obn_recalib_options *options, obn_recalib **out);
void obn_recalib_destroy(obn_recalib *recalib);

/* Runs one batch (every model input, named as in obn_session_run) and
 * accumulates each BatchNormalization's batch statistics. A failed batch
 * (wrong input, say) leaves the accumulated statistics unchanged. */
obn_status obn_recalib_feed(obn_recalib *recalib, size_t n_inputs, const char *const *input_names,
                            const obn_tensor *const *inputs);

/* The model with every BatchNormalization's mean and var initializers
 * replaced by the accumulated statistics (same dtypes and shapes), ready for
 * obn_model_save. OBN_E_INVALID_ARGUMENT before the first batch. May be
 * called again after more batches. *out: caller owns. */
obn_status obn_recalib_finish(const obn_recalib *recalib, obn_model **out);

/* BatchNormalization nodes being recalibrated, in graph order. */
size_t obn_recalib_bn_count(const obn_recalib *recalib);

/* What recalibration changed in node `index` so far. "sigma" is the old
 * normalising scale sqrt(old_var + epsilon); the variance ratio is
 * (new_var + epsilon) / (old_var + epsilon), the square of the change of
 * that scale. Strings borrowed: valid while the recalib lives. */
typedef struct obn_recalib_report {
    const char *node_name;
    int since_version;
    int64_t channels;         /* statistics per node (C, or C*D1*... with spatial=0) */
    double values;            /* values per channel accumulated (0 before the first batch) */
    int64_t batches;
    double max_mean_shift;    /* max over channels of |new_mean - old_mean| / sigma */
    int64_t max_shift_channel;
    double var_ratio_min, var_ratio_max;
} obn_recalib_report;
obn_status obn_recalib_bn_report(const obn_recalib *recalib, size_t index, obn_recalib_report *out);

/* ================================ end of BatchNormalization training */

/* ================================================================
 * Observing a run: per-node callback (docs/api.md, "Tracing and dumping")
 *
 * A session may call a function after every node it computes, with the
 * node, the kernel variant it ran, the time it took and its inputs and
 * outputs (shapes and data). `onnxbn run --trace` and `--dump DIR` are
 * built on it. Without a callback nothing is timed or reported.
 * ================================================================ */

/* What the callback is told about one computed node. Everything is
 * borrowed and valid during the call only (a tensor's buffer is reused by
 * later nodes: copy what you keep). The nodes are those of the session's
 * graph, after the graph passes (obn_session_options.enable_passes = 0
 * shows the model's own nodes): a fused activation is part of the node it
 * was fused into, and its output carries the activation's output name. */
typedef struct obn_node_event {
    const obn_node *node;      /* for obn_node_* and obn_node_error */
    size_t index;              /* the node's position in the session's graph */
    const char *name;          /* node name ("" when the model gives none) */
    const char *op_type;
    const char *domain;        /* "" = ai.onnx */
    int since_version;         /* resolved operator version */
    const char *variant;       /* kernel variant and fused activation ("winograd",
                                  "fused Relu"); "" when the operator reports none */
    double seconds;            /* wall time of the node's computation */
    int folded;                /* 1: every input is constant, so the node was
                                  computed while planning (reported once per
                                  plan, by the run that builds the plan) */
    size_t n_inputs, n_outputs;
    const obn_tensor *const *inputs;  /* as the node lists them; NULL for an
                                         omitted optional one */
    const obn_tensor *const *outputs; /* obn_tensor_name gives the value name */
} obn_node_event;

/* Called on the thread that runs the session, between nodes (never from
 * inside a kernel's parallel region). A status other than OBN_OK stops the
 * run, which returns it (with the callback's message when it set one with
 * obn_node_error(event->node, ...), else one naming the node). */
typedef obn_status (*obn_node_callback)(const obn_node_event *event, void *user_data);

/* Sets (callback NULL: removes) the session's node callback. The current
 * plan is dropped, so that the next run builds it again and reports the
 * nodes folded while planning too (folded = 1). Not while the session runs.
 * OBN_E_INVALID_ARGUMENT for a NULL session. */
obn_status obn_session_set_node_callback(obn_session *session, obn_node_callback callback, void *user_data);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* ONNXBN_H */
