"""onnx's backend node-test suite (shipped in the onnx wheel, built in memory) against the
onnxruntime engine through ``ispc_onnxruntime.backend``.

Scope: every node test on CPU (include pattern ``_cpu$``); models with an IR version or opset
the engine does not support are skipped by the adapter. Known gaps are strict xfails, grouped
by reason in ``ort_backend_xfails.json``: a gap that starts passing fails the run, so the list
cannot rot. Regenerate the list after an onnx/onnxruntime upgrade with

    cd plugins/ispc-onnxruntime/tests
    ONNX_HOME=$(mktemp -d) python test_ort_backend.py --regenerate
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import unittest
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
os.environ.setdefault("ONNX_HOME", tempfile.mkdtemp(prefix="ispc-onnx-home-"))  # no downloads
import onnx.backend.test  # noqa: E402

from ispc_onnxruntime.backend import make_backend  # noqa: E402
from ispc_onnxruntime.engine import OnnxRuntimeEngine  # noqa: E402

XFAILS_FILE = Path(__file__).with_name("ort_backend_xfails.json")
INCLUDE = r"_cpu$"

# In-process isolation: the suite is about operator coverage, and worker round trips would
# only add time; the worker path has its own tests.
ENGINE = OnnxRuntimeEngine(isolation="inprocess")


def _backend_test(xfails: dict[str, list[str]]):
    runner = onnx.backend.test.BackendTest(make_backend(ENGINE), __name__)
    runner.include(INCLUDE)
    for names in xfails.values():
        for name in names:
            runner.xfail(f"^{re.escape(name)}$")
    node_tests = runner.test_cases["OnnxBackendNodeModelTest"]
    methods = {n: f for n, f in vars(node_tests).items() if n.startswith("test_") and
               re.search(INCLUDE, n)}
    return type("OnnxBackendNodeModelTest", (unittest.TestCase,), methods)


def _reason(traceback_text: str) -> str:
    """The xfail group of one failure, from the error's stable code (or assertion)."""
    last = [line for line in traceback_text.strip().splitlines() if line.strip()][-1]
    code = re.search(r"\[([a-z0-9-]+)\]$", last)
    if code and code.group(1) == "onnx-unsupported-io-type":
        if "tensor_type" in last:
            return "io-dtype: a graph input/output dtype the core Tensor cannot hold (string, " \
                   "bfloat16, float8, int4, complex)"
        return "io-non-tensor: sequence, optional or map graph inputs/outputs"
    if code:
        return {
            "onnx-domain-not-allowed": "domain: operators outside ai.onnx and ai.onnx.ml "
                                       "(ai.onnx.preview.training, model-local function domains)",
            "onnx-session-failed": "engine-gap: the runtime cannot build the model (missing "
                                   "kernel or attribute combination)",
            "onnx-nondeterministic-op": "nondeterministic: random operators without a seed "
                                        "(rejected by the loader on purpose)",
            "onnx-checker-failed": "checker: onnx.checker(full_check=True) rejects the test model",
            "onnx-run-failed": "run-failed: the runtime fails while running the test inputs",
        }.get(code.group(1), f"other: {code.group(1)}")
    if "AssertionError" in traceback_text:
        return "numerics: outputs differ from onnx's expected values beyond the test tolerance"
    return "other: " + last[:80]


def _regenerate() -> None:
    case = _backend_test({})
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    groups: dict[str, list[str]] = {}
    for test, text in result.failures + result.errors:
        groups.setdefault(_reason(text), []).append(test.id().rsplit(".", 1)[-1])
    XFAILS_FILE.write_text(json.dumps({k: sorted(v) for k, v in sorted(groups.items())},
                                      indent=1) + "\n")
    print(f"ran {result.testsRun}, skipped {len(result.skipped)}, "
          f"failed {len(result.failures) + len(result.errors)}:",
          {k: len(v) for k, v in groups.items()})


if __name__ == "__main__" and "--regenerate" in sys.argv:
    _regenerate()
else:
    OnnxBackendNodeModelTest = _backend_test(json.loads(XFAILS_FILE.read_text()))
