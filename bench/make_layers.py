#!/usr/bin/python3
"""Writes single-Conv ONNX models shaped like the layers of common CNNs, so
that bench/compare.sh can time onnxbn and ONNX Runtime layer by layer.

    /usr/bin/python3 bench/make_layers.py OUT_DIR [--set resnet18|mobilenet_v2|all]

Each model is OUT_DIR/<name>/model.onnx with one input x [N,C,H,W] (N is
symbolic so --batch works), random weights and bias, opset 17."""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# name: (C_in, C_out, H, W, kernel, stride, pad, groups)
LAYERS = {
    "resnet18": {
        "r18_conv1_7x7s2": (3, 64, 224, 224, 7, 2, 3, 1),
        "r18_l1_3x3": (64, 64, 56, 56, 3, 1, 1, 1),
        "r18_l2_3x3s2": (64, 128, 56, 56, 3, 2, 1, 1),
        "r18_l2_3x3": (128, 128, 28, 28, 3, 1, 1, 1),
        "r18_l2_1x1s2": (64, 128, 56, 56, 1, 2, 0, 1),
        "r18_l3_3x3": (256, 256, 14, 14, 3, 1, 1, 1),
        "r18_l3_3x3s2": (128, 256, 28, 28, 3, 2, 1, 1),
        "r18_l4_3x3s2": (256, 512, 14, 14, 3, 2, 1, 1),
        "r18_l4_1x1s2": (256, 512, 14, 14, 1, 2, 0, 1),
        "r18_l4_3x3": (512, 512, 7, 7, 3, 1, 1, 1),
    },
    "mobilenet_v2": {
        "mb2_1x1_16to96_112": (16, 96, 112, 112, 1, 1, 0, 1),
        "mb2_dw3x3_96_112s2": (96, 96, 112, 112, 3, 2, 1, 96),
        "mb2_1x1_144to24_56": (144, 24, 56, 56, 1, 1, 0, 1),
        "mb2_1x1_24to144_56": (24, 144, 56, 56, 1, 1, 0, 1),
        "mb2_dw3x3_144_56": (144, 144, 56, 56, 3, 1, 1, 144),
        "mb2_dw3x3_960_7": (960, 960, 7, 7, 3, 1, 1, 960),
        "mb2_1x1_160to960_7": (160, 960, 7, 7, 1, 1, 0, 1),
        "mb2_1x1_320to1280_7": (320, 1280, 7, 7, 1, 1, 0, 1),
        "mb2_3x3s2_3to32": (3, 32, 224, 224, 3, 2, 1, 1),
    },
}


def conv_model(c, m, h, w, k, s, p, g, seed):
    rng = np.random.default_rng(seed)
    wt = (rng.standard_normal((m, c // g, k, k)) / np.sqrt(c // g * k * k)).astype(np.float32)
    b = rng.standard_normal(m).astype(np.float32) * 0.1
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c, h, w])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], kernel_shape=[k, k], strides=[s, s],
                            pads=[p, p, p, p], group=g)
    graph = helper.make_graph([node], "layer", [x], [y],
                              [numpy_helper.from_array(wt, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--set", default="all", choices=["all"] + list(LAYERS))
    a = ap.parse_args()
    sets = LAYERS if a.set == "all" else {a.set: LAYERS[a.set]}
    for i, (name, shape) in enumerate(sorted((n, s) for layers in sets.values() for n, s in layers.items())):
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        onnx.save(conv_model(*shape, seed=i), os.path.join(d, "model.onnx"))
        print(d)


if __name__ == "__main__":
    main()
