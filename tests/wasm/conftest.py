"""Fixtures for the cross-engine tests: the example contracts (built from source on demand by
examples/contracts/build.sh), the HostABI providers, and every WebAssembly engine usable here."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ispc_framework._errors import EngineUnavailable

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "examples" / "contracts"
BUILD = CONTRACTS / "build"
NAMES = ("token", "registry", "state_anchor", "events")
LANGUAGES = ("c", "as")
#: contracts using contract storage, and the languages each is written in
STORAGE = {"counter": ("c", "as"), "names": ("c", "as"), "nft": ("c", "as"), "dao": ("c", "as")}


def _stale() -> bool:
    sources = [*CONTRACTS.glob("c/*"), *CONTRACTS.glob("assemblyscript/*"),
               CONTRACTS / "build.sh", REPO / "sdk" / "c" / "ispc.h",
               REPO / "sdk" / "assemblyscript" / "ispc.ts", REPO / "sdk" / "c" / "ispc_state.h",
               REPO / "sdk" / "assemblyscript" / "state.ts"]
    newest = max(p.stat().st_mtime for p in sources)
    outputs = [BUILD / f"{n}_{lang}.wasm" for n in NAMES for lang in LANGUAGES]
    outputs += [BUILD / f"{n}_{lang}.wasm" for n, langs in STORAGE.items() for lang in langs]
    return any(not p.exists() or p.stat().st_mtime < newest for p in outputs)


@pytest.fixture(scope="session")
def contracts() -> dict[str, bytes]:
    """``{"token_c": wasm bytes, "token_as": ..., ...}``, rebuilt when a source is newer."""
    if _stale():
        if not shutil.which("clang") or not (REPO / "node_modules" / ".bin" / "asc").exists():
            pytest.skip("clang or asc missing: apt-get install clang lld; npm ci")
        subprocess.run(["bash", str(CONTRACTS / "build.sh")], check=True, capture_output=True)
    built = {f"{n}_{lang}": (BUILD / f"{n}_{lang}.wasm").read_bytes()
             for n in NAMES for lang in LANGUAGES}
    built.update({f"{n}_{lang}": (BUILD / f"{n}_{lang}.wasm").read_bytes()
                  for n, langs in STORAGE.items() for lang in langs})
    return built


@pytest.fixture(scope="session")
def host_functions():
    from ispc_framework._hostabi.crypto import CryptoProvider
    from ispc_framework._hostabi.state import StateProvider
    from ispc_framework._hostabi.v1 import V1Provider

    return (V1Provider().host_functions() + CryptoProvider().host_functions()
            + StateProvider().host_functions())


def _build(name: str):
    try:
        if name == "wasmtime":
            from ispc_wasmtime.engine import WasmtimeEngine
            return WasmtimeEngine(), None
        from ispc_wasmer.engine import WasmerEngine
        return WasmerEngine(), None
    except EngineUnavailable as exc:
        return None, str(exc)


_ENGINES: dict[str, tuple] = {}


def _engine(name: str):
    """Built on first use, not at import: collecting these tests must not start an engine."""
    if name not in _ENGINES:
        _ENGINES[name] = _build(name)
    return _ENGINES[name]


@pytest.fixture(scope="session", params=("wasmer", "wasmtime"))
def engine(request):
    engine, reason = _engine(request.param)
    if engine is None:
        pytest.skip(reason)
    return engine


@pytest.fixture(scope="session")
def both_engines():
    pair = [_engine("wasmtime"), _engine("wasmer")]
    missing = [reason for engine, reason in pair if engine is None]
    if missing:
        pytest.skip(f"the differential test needs both engines: {missing[0]}")
    return pair[0][0], pair[1][0]
