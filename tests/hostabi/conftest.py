"""Fixtures of the HostABI tests: a real in-memory chain (MemoryRepository), a real execution
context, and a bytearray-backed guest memory with a bump allocator."""

from __future__ import annotations

import pytest

from ispc_framework._context import ContextManager, ExecutionRequest
from ispc_framework._encoding import encode
from ispc_framework._engines import HostEnv, MemoryAccessError
from ispc_framework._hostabi.crypto import CryptoProvider
from ispc_framework._hostabi.state import StateProvider
from ispc_framework._hostabi.v1 import V1Provider
from ispc_framework._limits import ExecutionLimits
from ispc_framework._model import (AssetOutput, NativeCoin, OutPoint, ResourceCategory,
                                  ResourceOutput, SingleKeyLock, TxOutput)
from ispc_framework._repository import MemoryRepository, content_hash

OWNER = bytes(range(32))
CALLER = bytes([7] * 32)
STORED = b"\0asm\1\0\0\0 a contract"
PAGE = 65536


class ByteMemory:
    """Linear memory as a bytearray: the GuestMemory protocol, with the engine's own bounds check."""

    def __init__(self, size: int = PAGE) -> None:
        self.data = bytearray(size)
        self.top = 1024  # bump allocator; low memory stays zero like a C program's null page

    def size(self) -> int:
        return len(self.data)

    def read(self, ptr: int, length: int) -> bytes:
        if ptr < 0 or length < 0 or ptr + length > len(self.data):
            raise MemoryAccessError(f"read [{ptr}, +{length})")
        return bytes(self.data[ptr:ptr + length])

    def write(self, ptr: int, data: bytes) -> None:
        if ptr < 0 or ptr + len(data) > len(self.data):
            raise MemoryAccessError(f"write [{ptr}, +{len(data)})")
        self.data[ptr:ptr + len(data)] = data

    def put(self, data: bytes) -> int:
        ptr = self.top
        self.write(ptr, data)
        self.top += max(len(data), 1) + 7 & ~7
        return ptr

    def alloc(self, size: int) -> int:
        return self.put(bytes(size))

    def u32(self, ptr: int) -> int:
        return int.from_bytes(self.data[ptr:ptr + 4], "little")


class Harness:
    """One execution: context, env, memory and the bound host functions of every provider."""

    def __init__(self, limits: ExecutionLimits | None = None, call_input: bytes = b"hello",
                 signers: tuple[bytes, ...] = (OWNER,), allowance: frozenset | None = None
                 ) -> None:
        self.repo = MemoryRepository()
        coin = TxOutput(OWNER, (SingleKeyLock(OWNER),), asset=AssetOutput(NativeCoin(), 1000))
        self.resource_hash = content_hash(STORED)
        resource = TxOutput(OWNER, (), resource=ResourceOutput(
            self.resource_hash, ResourceCategory.CONTRACT, "application/wasm", len(STORED), "c"))
        self.repo.store_resource(STORED)  # before genesis: available from block 0
        genesis = self.repo.create_genesis("ispc-test", 1_700_000_000, [coin, resource])
        self.coin = genesis.created[0]
        self.coin_output = coin
        self.resource_output = resource.resource
        self.view = self.repo.view()
        self.manager = ContextManager()
        request = ExecutionRequest(resource_hash=self.resource_hash, method="run",
                                   input=call_input, caller=CALLER)
        # signed by OWNER allowing the genesis coin (SingleKeyLock(OWNER)) to be spent (default)
        self.ctx = self.manager.create(request, self.view.head(), limits or ExecutionLimits(),
                                       signers=signers,
                                       allowance=frozenset({self.coin}) if allowance is None
                                       else allowance)
        self.memory = ByteMemory()
        self.env = HostEnv(self.ctx, self.view, self.memory)
        self.functions = {f"{f.module}.{f.name}": f for f in
                          V1Provider().host_functions() + CryptoProvider().host_functions()
                          + StateProvider().host_functions()}

    def call(self, name: str, *args: int) -> int:
        qualified = name if "." in name.replace("ispc.", "", 1) else f"ispc.v1.{name}"
        return self.functions[qualified].handler(self.env, *args)

    def outpoint(self, point: OutPoint | None = None) -> tuple[int, int]:
        data = encode(point or self.coin)
        return self.memory.put(data), len(data)

    def last_record(self):
        return self.ctx.trace.records[-1]


    def close(self) -> None:
        for ctx in self.manager.active():
            self.manager.destroy(ctx)


@pytest.fixture
def harness():
    h = Harness()
    yield h
    h.close()


@pytest.fixture
def make_harness():
    made: list[Harness] = []

    def make(*args, **kwargs) -> Harness:
        made.append(Harness(*args, **kwargs))
        return made[-1]

    yield make
    for h in made:
        h.close()
