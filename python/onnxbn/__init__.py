"""onnxbn from Python: run ONNX models with numpy arrays in and out.

    import numpy as np, onnxbn
    sess = onnxbn.InferenceSession("model.onnx", threads=4)
    name = sess.get_inputs()[0].name
    (y,) = sess.run(None, {name: np.zeros((1, 3, 224, 224), np.float32)})

A thin layer over libonnxbn (ctypes): errors the library reports are raised
as onnxbn.Error with its message. onnxbn.backend implements the
onnx.backend.base interface. See docs/python.md.
"""
import ctypes
import os
import threading

import numpy as np

from . import _capi
from ._capi import lib

__all__ = ["Error", "InferenceSession", "NodeArg", "version", "library_path"]

library_path = _capi.library_path

# obn_dtype -> numpy dtype. Types numpy lacks (the 4- and 2-bit types) are
# refused with a message naming them; strings (8) travel as numpy object
# arrays of str (str/bytes/unicode arrays are accepted as inputs).
_DTYPES = {
    1: np.float32, 2: np.uint8, 3: np.int8, 4: np.uint16, 5: np.int16, 6: np.int32, 7: np.int64, 9: np.bool_,
    10: np.float16, 11: np.float64, 12: np.uint32, 13: np.uint64,
}
_OBN_OF_NUMPY = {np.dtype(t): code for code, t in _DTYPES.items()}
# Types numpy lacks that are whole bytes: their bit patterns travel in
# unsigned integer arrays (bfloat16 as uint16, the 8-bit floats as uint8),
# as onnx.numpy_helper holds them.
_RAW_BITS = {16: np.uint16, 17: np.uint8, 18: np.uint8, 19: np.uint8, 20: np.uint8, 24: np.uint8}
STRING = 8


class Error(RuntimeError):
    """A failure reported by libonnxbn. `status` is the obn_status name
    ("INVALID_INPUT", "UNSUPPORTED", ...: obn_status_name), the message is the library's."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def version():
    """The library's version string."""
    return lib.obn_version().decode()


def _check(status):
    if status != 0:
        raise Error(lib.obn_status_name(status).decode(), lib.obn_last_error().decode(errors="replace"))


def _dtype_name(dtype):
    return lib.obn_dtype_name(dtype).decode()


class NodeArg:
    """A model input or output: name, type ("tensor(float)") and shape (a
    list with an int per fixed dimension and the symbolic name, or None, for
    the others; None when the rank is unknown)."""

    def __init__(self, info):
        self.name = info.name.decode()
        self._dtype = info.dtype
        # kinds from the outside in, down to the tensor: [] for a tensor,
        # [SEQUENCE] for seq(tensor), [OPTIONAL, SEQUENCE] for optional(seq(tensor))
        self._kinds = [k for k in (info.kind, info.elem_kind) if k != _capi.KIND_TENSOR]
        self.type = f"tensor({_dtype_name(info.dtype)})"
        for k in reversed(self._kinds):
            self.type = f"{'seq' if k == _capi.KIND_SEQUENCE else 'optional'}({self.type})"
        if info.rank == ctypes.c_size_t(-1).value:
            self.shape = None
        else:
            self.shape = []
            for d in range(info.rank):
                if info.dims[d] >= 0:
                    self.shape.append(int(info.dims[d]))
                else:
                    sym = info.dim_names[d] if info.dim_names else None
                    self.shape.append(sym.decode() if sym else None)

    def __repr__(self):
        return f"NodeArg(name={self.name!r}, type={self.type!r}, shape={self.shape!r})"


def _options_buffer(init):
    buf = ctypes.create_string_buffer(_capi.OPTIONS_BUFFER_BYTES)
    init(buf)
    return buf


