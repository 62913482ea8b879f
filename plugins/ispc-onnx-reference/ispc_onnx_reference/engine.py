"""The reference engine: ``onnx.reference.ReferenceEvaluator`` behind the core's safe loader.

It runs in-process in pure Python and numpy. A running evaluator cannot be interrupted, so the
timeout is checked after the run (a late result is discarded with Timeout, never returned) and
there is no memory cap: the capabilities leave out "hard-timeout" and "memory-limit". Use it to
cross-check onnxruntime, not to serve untrusted load.

Its results are not bit-identical to onnxruntime on float models (different summation order);
the differential test states the tolerance.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from importlib import metadata

import attrs

from ispc_framework.plugins import (MemoryLimitExceeded, ModuleRejected, Timeout, Trap,
                                   ValidationError)
from ispc_framework.plugins import ExecutionLimits
from ispc_framework.plugins import Tensor
from ispc_framework.plugins import (CheckedModel, ModelPolicy, coerce_limits, cpu_isa_class,
                                        load_checked_model, outputs_to_tensors, tensor_to_array,
                                        validate_inputs)
from ispc_framework.plugins import resolve_settings

from .plugin import ENGINE

__all__ = ["ReferenceEngine", "PreparedModel", "reference_policy"]

#: the declared settings' defaults (plugin.py, the one place they are written)
_DEFAULTS = resolve_settings(ENGINE.settings, None, "onnx-reference")


def reference_policy() -> ModelPolicy:
    """The newest IR and opsets of the installed onnx *release* (its VERSION_TABLE's last row)."""
    from onnx.helper import VERSION_TABLE

    _release, ir_version, ai_onnx, ai_onnx_ml, *_ = VERSION_TABLE[-1]
    return ModelPolicy(max_ir_version=ir_version,
                       max_opsets={"": ai_onnx, "ai.onnx.ml": ai_onnx_ml})


@attrs.frozen
class PreparedModel:
    engine: str
    model: CheckedModel

    @property
    def model_hash(self) -> bytes:
        return self.model.model_hash


class ReferenceEngine:
    """``OnnxEngine`` on the onnx reference evaluator."""

    name = "onnx-reference"

    def __init__(self, cache_size: int = _DEFAULTS["cache_size"]) -> None:
        self.policy = reference_policy()
        self.onnx_version = metadata.version("onnx")
        self.numpy_version = metadata.version("numpy")
        self._cache_size = cache_size
        # model hash -> (evaluator, lock): the evaluator keeps per-run state in its op objects,
        # so one run per evaluator at a time.
        self._evaluators: OrderedDict[bytes, tuple[object, threading.Lock]] = OrderedDict()
        self._lock = threading.Lock()

    def fingerprint_fields(self) -> dict[str, str]:
        return {"engine": self.name, "onnx": self.onnx_version, "numpy": self.numpy_version,
                "cpu_isa": cpu_isa_class()}

    def fingerprint(self) -> str:
        return ";".join(f"{k}={v}" for k, v in self.fingerprint_fields().items())

    def backend_known_issues(self):
        """onnx's backend node tests this engine fails, grouped by reason (the conformance
        suite's ``--backend-tests`` runs them as strict xfails)."""
        from pathlib import Path

        return Path(__file__).with_name("backend_known_issues.json")

    def capabilities(self) -> frozenset[str]:
        return frozenset({"onnx", "tensor-caps", "model-cache"})

    def prepare(self, model_bytes: bytes, limits: ExecutionLimits | None = None) -> PreparedModel:
        limits = coerce_limits(limits)
        checked = load_checked_model(model_bytes, self.policy, limits)
        self._evaluator(checked)  # build now: an evaluator that cannot be built fails in prepare
        return PreparedModel(engine=self.name, model=checked)

    def _evaluator(self, checked: CheckedModel):
        import onnx
        from onnx.reference import ReferenceEvaluator

        with self._lock:
            entry = self._evaluators.get(checked.model_hash)
            if entry is None:
                try:
                    entry = (ReferenceEvaluator(onnx.load_model_from_string(checked.model_bytes)),
                             threading.Lock())
                except Exception as exc:
                    raise ModuleRejected(f"the reference evaluator cannot load the model: {exc}",
                                         code="onnx-session-failed",
                                         hint="the evaluator lacks an operator this model uses"
                                         ) from None
                self._evaluators[checked.model_hash] = entry
                while len(self._evaluators) > self._cache_size:
                    self._evaluators.popitem(last=False)
            self._evaluators.move_to_end(checked.model_hash)
            return entry

    def run(self, prepared: PreparedModel, inputs: Sequence[Tensor],
            limits: ExecutionLimits | None = None) -> tuple[Tensor, ...]:
        import numpy as np

        limits = coerce_limits(limits)
        if not isinstance(prepared, PreparedModel) or prepared.engine != self.name:
            raise ValidationError("prepared", "not a model prepared by this engine")
        ordered = validate_inputs(prepared.model, inputs, limits)
        # Copies: frombuffer views are read-only and some reference ops write in place.
        feeds = {t.name: np.array(tensor_to_array(t)) for t in ordered}
        evaluator, run_lock = self._evaluator(prepared.model)
        started = time.monotonic()
        with run_lock:
            try:
                arrays = evaluator.run(None, feeds)
            except MemoryError:
                raise MemoryLimitExceeded("the reference evaluator ran out of memory",
                                          limit=limits.memory_bytes) from None
            except Exception as exc:
                raise Trap(f"the reference evaluator failed: {type(exc).__name__}: "
                           f"{str(exc)[:500]}", code="onnx-run-failed") from None
        elapsed = time.monotonic() - started
        if elapsed > limits.timeout_s:
            raise Timeout(f"the run took {elapsed:.3f} s, over its {limits.timeout_s} s limit "
                          "(checked after the run: this engine cannot interrupt one)",
                          limit=limits.timeout_s)
        return outputs_to_tensors(prepared.model, [np.asarray(a) for a in arrays], limits)
