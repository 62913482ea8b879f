"""Registration of the ``wasmer`` engine in the ``ispc.plugins`` entry-point group.

Registered on every Python, so `ispc plugins` lists it; building it on 3.11+ raises
EngineUnavailable naming the fix. Imports only the core's descriptor types.
"""

from __future__ import annotations

from ispc_framework.plugins import hookimpl
from ispc_framework.plugins import EngineSpec, Setting

#: ``[plugin.wasmer]``: declared once; the config and WasmerEngine both check against it.
SETTINGS = (
    Setting("cache_size", "int", 64, "compiled modules kept in memory", positive=True),
    Setting("max_module_bytes", "int", 8 * 1024 * 1024, "largest accepted module", positive=True),
)


@hookimpl
def ispc_register_engines():
    return [EngineSpec(
        name="wasmer",
        runtime="wasm",
        factory="ispc_wasmer.engine:WasmerEngine",
        description="wasmer-python 1.1.0 (CPython 3.10 only); no metering, memory limit, NaN "
                    "canonicalisation, timeout or stack setting",
        capabilities=("threads", "spec-tests"),
        settings=SETTINGS,
    )]
