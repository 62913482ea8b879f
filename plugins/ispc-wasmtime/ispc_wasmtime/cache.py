"""Compiled-module cache keyed by wasmtime version + configuration digest + code hash.

Memory (an LRU of ``wasmtime.Module`` objects, which are safe to share between threads) and,
optionally, a directory of serialized modules. A serialized module is native code that this
process will run: the directory is created with mode 0700, and an existing one owned by another
user or writable by group or others is refused (ConfigError naming ``cache_dir``). The key
includes everything that changes the compiled code, because wasmtime accepts a module serialized
under a different configuration. A failed write leaves no temporary file behind and does not fail
the compile (the cache is an optimisation).
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

__all__ = ["ModuleCache", "cache_key"]

log = logging.getLogger(__name__)  # cache hits and misses, shown by `ispc -vv`


def cache_key(config_digest: str, code: bytes) -> str:
    """``config_digest`` already covers the wasmtime version (see config.settings_digest)."""
    code_hash = hashlib.sha256(code).digest()
    return hashlib.sha256(config_digest.encode() + b"\0" + code_hash).hexdigest()


class ModuleCache:
    def __init__(self, capacity: int = 64, directory: str | os.PathLike | None = None) -> None:
        self._capacity = max(1, int(capacity))
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._dir = Path(directory) if directory else None
        if self._dir is not None:
            _secure_directory(self._dir)
        self.hits = self.misses = self.disk_hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_compile(self, key: str, engine, code: bytes, compile: Callable[[], Any]) -> Any:
        with self._lock:
            module = self._entries.get(key)
            if module is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                log.debug("module cache hit (memory) %s", key[:16])
                return module
        module = self._load(key, engine)
        if module is None:
            self.misses += 1
            log.debug("module cache miss %s: compiling", key[:16])
            module = compile()
            self._store(key, module)
        else:
            log.debug("module cache hit (disk) %s", key[:16])
        with self._lock:
            self._entries[key] = module
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return module

    def close(self) -> None:
        with self._lock:
            modules, self._entries = list(self._entries.values()), OrderedDict()
        for module in modules:
            module.close()

    def _path(self, key: str) -> Path:
        assert self._dir is not None
        return self._dir / f"{key}.cwasm"

    def _load(self, key: str, engine):
        if self._dir is None or not self._path(key).is_file():
            return None
        import wasmtime

        # Read into memory rather than deserialize_file: that maps the file, and anyone truncating
        # or rewriting it in place would then crash this process with SIGBUS.
        try:
            module = wasmtime.Module.deserialize(engine, self._path(key).read_bytes())
        except (OSError, wasmtime.WasmtimeError):
            return None  # corrupt or foreign entry: recompile and overwrite
        self.disk_hits += 1
        return module

    def _store(self, key: str, module) -> None:
        if self._dir is None:
            return
        data = module.serialize()
        # Write then rename, so a concurrent reader never sees half a file.
        try:
            fd, tmp = tempfile.mkstemp(dir=self._dir, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, self._path(key))
        except BaseException as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            if isinstance(exc, OSError):
                return   # disk full, permissions: compile without caching to disk
            raise


def _secure_directory(directory: Path) -> None:
    """Create ``directory`` with mode 0700, or check that an existing one is ours and private."""
    from ispc_framework.plugins import ConfigError

    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = os.stat(directory)
    except OSError as exc:
        raise ConfigError(f"engine setting cache_dir {str(directory)!r} is unusable: {exc}",
                          key="cache_dir") from None
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"engine setting cache_dir {str(directory)!r} is not a directory",
                          key="cache_dir")
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        raise ConfigError(f"engine setting cache_dir {str(directory)!r} is owned by uid "
                          f"{info.st_uid}, not by this user: its files would run as native code",
                          key="cache_dir",
                          hint="point [plugin.wasmtime] cache_dir at a directory you own "
                               "(mode 0700), or unset it")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"engine setting cache_dir {str(directory)!r} is writable by group or "
                          f"others (mode {stat.S_IMODE(info.st_mode):o}): its files would run as "
                          f"native code", key="cache_dir",
                          hint=f"chmod 700 {directory}, or point [plugin.wasmtime] cache_dir at a "
                               f"private directory")
