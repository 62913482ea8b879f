"""Registration with ISPC: imports fast (no onnxruntime here), the engine is built lazily."""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import EngineSpec, Setting

ENGINE = EngineSpec(
    name="onnxruntime",
    runtime="onnx",
    factory="ispc_onnxruntime.plugin:create_engine",
    description="onnxruntime, CPU, 1 thread, sequential, fixed optimisation level; worker "
                "processes with kill timer and RLIMIT_AS",
    capabilities={"onnx", "deterministic-profile", "session-cache", "timeout", "tensor-caps",
                  "hard-timeout", "memory-limit"},
    settings=(
        Setting("optimization_level", "str", "basic", "graph optimisation level (changes output "
                "bits, recorded in the fingerprint)",
                choices=("disable", "basic", "extended", "all")),
        Setting("isolation", "str", "process", "process: hard timeout and memory cap in worker "
                "processes; inprocess: faster, terminate watchdog only",
                choices=("process", "inprocess")),
        Setting("workers", "int", 1, "worker processes (process isolation)"),
        Setting("kill_grace_s", "float", 1.0, "seconds past timeout_s before a worker is killed"),
        Setting("session_cache_size", "int", 32, "sessions kept per engine (LRU)"),
    ),
)


@hookimpl
def ispc_register_engines() -> list[EngineSpec]:
    return [ENGINE]


def create_engine(settings: dict):
    """The factory the core calls with the validated ``[plugin.<name>]`` settings."""
    from .engine import OnnxRuntimeEngine  # imported only when selected

    return OnnxRuntimeEngine(**settings)
