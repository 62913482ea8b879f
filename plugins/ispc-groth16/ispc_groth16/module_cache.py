"""Compiled witness generators cached on disk (wasmtime ``Module.serialize``).

Compiling a circuit's 3.9 MB witness module takes seconds; every CLI process (the prover worker,
and the parent when it verifies a draft's commitment) used to do it again. A cache file is native
code this process will run, so it is only loaded when everything about it checks out:

- the file lives in a private directory (mode 0700, owned by this user; otherwise ConfigError
  ``config-invalid`` naming the directory), written by rename so readers never see half a file;
- its name and its header carry the key: SHA-256 over the wasmtime version, the machine, this
  module's engine configuration and the SHA-256 of the wasm bytes. A file whose header key is
  not the key asked for is never deserialized (wasmtime accepts a module serialized under another
  configuration, see docs/performance.md);
- the header carries the SHA-256 of the serialized bytes, checked before deserializing, so a
  truncated or corrupted file is detected here rather than by running it.

Anything wrong with an entry (missing, wrong key, bad hash, rejected by wasmtime) means compile
and overwrite: the cache is an optimisation, never a failure. ``ISPC_GROTH16_CACHE`` names the
directory (``off`` disables the disk cache); the default is ``$XDG_CACHE_HOME/ispc-groth16``.

Why not ispc-wasmtime's ModuleCache: that one is keyed by the contract engine's configuration and
belongs to another distribution this plugin does not depend on; the witness generator runs on a
plain engine of its own.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import stat
import tempfile
from importlib.metadata import version
from pathlib import Path

from ispc_framework.plugins import ConfigError

__all__ = ["cache_directory", "cache_key", "load_module", "MAGIC"]

log = logging.getLogger(__name__)

MAGIC = b"ISPC-GROTH16-CWASM\x00\x01"
#: What the witness engine is configured with (witness.py builds ``wasmtime.Engine()`` with the
#: defaults of the pinned wasmtime release); bump it when that changes.
ENGINE_CONFIG = "wasmtime-default-v1"
_HEADER = len(MAGIC) + 32 + 32  # magic, key, SHA-256 of the payload


def cache_directory() -> Path | None:
    """The cache directory, or None when ``ISPC_GROTH16_CACHE=off``."""
    configured = os.environ.get("ISPC_GROTH16_CACHE", "")
    if configured.lower() in ("off", "0", "none"):
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ispc-groth16"


def cache_key(wasm: bytes) -> bytes:
    """The 32-byte key of ``wasm`` compiled by this module's engine on this wasmtime/machine."""
    h = hashlib.sha256(b"ispc-groth16/witness-module\0")
    for part in (version("wasmtime"), platform.machine(), ENGINE_CONFIG):
        h.update(part.encode() + b"\0")
    h.update(hashlib.sha256(wasm).digest())
    return h.digest()


def load_module(engine, wasm: bytes, directory: Path | None = None):
    """``wasmtime.Module`` for ``wasm``: deserialized from the cache if a valid entry exists,
    else compiled (and stored)."""
    import wasmtime

    directory = cache_directory() if directory is None else directory
    if directory is None:
        return wasmtime.Module(engine, wasm)
    _secure_directory(directory)
    key = cache_key(wasm)
    path = directory / f"{key.hex()}.cwasm"
    module = _load(engine, path, key)
    if module is not None:
        return module
    module = wasmtime.Module(engine, wasm)
    _store(path, key, module.serialize())
    return module


def _load(engine, path: Path, key: bytes):
    import wasmtime

    try:
        data = path.read_bytes()  # not deserialize_file: a mapped file rewritten in place crashes
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("witness module cache %s unreadable (%s): recompiling", path, exc)
        return None
    payload = memoryview(data)[_HEADER:]
    if (len(data) < _HEADER or data[:len(MAGIC)] != MAGIC
            or data[len(MAGIC):len(MAGIC) + 32] != key):
        log.warning("witness module cache %s is not an entry for this key: recompiling", path)
        return None
    if hashlib.sha256(payload).digest() != data[len(MAGIC) + 32:_HEADER]:
        log.warning("witness module cache %s is corrupt (payload hash): recompiling", path)
        return None
    try:
        return wasmtime.Module.deserialize(engine, bytes(payload))
    except wasmtime.WasmtimeError as exc:  # another wasmtime build or CPU: not compatible
        log.warning("witness module cache %s rejected by wasmtime (%s): recompiling", path,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return None


def _store(path: Path, key: bytes, payload: bytes | bytearray) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC + key + hashlib.sha256(payload).digest())
            fh.write(payload)
        os.replace(tmp, path)
    except OSError as exc:  # disk full, permissions: carry on without the disk cache
        log.warning("cannot write witness module cache %s: %s", path, exc)
        try:
            os.unlink(tmp)
        except OSError:
            pass


def _secure_directory(directory: Path) -> None:
    """Create ``directory`` with mode 0700, or check that an existing one is ours and private:
    its files are native code this process runs."""
    hint = ("point ISPC_GROTH16_CACHE at a directory you own with mode 0700, or set "
            "ISPC_GROTH16_CACHE=off")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(directory)
    except OSError as exc:
        raise ConfigError(f"witness module cache {str(directory)!r} is unusable: {exc}",
                          code="config-invalid", hint=hint) from None
    getuid = getattr(os, "getuid", None)
    if not stat.S_ISDIR(info.st_mode):
        problem = "is not a directory"
    elif getuid is not None and info.st_uid != getuid():
        problem = f"is owned by uid {info.st_uid}, not by this user"
    elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        problem = f"is writable by group or others (mode {stat.S_IMODE(info.st_mode):o})"
    else:
        return
    raise ConfigError(f"witness module cache {str(directory)!r} {problem}: its files would run "
                      "as native code", code="config-invalid", hint=hint)
