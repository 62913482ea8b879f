"""Compiled-module cache keyed by wasmtime version + configuration digest + code hash.

Memory (an LRU of ``wasmtime.Module`` objects, which are safe to share between threads) and,
optionally, a directory of serialized modules. A serialized module is native code: only a
directory the operator controls may be used, and the key includes everything that changes the
compiled code, because wasmtime accepts a module serialized under a different configuration.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

__all__ = ["ModuleCache", "cache_key"]


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
            self._dir.mkdir(parents=True, exist_ok=True)
        self.hits = self.misses = self.disk_hits = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_compile(self, key: str, engine, code: bytes, compile: Callable[[], Any]) -> Any:
        with self._lock:
            module = self._entries.get(key)
            if module is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return module
        module = self._load(key, engine)
        if module is None:
            self.misses += 1
            module = compile()
            self._store(key, module)
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
        fd, tmp = tempfile.mkstemp(dir=self._dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, self._path(key))
