"""ispc-sqlite: the ISPC repository in one SQLite file.

``SqliteRepository(path)`` gives read-only :class:`SqliteChainView` objects to executions and a
:class:`SqliteWriter` to explicit commands (genesis, deploy, devnet apply).

The names are imported on first use, so registering the plugin (``ispc_sqlite.plugin``) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["SqliteRepository", "SqliteChainView", "SqliteWriter"]

_HOMES = {"SqliteRepository": ".repository", "SqliteChainView": ".view", "SqliteWriter": ".writer"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
