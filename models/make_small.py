#!/usr/bin/python3
"""Small PyTorch-exported test models with their BatchNormalization kept.

Each model is written in the ONNX backend-test layout that `onnxbn test`
reads:  OUT/NAME/model.onnx  and  OUT/NAME/test_data_set_0/{input_0,output_0}.pb
with the expected output computed by PyTorch.

PyTorch's default (eval) export folds BatchNormalization into the preceding
Conv; these models are exported with training=TrainingMode.PRESERVE from a
model in eval mode, which keeps BN as its own node in inference form. BN
layers get random running statistics so that they matter.

Usage: /usr/bin/python3 models/make_small.py --out DIR [--only NAME ...]
"""
import argparse
import os
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper


def randomize_bn(model, gen):
    """Random affine parameters and running statistics for every BN layer."""
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) * 1.5 + 0.25)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.5)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=gen) * 2.0 + 0.1)


class ConvBnRelu(torch.nn.Module):
    """conv -> bn -> relu -> depthwise conv -> bn -> relu, in 1, 2 or 3-D."""

    def __init__(self, dim=2, cin=3, cout=8):
        super().__init__()
        conv = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[dim]
        bn = {1: torch.nn.BatchNorm1d, 2: torch.nn.BatchNorm2d, 3: torch.nn.BatchNorm3d}[dim]
        self.conv1 = conv(cin, cout, 3, padding=1, bias=False)
        self.bn1 = bn(cout)
        self.conv2 = conv(cout, cout, 3, padding=1, groups=cout)
        self.bn2 = bn(cout, eps=1e-3)
        self.relu = torch.nn.ReLU()

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(x)))


class ResBlockNet(torch.nn.Module):
    """A small ResNet: stem, a basic block, a downsampling block with a 1x1
    projection shortcut, global pooling and a linear classifier."""

    def __init__(self, width=8, classes=10):
        super().__init__()
        w = width
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, w, 3, padding=1, bias=False), torch.nn.BatchNorm2d(w),
                                        torch.nn.ReLU())
        self.a1 = torch.nn.Sequential(torch.nn.Conv2d(w, w, 3, padding=1, bias=False), torch.nn.BatchNorm2d(w),
                                      torch.nn.ReLU(), torch.nn.Conv2d(w, w, 3, padding=1, bias=False),
                                      torch.nn.BatchNorm2d(w))
        self.b1 = torch.nn.Sequential(torch.nn.Conv2d(w, 2 * w, 3, stride=2, padding=1, bias=False),
                                      torch.nn.BatchNorm2d(2 * w), torch.nn.ReLU(),
                                      torch.nn.Conv2d(2 * w, 2 * w, 3, padding=1, bias=False),
                                      torch.nn.BatchNorm2d(2 * w))
        self.proj = torch.nn.Sequential(torch.nn.Conv2d(w, 2 * w, 1, stride=2, bias=False), torch.nn.BatchNorm2d(2 * w))
        self.relu = torch.nn.ReLU()
        self.head = torch.nn.Linear(2 * w, classes)

    def forward(self, x):
        x = self.stem(x)
        x = self.relu(x + self.a1(x))
        x = self.relu(self.proj(x) + self.b1(x))
        x = torch.flatten(torch.nn.functional.adaptive_avg_pool2d(x, 1), 1)
        return self.head(x)


class MlpBn(torch.nn.Module):
    """Linear -> BatchNorm1d -> ReLU, twice, then a classifier."""

    def __init__(self, features=12, hidden=16, classes=5):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(features, hidden), torch.nn.BatchNorm1d(hidden),
                                       torch.nn.ReLU(), torch.nn.Linear(hidden, hidden, bias=False),
                                       torch.nn.BatchNorm1d(hidden), torch.nn.ReLU(),
                                       torch.nn.Linear(hidden, classes))

    def forward(self, x):
        return self.net(x)


# name -> (module factory, input shape, opset)
CASES = {
    "convbnrelu": (lambda: ConvBnRelu(2), (1, 3, 16, 16), 13),
    "convbnrelu_batch4": (lambda: ConvBnRelu(2), (4, 3, 12, 10), 13),
    "convbnrelu_1d": (lambda: ConvBnRelu(1), (2, 3, 20), 13),
    "convbnrelu_3d": (lambda: ConvBnRelu(3), (2, 3, 6, 7, 5), 13),
    "convbnrelu_opset7": (lambda: ConvBnRelu(2), (2, 3, 9, 9), 7),
    "convbnrelu_opset9": (lambda: ConvBnRelu(2), (2, 3, 9, 9), 9),
    "convbnrelu_opset11": (lambda: ConvBnRelu(2), (2, 3, 9, 9), 11),
    "convbnrelu_opset15": (lambda: ConvBnRelu(2), (2, 3, 9, 9), 15),
    "convbnrelu_opset17": (lambda: ConvBnRelu(2), (2, 3, 9, 9), 17),
    "resblock": (lambda: ResBlockNet(), (2, 3, 16, 16), 13),
    "resblock_opset15": (lambda: ResBlockNet(), (2, 3, 16, 16), 15),
    "mlp_bn1d": (lambda: MlpBn(), (6, 12), 13),
    "mlp_bn1d_opset9": (lambda: MlpBn(), (6, 12), 9),
}


def export_case(name, out_dir, seed):
    factory, shape, opset = CASES[name]
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = factory()
    randomize_bn(model, gen)
    model.eval()
    x = torch.randn(*shape, generator=gen)
    with torch.no_grad():
        y = model(x)
    case_dir = os.path.join(out_dir, name)
    data_dir = os.path.join(case_dir, "test_data_set_0")
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    torch.onnx.export(model, x, path, opset_version=opset, input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    n_bn = sum(1 for n in m.graph.node if n.op_type == "BatchNormalization")
    if n_bn == 0:
        sys.exit(f"{name}: the export folded every BatchNormalization; expected them kept")
    for i, (arr, kind) in enumerate([(x, "input"), (y, "output")]):
        t = numpy_helper.from_array(arr.numpy().astype(np.float32), kind)
        with open(os.path.join(data_dir, f"{kind}_0.pb"), "wb") as f:
            f.write(t.SerializeToString())
    print(f"{name}: opset {opset}, {len(m.graph.node)} nodes, {n_bn} BatchNormalization, input {list(shape)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--only", nargs="*", help="case names (default: all)")
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args()
    names = args.only or sorted(CASES)
    for name in names:
        if name not in CASES:
            sys.exit(f"unknown case '{name}'; known: {', '.join(sorted(CASES))}")
        export_case(name, args.out, args.seed)


if __name__ == "__main__":
    main()
