"""The typed protocol of a HostABI provider object (what a HostABIProviderSpec's factory builds)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .._engines import HostFunction

__all__ = ["HostABIProvider"]


@runtime_checkable
class HostABIProvider(Protocol):
    """A set of host functions under one wasm import module.

    ``host_functions()`` returns engine-neutral descriptors; their handlers receive the execution's
    :class:`~ispc_framework._engines.HostEnv` on every call and capture no execution state, so one
    provider object can serve any number of runs, concurrently.
    """

    import_module: str

    @property
    def abi_version(self) -> int: ...  # read-only: SpecProvider computes it

    def host_functions(self) -> tuple[HostFunction, ...]: ...
