"""onnx's backend node-test suite (the core's ONNX conformance suite) against onnxruntime.

Scope and xfail rules: ispc_framework/conformance/onnx_backend.py. Known gaps are in
the engine's ``backend_known_issues.json``; regenerate after an onnx/onnxruntime upgrade with

    ONNX_HOME=$(mktemp -d) python plugins/ispc-onnxruntime/tests/test_ort_backend.py --regenerate
"""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("onnxruntime")

from ispc_framework.conformance import onnx_backend  # noqa: E402
from ispc_onnxruntime.engine import OnnxRuntimeEngine  # noqa: E402

# In-process isolation: the suite is about operator coverage, and worker round trips would
# only add time; the worker path has its own tests.
ENGINE = OnnxRuntimeEngine(isolation="inprocess")

XFAILS_FILE = ENGINE.backend_known_issues()

if __name__ == "__main__" and "--regenerate" in sys.argv:
    onnx_backend.regenerate(ENGINE, XFAILS_FILE)
else:
    OnnxBackendNodeModelTest = onnx_backend.node_test_case(ENGINE, XFAILS_FILE)
