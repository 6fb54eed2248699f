#!/usr/bin/python3
"""Export torchvision models to ONNX in the backend-test layout.

    /usr/bin/python3 models/export.py --out DIR [--family F ...] [--models NAME ...] [--opset N ...]
                                      [--bn keep|fold ...] [--batch B ...] [--dynamic]

For each model and each (opset, bn) pair asked for this writes
DIR/<name>_op<opset>_<bn>[_dyn]/model.onnx and one test_data_set_K per batch
size with input_0.pb and output_0.pb (the logits PyTorch computes), which
`onnxbn test` compares against. DIR may contain {opset} and {bn}, replaced
per export (e.g. --out zoo/{bn}/op{opset}). Each model is built and
calibrated once for all its exports (the same weights and inputs in every
one).

Families (--family, default classifier): "classifier" is the CNN zoo below;
"segmentation" (FCN, DeepLabV3, LR-ASPP: the 'out' map is the output),
"video" (3-D ResNets on 8 frames of 112x112), "transformer" (ViT, Swin,
ConvNeXt, MaxViT) and "efficientnet_v2" are the newer torchvision families.
--models picks names from any family.

The expected outputs are PyTorch's: in float32 for the classifier zoo, in
float64 (rounded to float32 at the end) for the newer families, whose
per-pixel and attention outputs are not averaged by a global pool, so that
PyTorch's own float32 rounding (1.8e-4 on fcn_resnet50's map) does not count
against the runtime under test.

Weights are random (nothing can be downloaded) but made realistic: BN affine
parameters are random, BN running statistics are measured on random batches
(so activations stay in a sane range through 50+ layers) and then perturbed,
so that every BatchNormalization matters.

--bn keep   exports with training=TrainingMode.PRESERVE from eval mode: BN
            stays as its own node (what onnxbn's folding pass is for).
--bn fold   PyTorch's default eval export, which folds BN into Conv.
--dynamic   marks the batch dimension symbolic ("N"); needed for several
            --batch sizes in one model.

The newer families also get random LayerNorm affine parameters, random
ConvNeXt layer scales (initialised to 1e-6, which would hide every block
behind its residual) and random values for layers initialised to zero
(ViT's head and class token), so that every parameter matters.
"""
import argparse
import copy
import os
import sys
import time
import warnings

import numpy as np
import onnx
import torch
import torchvision
from onnx import numpy_helper

# name -> (family, constructor keyword arguments, input shape without the batch)
ZOO = {
    "resnet18": ("classifier", {}, (3, 224, 224)),
    "resnet34": ("classifier", {}, (3, 224, 224)),
    "resnet50": ("classifier", {}, (3, 224, 224)),
    "resnext50_32x4d": ("classifier", {}, (3, 224, 224)),
    "wide_resnet50_2": ("classifier", {}, (3, 224, 224)),
    "mobilenet_v2": ("classifier", {}, (3, 224, 224)),
    "mobilenet_v3_small": ("classifier", {}, (3, 224, 224)),
    "mobilenet_v3_large": ("classifier", {}, (3, 224, 224)),
    "shufflenet_v2_x0_5": ("classifier", {}, (3, 224, 224)),
    "shufflenet_v2_x1_0": ("classifier", {}, (3, 224, 224)),
    "squeezenet1_0": ("classifier", {}, (3, 224, 224)),
    "squeezenet1_1": ("classifier", {}, (3, 224, 224)),
    "densenet121": ("classifier", {}, (3, 224, 224)),
    "googlenet": ("classifier", {"aux_logits": False, "init_weights": True}, (3, 224, 224)),
    "inception_v3": ("classifier", {"aux_logits": False, "init_weights": True}, (3, 299, 299)),
    "mnasnet0_5": ("classifier", {}, (3, 224, 224)),
    "mnasnet1_0": ("classifier", {}, (3, 224, 224)),
    "efficientnet_b0": ("classifier", {}, (3, 224, 224)),
    "regnet_x_400mf": ("classifier", {}, (3, 224, 224)),
    "regnet_y_400mf": ("classifier", {}, (3, 224, 224)),
    "alexnet": ("classifier", {}, (3, 224, 224)),
    "vgg11_bn": ("classifier", {}, (3, 224, 224)),
    "fcn_resnet50": ("segmentation", {"weights_backbone": None}, (3, 128, 128)),
    "deeplabv3_mobilenet_v3_large": ("segmentation", {"weights_backbone": None}, (3, 128, 128)),
    "lraspp_mobilenet_v3_large": ("segmentation", {"weights_backbone": None}, (3, 128, 128)),
    "r3d_18": ("video", {}, (3, 8, 112, 112)),
    "mc3_18": ("video", {}, (3, 8, 112, 112)),
    "r2plus1d_18": ("video", {}, (3, 8, 112, 112)),
    "vit_b_16": ("transformer", {}, (3, 224, 224)),
    "swin_t": ("transformer", {}, (3, 224, 224)),
    "convnext_tiny": ("transformer", {}, (3, 224, 224)),
    "maxvit_t": ("transformer", {}, (3, 224, 224)),
    "efficientnet_v2_s": ("efficientnet_v2", {}, (3, 224, 224)),
}
FAMILIES = sorted({family for family, _, _ in ZOO.values()})
# where torchvision keeps each family's constructors
MODULES = {"segmentation": torchvision.models.segmentation, "video": torchvision.models.video}


