"""A deadline for compiling a module: wasmtime's compiler cannot be interrupted, so the compile
runs on a daemon thread and the caller stops waiting after ``seconds`` (``compile-timeout``).

A compile that never ends is an engine bug (wasmtime's parallel compilation used to hang forever
in a forked process; see config.py): the deadline turns it into a typed error instead of a hung
execution. The abandoned thread is a daemon, so it does not keep the process alive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from ispc_framework.plugins import ExecutionError

__all__ = ["compile_within"]

T = TypeVar("T")


def compile_within(seconds: float, compile: Callable[[], T]) -> T:
    """``compile()``'s value or error, or ExecutionError(compile-timeout) after ``seconds``."""
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = compile()
        except BaseException as exc:  # handed to the waiting caller, raised there
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="ispc-wasmtime-compile", daemon=True).start()
    if not done.wait(seconds):
        raise ExecutionError(f"compiling the module took longer than {seconds:g} s",
                             code="compile-timeout", seconds=seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
