"""The pluggy hook specifications of the ``ispc`` project.

Registration hooks return lists of descriptors; the selected implementation is then called
directly through its typed protocol, never through pluggy (pluggy's call order is not a choice).
pluggy carries only what goes to every plugin: the historic configure hook and the wrapper around
one execution.
"""

from __future__ import annotations

from typing import Any

import pluggy

from ._specs import (EngineSpec, HookSpec, HostABIProviderSpec, ProverSpec, RepositorySpec,
                     TraceSinkSpec)

PROJECT = "ispc"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = ["PROJECT", "hookspec", "hookimpl"]


@hookspec
def ispc_register_engines() -> list[EngineSpec]:
    """Return the WebAssembly and ONNX engines this plugin provides."""


@hookspec
def ispc_register_hostabi_providers() -> list[HostABIProviderSpec]:
    """Return the HostABI providers (sets of host functions) this plugin provides."""


@hookspec
def ispc_register_provers() -> list[ProverSpec]:
    """Return the provers this plugin provides."""


@hookspec
def ispc_register_trace_sinks() -> list[TraceSinkSpec]:
    """Return the trace sinks this plugin provides."""


@hookspec
def ispc_register_repositories() -> list[RepositorySpec]:
    """Return the repositories this plugin provides."""


@hookspec
def ispc_register_hooks() -> list[HookSpec]:
    """Name a hook-only plugin and declare its ``[plugin.<name>]`` settings (validated at start;
    read them in ``ispc_configure`` with ``config.plugin_settings(spec)``)."""


@hookspec(historic=True)
def ispc_configure(config: Any) -> None:
    """Called once with the effective configuration, also for plugins registered later."""


@hookspec(firstresult=True)
def ispc_execution(request: Any, context: Any) -> Any:
    """One execution. The coordinator supplies the innermost implementation (the run itself);
    plugins implement this hook with ``@hookimpl(wrapper=True)`` only, for cross-cutting
    concerns (metrics, audit): code before ``yield`` runs before the engine, ``yield`` returns
    the result or raises the run's error, and the wrapper must return that result."""
