#!/usr/bin/env python3
"""onnx's own backend test runner (onnx.backend.test.BackendTest) over the
ONNX node tests shipped with python3-onnx, on onnxbn through its Python
package (onnxbn.backend). Prints the counts; fails when a test that a
conformance manifest says must pass (tests/conformance/*.txt, entries
node/test_x) does not pass here, or when the run takes longer than
--max-seconds.

A model onnxbn refuses as unsupported (OBN_E_UNSUPPORTED, at load or when
the run reveals it) is counted as skipped, with the library's message as
the reason, as `onnxbn test` counts it; every other error is a failure.

usage: run_backend_node.py [--max-seconds S] [--verbose] MANIFEST...
"""
import argparse
import os
import re
import sys
import time
import unittest

import numpy as np
import onnx.backend.test

import onnxbn
import onnxbn.backend


def skip_unsupported(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except onnxbn.Error as e:
        if e.status == "UNSUPPORTED":
            raise unittest.SkipTest(f"unsupported: {e}")
        raise


class CountingRep(onnxbn.backend.OnnxbnBackendRep):
    def run(self, inputs, **kwargs):
        # some refusals depend on input values (Dropout with training_mode)
        return skip_unsupported(super().run, inputs, **kwargs)


class CountingBackend(onnxbn.backend.OnnxbnBackend):
    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        rep = skip_unsupported(super().prepare, model, device, threads=1, **kwargs)
        return CountingRep(rep.session)


# Tests onnx 1.12's runner cannot pass on any backend: they stay in the
# manifests (onnxbn test checks them) but are not required here.
RUNNER_CANNOT = {
    # assert_similar_outputs recurses into the items of an output sequence as
    # if they were sequences too and calls len() on its 0-d first item
    "test_loop16_seq_none",
}


def required(manifests):
    """Test names (test_x) the manifests list under node/."""
    names = set()
    for path in manifests:
        with open(path) as f:
            for line in f:
                entry = line.split("#", 1)[0].strip()
                m = re.match(r"(?:.*/)?node/(test_\w+)$", entry)
                if m:
                    names.add(m.group(1))
    return names


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max-seconds", type=float, default=300)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("manifests", nargs="*")
    args = ap.parse_args()

    # onnx 1.12's runner compares dtypes with np.object, which numpy 1.24
    # removed (Debian bookworm ships that pair)
    if not hasattr(np, "object"):
        np.object = object
    backend_test = onnx.backend.test.BackendTest(CountingBackend, __name__)
    # one test per node-test folder and device: the CPU is onnxbn's only one
    cases = unittest.TestLoader().loadTestsFromTestCase(backend_test.test_cases["OnnxBackendNodeModelTest"])
    suite = unittest.TestSuite(t for t in cases if t.id().endswith("_cpu"))
    def name_of(test):
        return re.sub(r"_cpu$", "", test.id().rsplit(".", 1)[-1])

    run = {name_of(t) for t in suite}
    start = time.monotonic()
    with open(os.devnull, "w") as sink:
        result = unittest.TextTestRunner(stream=sys.stdout if args.verbose else sink,
                                         verbosity=2 if args.verbose else 0).run(suite)
    seconds = time.monotonic() - start

    failed = {name_of(t) for t, _ in result.failures + result.errors}
    skipped = {name_of(t) for t, _ in result.skipped}
    passed = run - failed - skipped
    print(f"onnx.backend.test node tests (onnx {onnx.__version__}) on onnxbn {onnxbn.version()} via Python: "
          f"{len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped (unsupported), "
          f"{len(run)} in all, {seconds:.1f} s")
    must = (required(args.manifests) - RUNNER_CANNOT) & run
    missing = sorted(must - passed)
    print(f"manifest node tests: {len(must)}, not passing through Python: {len(missing)}")
    for name in missing:
        why = next((tb.strip().splitlines()[-1] for t, tb in result.failures + result.errors + result.skipped
                    if name_of(t) == name), "")
        print(f"  {name}: {why[:300]}")
    if seconds > args.max_seconds:
        print(f"FAIL: took {seconds:.1f} s, more than {args.max_seconds} s")
        return 1
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
