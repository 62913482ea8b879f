"""What views of one repository share to keep executions off the disk: caches of immutable facts.

* resource bytes by content hash: content-addressed, so the bytes for a hash never change (a
  contract's code is read on every execution); bounded by total size, least recently used out;
* decoded outputs by their canonical encoding: decoding is a pure function of the bytes and is
  most of a UTXO lookup's cost (the validating decoder); bounded by count. The writer adds the
  outputs it creates (the canonical encoder takes only the model classes themselves, so an
  object it encoded is what decoding its bytes gives);
* answers of one revision (resource outputs, UTXOs, whether a transaction was applied): the
  repository's revision goes up with every committed write (the writer bumps it in the write's
  own transaction, :mod:`.writer`), so an answer read in a snapshot of revision R is the answer
  of every snapshot of R. The table holds one revision; a view of a newer one replaces it, a
  view of an older one reads without caching. Bounded by count (dropped whole when full).
  A writer of this repository that applies a block on top of the table's revision carries the
  table forward with the block's own changes (spent and created outputs, the recorded
  transaction, resource outputs touched), so executions after an apply do not start cold;
* block hashes by height: a block, once committed, is never changed or removed; and the head
  (ChainPins) of the last view opened, reused by the next view that reads the same head row.

The revision table trusts that every write goes through a writer (this plugin's, in any
process), as the integrity check (`ispc doctor`, :mod:`.integrity`) does: a file edited by hand
without bumping ``chain_state.revision`` can be answered from the cache until the next write.

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
REVISION_ENTRIES = 65536
BLOCK_HASH_ENTRIES = 65536
CARRIED_ENTRIES = 4096  # a larger table is not copied forward by a writer's apply
_MISSING = object()


class ReadCache:
    def __init__(self, code_bytes: int = CODE_CACHE_BYTES,
                 decoded_entries: int = DECODED_ENTRIES,
                 revision_entries: int = REVISION_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._code: OrderedDict[bytes, bytes] = OrderedDict()
        self._code_size = 0
        self._code_capacity = code_bytes
        self._decoded: OrderedDict[bytes, Any] = OrderedDict()
        self._decoded_capacity = decoded_entries
        # (revision, answers): one tuple, so a lock-free read never pairs a revision with
        # another revision's answers; a table is never changed once a newer one replaced it
        self._table: tuple[int | None, dict[Any, Any]] = (None, {})
        self._answers_capacity = revision_entries
        self._block_hashes: dict[int, bytes] = {}
        self._pins: tuple[tuple, Any] = ((), None)

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

    def at_revision(self, revision: int, key: Any, load: Callable[[], Any]) -> Any:
        """``load()`` as of ``revision`` (an immutable value or None), cached for it under
        ``key`` (a hashable naming the question, e.g. ``("utxo", tx_id, index)``)."""
        table_revision, answers = self._table
        if table_revision == revision:
            found = answers.get(key, _MISSING)
            if found is not _MISSING:
                return found
        value = load()
        with self._lock:
            table_revision, answers = self._table
            if table_revision != revision:
                if table_revision is not None and revision < table_revision:
                    return value  # an older snapshot: do not replace the newer table
                answers = {}
                self._table = (revision, answers)
            elif len(answers) >= self._answers_capacity:
                answers = {}
                self._table = (revision, answers)
            answers[key] = value
        return value

    def advance(self, revision: int, changes: dict[Any, Any], dropped: Any = ()) -> None:
        """A writer committed revision ``revision + 1`` on top of ``revision`` (its write
        transaction read ``revision`` and excluded every other writer): if the table holds
        ``revision``, the next one is it with ``changes`` (key -> the new answer) set and the
        keys in ``dropped`` removed (answers the writer cannot give)."""
        with self._lock:
            table_revision, answers = self._table
            if table_revision != revision or len(answers) > CARRIED_ENTRIES:
                return  # the next view reads the file (and starts the table of its revision)
            carried = dict(answers)  # copied: views of ``revision`` may still read the old one
            for key in dropped:
                carried.pop(key, None)
            carried.update(changes)
            self._table = (revision + 1, carried)

    def remember_decoded(self, body: bytes, value: Any) -> None:
        """``value`` is what ``decode(body)`` gives (a writer that encoded it): no decode later."""
        with self._lock:
            self._decoded[body] = value
            if len(self._decoded) > self._decoded_capacity:
                self._decoded.popitem(last=False)

    def pins(self, row: tuple, make: Callable[[], Any]) -> Any:
        """The ChainPins of a view's head row, the last one made again if the row is the same
        (every view of one revision has the same head)."""
        last_row, pins = self._pins  # one tuple, read and replaced atomically under the GIL
        if row != last_row:
            pins = make()
            self._pins = (row, pins)
        return pins

    def block_hash(self, height: int, load: Callable[[], bytes | None]) -> bytes | None:
        """The hash of the block at ``height`` (None, not cached, if there is none yet)."""
        found = self._block_hashes.get(height)  # a dict read is atomic under the GIL
        if found is not None:
            return found
        value = load()
        if value is not None:
            with self._lock:
                if len(self._block_hashes) >= BLOCK_HASH_ENTRIES:
                    self._block_hashes = {}
                self._block_hashes[height] = value
        return value
