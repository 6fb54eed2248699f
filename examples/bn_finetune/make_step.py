#!/usr/bin/python3
"""Builds the BN fine-tuning example: a training-step ONNX graph, a labelled
data set and the initial parameters, and (with --reference) the same steps
in PyTorch.

The network: a frozen feature extractor (Linear + ReLU) followed by the
trainable head BatchNorm1d -> Linear, trained with softmax cross-entropy.
One run of train_step.onnx is one SGD-with-momentum step on one mini-batch:

  forward   h = ReLU(x W0^T + b0)                   (frozen: initializers)
            y, running_mean_new, running_var_new =
                BatchNormalization(h, gamma, beta, running_mean, running_var,
                                   training_mode=1, momentum=0.9)
            z = y W^T + b;  loss = SoftmaxCrossEntropyLoss(z, labels), mean
  backward  dz = (exp(log_prob) - onehot(labels)) / N
            dW = dz^T y;  db = sum_n dz;  dy = dz W
            saved mean and inverse std of h over the batch (ReduceMean ...)
            dgamma, dbeta = com.microsoft:BatchNormalizationGrad(dy, h, gamma,
                                                                 mean, inv_std)
  update    ai.onnx.preview.training:Momentum (standard, alpha = momentum,
            beta 1, norm_coefficient = weight decay) on gamma, beta, W, b.

Every trainable or running tensor NAME is a graph input and comes back as
the output NAME_new; finetune.c feeds the outputs back in. The features are
frozen, so no gradient flows into h (BatchNormalizationGrad's dX is left
unused). running_var follows the ONNX rule (the batch's population variance);
PyTorch's BatchNorm1d uses the unbiased one, so the reference tracks ONNX's
rule next to PyTorch's parameters.

usage: make_step.py OUT_DIR            model, data and initial state
       make_step.py --reference FILE   the PyTorch reference (needs torch)
"""
import json
import os
import sys

import numpy as np

# sizes and hyper-parameters (shared with the reference)
SAMPLES, D_IN, FEATURES, CLASSES, BATCH = 256, 8, 16, 4, 32
LR, MOMENTUM, WEIGHT_DECAY, BN_MOMENTUM, EPS, STEPS = 0.1, 0.9, 1e-3, 0.9, 1e-5, 20
STATE = ["gamma", "beta", "W", "b", "running_mean", "running_var", "V_gamma", "V_beta", "V_W", "V_b"]


def make_data():
    """Four Gaussian classes in D_IN dims seen through a per-channel gain and
    offset (a shifted target domain), the frozen extractor and the initial
    head, all from one seeded generator."""
    rng = np.random.default_rng(20261201)
    centers = rng.normal(0, 1.5, (CLASSES, D_IN))
    labels = rng.integers(0, CLASSES, SAMPLES)
    x = centers[labels] + rng.normal(0, 1, (SAMPLES, D_IN))
    x = x * rng.uniform(0.5, 2, D_IN) + rng.normal(0, 1, D_IN)
    w0 = rng.normal(0, 1 / np.sqrt(D_IN), (FEATURES, D_IN))
    b0 = rng.normal(0, 0.1, FEATURES)
    f32 = np.float32
    state = {
        "gamma": np.ones(FEATURES, f32), "beta": np.zeros(FEATURES, f32),
        "W": rng.normal(0, 0.3, (CLASSES, FEATURES)).astype(f32), "b": np.zeros(CLASSES, f32),
        "running_mean": np.zeros(FEATURES, f32), "running_var": np.ones(FEATURES, f32),
    }
    for name in ["gamma", "beta", "W", "b"]:
        state["V_" + name] = np.zeros_like(state[name])
    return x.astype(f32), labels.astype(np.int64), w0.astype(f32), b0.astype(f32), state


def batch_rows(step):
    """The rows of mini-batch `step`: the data set in order, cycled (a batch
    that would run past the end starts again at 0, as in finetune.c)."""
    start = step * BATCH % SAMPLES
    if start + BATCH > SAMPLES:
        start = 0
    return slice(start, start + BATCH)


