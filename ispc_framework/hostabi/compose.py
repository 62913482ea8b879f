"""Compose the selected providers into one set of host functions, and check a module's imports
against it at deploy time (engines call :func:`check_imports` from ``compile``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ..engines import HostFunction
from ..errors import ModuleRejected, PluginConflict
from .provider import HostABIProvider

__all__ = ["Import", "host_functions_for", "check_imports"]


@attrs.frozen
class Import:
    """One import of a wasm module, engine-neutral. ``kind`` is func, memory, table or global;
    ``params``/``results`` are wasm value type names (functions only)."""

    module: str
    name: str
    kind: str = "func"
    params: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    results: tuple[str, ...] = attrs.field(default=(), converter=tuple)


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
                                     f"{provider.import_module})", function=".".join(key))
            seen[key] = provider.import_module
            functions.append(function)
    return tuple(functions)


def check_imports(imports: Iterable[Import], functions: Sequence[HostFunction]) -> None:
    """Raise ModuleRejected naming the first import no selected provider offers, or whose wasm
    signature differs from the provider's."""
    offered = {(f.module, f.name): f for f in functions}
    modules = sorted({f.module for f in functions})
    for item in imports:
        qualified = f"{item.module}.{item.name}"
        if item.kind != "func":
            raise ModuleRejected(f"the module imports {item.kind} {qualified}; contracts may import "
                                 "only host functions (and must export their memory)",
                                 code="import-not-function", function=qualified)
        function = offered.get((item.module, item.name))
        if function is None:
            raise ModuleRejected(
                f"the module imports {qualified}, which no selected HostABI provider offers "
                f"(selected import modules: {', '.join(modules) or 'none'})",
                code="unknown-import", function=qualified,
                hint="select the provider that offers it in ispc.toml, or rebuild the contract "
                     "against sdk/c/ispc.h or sdk/assemblyscript/ispc.ts")
        if (item.params, item.results) != (function.params, function.results):
            raise ModuleRejected(
                f"the module imports {qualified} as ({', '.join(item.params)}) -> "
                f"({', '.join(item.results)}), the host defines ({', '.join(function.params)}) -> "
                f"({', '.join(function.results)})", code="import-signature-mismatch",
                function=qualified, hint="rebuild the contract against the generated SDK")
