"""ctypes bindings of the parts of onnxbn.h the Python package uses.

The library is found, in this order: the ONNXBN_LIBRARY environment
variable; the copy installed with this package (`cmake --install` writes
_install.py with its path relative to this folder); libonnxbn.so.0 on the
dynamic loader's search path.
"""
import ctypes
import os

c_size_p = ctypes.POINTER(ctypes.c_size_t)
c_int64_p = ctypes.POINTER(ctypes.c_int64)


class ValueInfo(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int), ("rank", ctypes.c_size_t),
                ("dims", c_int64_p), ("dim_names", ctypes.POINTER(ctypes.c_char_p)),
                ("kind", ctypes.c_int), ("elem_kind", ctypes.c_int)]

# obn_kind
KIND_TENSOR, KIND_SEQUENCE, KIND_OPTIONAL = 0, 1, 2


class SessionOptions(ctypes.Structure):
    _fields_ = [("threads", ctypes.c_int), ("enable_passes", ctypes.c_int), ("fuse_activation", ctypes.c_int),
                ("limits", ctypes.c_void_p)]


class LoadOptions(ctypes.Structure):
    _fields_ = [("registry", ctypes.c_void_p), ("limits", ctypes.c_void_p)]


# Option structs are filled by the library's *_init functions, which clear
# sizeof(struct) bytes of the library's version of the struct: they get a
# buffer this large, so that a library with more fields than these
# bindings know cannot write past it.
OPTIONS_BUFFER_BYTES = 512

_SIGNATURES = {
    "obn_version": (ctypes.c_char_p, []),
    "obn_last_error": (ctypes.c_char_p, []),
    "obn_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "obn_dtype_name": (ctypes.c_char_p, [ctypes.c_int]),
    "obn_tensor_create": (ctypes.c_int, [ctypes.c_int, ctypes.c_size_t, c_int64_p, ctypes.c_void_p,
                                         ctypes.POINTER(ctypes.c_void_p)]),
    "obn_tensor_wrap": (ctypes.c_int, [ctypes.c_int, ctypes.c_size_t, c_int64_p, ctypes.c_void_p, ctypes.c_size_t,
                                       ctypes.POINTER(ctypes.c_void_p)]),
    "obn_tensor_destroy": (None, [ctypes.c_void_p]),
    "obn_tensor_dtype": (ctypes.c_int, [ctypes.c_void_p]),
    "obn_tensor_rank": (ctypes.c_size_t, [ctypes.c_void_p]),
    "obn_tensor_dims": (c_int64_p, [ctypes.c_void_p]),
    "obn_tensor_nbytes": (ctypes.c_size_t, [ctypes.c_void_p]),
    "obn_tensor_cdata": (ctypes.c_void_p, [ctypes.c_void_p]),
    "obn_tensor_kind": (ctypes.c_int, [ctypes.c_void_p]),
    "obn_tensor_numel": (ctypes.c_int64, [ctypes.c_void_p]),
    "obn_tensor_string": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_int64, ctypes.POINTER(ctypes.c_size_t)]),
    "obn_tensor_set_string": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t]),
    "obn_sequence_create": (ctypes.c_int, [ctypes.c_int, ctypes.c_size_t, ctypes.POINTER(ctypes.c_void_p),
                                           ctypes.POINTER(ctypes.c_void_p)]),
    "obn_sequence_length": (ctypes.c_size_t, [ctypes.c_void_p]),
    "obn_sequence_at": (ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t]),
    "obn_optional_create": (ctypes.c_int, [ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "obn_optional_has_value": (ctypes.c_int, [ctypes.c_void_p]),
    "obn_optional_value": (ctypes.c_void_p, [ctypes.c_void_p]),
    "obn_model_load_with": (ctypes.c_int, [ctypes.c_char_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "obn_model_load_buffer_with": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                                  ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "obn_model_destroy": (None, [ctypes.c_void_p]),
    "obn_model_input_count": (ctypes.c_size_t, [ctypes.c_void_p]),
    "obn_model_output_count": (ctypes.c_size_t, [ctypes.c_void_p]),
    "obn_model_input": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ValueInfo)]),
    "obn_model_output": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ValueInfo)]),
    "obn_load_options_init": (None, [ctypes.c_void_p]),
    "obn_session_options_init": (None, [ctypes.c_void_p]),
    "obn_session_create": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
    "obn_session_destroy": (None, [ctypes.c_void_p]),
    "obn_session_run": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_char_p),
                                       ctypes.POINTER(ctypes.c_void_p), ctypes.c_size_t,
                                       ctypes.POINTER(ctypes.c_char_p), ctypes.POINTER(ctypes.c_void_p)]),
    "obn_op_registry_create": (ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p)]),
    "obn_op_registry_destroy": (None, [ctypes.c_void_p]),
    "obn_plugin_load": (ctypes.c_int, [ctypes.c_void_p, ctypes.c_char_p]),
}


def _candidates():
    env = os.environ.get("ONNXBN_LIBRARY")
    if env:
        return [env]
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        from . import _install  # written by cmake --install
        return [os.path.normpath(os.path.join(here, _install.LIBRARY))]
    except ImportError:
        return ["libonnxbn.so.0"]


def _load():
    errors = []
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            errors.append(f"{path}: {e}")
            continue
        for name, (restype, argtypes) in _SIGNATURES.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        return lib, path
    raise ImportError("onnxbn: cannot load libonnxbn (set ONNXBN_LIBRARY to its path): " + "; ".join(errors))


lib, library_path = _load()
