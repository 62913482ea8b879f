"""Guest memory as one host call sees it: a buffer of exactly linear memory, and the status
exception of the calling convention.

An engine whose memory has a ``buffer()`` method (a writable memoryview of the whole linear
memory, valid until the host call returns) gives the handlers direct slices of it; any other
``GuestMemory`` is seen through :class:`ProtocolView`, whose slices go through the protocol's
``read`` and ``write``. The handlers (:mod:`.specialise`) check every range themselves with
Python integers against the size read once per call, so ``ptr + len`` cannot wrap around 2^32
and a range is refused identically on every engine.
"""

from __future__ import annotations

from typing import Any

from .._engines import GuestMemory, MemoryAccessError

__all__ = ["GuestError", "ProtocolView", "guest_buffer"]


class GuestError(Exception):
    """A host call's failure that is reported to the contract as a status code (internal)."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason or f"status {status}")
        self.status = int(status)
        self.reason = reason


class ProtocolView:
    """A ``GuestMemory`` sliced like a buffer: ``len()`` is its size (asked once: linear memory
    cannot change during a host call), ``view[a:b]`` reads, ``view[a:b] = data`` writes."""

    __slots__ = ("_memory", "_size")

    def __init__(self, memory: GuestMemory) -> None:
        self._memory = memory
        self._size = memory.size()

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, span: slice) -> bytes:
        length = span.stop - span.start
        data = bytes(self._memory.read(span.start, length))
        if len(data) != length:
            raise MemoryAccessError(f"engine returned {len(data)} bytes for a read of {length}")
        return data

    def __setitem__(self, span: slice, data: bytes) -> None:
        self._memory.write(span.start, data)


def guest_buffer(memory: Any) -> Any:
    """``memory.buffer()`` when the engine provides it, else a :class:`ProtocolView`."""
    buffer = getattr(memory, "buffer", None)
    return buffer() if buffer is not None else ProtocolView(memory)
