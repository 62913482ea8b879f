"""Helpers for the spec-suite tests: where the suite is, and engines that break on purpose.

The suite is test data nobody here wrote: ``<repo>/../shared/wasm-testsuite`` (or the directory
in ``ISPC_WASM_TESTSUITE``); tests skip, saying so, where it or wabt is absent. The engines below
are built by the runner's worker processes from their factory path, so this module must be
importable there: tests put this directory on ``PYTHONPATH``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent


def suite_dir() -> Path | None:
    configured = os.environ.get("ISPC_WASM_TESTSUITE")
    path = Path(configured) if configured else REPO.parent / "shared" / "wasm-testsuite"
    return path if path.is_dir() and any(path.glob("*.wast")) else None


def scripts() -> list[str]:
    """The suite's script names (empty where it is absent: the tests then skip)."""
    found = suite_dir()
    return sorted(p.name for p in found.glob("*.wast")) if found else []


def require_suite() -> Path:
    found = suite_dir()
    if found is None:
        pytest.skip(f"the WebAssembly spec test suite is not at {REPO.parent / 'shared'}"
                    f"/wasm-testsuite (set ISPC_WASM_TESTSUITE to a checkout of "
                    f"github.com/WebAssembly/testsuite)")
    require_wabt()
    return found


def require_wabt() -> None:
    if shutil.which("wast2json") is None or shutil.which("wat2wasm") is None:
        pytest.skip("wabt's wast2json/wat2wasm are not installed (apt-get install wabt)")


def worker_path(monkeypatch) -> None:
    """Let the runner's worker processes import this module's engines."""
    extra = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(TESTS_DIR) + (os.pathsep + extra if extra else ""))


class _Wrapped:
    """A real wasmtime engine whose spec sessions a subclass bends."""

    name = "broken"

    def __init__(self, settings=None) -> None:
        from ispc_wasmtime.engine import WasmtimeEngine

        self.inner = WasmtimeEngine(settings or {})

    def fingerprint(self) -> str:
        return "broken/" + self.inner.fingerprint()

    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities()

    def compile(self, code, host_functions):
        return self.inner.compile(code, host_functions)

    def execute(self, module, method, env, host_functions):
        return self.inner.execute(module, method, env, host_functions)

    def spec_known_issues(self):
        return None

    def spec_session(self, limits):
        return self.Session(self.inner.spec_session(limits))

    def close(self) -> None:
        self.inner.close()

    class Session:
        def __init__(self, inner) -> None:
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def invoke(self, instance, export, args):
            return self.inner.invoke(instance, export, args)


class ZeroI32Engine(_Wrapped):
    """Deliberately wrong: every i32 a function returns is 0."""

    name = "zero-i32"

    class Session(_Wrapped.Session):
        def invoke(self, instance, export, args):
            from ispc_framework.plugins import WasmValue

            return tuple(WasmValue("i32", 0) if v.type == "i32" else v
                         for v in self.inner.invoke(instance, export, args))


class CrashingEngine(_Wrapped):
    """Kills its own process (abort, SIGABRT) when a function named "crash" is called, and hangs on
    one named "hang": the runner's isolation must turn both into failures."""

    name = "crashing"

    class Session(_Wrapped.Session):
        def invoke(self, instance, export, args):
            import time

            if export == "crash":
                os.abort()
            if export == "hang":
                time.sleep(3600)
            return self.inner.invoke(instance, export, args)


class NoSpecTestsEngine(_Wrapped):
    """A contract engine without the spec-tests capability."""

    name = "no-spec-tests"

    def capabilities(self) -> frozenset[str]:
        return self.inner.capabilities() - {"spec-tests"}
