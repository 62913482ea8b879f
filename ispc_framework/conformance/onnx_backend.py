"""ONNX engine conformance: onnx's backend node-test suite against any ONNX engine plugin.

The suite ships inside the onnx wheel (models built in memory, nothing downloaded). Every model goes
through the engine's ``prepare`` (so through the safe loader) and every call through ``run`` with
canonical tensors, exactly as the coordinator calls them. Models whose IR version or opset the
engine declares unsupported are skipped; known gaps are strict xfails grouped by reason in a JSON
file, so a gap that starts passing fails the run and the list cannot rot.

In a plugin's tests::

    from ispc_framework.conformance.onnx_backend import node_test_case
    OnnxBackendNodeModelTest = node_test_case(MyEngine(), Path(__file__).with_name("xfails.json"))

Regenerate the xfail list after an upgrade with :func:`regenerate` (``python test_x.py
--regenerate`` in the plugins here). Importing this module imports onnx.

``ispc conformance NAME --backend-tests`` runs the same node tests as :class:`OnnxBackendSuite`,
one check per node test (``backend_node[test_abs_cpu]``) in the conformance report, with the
engine's known gaps (its ``backend_known_issues()`` file, in the format above) as strict xfails.
The checks of this class run one after another in one forked process per batch (the runner's
``fork_group``), each still under its own deadline: a node test that hangs is killed and the
batch goes on in a fresh process.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unittest
from pathlib import Path
from typing import Any

os.environ.setdefault("ONNX_HOME", tempfile.mkdtemp(prefix="ispc-onnx-home-"))  # no downloads
import onnx.backend.test  # noqa: E402
from onnx.backend.base import Backend, BackendRep  # noqa: E402

from .._errors import ModuleRejected  # noqa: E402
from .._limits import ExecutionLimits  # noqa: E402
from .._onnx_safety import tensor_from_array, tensor_to_array  # noqa: E402

__all__ = ["make_backend", "node_test_case", "regenerate", "UNSUPPORTED_VERSION_CODES", "INCLUDE",
           "node_test_names", "run_node_test", "known_issues_of"]   # and OnnxBackendSuite (lazy)

UNSUPPORTED_VERSION_CODES = frozenset({"onnx-ir-unsupported", "onnx-opset-unsupported"})
INCLUDE = r"_cpu$"
_MiB = 1 << 20


class _EngineRep(BackendRep):
    def __init__(self, engine: Any, prepared: Any, limits: ExecutionLimits) -> None:
        self._engine, self._prepared, self._limits = engine, prepared, limits

    def run(self, inputs: Any, **kwargs: Any) -> tuple[Any, ...]:
        if isinstance(inputs, dict):
            pairs = list(inputs.items())
        else:
            specs = self._prepared.model.inputs
            pairs = [(spec.name, value) for spec, value in zip(specs, inputs)]
        tensors = [tensor_from_array(name, value) for name, value in pairs]
        outputs = self._engine.run(self._prepared, tensors, self._limits)
        return tuple(tensor_to_array(t) for t in outputs)


def make_backend(engine: Any, limits: ExecutionLimits | None = None) -> type[Backend]:
    """A Backend class bound to ``engine`` (the suite calls Backend classmethods)."""
    run_limits = limits or ExecutionLimits(memory_bytes=512 * _MiB, timeout_s=30.0)

    class EngineBackend(Backend):
        @classmethod
        def prepare(cls, model: Any, device: str = "CPU", **kwargs: Any) -> BackendRep:
            try:
                prepared = engine.prepare(model.SerializeToString(), run_limits)
            except ModuleRejected as exc:
                if exc.code in UNSUPPORTED_VERSION_CODES:
                    raise unittest.SkipTest(f"{engine.name}: {exc.message}") from None
                raise
            return _EngineRep(engine, prepared, run_limits)

        @classmethod
        def supports_device(cls, device: str) -> bool:
            return device == "CPU"

    EngineBackend.__name__ = f"{type(engine).__name__}Backend"
    return EngineBackend


def _suite(engine: Any, xfails: dict[str, list[str]], include: str) -> type[unittest.TestCase]:
    runner = onnx.backend.test.BackendTest(make_backend(engine), __name__)
    runner.include(include)
    for names in xfails.values():
        for name in names:
            runner.xfail(f"^{re.escape(name)}$")
    node_tests = runner.test_cases["OnnxBackendNodeModelTest"]
    methods = {n: f for n, f in vars(node_tests).items() if n.startswith("test_") and
               re.search(include, n)}
    return type("OnnxBackendNodeModelTest", (unittest.TestCase,), methods)


def node_test_case(engine: Any, xfails_file: Path, include: str = INCLUDE) -> type[unittest.TestCase]:
    """The node tests as a unittest TestCase (pytest collects it), known gaps as strict xfails."""
    return _suite(engine, json.loads(Path(xfails_file).read_text()), include)


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


def regenerate(engine: Any, xfails_file: Path, include: str = INCLUDE) -> None:
    """Run the suite with no xfails and write today's failures, grouped by reason."""
    case = _suite(engine, {}, include)
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    groups: dict[str, list[str]] = {}
    for test, text in result.failures + result.errors:
        groups.setdefault(_reason(text), []).append(test.id().rsplit(".", 1)[-1])
    Path(xfails_file).write_text(json.dumps({k: sorted(v) for k, v in sorted(groups.items())},
                                            indent=1) + "\n")
    print(f"ran {result.testsRun}, skipped {len(result.skipped)}, "
          f"failed {len(result.failures) + len(result.errors)}:",
          {k: len(v) for k, v in groups.items()})


