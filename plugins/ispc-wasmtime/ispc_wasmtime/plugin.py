"""Registration of the ``wasmtime`` engine in the ``ispc.plugins`` entry-point group.

Imports only the core's descriptor types: listing plugins never loads wasmtime.
"""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import EngineSpec, Setting

CAPABILITIES = ("metering", "memory-limit", "nan-canonicalization", "timeout", "stack-limit",
                "threads", "spec-tests", "compile-limits")

#: ``[plugin.wasmtime]``: declared once; the config and WasmtimeEngine both check against it.
SETTINGS = (
    Setting("cache_size", "int", 64, "compiled modules kept in memory", positive=True),
    Setting("cache_dir", "path", None, "directory for serialized compiled modules "
            "(operator-controlled; off when unset)"),
    Setting("max_module_bytes", "int", 8 * 1024 * 1024, "largest accepted module", positive=True),
    Setting("default_stack_bytes", "int", 512 * 1024, "stack limit compiled for at deploy time",
            positive=True),
    Setting("compile_timeout_s", "float", 60.0, "longest a module may take to compile "
            "(compile-timeout after it)", positive=True),
    # Runs beyond this many at once instantiate on demand (slower, same result); with the GIL a
    # process rarely has more than a few runs inside wasm or a host call at once. Each slot
    # reserves 4 GiB of address space (config.build_pooling_config).
    Setting("pool_slots", "int", 16, "runs at once served by wasmtime's pooling allocator, "
            "0 to 1024 (0: every run instantiates on demand)"),
)


@hookimpl
def ispc_register_engines():
    return [EngineSpec(
        name="wasmtime",
        runtime="wasm",
        factory="ispc_wasmtime.engine:WasmtimeEngine",
        description="deterministic wasmtime 50.x: fuel, NaN canonicalisation, memory/stack "
                    "limits, epoch watchdog, InstancePre and a compiled-module cache",
        capabilities=CAPABILITIES,
        settings=SETTINGS,
    )]
