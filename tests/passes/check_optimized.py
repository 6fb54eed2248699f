#!/usr/bin/python3
"""Checks a model written by `onnxbn optimize`:
  - onnx.checker.check_model(full_check=True) accepts it,
  - it contains no BatchNormalization,
  - its inputs, outputs and opset imports are those of the original,
and writes the test data set's first input and expected output as raw
float32 files (+ shapes in JSON) for the ONNX Runtime check (ort_check.js).

usage: check_optimized.py ORIGINAL.onnx OPTIMIZED.onnx TEST_DATA_DIR RAW_PREFIX
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def io_signature(model):
    def sig(vs):
        return [(v.name, v.type.tensor_type.elem_type) for v in vs]
    inits = {t.name for t in model.graph.initializer}
    return sig([i for i in model.graph.input if i.name not in inits]), sig(model.graph.output)


def main():
    orig_path, opt_path, data_dir, raw = sys.argv[1:5]
    orig, opt = onnx.load(orig_path), onnx.load(opt_path)
    onnx.checker.check_model(opt, full_check=True)
    bn = [n.name for n in opt.graph.node if n.op_type == "BatchNormalization"]
    if bn:
        sys.exit(f"{opt_path}: BatchNormalization left: {bn}")
    if io_signature(orig) != io_signature(opt):
        sys.exit(f"{opt_path}: inputs/outputs differ from the original: {io_signature(orig)} vs {io_signature(opt)}")
    if sorted((o.domain, o.version) for o in orig.opset_import) != sorted((o.domain, o.version) for o in opt.opset_import):
        sys.exit(f"{opt_path}: opset imports differ from the original")
    shapes = {}
    for kind in ("input", "output"):
        t = onnx.TensorProto()
        with open(f"{data_dir}/{kind}_0.pb", "rb") as f:
            t.ParseFromString(f.read())
        a = numpy_helper.to_array(t).astype(np.float32)
        a.tofile(f"{raw}.{kind}.bin")
        shapes[kind] = list(a.shape)
    with open(f"{raw}.json", "w") as f:
        json.dump(shapes, f)
    print(f"{opt_path}: check_model ok, no BatchNormalization, {len(orig.graph.node)} -> {len(opt.graph.node)} nodes")


if __name__ == "__main__":
    main()