class InferenceSession:
    """A loaded model and a session to run it.

    path_or_bytes: a file name (external data is found next to it) or the
    serialized model (bytes; external data relative to base_dir).
    threads: kernel threads (0: OpenMP's default). passes: run the graph
    passes (BatchNormalization folding, activation fusion). plugins: shared
    libraries with custom operators (docs/plugins.md), loaded before the
    model. Runs of one session are serialised; use one session per thread
    for parallel runs."""

    def __init__(self, path_or_bytes, threads=0, passes=True, plugins=(), base_dir=None):
        self._model = self._session = self._registry = None
        self._lock = threading.Lock()
        try:
            self._open(path_or_bytes, threads, passes, plugins, base_dir)
        except BaseException:
            self.close()
            raise

    def _open(self, path_or_bytes, threads, passes, plugins, base_dir):
        load = _options_buffer(lib.obn_load_options_init)
        if plugins:
            reg = ctypes.c_void_p()
            _check(lib.obn_op_registry_create(ctypes.byref(reg)))
            self._registry = reg
            for p in plugins:
                _check(lib.obn_plugin_load(reg, os.fsencode(p)))
            _capi.LoadOptions.from_buffer(load).registry = reg
        model = ctypes.c_void_p()
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)
            bd = os.fsencode(base_dir) if base_dir else None
            _check(lib.obn_model_load_buffer_with(data, len(data), bd, load, ctypes.byref(model)))
        else:
            _check(lib.obn_model_load_with(os.fsencode(path_or_bytes), load, ctypes.byref(model)))
        self._model = model
        opts = _options_buffer(lib.obn_session_options_init)
        view = _capi.SessionOptions.from_buffer(opts)
        view.threads = int(threads)
        view.enable_passes = 1 if passes else 0
        session = ctypes.c_void_p()
        _check(lib.obn_session_create(model, opts, ctypes.byref(session)))
        self._session = session
        self._inputs = [self._info(lib.obn_model_input, i) for i in range(lib.obn_model_input_count(model))]
        self._outputs = [self._info(lib.obn_model_output, i) for i in range(lib.obn_model_output_count(model))]

    def _info(self, fn, index):
        vi = _capi.ValueInfo()
        _check(fn(self._model, index, ctypes.byref(vi)))
        return NodeArg(vi)

    def get_inputs(self):
        return list(self._inputs)

    def get_outputs(self):
        return list(self._outputs)

    def run(self, output_names, input_feed, run_options=None):
        """Runs the model: input_feed maps every input name to an array (or
        anything np.asarray takes); output_names selects outputs (None: all,
        in the model's order). Returns a list of new numpy arrays.

        C-contiguous arrays of the input's element type are passed without a
        copy; others are made contiguous first (the element type is never
        converted: a wrong type is the library's error, as in C). bfloat16
        and the 8-bit float types, which numpy lacks, are passed and returned
        as their bit patterns in uint16/uint8 arrays. String inputs take
        arrays of str (encoded as UTF-8), bytes or objects holding either;
        string outputs are object arrays of str (bytes where a string is not
        valid UTF-8)."""
        if run_options is not None:
            raise Error("INVALID_ARGUMENT", "run_options is not supported")
        if self._session is None:
            raise Error("INVALID_ARGUMENT", "the session is closed")
        names = list(input_feed)
        declared = {i.name: i for i in self._inputs}
        tensors, arrays = [], []  # the handles, and the arrays they borrow
        try:
            for n in names:
                d = declared.get(n)
                tensors.append(_to_value(input_feed[n], n, d._dtype if d else None, d._kinds if d else [], arrays))
            outs = [o.name for o in self._outputs] if output_names is None else list(output_names)
            c_in_names = (ctypes.c_char_p * max(len(names), 1))(*[n.encode() for n in names])
            c_inputs = (ctypes.c_void_p * max(len(tensors), 1))(*tensors)
            c_out_names = (ctypes.c_char_p * max(len(outs), 1))(*[n.encode() for n in outs])
            c_outputs = (ctypes.c_void_p * max(len(outs), 1))()
            with self._lock:
                _check(lib.obn_session_run(self._session, len(names), c_in_names, c_inputs, len(outs),
                                           c_out_names, c_outputs))
                return [_from_value(c_outputs[k], outs[k]) for k in range(len(outs))]
        finally:
            for t in tensors:
                lib.obn_tensor_destroy(t)

    def close(self):
        """Frees the session now (also done when it is garbage collected)."""
        if self._session is not None:
            lib.obn_session_destroy(self._session)
            self._session = None
        if self._model is not None:
            lib.obn_model_destroy(self._model)
            self._model = None
        if self._registry is not None:
            lib.obn_op_registry_destroy(self._registry)
            self._registry = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _contiguous(value, name):
    a = np.asarray(value)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.dtype not in _OBN_OF_NUMPY:
        raise Error("UNSUPPORTED", f"input '{name}': numpy dtype {a.dtype} has no onnxbn element type")
    # a view of the caller's array when it is already C-contiguous and aligned
    return np.require(a, requirements=["C_CONTIGUOUS", "ALIGNED"])


