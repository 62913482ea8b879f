"""onnx's backend node-test suite (the core's ONNX conformance suite) against the reference
evaluator engine.

Scope and xfail rules: ispc_framework/conformance/onnx_backend.py. Known gaps are in
the engine's ``backend_known_issues.json``; regenerate after an onnx upgrade with

    ONNX_HOME=$(mktemp -d) python plugins/ispc-onnx-reference/tests/test_onnxref_backend.py --regenerate
"""

from __future__ import annotations

import sys

import pytest

pytest.importorskip("onnx.reference")

from ispc_framework.conformance import onnx_backend  # noqa: E402
from ispc_onnx_reference.engine import ReferenceEngine  # noqa: E402

ENGINE = ReferenceEngine()

XFAILS_FILE = ENGINE.backend_known_issues()

if __name__ == "__main__" and "--regenerate" in sys.argv:
    onnx_backend.regenerate(ENGINE, XFAILS_FILE)
else:
    OnnxBackendNodeModelTest = onnx_backend.node_test_case(ENGINE, XFAILS_FILE)
