"""Lazy public namespaces (PEP 562).

A namespace lists its exports as ``{module: [names]}`` and imports them on first use, so importing
``ispc_framework`` (and every ``ispc`` command) does not pay for what it does not touch. Static
tools cannot follow ``__getattr__``, so every namespace repeats the same names as imports under
``if TYPE_CHECKING:``; tests/test_public_api.py checks that the two lists agree.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["lazy_namespace"]


def lazy_namespace(package: str, exports: dict[str, list[str]], namespace: dict[str, Any]
                   ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``exports`` is imported from
    its module (absolute, or relative to ``package``) on first use and cached in ``namespace``."""
    module_of = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(module_of))

    return __getattr__, __dir__
