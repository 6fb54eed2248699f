#!/usr/bin/env node
// Times ONNX Runtime (CPU, from the npm package onnxruntime-node) on the same
// kind of input `onnxbn bench` uses: seeded random values shaped like the
// model's inputs (symbolic dims 1, a symbolic leading dim = --batch).
// usage: node bench/ort_bench.js MODEL [--runs N] [--warmup N] [--threads N] [--batch B] [--json] [--profile | --profile-all]
// --profile: ORT's own per-node trace (enableProfiling), summed per operator
// type over every run and printed per run, slowest first, like OBN_PROFILE=1,
// then its slowest nodes (--profile-all: every node, like OBN_PROFILE=all).
'use strict';
const path = require('path');

function loadOrt() {
  const here = path.join(__dirname, 'node_modules', 'onnxruntime-node');
  try { return require(here); } catch (e) { /* fall through */ }
  try { return require('onnxruntime-node'); } catch (e) {
    console.error('ort_bench: onnxruntime-node is not installed; run bench/setup_ort.sh');
    process.exit(2);
  }
}

function parseArgs(argv) {
  const a = { runs: 20, warmup: 3, threads: 0, batch: 1, json: false, profile: false, model: null };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--json') a.json = true;
    else if (k === '--profile') a.profile = true;
    else if (k === '--profile-all') { a.profile = true; a.profileAll = true; }
    else if (['--runs', '--warmup', '--threads', '--batch'].includes(k)) a[k.slice(2)] = parseInt(argv[++i], 10);
    else if (!a.model) a.model = k;
    else { console.error(`ort_bench: unexpected argument ${k}`); process.exit(2); }
  }
  if (!a.model) { console.error('ort_bench: no model given'); process.exit(2); }
  return a;
}

// splitmix64-style generator on BigInt, same spirit as onnxbn's seeded inputs
function makeRandom(seed) {
  let s = BigInt(seed);
  const mask = (1n << 64n) - 1n;
  return () => {
    s = (s + 0x9e3779b97f4a7c15n) & mask;
    let z = s;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
    z = z ^ (z >> 31n);
    return Number(z >> 11n) / 9007199254740992;
  };
}

async function main() {
  const ort = loadOrt();
  const a = parseArgs(process.argv.slice(2));
  const opts = { graphOptimizationLevel: 'all' };
  if (a.threads > 0) { opts.intraOpNumThreads = a.threads; opts.interOpNumThreads = 1; }
  const os = require('os'), fs = require('fs');
  const profDir = a.profile ? fs.mkdtempSync(path.join(os.tmpdir(), 'ort-prof-')) : null;
  if (a.profile) { opts.enableProfiling = true; opts.profileFilePrefix = path.join(profDir, 'trace'); }
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(a.model, opts);
  const createMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const rnd = makeRandom(0);
  const feeds = {};
  for (const meta of session.inputMetadata) {
    const dims = meta.shape.map((d, i) => (typeof d === 'number' && d >= 0 ? d : i === 0 ? a.batch : 1));
    const n = dims.reduce((x, y) => x * y, 1);
    if (meta.type !== 'float32') { console.error(`ort_bench: input ${meta.name} is ${meta.type}; only float32 supported`); process.exit(2); }
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = 2 * rnd() - 1;
    feeds[meta.name] = new ort.Tensor('float32', data, dims);
  }
  const times = [];
  for (let i = 0; i < a.warmup + a.runs; i++) {
    const s = process.hrtime.bigint();
    await session.run(feeds);
    const ms = Number(process.hrtime.bigint() - s) / 1e6;
    if (i >= a.warmup) times.push(ms);
  }
  if (a.profile) {
    session.endProfiling();
    const file = fs.readdirSync(profDir).map((f) => path.join(profDir, f))[0];
    const byOp = new Map(), byNode = new Map();
    let total = 0;
    for (const ev of JSON.parse(fs.readFileSync(file, 'utf8'))) {
      if (ev.cat !== 'Node' || !ev.name.endsWith('_kernel_time') || !ev.args) continue;
      const op = ev.args.op_name || '?';
      const e = byOp.get(op) || { ms: 0, nodes: new Set() };
      e.ms += ev.dur / 1000;
      e.nodes.add(ev.name);
      byOp.set(op, e);
      byNode.set(ev.name, (byNode.get(ev.name) || 0) + ev.dur / 1000);
      total += ev.dur / 1000;
    }
    const runs = a.warmup + a.runs;
    console.log(`ORT profile: ${runs} runs, ${(total / runs).toFixed(3)} ms/run in kernels`);
    console.log('  kind                                              nodes     ms/run      %');
    for (const [op, e] of [...byOp.entries()].sort((x, y) => y[1].ms - x[1].ms))
      console.log(`  ${op.padEnd(48)} ${String(e.nodes.size).padStart(6)} ${(e.ms / runs).toFixed(3).padStart(10)} ${(100 * e.ms / total).toFixed(1).padStart(6)}`);
    console.log(a.profileAll ? '  every node, slowest first:' : '  slowest nodes (--profile-all lists every node):');
    for (const [name, ms] of [...byNode.entries()].sort((x, y) => y[1] - x[1]).slice(0, a.profileAll ? undefined : 15))
      console.log(`    ${(ms / runs).toFixed(3).padStart(8)} ms  ${name.replace(/_kernel_time$/, '')}`);
    fs.rmSync(profDir, { recursive: true, force: true });
  }
  times.sort((x, y) => x - y);
  const median = times.length % 2 ? times[(times.length - 1) / 2] : (times[times.length / 2 - 1] + times[times.length / 2]) / 2;
  const p90 = times[Math.floor((times.length - 1) * 0.9)];
  if (a.json) {
    console.log(JSON.stringify({ model: a.model, runtime: 'onnxruntime', version: require(path.join(require.resolve('onnxruntime-node'), '..', '..', 'package.json')).version,
      runs: a.runs, threads: a.threads, batch: a.batch, median_ms: median, min_ms: times[0], p90_ms: p90, images_per_s: a.batch * 1000 / median,
      session_create_ms: createMs, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
  } else {
    console.log(`${a.model}: median ${median.toFixed(3)} ms  min ${times[0].toFixed(3)} ms  p90 ${p90.toFixed(3)} ms (onnxruntime, ${a.runs} runs)`);
  }
}

main().catch((e) => { console.error(`ort_bench: ${e.message}`); process.exit(2); });
