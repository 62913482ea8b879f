"""What views of one repository share to keep executions off the disk: caches of immutable facts.

* resource bytes by content hash: content-addressed, so the bytes for a hash never change (a
  contract's code is read on every execution); bounded by total size, least recently used out;
* decoded outputs by their canonical encoding: decoding is a pure function of the bytes and is
  most of a UTXO lookup's cost (the validating decoder); bounded by count;
* resource-output lookups for one revision: the answer can change only when the revision does
  (a block spends or creates resource outputs), so the table is dropped when a view with another
  revision asks.

It holds no connection and no reference to the writer: handing it to views gives them no way to
write. Thread-safe; every value it returns is immutable.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["ReadCache"]

CODE_CACHE_BYTES = 64 * 1024 * 1024
DECODED_ENTRIES = 4096
_MISSING = object()


class ReadCache:
    def __init__(self, code_bytes: int = CODE_CACHE_BYTES,
                 decoded_entries: int = DECODED_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._code: OrderedDict[bytes, bytes] = OrderedDict()
        self._code_size = 0
        self._code_capacity = code_bytes
        self._decoded: OrderedDict[bytes, Any] = OrderedDict()
        self._decoded_capacity = decoded_entries
        self._resources_revision: int | None = None
        self._resources: dict[bytes, Any] = {}

    def content(self, content_hash: bytes, load: Callable[[], bytes | None]) -> bytes | None:
        with self._lock:
            found = self._code.get(content_hash)
            if found is not None:
                self._code.move_to_end(content_hash)
                return found
        content = load()
        if content is None or len(content) > self._code_capacity:
            return content  # absence is not cached: the resource may be stored later
        with self._lock:
            if content_hash not in self._code:
                self._code[content_hash] = content
                self._code_size += len(content)
                while self._code_size > self._code_capacity:
                    _, dropped = self._code.popitem(last=False)
                    self._code_size -= len(dropped)
        return content

    def decoded(self, body: bytes, decode: Callable[[bytes], Any]) -> Any:
        with self._lock:
            found = self._decoded.get(body, _MISSING)
            if found is not _MISSING:
                self._decoded.move_to_end(body)
                return found
        value = decode(body)
        with self._lock:
            self._decoded[body] = value
            if len(self._decoded) > self._decoded_capacity:
                self._decoded.popitem(last=False)
        return value

    def resource(self, revision: int, content_hash: bytes, load: Callable[[], Any]) -> Any:
        """``load()`` (the resource output or None) as of ``revision``, cached for it."""
        with self._lock:
            if self._resources_revision == revision:
                found = self._resources.get(content_hash, _MISSING)
                if found is not _MISSING:
                    return found
        value = load()
        with self._lock:
            if self._resources_revision != revision:
                if self._resources_revision is not None and revision < self._resources_revision:
                    return value  # an older snapshot: do not replace the newer table
                self._resources_revision, self._resources = revision, {}
            self._resources[content_hash] = value
        return value
