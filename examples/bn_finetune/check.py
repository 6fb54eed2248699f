#!/usr/bin/python3
"""Compares finetune's result with the PyTorch reference: the loss of every
step and the final state (gamma, beta, W, b, running_mean, running_var)
within 1e-4 (absolute, on values of order 1), and the loss must fall (the
mean of the last five steps below 80 % of the mean of the first five).

usage: check.py REFERENCE.json FINETUNE_LOG OUT_DIR
"""
import json
import os
import sys

import numpy as np
from onnx import TensorProto, numpy_helper

TOL = 1e-4


def read_pb(path):
    t = TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


def main():
    ref_path, log_path, out_dir = sys.argv[1:4]
    with open(ref_path) as f:
        ref = json.load(f)
    with open(log_path) as f:
        losses = [float(line.split()[3]) for line in f if line.startswith("step ")]
    problems = []
    if len(losses) != len(ref["losses"]):
        problems.append(f"{len(losses)} steps logged, the reference has {len(ref['losses'])}")
    else:
        err = np.max(np.abs(np.array(losses) - ref["losses"]))
        print(f"losses: {losses[0]:.4f} -> {losses[-1]:.4f}, max abs difference from PyTorch {err:.2e}")
        if err > TOL:
            problems.append(f"losses differ from PyTorch's by {err:.2e}")
        if np.mean(losses[-5:]) >= 0.8 * np.mean(losses[:5]):
            problems.append(f"the loss does not fall: {losses}")
    for name, want in ref["state"].items():
        got = read_pb(os.path.join(out_dir, name + ".pb")).astype(float).ravel()
        err = np.max(np.abs(got - np.array(want))) if got.size == len(want) else np.inf
        print(f"{name}: {got.size} values, max abs difference from PyTorch {err:.2e}")
        if err > TOL:
            problems.append(f"{name} differs from PyTorch's by {err:.2e}")
    for p in problems:
        print("FAIL:", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
