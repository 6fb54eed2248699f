#!/usr/bin/python3
"""Checks the operator registry against the ONNX spec: for every implemented
ai.onnx operator, each spec version up to the highest opset onnxbn accepts
must be implemented, or a model at that opset would silently run an older
version's semantics. A version listed that the spec does not have is an
error too. Each implemented version's signature (formal inputs and outputs,
which are optional or variadic: what the loader enforces) must be the spec's.

The spec up to opset 17 is python3-onnx's (onnx.defs, 1.12); versions 18 and
later come from the tables next to this script: onnx_op_versions.tsv (every
operator version up to opset 28) and onnx_signatures_18plus.tsv (generated
by gen_onnx_signatures.py).

usage: check_registry.py ONNXBN MAX_OPSET
"""
import os
import subprocess
import sys

import onnx.defs

HERE = os.path.dirname(os.path.abspath(__file__))
LAST_ONNX_DEFS_OPSET = 17  # python3-onnx 1.12

# spec versions deliberately not implemented; the loader then reports the op
# as unsupported for those opsets instead of running another version
KNOWN_GAPS = {
    ("Tile", 1): "Tile-1 (tiles/axis as float inputs) is inconsistent in the spec itself",
}


# Variadic parameters whose minimum arity is 0 in the spec, for onnx versions
# whose Python binding does not expose FormalParameter.min_arity (1.12)
MIN_ARITY_0 = {
    ("Loop", "v_initial"),  # a Loop may carry no values
    ("SequenceMap", "additional_inputs"),  # a map over one sequence (test_sequence_map_identity_1_sequence)
}


def spec_signature(op_type, params):
    """The spec's formal parameters in onnxbn's notation: "X W ?B", "inputs..."."""
    opt = onnx.defs.OpSchema.FormalParameterOption
    out = []
    for p in params:
        name = p.name[:-3] if p.name.endswith("...") else p.name
        if p.option == opt.Optional:
            out.append("?" + name)
        elif p.option == opt.Variadic:
            min_arity = getattr(p, "min_arity", 0 if (op_type, name) in MIN_ARITY_0 else 1)
            out.append(("?" if min_arity == 0 else "") + name + "...")
        else:
            out.append(name)
    return " ".join(out)


def table_rows(name):
    """The tab-separated rows of a table next to this script, without comments."""
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                yield line.rstrip("\n").split("\t")


def spec_versions(max_opset):
    """{op: {since_version}} of ai.onnx up to max_opset."""
    spec = {}
    for s in onnx.defs.get_all_schemas_with_history():
        if s.domain in ("", "ai.onnx") and s.since_version <= min(max_opset, LAST_ONNX_DEFS_OPSET):
            spec.setdefault(s.name, set()).add(s.since_version)
    for domain, name, version in table_rows("onnx_op_versions.tsv"):
        if domain == "ai.onnx" and LAST_ONNX_DEFS_OPSET < int(version) <= max_opset:
            spec.setdefault(name, set()).add(int(version))
    return spec


def table_signatures():
    """{(op, version): (inputs, outputs)} for versions > 17."""
    return {(op, int(v)): (ins, outs) for op, v, ins, outs in table_rows("onnx_signatures_18plus.tsv")}


def spec_signature_of(name, version, table):
    """The spec's (inputs, outputs) of name-version, or None if unknown."""
    if version > LAST_ONNX_DEFS_OPSET:
        return table.get((name, version))
    schema = onnx.defs.get_schema(name, version, "")
    return spec_signature(schema.name, schema.inputs), spec_signature(schema.name, schema.outputs)


def check_signatures(onnxbn, max_opset, problems):
    out = subprocess.run([onnxbn, "ops", "--signatures"], check=True, capture_output=True, text=True).stdout
    table = table_signatures()
    checked = 0
    for line in out.splitlines():
        if "\t" not in line:
            continue  # the count line
        op_version, ins, outs = line.split("\t")
        name, version = op_version.rsplit("-", 1)
        if "." in name or int(version) > max_opset:
            continue
        want = spec_signature_of(name, int(version), table)
        if want is None:
            problems.append(f"{name}-{version}: no spec signature recorded in onnx_signatures_18plus.tsv")
        elif (ins, outs) != want:
            problems.append(f"{name}-{version}: signature inputs '{ins}' outputs '{outs}', spec: '{want[0]}' / '{want[1]}'")
        checked += 1
    return checked


def main():
    onnxbn, max_opset = sys.argv[1], int(sys.argv[2])
    out = subprocess.run([onnxbn, "ops"], check=True, capture_output=True, text=True).stdout
    spec = spec_versions(max_opset)
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
    signatures = check_signatures(onnxbn, max_opset, problems)
    for p in problems:
        print(p)
    print(f"{checked} operators and {signatures} signatures checked up to opset {max_opset} against onnx "
          f"{onnx.__version__} (opsets <= {LAST_ONNX_DEFS_OPSET}) and the tables: {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
