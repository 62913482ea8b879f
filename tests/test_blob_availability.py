"""R7: what a run sees is determined by its pinned block. A blob stored while the head is at
height h is available from block h + 1 on, in both repositories, so storing a blob later never
changes what ``tx_add_resource_output`` (or any read) sees at an existing block."""
from __future__ import annotations

import pytest
import wasmtime

from ispc_framework import ExecutionRequest, MemoryRepository
from ispc_framework._encoding import encode, encode_value
from ispc_framework._model import ResourceCategory, ResourceOutput, SealedDraft, TxOutput
from ispc_framework._repository import content_hash

from .test_coordinator import ALICE, key_dir, make, signed  # noqa: F401
from .test_coordinator import pytestmark  # noqa: F401  (needs the built token)

BLOB = b"some file nobody deployed yet"


def _repositories(tmp_path):
    from ispc_sqlite.repository import SqliteRepository

    return {"memory": MemoryRepository(), "sqlite": SqliteRepository(tmp_path / "chain.db")}


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_a_blob_is_visible_from_the_next_block_on(tmp_path, kind):
    repo = _repositories(tmp_path)[kind]
    early = repo.writer().store_resource(b"stored before genesis")
    repo.writer().create_genesis("test", 1, [])
    key = repo.writer().store_resource(BLOB)
    assert repo.view().resource_content(key) is None          # not at the current head (0)
    assert repo.view().resource_content(early) == b"stored before genesis"
    repo.writer().apply(SealedDraft())
    assert repo.view().resource_content(key) == BLOB          # from block 1 on
    assert repo.view_at(0).resource_content(key) is None      # the past does not change
    assert repo.view_at(1).resource_content(key) == BLOB
    assert repo.writer().store_resource(BLOB) == key          # storing again keeps height 1
    assert repo.view_at(1).resource_content(key) == BLOB
    repo.close()


def _wat(h: bytes, owner: bytes, locks: bytes, meta: bytes) -> str:
    def data(offset, blob):
        return f'(data (i32.const {offset}) "' + "".join(f"\\{b:02x}" for b in blob) + '")'

    return f"""(module
  (import "ispc.v1" "tx_add_resource_output"
    (func $res (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "ispc.v1" "set_return_data" (func $ret (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  {data(0, h)} {data(64, owner)} {data(128, locks)} {data(192, meta)}
  (func (export "probe") (result i32)
    (i32.store (i32.const 512) (call $res (i32.const 0) (i32.const 3) (i32.const 64)
      (i32.const 128) (i32.const {len(locks)}) (i32.const 192) (i32.const {len(meta)})
      (i32.const 600)))
    (drop (call $ret (i32.const 512) (i32.const 4)))
    (i32.const 0)))"""


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_storing_a_blob_does_not_change_a_pinned_execution(key_dir, tmp_path, kind):  # noqa: F811
    coordinator, _ = make(key_dir, tmp_path, _repositories(tmp_path)[kind])
    code = wasmtime.wat2wasm(_wat(content_hash(BLOB), ALICE, encode(()), encode_value({})))
    writer = coordinator.repository.writer()
    key = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(bytes(32), resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(code), "probe")),), ()))
    result = coordinator.execute(signed(ExecutionRequest(key, "probe")), prove=False)
    status = int.from_bytes(result.return_data, "little")
    assert status != 0                                        # NOT_FOUND: no such blob
    writer.store_resource(BLOB)                               # no block, same head
    assert coordinator.replay(result) == []
    again = coordinator.execute(signed(ExecutionRequest(key, "probe", nonce=1)), prove=False)
    assert int.from_bytes(again.return_data, "little") == status
    writer.apply(SealedDraft())                               # the next block sees it
    later = coordinator.execute(signed(ExecutionRequest(key, "probe", nonce=2)), prove=False)
    assert int.from_bytes(later.return_data, "little") == 0
    assert coordinator.replay(result) == []                   # still, at its own block
    coordinator.close()
