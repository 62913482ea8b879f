"""The worker client of ispc-groth16: the core's shared one, started on this plugin's worker."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ispc_framework.plugins import PROVER_PROTOCOL as PROTOCOL
from ispc_framework.plugins import WorkerClient as _SharedClient

__all__ = ["WorkerClient", "PROTOCOL", "default_command"]


def default_command(backend: str = "groth16py", node_modules: str | None = None) -> list[str]:
    return [sys.executable, "-m", "ispc_groth16.worker", "--backend", backend,
            *(["--node-modules", str(node_modules)] if node_modules else [])]


class WorkerClient(_SharedClient):
    def __init__(self, command: Sequence[str] | None = None, *, backend: str = "groth16py",
                 node_modules: str | None = None, **kwargs) -> None:
        super().__init__(list(command) if command else default_command(backend, node_modules),
                         **kwargs)
