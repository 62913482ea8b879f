"""ispc-wasmer: the design's original ISPC WebAssembly engine, on wasmer-python 1.1.0.

Runs on CPython 3.10 only (the last Python wasmer-python ships wheels for). Importing this package
is cheap; wasmer loads when ``ispc_wasmer.engine.WasmerEngine`` is built.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
