#!/usr/bin/env python3
"""The Python package onnxbn: InferenceSession on the bundled model agrees
with the CLI on the same input (both single-threaded, |diff| <= 1e-6),
from a path and from bytes, with a non-contiguous input (copied) and a
contiguous one (borrowed); get_inputs/get_outputs; errors raised as
onnxbn.Error with the library's message; a custom-operator plugin through
plugins=[...] against the numpy outputs make_model.py stores; the backend's
run_node against numpy; string tensors in and out (Equal-19 on a string
initializer, Cast to string against numpy's str()).

usage: test_python_api.py ONNXBN_CLI MODEL [PLUGIN CUSTOM_OP_MODELS_DIR]
With PYTHONPATH at the package to test (the source tree or an install).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

import onnxbn
import onnxbn.backend


def fail(msg):
    sys.exit(f"FAIL: {msg}")


def expect_error(fn, status, *words):
    try:
        fn()
    except onnxbn.Error as e:
        if e.status != status or not all(w in str(e) for w in words):
            fail(f"expected {status} with {words}, got {e.status}: {e}")
        return
    fail(f"expected onnxbn.Error {status}")


def against_cli(cli, model, tmp):
    x = np.random.default_rng(5).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
    np.save(os.path.join(tmp, "x.npy"), x)
    out = os.path.join(tmp, "cli")
    subprocess.run([cli, "run", model, "--threads", "1", "-i", "input=" + os.path.join(tmp, "x.npy"), "-o", out],
                   check=True, capture_output=True)
    t = onnx.TensorProto()
    with open(os.path.join(out, "output.pb"), "rb") as f:
        t.ParseFromString(f.read())
    want = numpy_helper.to_array(t)
    with open(model, "rb") as f:
        data = f.read()
    for source in (model, data):
        sess = onnxbn.InferenceSession(source, threads=1)
        ins, outs = sess.get_inputs(), sess.get_outputs()
        if [(i.name, i.type, i.shape) for i in ins] != [("input", "tensor(float)", [1, 3, 16, 16])]:
            fail(f"get_inputs: {ins}")
        if [(o.name, o.type, o.shape) for o in outs] != [("output", "tensor(float)", [1, 8, 16, 16])]:
            fail(f"get_outputs: {outs}")
        (y,) = sess.run(None, {"input": x})
        if y.dtype != np.float32 or y.shape != want.shape or np.abs(y - want).max() > 1e-6:
            fail(f"differs from the CLI: {np.abs(y - want).max()}")
        # a transposed view: made contiguous, same values
        xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
        (y2,) = sess.run(["output"], {"input": xt})
        if not np.array_equal(y, y2):
            fail("non-contiguous input gives other results")
        sess.close()
    print("ok: InferenceSession matches the CLI (path and bytes)")


def errors(model):
    sess = onnxbn.InferenceSession(model)
    x = np.zeros((1, 3, 16, 16), np.float32)
    expect_error(lambda: sess.run(None, {"input": x.astype(np.float64)}), "INVALID_INPUT", "'input'", "double",
                 "float [1,3,16,16]")
    expect_error(lambda: sess.run(None, {"nope": x}), "INVALID_INPUT", "no input named 'nope'")
    expect_error(lambda: sess.run(["nope"], {"input": x}), "INVALID_ARGUMENT", "nope")
    expect_error(lambda: onnxbn.InferenceSession("/nonexistent/m.onnx"), "IO", "/nonexistent/m.onnx")
    expect_error(lambda: onnxbn.InferenceSession(b"not a model"), "PARSE")
    sess.close()
    expect_error(lambda: sess.run(None, {"input": x}), "INVALID_ARGUMENT", "closed")
    print("ok: errors carry the library's messages")


def plugin(lib, models):
    for variant in ("const", "dynamic"):
        d = os.path.join(models, "custom_op_" + variant)
        m = onnx.load(os.path.join(d, "model.onnx"))
        feeds = {}
        for k, vi in enumerate(m.graph.input):
            t = onnx.load_tensor(os.path.join(d, "test_data_set_0", f"input_{k}.pb"))
            feeds[vi.name] = numpy_helper.to_array(t)
        expect_error(lambda: onnxbn.InferenceSession(os.path.join(d, "model.onnx")), "UNSUPPORTED", "Dense")
        sess = onnxbn.InferenceSession(os.path.join(d, "model.onnx"), plugins=[lib])
        outs = sess.run(None, feeds)
        for k, got in enumerate(outs):
            want = numpy_helper.to_array(onnx.load_tensor(os.path.join(d, "test_data_set_0", f"output_{k}.pb")))
            if not np.allclose(got, want, rtol=1e-4, atol=1e-6):
                fail(f"plugin model {variant}: output {k} differs by {np.abs(got - want).max()}")
    expect_error(lambda: onnxbn.InferenceSession(os.path.join(models, "custom_op_const", "model.onnx"),
                                                 plugins=["/nonexistent/libx.so"]), "IO", "cannot load plugin")
    print("ok: plugins=[...] runs the custom operators (within 1e-4 relative of numpy)")


def run_node():
    x = np.array([[-1.5, 0.25], [3, -4]], np.float32)
    node = helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.1)
    (y,) = onnxbn.backend.run_node(node, [x])
    if not np.allclose(y, np.where(x > 0, x, 0.1 * x), rtol=1e-6, atol=0):
        fail(f"run_node LeakyRelu: {y}")
    print("ok: backend.run_node")


def strings():
    words = np.array(["a", "", "\u00e9t\u00e9"], dtype=object)
    graph = helper.make_graph(
        [helper.make_node("Equal", ["x", "k"], ["eq"]), helper.make_node("Cast", ["f"], ["s"], to=onnx.TensorProto.STRING)],
        "strings",
        [helper.make_tensor_value_info("x", onnx.TensorProto.STRING, [3]),
         helper.make_tensor_value_info("f", onnx.TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("eq", onnx.TensorProto.BOOL, [3]),
         helper.make_tensor_value_info("s", onnx.TensorProto.STRING, [4])],
        [numpy_helper.from_array(words, "k")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19)])
    sess = onnxbn.InferenceSession(model.SerializeToString())
    f = np.array([0.5, 1e-5, 3.0, -2.25], np.float32)
    for x in (np.array(["a", "b", "\u00e9t\u00e9"]), np.array([b"a", b"", b"x"]), ["a", "", "e"]):
        eq, s = sess.run(None, {"x": x, "f": f})
        want = np.array([str(v.decode() if isinstance(v, bytes) else v) for v in np.asarray(x).ravel()], dtype=object)
        if not np.array_equal(eq, want == words):
            fail(f"Equal on strings {x!r}: {eq}")
    if s.dtype != object or list(s) != [str(v) for v in f]:
        fail(f"Cast to string: {s!r}, numpy: {[str(v) for v in f]}")
    expect_error(lambda: sess.run(None, {"x": np.array([1, 2, 3]), "f": f}), "INVALID_INPUT", "not a string array")
    node = helper.make_node("StringConcat", ["a", "b"], ["c"])
    (c,) = onnxbn.backend.run_node(node, [np.array(["x", "yy"]), np.array(["!"], dtype=object)], opset_version=20)
    if list(c) != ["x!", "yy!"]:
        fail(f"backend.run_node StringConcat: {c!r}")
    print("ok: string tensors in and out, backend.run_node on str arrays")


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    print(f"onnxbn {onnxbn.version()} from {onnxbn.__file__}, library {onnxbn.library_path}")
    with tempfile.TemporaryDirectory() as tmp:
        against_cli(sys.argv[1], sys.argv[2], tmp)
    errors(sys.argv[2])
    if len(sys.argv) == 5:
        plugin(sys.argv[3], sys.argv[4])
    run_node()
    strings()


if __name__ == "__main__":
    main()