# ------------------------------------------------------------ the node tests as conformance checks

#: xfail group (the text before ":" in the file) -> known-issue category
_CATEGORIES = {"io-dtype": "unsupported", "io-non-tensor": "unsupported", "domain": "unsupported",
               "nondeterministic": "unsupported", "checker": "unsupported"}


class _BoundEngine:
    """The engine the shared test classes run on, set per call (building onnx's test classes
    takes seconds, so one set serves every engine in a process)."""

    engine: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(type(self).engine, name)


_SHARED: dict[str, type[unittest.TestCase]] = {}


def _shared_case() -> type[unittest.TestCase]:
    if "case" not in _SHARED:
        _SHARED["case"] = _suite(_BoundEngine(), {}, INCLUDE)
    return _SHARED["case"]


def node_test_names() -> list[str]:
    """The names of onnx's backend node tests (``test_abs_cpu``, ...), sorted."""
    return sorted(n for n in vars(_shared_case()) if n.startswith("test_"))


def run_node_test(engine: Any, name: str) -> None:
    """Run one node test on ``engine``: returns, or raises AssertionError, unittest.SkipTest or
    the engine's error."""
    _BoundEngine.engine = engine
    try:
        case = _shared_case()(name)
        getattr(case, name)()
    finally:
        _BoundEngine.engine = None


def known_issues_of(xfails_file: Path | str) -> dict[str, Any]:
    """An engine's xfail file as conformance known issues of the ``backend_node[...]`` checks:
    gaps of the core's tensor model or loader policy are "unsupported", the rest "known-bug"."""
    from .runner import KnownIssue

    groups = json.loads(Path(xfails_file).read_text(encoding="utf-8"))
    return {f"backend_node[{name}]": KnownIssue(_CATEGORIES.get(reason.split(":")[0],
                                                                "known-bug"), reason)
            for reason, names in groups.items() for name in names}


def _pytest_suite() -> type:
    import pytest

    from .suite import PluginSuite

    class OnnxBackendSuite(PluginSuite):
        """onnx's backend node tests as pytest tests, one per node test, on one engine object
        per process (building one per test would cost more than the tests)."""

        suite = "onnx-engine"
        fork_group = "onnx-backend"
        _engines: dict[int, Any] = {}

        @pytest.fixture
        def backend_engine(self, make_plugin: Any) -> Any:
            held = self._engines.get(id(make_plugin))
            if held is None or held[0] is not make_plugin:
                held = self._engines[id(make_plugin)] = (make_plugin, make_plugin())
            return held[1]

        @pytest.mark.parametrize("node_test", node_test_names())
        def test_backend_node(self, backend_engine: Any, node_test: str) -> None:
            try:
                run_node_test(backend_engine, node_test)
            except unittest.SkipTest as exc:
                pytest.skip(str(exc))

    return OnnxBackendSuite


def __getattr__(name: str) -> Any:
    if name == "OnnxBackendSuite":   # made on first use: it lists the node tests, imports pytest
        globals()[name] = made = _pytest_suite()
        return made
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
