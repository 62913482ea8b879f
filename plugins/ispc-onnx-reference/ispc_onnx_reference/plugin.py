"""Registration with ISPC: imports fast (no onnx here), the engine is built lazily."""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import EngineSpec, Setting

ENGINE = EngineSpec(
    name="onnx-reference",
    runtime="onnx",
    factory="ispc_onnx_reference.plugin:create_engine",
    description="onnx.reference.ReferenceEvaluator (numpy); in-process, no hard timeout or "
                "memory cap: for differential tests",
    capabilities={"onnx", "tensor-caps", "model-cache"},
    settings=(Setting("cache_size", "int", 32, "evaluators kept per engine (LRU)"),),
)


@hookimpl
def ispc_register_engines() -> list[EngineSpec]:
    return [ENGINE]


def create_engine(settings: dict):
    """The factory the core calls with the validated ``[plugin.<name>]`` settings."""
    from .engine import ReferenceEngine  # imported only when selected

    return ReferenceEngine(**settings)
