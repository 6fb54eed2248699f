#!/usr/bin/python3
"""Export torchvision classifiers to ONNX in the backend-test layout.

    /usr/bin/python3 models/export.py --out DIR [--models NAME ...] [--opset N ...]
                                      [--bn keep|fold ...] [--batch B ...] [--dynamic]

For each model and each (opset, bn) pair asked for this writes
DIR/<name>_op<opset>_<bn>[_dyn]/model.onnx and one test_data_set_K per batch
size with input_0.pb and output_0.pb (the logits PyTorch computes), which
`onnxbn test` compares against. DIR may contain {opset} and {bn}, replaced
per export (e.g. --out zoo/{bn}/op{opset}). Each model is built and
calibrated once for all its exports (the same weights and inputs in every
one).

Weights are random (nothing can be downloaded) but made realistic: BN affine
parameters are random, BN running statistics are measured on random batches
(so activations stay in a sane range through 50+ layers) and then perturbed,
so that every BatchNormalization matters.

--bn keep   exports with training=TrainingMode.PRESERVE from eval mode: BN
            stays as its own node (what onnxbn's folding pass is for).
--bn fold   PyTorch's default eval export, which folds BN into Conv.
--dynamic   marks the batch dimension symbolic ("N"); needed for several
            --batch sizes in one model.
"""
import argparse
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

# name -> (constructor keyword arguments, input side)
ZOO = {
    "resnet18": ({}, 224),
    "resnet34": ({}, 224),
    "resnet50": ({}, 224),
    "resnext50_32x4d": ({}, 224),
    "wide_resnet50_2": ({}, 224),
    "mobilenet_v2": ({}, 224),
    "mobilenet_v3_small": ({}, 224),
    "mobilenet_v3_large": ({}, 224),
    "shufflenet_v2_x0_5": ({}, 224),
    "shufflenet_v2_x1_0": ({}, 224),
    "squeezenet1_0": ({}, 224),
    "squeezenet1_1": ({}, 224),
    "densenet121": ({}, 224),
    "googlenet": ({"aux_logits": False, "init_weights": True}, 224),
    "inception_v3": ({"aux_logits": False, "init_weights": True}, 299),
    "mnasnet0_5": ({}, 224),
    "mnasnet1_0": ({}, 224),
    "efficientnet_b0": ({}, 224),
    "regnet_x_400mf": ({}, 224),
    "regnet_y_400mf": ({}, 224),
    "alexnet": ({}, 224),
    "vgg11_bn": ({}, 224),
}


def bn_layers(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def calibrate_and_perturb(model, side, gen):
    """Random BN affine parameters, then running statistics measured on random
    data with everything else in eval mode (dropout and stochastic depth off),
    then a small perturbation of those statistics so that BN matters but the
    network stays well conditioned (logits of order 1-100, so float32
    rounding stays far below the comparison tolerance)."""
    bns = bn_layers(model)
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            m.weight.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
            m.bias.copy_(torch.randn(c, generator=gen) * 0.2)
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
    model.eval()
    for m in bns:
        m.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, 3, side, side, generator=gen))
    model.eval()
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            m.running_mean.add_(torch.randn(c, generator=gen) * 0.1 * m.running_var.sqrt())
            m.running_var.mul_(torch.rand(c, generator=gen) * 0.4 + 0.8)
            m.momentum = 0.1
    normalise_logits(model, side, gen)


def normalise_logits(model, side, gen):
    """Scales the classifier (the last Linear) so that logits have unit
    spread. Random heads (inception_v3 draws them with std 0.1) otherwise give
    logits in the hundreds, where float32's own rounding (PyTorch float32 vs
    float64 differ by ~5e-4 there) exceeds an absolute tolerance of 1e-4."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if not linears:
        return
    head = linears[-1]
    with torch.no_grad():
        spread = float(model(torch.randn(2, 3, side, side, generator=gen)).std())
        if spread > 0:
            head.weight.div_(spread)
            if head.bias is not None:
                head.bias.div_(spread)


def build(name, seed):
    kwargs, side = ZOO[name]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(torchvision.models, name)(weights=None, **kwargs)
    calibrate_and_perturb(model, side, gen)
    return model, side, gen


def save_pb(array, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name).SerializeToString())


def export(name, model, side, gen, out_dir, opset, bn, batches, dynamic):
    case = f"{name}_op{opset}_{bn}" + ("_dyn" if dynamic else "")
    case_dir = os.path.join(out_dir.replace("{opset}", str(opset)).replace("{bn}", bn), case)
    os.makedirs(case_dir, exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    x0 = torch.randn(batches[0], 3, side, side, generator=gen)
    mode = torch.onnx.TrainingMode.PRESERVE if bn == "keep" else torch.onnx.TrainingMode.EVAL
    axes = {"input": {0: "N"}, "logits": {0: "N"}} if dynamic else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x0, path, opset_version=opset, input_names=["input"], output_names=["logits"],
                          training=mode, do_constant_folding=True, dynamic_axes=axes)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    n_bn = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
    if bn == "keep" and bn_layers(model) and n_bn == 0:
        sys.exit(f"{case}: BatchNormalization was folded by the exporter although --bn keep was asked")
    for k, b in enumerate(batches):
        x = x0 if k == 0 else torch.randn(b, 3, side, side, generator=gen)
        with torch.no_grad():
            y = model(x)
        data = os.path.join(case_dir, f"test_data_set_{k}")
        os.makedirs(data, exist_ok=True)
        save_pb(x.numpy(), "input", os.path.join(data, "input_0.pb"))
        save_pb(y.numpy(), "logits", os.path.join(data, "output_0.pb"))
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"{case}: {len(m.graph.node)} nodes ({n_bn} BatchNormalization), batches {batches}, ops {' '.join(ops)}",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--models", nargs="*", default=None, help="zoo names (default: all)")
    ap.add_argument("--opset", type=int, nargs="+", default=[13])
    ap.add_argument("--bn", choices=["keep", "fold"], nargs="+", default=["keep"])
    ap.add_argument("--batch", type=int, nargs="*", default=[1])
    ap.add_argument("--dynamic", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="print the zoo names and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(ZOO))
        return
    if len(args.batch) > 1 and not args.dynamic:
        sys.exit("several --batch sizes need --dynamic")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in args.models or list(ZOO):
        if name not in ZOO:
            sys.exit(f"unknown model '{name}'; known: {', '.join(ZOO)}")
        model, side, gen = build(name, args.seed)
        state = gen.get_state()
        for opset in args.opset:
            for bn in args.bn:
                gen.set_state(state)  # the same inputs for every export of this model
                export(name, model, side, gen, args.out, opset, bn, args.batch, args.dynamic)


if __name__ == "__main__":
    main()
