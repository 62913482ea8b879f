"""Contract storage through the coordinator (wasmtime, the default providers): storage reads and
writes in the result's draft and trace, read-only queries, and a forged result writing another
contract's storage refused before anything else."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import attrs
import pytest

from ispc_framework import (Coordinator, ExecutionRequest, MemoryRepository, devnet_key,
                            load_config, sign_request)
from ispc_framework._encoding import decode_value
from ispc_framework._errors import ReadOnlyViolation, VerificationFailed
from ispc_framework._sinks import records_from_line
from ispc_framework._model import ResourceCategory, ResourceOutput, SealedDraft, TxOutput
from ispc_framework._repository import genesis_hash_of

REPO = Path(__file__).resolve().parents[1]
COUNTER = REPO / "examples" / "contracts" / "build" / "counter_c.wasm"
ALICE_KEY = devnet_key("alice")
ALICE = ALICE_KEY.public_key


def signed(request, spends=()):
    return sign_request(request, [ALICE_KEY], chain_id="test",
                        genesis_hash=genesis_hash_of("test", 1000, []), valid_until=2**64 - 1,
                        spends=spends)

pytestmark = pytest.mark.skipif(not COUNTER.is_file(), reason="run examples/contracts/build.sh")


@pytest.fixture
def deployed(tmp_path):
    repository = MemoryRepository()
    config = load_config(overrides={"trace.sinks": '["jsonl"]',
                                    "plugin.jsonl.path": str(tmp_path / "traces.jsonl")},
                         search_cwd=False, environ={})
    coordinator = Coordinator(config, repository=repository)
    repository.create_genesis("test", 1000, [])
    content = COUNTER.read_bytes()
    key = repository.store_resource(content)
    repository.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(content), "counter")),), ()))
    yield coordinator, repository, key
    coordinator.close()


def test_storage_is_in_the_draft_the_trace_and_the_result_hash(deployed):
    coordinator, repository, counter = deployed
    result = coordinator.execute(signed(ExecutionRequest(counter, "init")), prove=False)
    delta = result.draft.state
    assert delta.contract == counter and [w.key for w in delta.writes] == [b"owner"]
    assert delta.reads == (b"owner",) and delta.writes[0].value == ALICE
    repository.apply(result.draft)
    queried = coordinator.query(ExecutionRequest(counter, "get"))
    assert queried.return_data == struct.pack("<Q", 0) and queried.draft.state.writes == ()
    with pytest.raises(ReadOnlyViolation) as info:
        coordinator.query(ExecutionRequest(counter, "increment"))
    assert info.value.code == "query-wrote"


def test_the_trace_records_the_read_and_write_sets(deployed, tmp_path):
    coordinator, repository, counter = deployed
    coordinator.execute(signed(ExecutionRequest(counter, "increment")), prove=False)
    [line] = (tmp_path / "traces.jsonl").read_text().splitlines()
    records = records_from_line(json.loads(line)["records"])
    accesses = [decode_value(r.result)[2] for r in records
                if r.function.startswith("ispc.state.") and len(decode_value(r.result)) == 3]
    assert accesses == [(("state-read", b"count"),), (("state-write", b"count"),)]


def test_a_result_writing_another_contracts_storage_is_refused(deployed):
    coordinator, repository, counter = deployed
    result = coordinator.execute(signed(ExecutionRequest(counter, "init")), prove=False)
    other = b"\x99" * 32
    forged = attrs.evolve(result, commitment=attrs.evolve(result.commitment, draft=attrs.evolve(
        result.draft, state=attrs.evolve(result.draft.state, contract=other))))
    for action in (coordinator.verify_result, coordinator.apply_result):
        with pytest.raises(VerificationFailed) as info:
            action(forged)
        assert info.value.code == "state-not-own"
    view = repository.view()
    assert view.state_items(other, 99) == {} and view.head().height == 1
