#!/usr/bin/env python3
"""Model load + session creation time and peak RSS of onnxbn builds against
ONNX Runtime (bench/ort_bench.js) on one model, measured in the same run:
the configurations alternate for ROUNDS rounds, each a fresh process
(`onnxbn bench --runs 3 --warmup 1 --json`, `node bench/ort_bench.js
--runs 3 --warmup 1 --json`), and the table gives medians over the rounds.
ORT's session_create_ms includes reading the file (one call); onnxbn's
total is load_ms + session_create_ms. /ORT: onnxbn total / ORT total.

usage: bench/create_compare.py [-r ROUNDS] [-t THREADS] MODEL [LABEL=ONNXBN[:LIBDIR]]...
  default configuration: onnxbn=build/onnxbn; LIBDIR goes to LD_LIBRARY_PATH
  (to compare a copied build with its own libonnxbn.so). Hold the CPU lock.
"""
import argparse, json, os, statistics, subprocess, sys

here = os.path.dirname(os.path.abspath(__file__))


def run_json(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"create_compare: {' '.join(cmd)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(usage=__doc__)
    ap.add_argument('-r', type=int, default=5, dest='rounds')
    ap.add_argument('-t', default='1', dest='threads')
    ap.add_argument('model')
    ap.add_argument('configs', nargs='*')
    a = ap.parse_args()
    configs = a.configs or [f"onnxbn={os.path.join(here, '..', 'build', 'onnxbn')}"]
    rows = {c: [] for c in configs + ['ORT']}
    for _ in range(a.rounds):
        for c in configs:
            label, spec = c.split('=', 1)
            exe, _, lib = spec.partition(':')
            env = dict(os.environ, **({'LD_LIBRARY_PATH': lib} if lib else {}))
            d = run_json([exe, 'bench', a.model, '--runs', '3', '--warmup', '1', '--threads', a.threads, '--json'], env)
            rows[c].append((d['load_ms'], d['session_create_ms'], d['load_ms'] + d['session_create_ms'], d['peak_rss_mb']))
        d = run_json(['node', os.path.join(here, 'ort_bench.js'), a.model, '--runs', '3', '--warmup', '1',
                      '--threads', a.threads, '--json'])
        rows['ORT'].append((0.0, d['session_create_ms'], d['session_create_ms'], d['peak_rss_mb']))
    med = {c: [statistics.median(x[i] for x in v) for i in range(4)] for c, v in rows.items()}
    ort = med['ORT'][2]
    print(f"{a.model}: threads {a.threads}, {a.rounds} rounds, medians")
    print(f"{'':12s} {'load ms':>8s} {'create ms':>10s} {'total ms':>9s} {'/ORT':>6s} {'peak RSS MB':>12s}")
    for c, m in med.items():
        print(f"{c.split('=')[0]:12s} {m[0]:8.1f} {m[1]:10.1f} {m[2]:9.1f} {m[2] / ort:6.2f} {m[3]:12.1f}")


if __name__ == '__main__':
    main()
