#!/usr/bin/python3
"""Checks the operator registry against the ONNX spec (python3-onnx): for
every implemented ai.onnx operator, each spec version up to the highest opset
onnxbn accepts must be implemented, or a model at that opset would silently
run an older version's semantics. A version listed that the spec does not
have is an error too.

usage: check_registry.py ONNXBN MAX_OPSET
"""
import subprocess
import sys

import onnx.defs

# spec versions deliberately not implemented; the loader then reports the op
# as unsupported for those opsets instead of running another version
KNOWN_GAPS = {
    ("Tile", 1): "Tile-1 (tiles/axis as float inputs) is inconsistent in the spec itself",
}


def main():
    onnxbn, max_opset = sys.argv[1], int(sys.argv[2])
    out = subprocess.run([onnxbn, "ops"], check=True, capture_output=True, text=True).stdout
    spec = {}
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain in ("", "ai.onnx") and s.since_version <= max_opset:
            spec.setdefault(s.name, set()).add(s.since_version)
    problems = []
    checked = 0
    for line in out.splitlines()[:-1]:
        name, *versions = line.split()
        if "." in name:
            continue  # other domains
        ours = {int(v) for v in versions}
        want = spec.get(name)
        if want is None:
            problems.append(f"{name}: not an ai.onnx operator up to opset {max_opset}")
            continue
        checked += 1
        for v in sorted(want - ours):
            if (name, v) not in KNOWN_GAPS:
                problems.append(f"{name}: spec version {v} is not implemented (implemented: {sorted(ours)})")
        for v in sorted(ours - want):
            problems.append(f"{name}: version {v} is not a spec version (spec: {sorted(want)})")
    for p in problems:
        print(p)
    print(f"{checked} operators checked against onnx {onnx.__version__}: {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
