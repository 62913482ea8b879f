"""Compiling a large module in a child process under a memory and time budget.

Cranelift's compile time and memory grow with a function's control nesting: a 7.6 MB module of
nested blocks took 2.2 GB and 9-10 s (measured here: about 290 bytes of memory and 5 ms per byte
of code), and wasmtime offers no limit on either. A module above :data:`IN_PROCESS_BYTES` is
therefore compiled by ``python -m ispc_wasmtime.bounded_compile`` with ``RLIMIT_AS`` at
:data:`COMPILE_MEMORY_BYTES` and killed after :data:`COMPILE_TIMEOUT_S`; it sends the serialized
module back and this process deserializes it (an engine of the same config, so the same code).
Exceeding either budget is ``ModuleRejected`` ``compile-limit``. Smaller modules compile in
process: at 256 KiB the worst case measured is about 75 MB and 1 s, and the module size cap
(8 MiB) keeps the child's work finite too.
"""

from __future__ import annotations

import resource
import subprocess
import sys

from ispc_framework.plugins import ModuleRejected

__all__ = ["IN_PROCESS_BYTES", "COMPILE_MEMORY_BYTES", "COMPILE_TIMEOUT_S", "compile_bounded"]

IN_PROCESS_BYTES = 256 * 1024
COMPILE_MEMORY_BYTES = 1 << 30      # the child's whole address space
COMPILE_TIMEOUT_S = 20.0
_INVALID = 2                        # the child's exit status for a module wasmtime rejects

_HINT = ("the module's code is too expensive to compile (for example deeply nested blocks); "
         "split large functions or flatten the nesting")


def compile_bounded(engine, stack_bytes: int, code: bytes):
    """A ``wasmtime.Module`` for ``code`` compiled in a bounded child (see the module docs)."""
    import wasmtime

    try:
        done = subprocess.run([sys.executable, "-m", "ispc_wasmtime.bounded_compile",
                               str(int(stack_bytes))], input=code, capture_output=True,
                              timeout=COMPILE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise ModuleRejected(f"compiling the {len(code)}-byte module took longer than "
                             f"{COMPILE_TIMEOUT_S:g} s", code="compile-limit",
                             hint=_HINT) from None
    if done.returncode == _INVALID:
        message = done.stderr.decode(errors="replace").strip().splitlines() or ["?"]
        raise ModuleRejected(f"wasmtime rejected the module: {message[-1]}",
                             code="invalid-module",
                             hint="build for wasm32 MVP (clang -mcpu=mvp; asc without --enable "
                                  "flags): threads, SIMD and other post-MVP proposals are "
                                  "disabled")
    if done.returncode != 0 or not done.stdout:
        raise ModuleRejected(f"compiling the {len(code)}-byte module needed more than "
                             f"{COMPILE_MEMORY_BYTES >> 20} MiB (the compiler stopped with exit "
                             f"status {done.returncode})", code="compile-limit", hint=_HINT)
    return wasmtime.Module.deserialize(engine, done.stdout)


def _child(stack_bytes: int) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (COMPILE_MEMORY_BYTES, COMPILE_MEMORY_BYTES))
    import wasmtime

    from ispc_wasmtime.config import build_config

    code = sys.stdin.buffer.read()
    try:
        module = wasmtime.Module(wasmtime.Engine(build_config(stack_bytes)), code)
    except wasmtime.WasmtimeError as exc:
        print(str(exc).strip().splitlines()[0], file=sys.stderr)
        return _INVALID
    sys.stdout.buffer.write(module.serialize())
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(int(sys.argv[1])))
