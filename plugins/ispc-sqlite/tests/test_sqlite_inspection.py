"""The inspection reads (block_record, find_transaction, events, resource_outputs) of
SqliteRepository agree with MemoryRepository, the reference, on the same chain, at the head and
at past heights; bad arguments are typed errors."""

from __future__ import annotations

import pytest

from ispc_framework.plugins import (AssetOutput, BlockRecord, ContractLock, Event, HeightLock,
                                    MemoryRepository, NativeCoin, ResourceCategory,
                                    ResourceOutput, SealedDraft, SingleKeyLock, TimeLock,
                                    TxInput, TxOutput, ValidationError, content_hash)
from ispc_sqlite import SqliteRepository

ALICE, BOB = b"\xa1" * 32, b"\xb0" * 32
CODE, MODEL = b"\0asm\x01\0\0\0", b"onnx-bytes"
CONTRACT = content_hash(CODE)


def _resource(content: bytes, category: ResourceCategory, name: str) -> TxOutput:
    return TxOutput(ALICE, resource=ResourceOutput(content_hash(content), category,
                                                   "application/octet-stream", len(content),
                                                   name))


def build(repo):
    """genesis; deploy a contract; deploy a model; an applied result with events and locked
    outputs spending the genesis coin; an empty block; a block spending the model's output."""
    writer = repo.writer()
    genesis = writer.create_genesis("inspect", 100, [
        TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))])
    writer.store_resource(CODE)
    writer.store_resource(MODEL)
    deployed = writer.apply(SealedDraft((), (_resource(CODE, ResourceCategory.CONTRACT,
                                                       "token.wasm"),), ()))
    model = writer.apply(SealedDraft((), (_resource(MODEL, ResourceCategory.AI_MODEL,
                                                    "m.onnx"),), ()))
    locked = TxOutput(BOB, (TimeLock(500, SingleKeyLock(BOB)), HeightLock(9, ContractLock(CONTRACT))),
                      asset=AssetOutput(NativeCoin(), 50))
    signed_id = b"\x5a" * 32
    applied = writer.apply(
        SealedDraft((TxInput(genesis.created[0]),), (locked,),
                    (Event(CONTRACT, "mint", b"\x05"), Event(BOB * 1, "other", b""),
                     Event(CONTRACT, "transfer", b"to bob"))),
        record=(signed_id, b"result-encoding"))
    writer.apply(SealedDraft(), timestamp=1000)
    writer.apply(SealedDraft((TxInput(model.created[0]),), (), ()))
    return {"deployed": deployed, "model": model, "applied": applied, "signed_id": signed_id}


@pytest.fixture(params=["memory", "sqlite"])
def chain(request, tmp_path):
    repo = MemoryRepository() if request.param == "memory" else \
        SqliteRepository(tmp_path / "chain.db")
    made = build(repo)
    yield repo, made
    repo.close()


def test_block_record(chain):
    repo, made = chain
    view = repo.view()
    record = view.block_record(3)
    assert isinstance(record, BlockRecord)
    assert record.info == made["applied"].block
    assert record.signed_transaction_id == made["signed_id"]
    assert record.result == b"result-encoding"
    assert [e.event_type for e in record.draft.events] == ["mint", "other", "transfer"]
    genesis = view.block_record(0)
    assert genesis.signed_transaction_id is None and genesis.result is None
    assert genesis.draft.outputs[0].asset.amount == 50
    assert view.block_record(6) is None and view.block_record(-1) is None
    assert view.block_record(4).draft == SealedDraft() and view.block_record(4).info.timestamp == 1000


def test_find_transaction_by_either_id(chain):
    repo, made = chain
    view = repo.view()
    assert view.find_transaction(made["applied"].block.transaction_id) == 3
    assert view.find_transaction(made["signed_id"]) == 3
    assert view.find_transaction(made["deployed"].block.transaction_id) == 1
    assert view.find_transaction(b"\x77" * 32) is None


def test_events_filtered_by_height_and_contract(chain):
    repo, _ = chain
    view = repo.view()
    rows = view.events()
    assert [(h, i, e.event_type) for h, i, e in rows] == [(3, 0, "mint"), (3, 1, "other"),
                                                          (3, 2, "transfer")]
    assert [e.event_type for _, _, e in view.events(contract=CONTRACT)] == ["mint", "transfer"]
    assert view.events(since=4) == []


def test_resource_outputs_are_the_unspent_deploys(chain):
    repo, made = chain
    view = repo.view()
    rows = view.resource_outputs(ResourceCategory.CONTRACT)
    assert [(h, op) for h, op, _ in rows] == [(1, made["deployed"].created[0])]
    assert rows[0][2].resource.name == "token.wasm"
    assert view.resource_outputs(ResourceCategory.AI_MODEL) == []  # spent at block 5
    assert [o.resource.name for _, _, o in view.resource_outputs()] == ["token.wasm"]


def test_past_views_see_the_past(chain):
    repo, made = chain
    past = repo.view_at(2)
    assert past.block_record(3) is None
    assert past.find_transaction(made["signed_id"]) is None
    assert past.find_transaction(made["applied"].block.transaction_id) is None
    assert past.events() == []
    assert [o.resource.name for _, _, o in past.resource_outputs()] == ["token.wasm", "m.onnx"]


def test_memory_and_sqlite_agree(tmp_path):
    memory, sqlite = MemoryRepository(), SqliteRepository(tmp_path / "chain.db")
    build(memory)
    build(sqlite)
    try:
        for height in range(7):
            assert memory.view().block_record(height) == sqlite.view().block_record(height)
        assert memory.view().events() == sqlite.view().events()
        assert memory.view().resource_outputs() == sqlite.view().resource_outputs()
    finally:
        sqlite.close()


@pytest.mark.parametrize("call", [
    lambda v: v.find_transaction("ab" * 32),
    lambda v: v.events(contract="not bytes"),
    lambda v: v.events(since="1"),
])
def test_bad_arguments_are_typed_errors(tmp_path, call):
    repo = SqliteRepository(tmp_path / "chain.db")
    build(repo)
    try:
        with pytest.raises(ValidationError):
            call(repo.view())
    finally:
        repo.close()
