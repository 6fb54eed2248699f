#!/usr/bin/env python3
"""Writes two ONNX models that use the operators of examples/custom_op/myops.c,
each as an ONNX backend-test folder (model.onnx, test_data_set_0/input_K.pb,
output_K.pb) with the expected outputs computed by numpy:

  OUT/custom_op_const    X -> com.example.Dense (W, B initializers)
                           -> com.example.ScaledTanh-2 (Y and T) -> Relu(Y)
  OUT/custom_op_dynamic  the same with W a graph input (Dense reads it at run
                           time instead of packing it once)

usage: make_model.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ALPHA, BETA = 2.0, 0.5


def reference(x, w, b, bias):
    """The models' outputs in float64, rounded to float32 at the end."""
    h = x.astype(np.float64) @ w.astype(np.float64) + b
    t = np.tanh(BETA * (h + bias))
    return np.maximum(ALPHA * t, 0).astype(np.float32), t.astype(np.float32)


def make(out_dir, w_is_input, rng):
    x = rng.uniform(-1, 1, (2, 3, 4)).astype(np.float32)
    w = rng.uniform(-1, 1, (4, 5)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, 5).astype(np.float32)
    bias = rng.uniform(-0.5, 0.5, 5).astype(np.float32)
    nodes = [
        helper.make_node("Dense", ["X", "W", "B"], ["H"], name="dense", domain="com.example"),
        helper.make_node("ScaledTanh", ["H", "bias"], ["Y", "T"], name="scaled_tanh", domain="com.example",
                         alpha=ALPHA, beta=BETA),
        helper.make_node("Relu", ["Y"], ["Z"], name="relu"),
    ]
    inputs = [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 3, 4])]
    inits = [numpy_helper.from_array(b, "B"), numpy_helper.from_array(bias, "bias")]
    feeds = [x]
    if w_is_input:
        inputs.append(helper.make_tensor_value_info("W", TensorProto.FLOAT, [4, 5]))
        feeds.append(w)
    else:
        inits.append(numpy_helper.from_array(w, "W"))
    outputs = [helper.make_tensor_value_info("Z", TensorProto.FLOAT, [2, 3, 5]),
               helper.make_tensor_value_info("T", TensorProto.FLOAT, [2, 3, 5])]
    graph = helper.make_graph(nodes, os.path.basename(out_dir), inputs, outputs, inits)
    model = helper.make_model(graph, producer_name="onnxbn examples/custom_op/make_model.py",
                              opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.example", 2)])
    model.ir_version = 8
    data = os.path.join(out_dir, "test_data_set_0")
    os.makedirs(data, exist_ok=True)
    onnx.save(model, os.path.join(out_dir, "model.onnx"))
    for k, (name, arr) in enumerate(zip(["X", "W"], feeds)):
        onnx.save_tensor(numpy_helper.from_array(arr, name), os.path.join(data, f"input_{k}.pb"))
    for k, (name, arr) in enumerate(zip(["Z", "T"], reference(x, w, b, bias))):
        onnx.save_tensor(numpy_helper.from_array(arr, name), os.path.join(data, f"output_{k}.pb"))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    rng = np.random.default_rng(7)
    make(os.path.join(sys.argv[1], "custom_op_const"), False, rng)
    make(os.path.join(sys.argv[1], "custom_op_dynamic"), True, rng)


if __name__ == "__main__":
    main()
