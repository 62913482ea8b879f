"""Guest-memory protocol of one host call: bounds-checked reads and writes that also count the
bytes moved (for gas) and keep them (for the trace).

Engines provide :class:`~ispc_framework._engines.GuestMemory`; this layer checks every range itself
with Python integers (so ``ptr + len`` cannot wrap around 2^32) before the engine is asked, so a
range is refused identically on every engine.
"""

from __future__ import annotations

from .._engines import GuestMemory, MemoryAccessError

__all__ = ["GuestIO", "GuestError"]


class GuestError(Exception):
    """A host call's failure that is reported to the contract as a status code (internal)."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason or f"status {status}")
        self.status = int(status)
        self.reason = reason


class GuestIO:
    """Access to guest memory for one call, with accounting."""

    __slots__ = ("_memory", "_size", "bytes_read", "bytes_written", "reads", "writes")

    def __init__(self, memory: GuestMemory) -> None:
        self._memory = memory
        self._size = -1   # asked once per call: linear memory cannot change during a host call
        self.bytes_read = 0
        self.bytes_written = 0
        self.reads: list[bytes] = []
        self.writes: list[bytes] = []

    def check(self, ptr: int, length: int) -> None:
        """Raise MemoryAccessError unless [ptr, ptr + length) lies inside linear memory."""
        size = self._size
        if size < 0:
            size = self._size = self._memory.size()
        if ptr < 0 or length < 0 or ptr + length > size:
            raise MemoryAccessError(f"range [{ptr}, {ptr + length}) is outside memory of {size} bytes")

    def read(self, ptr: int, length: int) -> bytes:
        self.check(ptr, length)
        data = bytes(self._memory.read(ptr, length)) if length else b""
        if len(data) != length:
            raise MemoryAccessError(f"engine returned {len(data)} bytes for a read of {length}")
        self.bytes_read += length
        self.reads.append(data)
        return data

    def write(self, ptr: int, data: bytes) -> None:
        data = bytes(data)
        self.check(ptr, len(data))
        if data:
            self._memory.write(ptr, data)
        self.bytes_written += len(data)
        self.writes.append(data)

    def write_u32(self, ptr: int, value: int) -> None:
        self.write(ptr, int(value).to_bytes(4, "little"))
