#!/usr/bin/env python3
"""Writes the fixed models of the tensor fuzz target (fuzz/models/).

One model per element type onnxbn stores: input `x` of that type and of any
shape (no shape declared), so that whatever tensor a mutated .pb/.npy file
decodes to can be fed to the model of its type. The graph touches the data
(Cast to float, Sigmoid, ReduceSum over every axis), the shape (Shape) and
passes the tensor through (Identity, a graph output of the input's type).

    python3 fuzz/make_models.py fuzz/models
"""
import os
import sys

from onnx import TensorProto, helper, save

TYPES = ["float", "uint8", "int8", "uint16", "int16", "int32", "int64", "bool",
         "float16", "double", "uint32", "uint64", "bfloat16"]


def model_for(type_name):
    elem = getattr(TensorProto, type_name.upper())
    nodes = [
        helper.make_node("Cast", ["x"], ["f"], to=TensorProto.FLOAT, name="cast"),
        helper.make_node("Sigmoid", ["f"], ["y"], name="sigmoid"),
        helper.make_node("ReduceSum", ["f"], ["sum"], keepdims=0, name="sum"),
        helper.make_node("Shape", ["x"], ["shape"], name="shape"),
        helper.make_node("Identity", ["x"], ["same"], name="identity"),
    ]
    graph = helper.make_graph(
        nodes, "tensor_" + type_name,
        [helper.make_tensor_value_info("x", elem, None)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("sum", TensorProto.FLOAT, None),
         helper.make_tensor_value_info("shape", TensorProto.INT64, None),
         helper.make_tensor_value_info("same", elem, None)])
    return helper.make_model(graph, producer_name="onnxbn fuzz/make_models.py",
                             opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "models")
    os.makedirs(out, exist_ok=True)
    for t in TYPES:
        save(model_for(t), os.path.join(out, "tensor_%s.onnx" % t))


if __name__ == "__main__":
    main()
