"""ispc-wasmtime: the primary ISPC WebAssembly engine (deterministic wasmtime).

Importing this package is cheap and does not load wasmtime: the engine itself lives in
``ispc_wasmtime.engine`` (the plugin's factory, imported only when the config selects it). The
module cache is exported here for tools; the engine-neutral deploy rules live in the core
(``ispc_framework.plugins.check_module`` and friends).
"""

from __future__ import annotations

from .cache import ModuleCache, cache_key

__all__ = ["__version__", "ModuleCache", "cache_key"]

__version__ = "0.1.0"