def bn_layers(model):
    return [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]


def calibrate_and_perturb(model, shape, gen):
    """Random BN affine parameters, then running statistics measured on random
    data with everything else in eval mode (dropout and stochastic depth off),
    then a small perturbation of those statistics so that BN matters but the
    network stays well conditioned (logits of order 1-100, so float32
    rounding stays far below the comparison tolerance)."""
    bns = bn_layers(model)
    if not bns:  # nothing to calibrate (ViT, Swin, ConvNeXt, MaxViT's LayerNorm-only blocks)
        model.eval()
        normalise_logits(model, shape, gen)
        return
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
            model(torch.randn(4, *shape, generator=gen))
    model.eval()
    with torch.no_grad():
        for m in bns:
            c = m.num_features
            m.running_mean.add_(torch.randn(c, generator=gen) * 0.1 * m.running_var.sqrt())
            m.running_var.mul_(torch.rand(c, generator=gen) * 0.4 + 0.8)
            m.momentum = 0.1
    normalise_logits(model, shape, gen)


def normalise_logits(model, shape, gen):
    """Scales the classifier (the last Linear) so that logits have unit
    spread. Random heads (inception_v3 draws them with std 0.1) otherwise give
    logits in the hundreds, where float32's own rounding (PyTorch float32 vs
    float64 differ by ~5e-4 there) exceeds an absolute tolerance of 1e-4."""
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    if not linears:
        return
    head = linears[-1]
    with torch.no_grad():
        spread = float(model(torch.randn(2, *shape, generator=gen)).std())
        if spread > 0:
            head.weight.div_(spread)
            if head.bias is not None:
                head.bias.div_(spread)


def randomise_fresh_parameters(model, gen):
    """Gives random values to the parameters that torchvision initialises to
    constants which would hide a wrong kernel: LayerNorm affine parameters (1
    and 0), ConvNeXt's layer scales (1e-6: every block would vanish behind
    its residual), layers and tokens initialised to zero (ViT's head and class
    token). Scales stay those of a trained network."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 1.0 + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.2)
            elif isinstance(m, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)):
                bound = 1.0 / float(np.sqrt(m.weight[0].numel()))
                if not m.weight.any():
                    m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * bound)
                if m.bias is not None and not m.bias.any():
                    m.bias.copy_((torch.rand(m.bias.shape, generator=gen) * 2 - 1) * bound)
        for name, p in model.named_parameters():
            if name.endswith("layer_scale"):
                p.copy_(torch.rand(p.shape, generator=gen) * 0.4 + 0.1)
            elif name.endswith("class_token") and not p.any():
                p.copy_(torch.randn(p.shape, generator=gen) * 0.02)


class MainOutput(torch.nn.Module):
    """A segmentation model's 'out' map alone (torchvision returns a dict)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x)["out"]


