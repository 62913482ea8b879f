"""An ``onnx.backend.base.Backend`` over this engine, to run onnx's backend node-test suite.

Every model goes through the engine's ``prepare`` (so through the safe loader) and every call
through ``run`` with canonical tensors, exactly as the coordinator would call it. A model whose
IR version or opset the engine does not support is skipped (the engine declares that), every
other rejection or failure is a test failure.
"""

from __future__ import annotations

import unittest
from typing import Any

from onnx.backend.base import Backend, BackendRep

from ispc_framework.errors import ModuleRejected
from ispc_framework.limits import ExecutionLimits
from ispc_framework.onnx_safety import tensor_from_array, tensor_to_array

__all__ = ["make_backend", "UNSUPPORTED_VERSION_CODES"]

UNSUPPORTED_VERSION_CODES = frozenset({"onnx-ir-unsupported", "onnx-opset-unsupported"})
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
    limits = limits or ExecutionLimits(memory_bytes=512 * _MiB, timeout_s=30.0)

    class EngineBackend(Backend):
        @classmethod
        def prepare(cls, model: Any, device: str = "CPU", **kwargs: Any) -> BackendRep:
            try:
                prepared = engine.prepare(model.SerializeToString(), limits)
            except ModuleRejected as exc:
                if exc.code in UNSUPPORTED_VERSION_CODES:
                    raise unittest.SkipTest(f"{engine.name}: {exc.message}") from None
                raise
            return _EngineRep(engine, prepared, limits)

        @classmethod
        def supports_device(cls, device: str) -> bool:
            return device == "CPU"

    EngineBackend.__name__ = f"{type(engine).__name__}Backend"
    return EngineBackend