def build_graph(w0, b0):
    from onnx import TensorProto, helper, numpy_helper
    f = TensorProto.FLOAT
    N = "N"

    def vi(name, shape, dtype=f):
        return helper.make_tensor_value_info(name, dtype, shape)

    shapes = {"gamma": [FEATURES], "beta": [FEATURES], "W": [CLASSES, FEATURES], "b": [CLASSES],
              "running_mean": [FEATURES], "running_var": [FEATURES]}
    for name in ["gamma", "beta", "W", "b"]:
        shapes["V_" + name] = shapes[name]
    inputs = [vi("x", [N, D_IN]), vi("labels", [N], TensorProto.INT64), vi("lr", []), vi("T", [], TensorProto.INT64)]
    inputs += [vi(name, shapes[name]) for name in STATE]
    outputs = [vi("loss", [])] + [vi(name + "_new", shapes[name]) for name in STATE]
    inits = [
        numpy_helper.from_array(w0, "W0"), numpy_helper.from_array(b0, "b0"),
        numpy_helper.from_array(np.array(EPS, np.float32), "eps"),
        numpy_helper.from_array(np.array([0], np.int64), "axis0"),
        numpy_helper.from_array(np.array(0, np.int64), "index0"),
        numpy_helper.from_array(np.array(CLASSES, np.int64), "depth"),
        numpy_helper.from_array(np.array([0, 1], np.float32), "onehot_values"),
    ]
    node = helper.make_node
    nodes = [
        # frozen features
        node("Gemm", ["x", "W0", "b0"], ["h_pre"], transB=1),
        node("Relu", ["h_pre"], ["h"]),
        # forward through the head
        node("BatchNormalization", ["h", "gamma", "beta", "running_mean", "running_var"],
             ["y", "running_mean_new", "running_var_new"], epsilon=EPS, momentum=BN_MOMENTUM, training_mode=1),
        node("Gemm", ["y", "W", "b"], ["z"], transB=1),
        node("SoftmaxCrossEntropyLoss", ["z", "labels"], ["loss", "log_prob"], reduction="mean"),
        # dL/dz of the mean loss: (softmax - onehot) / N
        node("Exp", ["log_prob"], ["prob"]),
        node("OneHot", ["labels", "depth", "onehot_values"], ["onehot"], axis=-1),
        node("Sub", ["prob", "onehot"], ["dz_sum"]),
        node("Shape", ["x"], ["x_shape"]),
        node("Gather", ["x_shape", "index0"], ["n_int"], axis=0),
        node("Cast", ["n_int"], ["n"], to=f),
        node("Div", ["dz_sum", "n"], ["dz"]),
        # the Linear's gradients and the gradient into the BN output
        node("Transpose", ["dz"], ["dz_t"], perm=[1, 0]),
        node("MatMul", ["dz_t", "y"], ["dW"]),
        node("ReduceSum", ["dz", "axis0"], ["db"], keepdims=0),
        node("MatMul", ["dz", "W"], ["dy"]),
        # the batch statistics the forward BN used, as BatchNormalizationGrad wants them
        node("ReduceMean", ["h"], ["saved_mean"], axes=[0], keepdims=0),
        node("Sub", ["h", "saved_mean"], ["h_centered"]),
        node("Mul", ["h_centered", "h_centered"], ["h_sq"]),
        node("ReduceMean", ["h_sq"], ["batch_var"], axes=[0], keepdims=0),
        node("Add", ["batch_var", "eps"], ["var_eps"]),
        node("Sqrt", ["var_eps"], ["std"]),
        node("Reciprocal", ["std"], ["saved_inv_std"]),
        node("BatchNormalizationGrad", ["dy", "h", "gamma", "saved_mean", "saved_inv_std"],
             ["dh", "dgamma", "dbeta"], domain="com.microsoft", epsilon=EPS),
        # SGD with momentum and weight decay on the four trainable tensors
        node("Momentum", ["lr", "T", "gamma", "beta", "W", "b", "dgamma", "dbeta", "dW", "db",
                          "V_gamma", "V_beta", "V_W", "V_b"],
             ["gamma_new", "beta_new", "W_new", "b_new", "V_gamma_new", "V_beta_new", "V_W_new", "V_b_new"],
             domain="ai.onnx.preview.training", mode="standard", alpha=MOMENTUM, beta=1.0,
             norm_coefficient=WEIGHT_DECAY),
    ]
    graph = helper.make_graph(nodes, "bn_finetune_step", inputs, outputs, inits)
    opsets = [helper.make_opsetid("", 15), helper.make_opsetid("com.microsoft", 1),
              helper.make_opsetid("ai.onnx.preview.training", 1)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="onnxbn bn_finetune", ir_version=8)


def write_example(out):
    import onnx
    x, labels, w0, b0, state = make_data()
    model = build_graph(w0, b0)
    onnx.checker.check_model(model)
    os.makedirs(out, exist_ok=True)
    onnx.save(model, os.path.join(out, "train_step.onnx"))
    np.save(os.path.join(out, "x.npy"), x)
    np.save(os.path.join(out, "labels.npy"), labels)
    for name, value in state.items():
        np.save(os.path.join(out, name + ".npy"), value)
    with open(os.path.join(out, "steps.txt"), "w") as fh:
        fh.write(f"{STEPS} {BATCH} {LR}\n")


def torch_reference():
    """The same 20 steps in PyTorch: BatchNorm1d (train mode) -> Linear,
    CrossEntropyLoss, SGD(momentum, weight_decay); returns the losses and the
    final state (running_var by ONNX's rule, see the module docstring)."""
    import torch
    torch.use_deterministic_algorithms(True)
    x, labels, w0, b0, state = make_data()
    h_all = torch.relu(torch.from_numpy(x) @ torch.from_numpy(w0).T + torch.from_numpy(b0))
    bn = torch.nn.BatchNorm1d(FEATURES, eps=EPS, momentum=1 - BN_MOMENTUM)
    fc = torch.nn.Linear(FEATURES, CLASSES)
    with torch.no_grad():
        fc.weight.copy_(torch.from_numpy(state["W"]))
        fc.bias.copy_(torch.from_numpy(state["b"]))
    params = [bn.weight, bn.bias, fc.weight, fc.bias]
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    running_var = torch.ones(FEATURES)
    losses = []
    for step in range(STEPS):
        h = h_all[batch_rows(step)]
        target = torch.from_numpy(labels[batch_rows(step)])
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(fc(bn(h)), target)
        loss.backward()
        opt.step()
        running_var = BN_MOMENTUM * running_var + (1 - BN_MOMENTUM) * h.var(0, unbiased=False)
        losses.append(loss.item())
    final = {"gamma": bn.weight, "beta": bn.bias, "W": fc.weight, "b": fc.bias,
             "running_mean": bn.running_mean, "running_var": running_var}
    return {"torch": torch.__version__, "losses": losses,
            "state": {k: v.detach().numpy().astype(float).ravel().tolist() for k, v in final.items()}}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--reference":
        with open(sys.argv[2], "w") as fh:
            json.dump(torch_reference(), fh, indent=1)
    elif len(sys.argv) == 2:
        write_example(sys.argv[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
