#!/usr/bin/env python3
"""onnxbn run --trace / --dump DIR, checked against numpy.

1. The bundled Conv-BN-ReLU model with --no-fuse: every node output is
   dumped; each dumped tensor is recomputed with numpy (float64) from the
   model's weights and the dumped inputs of that node, and must match within
   |got - want| <= 1e-5 + 1e-4 |want|. The trace names every node in order.
2. The same model with the passes on: the fused nodes are traced with
   "fused Relu" and their outputs dumped under the activation's value name.
3. Value names that are not file names ("a/b", "a_b", "..") are sanitised
   without two values sharing a file; the files hold the right tensors
   (exactly: Relu, Neg and Abs are exact in float32).

usage: check_trace_dump.py ONNXBN MODEL
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RTOL, ATOL = 1e-4, 1e-5


def run(onnxbn, *args):
    p = subprocess.run([onnxbn, "run", *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"FAIL: onnxbn run {' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p.stderr


def load_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return t.name, numpy_helper.to_array(t)


def safe(name):
    return "".join(c if c.isalnum() or c in "-_" or (c == "." and i > 0) else "_" for i, c in enumerate(name))


def conv(x, w, b, attrs):
    """Direct convolution in float64 (2-D, dilation 1), with groups."""
    pads, strides, group = attrs["pads"], attrs["strides"], attrs["group"]
    assert attrs.get("dilations", [1, 1]) == [1, 1]
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    oh, ow = (h - kh) // strides[0] + 1, (wd - kw) // strides[1] + 1
    y = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i:i + oh * strides[0]:strides[0], j:j + ow * strides[1]:strides[1]]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, w[g * mg:(g + 1) * mg, :, i, j])
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y


def reference(node, ins):
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "Conv":
        return conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, attrs)
    if node.op_type == "BatchNormalization":
        x, s, b, mean, var = ins
        sh = (1, -1, 1, 1)
        return (x - mean.reshape(sh)) / np.sqrt(var.reshape(sh) + attrs["epsilon"]) * s.reshape(sh) + b.reshape(sh)
    if node.op_type == "Relu":
        return np.maximum(ins[0], 0)
    sys.exit(f"FAIL: no reference for {node.op_type}")


def check_close(what, got, want):
    if got.shape != want.shape:
        sys.exit(f"FAIL: {what}: shape {got.shape}, expected {want.shape}")
    err = np.abs(got.astype(np.float64) - want)
    bad = err > ATOL + RTOL * np.abs(want)
    if bad.any():
        sys.exit(f"FAIL: {what}: {bad.sum()} values out of tolerance, max error {err.max():.3g}")


def unfused(onnxbn, model, tmp):
    m = onnx.load(model)
    x = np.random.default_rng(3).uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32)
    np.save(os.path.join(tmp, "x.npy"), x)
    dump = os.path.join(tmp, "dump")
    err = run(onnxbn, model, "--no-fuse", "--trace", "--dump", dump, "-i", "input=" + os.path.join(tmp, "x.npy"))
    traced = re.findall(r"^trace: #(\d+) (\S+) \((\w+)-\d+\)", err, re.M)
    want = [(str(i), n.name, n.op_type) for i, n in enumerate(m.graph.node)]
    if traced != want:
        sys.exit(f"FAIL: trace lines {traced}, expected {want}\n{err}")
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    values["input"] = x.astype(np.float64)
    files = sorted(os.listdir(dump))
    if files != sorted(safe(n.output[0]) + ".pb" for n in m.graph.node):
        sys.exit(f"FAIL: dumped files {files}")
    for n in m.graph.node:
        name, got = load_pb(os.path.join(dump, safe(n.output[0]) + ".pb"))
        if name != n.output[0]:
            sys.exit(f"FAIL: {n.output[0]}: the file holds '{name}'")
        check_close(f"{n.name} -> {name}", got, reference(n, [values[i] for i in n.input]))
        values[name] = got.astype(np.float64)  # the next node is checked on what onnxbn computed
    print(f"ok: --no-fuse: {len(m.graph.node)} nodes traced, dumped and matching numpy")


def fused(onnxbn, model, tmp):
    dump = os.path.join(tmp, "dump_fused")
    err = run(onnxbn, model, "--trace", "--dump", dump)
    lines = re.findall(r"^trace: #\d+ .*", err, re.M)
    if len(lines) != 2 or not all("fused Relu" in l for l in lines):
        sys.exit(f"FAIL: fused trace:\n{err}")
    files = sorted(os.listdir(dump))
    if files != ["_relu_Relu_output_0.pb", "output.pb"]:
        sys.exit(f"FAIL: fused dump files {files}")
    print("ok: fused: 2 nodes traced with 'fused Relu'")


def names(onnxbn, tmp):
    nodes = [helper.make_node("Relu", ["x"], ["a/b"], name="r"),
             helper.make_node("Neg", ["a/b"], ["a_b"], name="n"),
             helper.make_node("Abs", ["a_b"], [".."], name="a")]
    g = helper.make_graph(nodes, "names", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
                          [helper.make_tensor_value_info("..", TensorProto.FLOAT, [4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    path = os.path.join(tmp, "names.onnx")
    onnx.save(m, path)
    x = np.array([-2, -0.5, 0, 3], np.float32)
    np.save(os.path.join(tmp, "n.npy"), x)
    dump = os.path.join(tmp, "dump_names")
    run(onnxbn, path, "--no-fuse", "--dump", dump, "-i", "x=" + os.path.join(tmp, "n.npy"))
    want = {"a_b.pb": ("a/b", np.maximum(x, 0)), "a_b_2.pb": ("a_b", -np.maximum(x, 0)),
            "_..pb": ("..", np.maximum(x, 0))}
    files = sorted(os.listdir(dump))
    if files != sorted(want):
        sys.exit(f"FAIL: sanitised names {files}, expected {sorted(want)}")
    for f, (name, arr) in want.items():
        got_name, got = load_pb(os.path.join(dump, f))
        if got_name != name or not np.array_equal(got, arr):
            sys.exit(f"FAIL: {f} holds {got_name} {got}, expected {name} {arr}")
    print("ok: value names sanitised without collisions")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    onnxbn, model = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        unfused(onnxbn, model, tmp)
        fused(onnxbn, model, tmp)
        names(onnxbn, tmp)


if __name__ == "__main__":
    main()
