#!/usr/bin/python3
"""Worked example for `onnxbn recalibrate` (AdaBN): a small BatchNorm CNN
trained on synthetic images loses agreement with its clean-data predictions
when the inputs shift (a per-channel gain and offset, as from another camera
or preprocessing) and regains it after its BN statistics are re-estimated
on unlabeled shifted data.

  1. trains SmallCNN (3 Conv-BN-ReLU blocks, GAP, Linear) on 4 classes of
     synthetic 3x16x16 images (oriented gratings in colour, plus noise) and
     exports it with its BN nodes kept (model.onnx, BatchNormalization-15);
  2. writes a clean test set, the same test set shifted, and 512 other
     unlabeled shifted images as calibration data (calib/x_K.npy);
  3. runs `onnxbn run` on the clean and shifted test sets, then
     `onnxbn recalibrate model.onnx --data calib -o recalibrated.onnx`, and
     runs the recalibrated model on the shifted test set;
  4. prints the agreement of each run's predictions with the clean-data
     predictions of the original model, and the accuracy.

usage: shift_demo.py ONNXBN_BINARY WORKDIR
"""
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper

GAIN = np.array([0.55, 1.7, 1.25], np.float32)
OFFSET = np.array([0.5, -0.45, 0.3], np.float32)


class SmallCNN(nn.Module):
    def __init__(self, classes=4):
        super().__init__()
        layers, cin = [], 3
        for cout in (16, 24, 32):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]
            if cout != 32:
                layers.append(nn.MaxPool2d(2))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


def make_images(n, rng):
    """Class k: a grating at angle k*45 degrees with a class-dependent colour mix."""
    labels = rng.integers(0, 4, size=n)
    yy, xx = np.mgrid[0:16, 0:16].astype(np.float32)
    imgs = np.empty((n, 3, 16, 16), np.float32)
    for i, k in enumerate(labels):
        ang = np.pi / 4 * k + rng.normal(0, 0.15)
        freq = rng.uniform(0.5, 0.9)
        phase = rng.uniform(0, 2 * np.pi)
        g = np.sin(freq * (xx * np.cos(ang) + yy * np.sin(ang)) + phase)
        colour = np.roll(np.array([1.0, 0.6, 0.3]), k) * rng.uniform(0.7, 1.3, size=3)
        imgs[i] = colour[:, None, None] * g + rng.normal(0, 0.6, size=(3, 16, 16))
    return imgs.astype(np.float32), labels


def shift(x):
    return x * GAIN[None, :, None, None] + OFFSET[None, :, None, None]


def train(x, y):
    torch.manual_seed(3)
    net = SmallCNN()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    xt, yt = torch.tensor(x), torch.tensor(y)
    net.train()
    for epoch in range(6):
        perm = torch.randperm(len(xt))
        for s in range(0, len(xt), 64):
            idx = perm[s:s + 64]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
    return net.eval()


def onnxbn_predict(binary, model, x, work, tag):
    inp = os.path.join(work, tag + "_x.npy")
    np.save(inp, x)
    out_dir = os.path.join(work, tag + "_out")
    subprocess.run([binary, "run", model, "-i", "x=" + inp, "-o", out_dir], check=True, stdout=subprocess.DEVNULL)
    t = onnx.TensorProto()
    with open(os.path.join(out_dir, "logits.pb"), "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t).argmax(axis=1)


def main():
    binary, work = sys.argv[1], sys.argv[2]
    os.makedirs(os.path.join(work, "calib"), exist_ok=True)
    rng = np.random.default_rng(2026)
    xtr, ytr = make_images(3000, rng)
    xte, yte = make_images(1000, rng)
    xcal, _ = make_images(512, rng)
    net = train(xtr, ytr)
    model = os.path.join(work, "model.onnx")
    torch.onnx.export(net, torch.zeros(1, 3, 16, 16), model, opset_version=15, input_names=["x"],
                      output_names=["logits"], dynamic_axes={"x": {0: "N"}, "logits": {0: "N"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    for k in range(8):  # unlabeled shifted calibration data, 8 files of 64 images
        np.save(os.path.join(work, "calib", "x_%d.npy" % k), shift(xcal[64 * k:64 * k + 64]))

    clean = onnxbn_predict(binary, model, xte, work, "clean")
    shifted = onnxbn_predict(binary, model, shift(xte), work, "shifted")
    recal = os.path.join(work, "recalibrated.onnx")
    cmd = [binary, "recalibrate", model, "--data", os.path.join(work, "calib"), "-o", recal]
    print("$ " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    adapted = onnxbn_predict(binary, recal, shift(xte), work, "adapted")
    print("\n%-42s %10s %10s" % ("test set (1000 images)", "agreement", "accuracy"))
    for name, pred in (("clean, original model", clean), ("shifted, original model", shifted),
                       ("shifted, recalibrated model", adapted)):
        print("%-42s %9.1f%% %9.1f%%" % (name, 100 * np.mean(pred == clean), 100 * np.mean(pred == yte)))


if __name__ == "__main__":
    main()
