"""Test helper: one execution calling the ``ispc.state`` host functions directly (the real
provider, context, draft and chain view; a bytearray stands in for the guest's linear memory)."""

from __future__ import annotations

import struct

from ispc_framework._context import ContextManager, ExecutionRequest
from ispc_framework._engines import HostEnv, MemoryAccessError
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._hostabi.state import StateProvider
from ispc_framework._limits import ExecutionLimits
from ispc_framework._state import seal_run_draft

FUNCTIONS = {f.name: f for f in StateProvider().host_functions()}
MANAGER = ContextManager()
KEY_AT, VALUE_AT, OUT_AT, LEN_AT, MEMORY = 0x100, 0x1000, 0x6000, 0x50, 0x10000


class Memory:
    def __init__(self) -> None:
        self.data = bytearray(MEMORY)

    def size(self) -> int:
        return len(self.data)

    def read(self, ptr: int, length: int) -> bytes:
        if ptr < 0 or length < 0 or ptr + length > len(self.data):
            raise MemoryAccessError("read")
        return bytes(self.data[ptr:ptr + length])

    def write(self, ptr: int, data: bytes) -> None:
        if ptr < 0 or ptr + len(data) > len(self.data):
            raise MemoryAccessError("write")
        self.data[ptr:ptr + len(data)] = data


class StorageRun:
    """One run of ``contract`` pinned to the repository's head."""

    def __init__(self, repo, contract: bytes, *, caller: bytes = bytes(32),
                 limits: ExecutionLimits | None = None, nonce: int = 0,
                 signers: tuple[bytes, ...] = (), allowance: frozenset = frozenset()) -> None:
        self.view = repo.view()
        self.contract = contract
        request = ExecutionRequest(contract, "run", caller=caller, nonce=nonce)
        self.ctx = MANAGER.create(request, self.view.head(), limits or ExecutionLimits(),
                                  signers=signers, allowance=allowance)
        self.memory = Memory()
        self.env = HostEnv(self.ctx, self.view, self.memory)

    def call(self, name: str, *args: int) -> int:
        return FUNCTIONS[name].handler(self.env, *args)

    def _key(self, key: bytes) -> tuple[int, int]:
        self.memory.write(KEY_AT, key)
        return KEY_AT, len(key)

    def set(self, key: bytes, value: bytes) -> int:
        self.memory.write(VALUE_AT, value)
        return self.call("set", *self._key(key), VALUE_AT, len(value))

    def delete(self, key: bytes) -> int:
        return self.call("delete", *self._key(key))

    def exists(self, key: bytes) -> bool:
        return self.call("exists", *self._key(key)) == Status.OK

    def get(self, key: bytes) -> bytes | None:
        status = self.call("get", *self._key(key), OUT_AT, MEMORY - OUT_AT, LEN_AT)
        if status == Status.NOT_FOUND:
            return None
        assert status == Status.OK, status
        length = struct.unpack("<I", self.memory.read(LEN_AT, 4))[0]
        return self.memory.read(OUT_AT, length)

    def seal(self):
        draft = seal_run_draft(self.ctx.draft, self.view, self.contract, self.ctx.pins.height)
        self.close()
        return draft

    def close(self) -> None:
        if self.ctx.alive:
            MANAGER.destroy(self.ctx)
