"""Compose the selected providers into one set of host functions. (A module's imports are checked
against that set at deploy time by the engine-neutral rules, ``ispc_framework._wasm_rules``.)"""

from __future__ import annotations

from collections.abc import Iterable

from .._engines import HostFunction
from .._errors import PluginConflict
from .provider import HostABIProvider

__all__ = ["host_functions_for"]


def host_functions_for(providers: Iterable[HostABIProvider]) -> tuple[HostFunction, ...]:
    """All host functions of the selected providers; two offering the same import conflict."""
    seen: dict[tuple[str, str], str] = {}
    functions: list[HostFunction] = []
    for provider in providers:
        for function in provider.host_functions():
            key = (function.module, function.name)
            if key in seen:
                raise PluginConflict(f"host function {function.module}.{function.name} is offered "
                                     f"by two selected providers ({seen[key]} and "
                                     f"{provider.import_module})", function=".".join(key),
                                     hint="select only one of them in [hostabi] providers")
            seen[key] = provider.import_module
            functions.append(function)
    return tuple(functions)
