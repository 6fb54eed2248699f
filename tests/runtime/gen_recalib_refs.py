#!/usr/bin/python3
"""Generates tests/data/recalib/: a small BatchNorm CNN exported to ONNX
(BN kept, BatchNormalization-15), calibration data, and the statistics
PyTorch gives for them, for tests/runtime/test_recalibrate.c.

  model.onnx              Conv-BN-ReLU-Conv-BN-ReLU-GlobalAvgPool-Flatten-Linear-BN1d, input [N,3,8,8]
  data/x_K.npy            6 files of 4 samples each, per-channel gain and offset applied
  single_bnI_{mean,var}   PyTorch train() with momentum=None, one forward over all 24 samples
                          (running_var converted from unbiased to population: * (m-1)/m)
  chan8_bnI_{mean,var}    batches of 8: each BN's batch mean and population variance in PyTorch's
                          train() forward (hooks), combined exactly in float64 (Chan et al.); the
                          means also equal PyTorch's momentum=None running_mean (checked here)
  mom8_bnI_{mean,var}     batches of 8, ONNX momentum 0.7 (PyTorch momentum 0.3) from the model's
                          statistics, PyTorch's running stats with the unbiased factor undone
                          (the initial running_var scaled by m/(m-1) so the factor applies throughout)

usage: gen_recalib_refs.py OUTDIR
"""
import os
import sys

import numpy as np
import torch
import torch.nn as nn


class SmallBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 6, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6, 5)
        self.bn3 = nn.BatchNorm1d(5)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.bn2(self.conv2(x)))
        x = x.mean(dim=(2, 3))
        return self.bn3(self.fc(x))


def bns(net):
    return [net.bn1, net.bn2, net.bn3]


def values_per_channel(shape):
    return int(np.prod(shape)) // shape[1]


def batch_stats(net, batches):
    """Per BN, per batch: (count, mean, population var) in float64 from the train() forward."""
    seen = {i: [] for i in range(3)}
    hooks = []
    for i, bn in enumerate(bns(net)):
        def hook(mod, inp, i=i):
            x = inp[0].detach().double()
            axes = (0,) + tuple(range(2, x.dim()))
            seen[i].append((values_per_channel(x.shape), x.mean(axes).numpy(), x.var(axes, unbiased=False).numpy()))
        hooks.append(bn.register_forward_pre_hook(hook))
    net.train()
    with torch.no_grad():
        for b in batches:
            net(b)
    for h in hooks:
        h.remove()
    return seen


def chan(parts):
    n, mean, m2 = 0.0, 0.0, 0.0
    for cnt, mu, var in parts:
        tot = n + cnt
        delta = mu - mean
        mean = mean + delta * cnt / tot
        m2 = m2 + var * cnt + delta * delta * n * cnt / tot
        n = tot
    return mean, m2 / n


def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    torch.manual_seed(12)
    net = SmallBN()
    for bn in bns(net):  # statistics of some earlier "training" data
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 3, 8, 8), os.path.join(out, "model.onnx"), opset_version=15,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}, "y": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    gen = np.random.default_rng(7)
    gain, offset = np.array([1.5, 0.7, 1.2]), np.array([0.4, -0.3, 0.8])
    x = (gen.normal(size=(24, 3, 8, 8)) * gain[None, :, None, None] + offset[None, :, None, None]).astype(np.float32)
    for k in range(6):
        np.save(os.path.join(out, "data", "x_%d.npy" % k), x[4 * k:4 * k + 4])
    xt = torch.tensor(x)

    def save(tag, i, mean, var):
        np.save(os.path.join(out, "%s_bn%d_mean.npy" % (tag, i)), np.asarray(mean, np.float64))
        np.save(os.path.join(out, "%s_bn%d_var.npy" % (tag, i)), np.asarray(var, np.float64))

    # one batch, PyTorch's cumulative average (momentum=None)
    net.load_state_dict(state)
    counts = {i: parts[0][0] for i, parts in batch_stats(net, [xt]).items()}
    net.load_state_dict(state)
    for bn in bns(net):
        bn.momentum = None
        bn.reset_running_stats()
    net.train()
    with torch.no_grad():
        net(xt)
    for i, bn in enumerate(bns(net)):
        m = counts[i]
        save("single", i, bn.running_mean.double().numpy(), bn.running_var.double().numpy() * (m - 1) / m)

    # batches of 8: exact combination of PyTorch's batch statistics
    batches = [xt[8 * k:8 * k + 8] for k in range(3)]
    net.load_state_dict(state)
    seen = batch_stats(net, batches)
    net.load_state_dict(state)
    for bn in bns(net):
        bn.momentum = None
        bn.reset_running_stats()
    net.train()
    with torch.no_grad():
        for b in batches:
            net(b)
    for i, bn in enumerate(bns(net)):
        mean, var = chan(seen[i])
        assert np.allclose(mean, bn.running_mean.double().numpy(), rtol=1e-5, atol=1e-6), "cumulative means differ"
        save("chan8", i, mean, var)

    # batches of 8, momentum rule
    net.load_state_dict(state)
    for i, bn in enumerate(bns(net)):
        m = seen[i][0][0]
        bn.momentum = 0.3
        bn.running_var.mul_(m / (m - 1))
    net.train()
    with torch.no_grad():
        for b in batches:
            net(b)
    for i, bn in enumerate(bns(net)):
        m = seen[i][0][0]
        save("mom8", i, bn.running_mean.double().numpy(), bn.running_var.double().numpy() * (m - 1) / m)


if __name__ == "__main__":
    main()