def build(name, seed):
    """The model, its input shape, the generator its inputs are drawn from,
    and the model that computes the expected outputs (a float64 copy for the
    newer families, the model itself for the classifier zoo)."""
    family, kwargs, shape = ZOO[name]
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = getattr(MODULES.get(family, torchvision.models), name)(weights=None, **kwargs)
    if family == "segmentation":
        model = MainOutput(model)
    if family != "classifier":  # the CNN zoo keeps the weights its error table was measured with
        randomise_fresh_parameters(model, gen)
    calibrate_and_perturb(model, shape, gen)
    reference = model if family == "classifier" else copy.deepcopy(model).double()
    return model, shape, gen, reference


def expected_output(reference, x):
    with torch.no_grad():
        return reference(x.to(next(reference.parameters()).dtype)).float()


def save_pb(array, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array, dtype=np.float32), name).SerializeToString())


def export(name, model, shape, gen, reference, out_dir, opset, bn, batches, dynamic):
    start = time.monotonic()
    case = f"{name}_op{opset}_{bn}" + ("_dyn" if dynamic else "")
    case_dir = os.path.join(out_dir.replace("{opset}", str(opset)).replace("{bn}", bn), case)
    os.makedirs(case_dir, exist_ok=True)
    path = os.path.join(case_dir, "model.onnx")
    x0 = torch.randn(batches[0], *shape, generator=gen)
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
        x = x0 if k == 0 else torch.randn(b, *shape, generator=gen)
        y = expected_output(reference, x)
        data = os.path.join(case_dir, f"test_data_set_{k}")
        os.makedirs(data, exist_ok=True)
        save_pb(x.numpy(), "input", os.path.join(data, "input_0.pb"))
        save_pb(y.numpy(), "logits", os.path.join(data, "output_0.pb"))
    ops = sorted({n.op_type for n in m.graph.node})
    print(f"{case}: {len(m.graph.node)} nodes ({n_bn} BatchNormalization), batches {batches}, "
          f"{time.monotonic() - start:.1f} s, ops {' '.join(ops)}",
          flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--family", choices=FAMILIES, nargs="+", default=["classifier"],
                    help="the families whose models are exported when --models is not given")
    ap.add_argument("--models", nargs="*", default=None, help="zoo names (default: every model of --family)")
    ap.add_argument("--opset", type=int, nargs="+", default=[13])
    ap.add_argument("--bn", choices=["keep", "fold"], nargs="+", default=["keep"])
    ap.add_argument("--batch", type=int, nargs="*", default=[1])
    ap.add_argument("--dynamic", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--list", action="store_true", help="print the names of --family's models and exit")
    args = ap.parse_args()
    names = args.models or [name for name, (family, _, _) in ZOO.items() if family in args.family]
    if args.list:
        print("\n".join(names))
        return
    if len(args.batch) > 1 and not args.dynamic:
        sys.exit("several --batch sizes need --dynamic")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    for name in names:
        if name not in ZOO:
            sys.exit(f"unknown model '{name}'; known: {', '.join(ZOO)}")
        start = time.monotonic()
        model, shape, gen, reference = build(name, args.seed)
        print(f"{name}: built and calibrated in {time.monotonic() - start:.1f} s", flush=True)
        state = gen.get_state()
        for opset in args.opset:
            for bn in args.bn:
                gen.set_state(state)  # the same inputs for every export of this model
                export(name, model, shape, gen, reference, args.out, opset, bn, args.batch, args.dynamic)


if __name__ == "__main__":
    main()
