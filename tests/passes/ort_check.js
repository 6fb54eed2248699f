#!/usr/bin/env node
// Runs a model in ONNX Runtime (onnxruntime-node) on a raw float32 input and
// compares the first output with the expected raw float32 output
// (|got - want| <= atol + rtol*|want|, rtol 1e-3, atol 1e-5).
// usage: node ort_check.js MODEL RAW_PREFIX ORT_MODULE_DIR
'use strict';
const fs = require('fs');
const [model, raw, ortDir] = process.argv.slice(2);
const ort = require(require('path').resolve(ortDir));

function readRaw(path) {
  const b = fs.readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

(async () => {
  const shapes = JSON.parse(fs.readFileSync(raw + '.json'));
  const session = await ort.InferenceSession.create(model);
  const feeds = {};
  feeds[session.inputNames[0]] = new ort.Tensor('float32', readRaw(raw + '.input.bin'), shapes.input);
  const out = (await session.run(feeds))[session.outputNames[0]].data;
  const want = readRaw(raw + '.output.bin');
  let bad = 0, maxAbs = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(out[i] - want[i]);
    maxAbs = Math.max(maxAbs, d);
    if (!(d <= 1e-5 + 1e-3 * Math.abs(want[i]))) bad++;
  }
  if (out.length !== want.length || bad) {
    console.error(`${model}: ONNX Runtime output differs (${bad} values, max abs ${maxAbs})`);
    process.exit(1);
  }
  console.log(`${model}: loads and runs in ONNX Runtime, max abs diff to PyTorch ${maxAbs.toExponential(2)}`);
})().catch((e) => { console.error(`${model}: ONNX Runtime: ${e.message}`); process.exit(1); });