def _element_type(a, declared):
    """The obn_dtype of array `a` for an input declared `declared`: the
    array's own, or a type numpy lacks when the array holds its bits."""
    if declared in _RAW_BITS and a.dtype == _RAW_BITS[declared]:
        return declared
    return _OBN_OF_NUMPY[a.dtype]


def _wrap(a, dtype):
    dims = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
    t = ctypes.c_void_p()
    ptr = a.ctypes.data if a.nbytes else None
    _check(lib.obn_tensor_wrap(dtype, a.ndim, dims, ptr, a.nbytes, ctypes.byref(t)))
    return t


def _to_value(value, name, declared, kinds, keep):
    """A new obn_tensor handle for one input: an array, or for sequence
    inputs a list of them, for optional ones None or the value. A tensor
    borrows its array, which is appended to `keep` (alive for the run)."""
    if kinds and kinds[0] == _capi.KIND_OPTIONAL:
        inner = None if value is None else _to_value(value, name, declared, kinds[1:], keep)
        out = ctypes.c_void_p()
        try:
            _check(lib.obn_optional_create(declared, inner, ctypes.byref(out)))
        finally:
            lib.obn_tensor_destroy(inner)
        return out
    if kinds and kinds[0] == _capi.KIND_SEQUENCE:
        items = [_to_value(v, name, declared, kinds[1:], keep) for v in value]
        out = ctypes.c_void_p()
        try:
            c_items = (ctypes.c_void_p * max(len(items), 1))(*items)
            _check(lib.obn_sequence_create(declared, len(items), c_items, ctypes.byref(out)))
        finally:
            for t in items:
                lib.obn_tensor_destroy(t)
        return out
    if declared == STRING:
        return _string_tensor(value, name)
    a = _contiguous(value, name)
    keep.append(a)
    return _wrap(a, _element_type(a, declared))


def _string_tensor(value, name):
    """A new string tensor holding copies of the array's strings."""
    a = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if a.dtype.kind not in "OUS":
        raise Error("INVALID_INPUT", f"input '{name}': numpy dtype {a.dtype} is not a string array")
    dims = (ctypes.c_int64 * max(a.ndim, 1))(*a.shape)
    t = ctypes.c_void_p()
    _check(lib.obn_tensor_create(STRING, a.ndim, dims, None, ctypes.byref(t)))
    try:
        for i, s in enumerate(a.ravel(order="C")):
            if not isinstance(s, (str, bytes)):
                raise Error("INVALID_INPUT", f"input '{name}': element {i} is a {type(s).__name__}, not a string")
            b = s.encode("utf-8") if isinstance(s, str) else bytes(s)
            _check(lib.obn_tensor_set_string(t, i, b, len(b)))
    except BaseException:
        lib.obn_tensor_destroy(t)
        raise
    return t


def _from_value(t, name):
    """An output as numpy: an array, a list for a sequence, None or the
    value for an optional."""
    kind = lib.obn_tensor_kind(t)
    if kind == _capi.KIND_SEQUENCE:
        return [_from_value(lib.obn_sequence_at(t, i), name) for i in range(lib.obn_sequence_length(t))]
    if kind == _capi.KIND_OPTIONAL:
        return _from_value(lib.obn_optional_value(t), name) if lib.obn_optional_has_value(t) else None
    return _to_numpy(t, name)


def _strings_to_numpy(t):
    rank = lib.obn_tensor_rank(t)
    dims = lib.obn_tensor_dims(t)
    out = np.empty(tuple(dims[i] for i in range(rank)), dtype=object)
    flat = out.reshape(-1)
    n = ctypes.c_size_t()
    for i in range(lib.obn_tensor_numel(t)):
        b = ctypes.string_at(lib.obn_tensor_string(t, i, ctypes.byref(n)), n.value)
        try:
            flat[i] = b.decode("utf-8")
        except UnicodeDecodeError:
            flat[i] = b
    return out


def _to_numpy(t, name):
    dtype = lib.obn_tensor_dtype(t)
    if dtype == STRING:
        return _strings_to_numpy(t)
    np_type = _DTYPES.get(dtype, _RAW_BITS.get(dtype))
    if np_type is None:
        raise Error("UNSUPPORTED", f"output '{name}' has element type {_dtype_name(dtype)}, which numpy lacks")
    rank = lib.obn_tensor_rank(t)
    dims = lib.obn_tensor_dims(t)
    out = np.empty(tuple(dims[i] for i in range(rank)), dtype=np_type)
    n = lib.obn_tensor_nbytes(t)
    if n:
        ctypes.memmove(out.ctypes.data, lib.obn_tensor_cdata(t), n)
    return out
