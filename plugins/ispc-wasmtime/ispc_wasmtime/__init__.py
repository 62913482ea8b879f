"""ispc-wasmtime: the primary ISPC WebAssembly engine (deterministic wasmtime).

Importing this package is cheap and does not load wasmtime: the engine itself lives in
``ispc_wasmtime.engine`` (the plugin's factory, imported only when the config selects it). The
module cache and the engine-neutral deploy checks are exported here for other engines and tools.
"""

from __future__ import annotations

from .cache import ModuleCache, cache_key
from .inspect import ModuleInfo, check_method, check_module, parse_module

__all__ = ["__version__", "ModuleCache", "cache_key", "ModuleInfo", "check_module",
           "check_method", "parse_module"]

__version__ = "0.1.0"
