"""The coordinator's one execution flow and its per-coordinator caches, without proofs: what is
worked out once (engine, host-function table, limits, compiled contract by resource hash), and
that caching never lets a run use code its view does not have, or content that does not hash to
its address."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ispc_framework import (AssetOutput, Coordinator, ExecutionRequest, MemoryRepository,
                            NativeCoin, ResourceCategory, ResourceOutput, SealedDraft, TxOutput,
                            load_config)
from ispc_framework._errors import NotFound, RepositoryError, ValidationError
from ispc_framework._signing import devnet_key
from ispc_framework._transaction import sign_request
from ispc_framework.plugins import hookimpl
from ispc_framework._repository import genesis_hash_of

TOKEN = Path(__file__).resolve().parents[1] / "examples" / "contracts" / "build" / "token_c.wasm"
ALICE_KEY = devnet_key("alice")
ALICE = ALICE_KEY.public_key

pytestmark = pytest.mark.skipif(not TOKEN.is_file(), reason="run examples/contracts/build.sh")

FLOW_GENESIS = genesis_hash_of("flow", 1000, [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 5))])


def chain():
    repository = MemoryRepository()
    writer = repository.writer()
    writer.create_genesis("flow", 1000, [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 5))])
    content = TOKEN.read_bytes()
    key = writer.store_resource(content)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(content), "token")),), ()))
    config = load_config(overrides={"trace.sinks": "[]"}, search_cwd=False, environ={})
    return Coordinator(config, repository=repository), repository, key


def mint(key, nonce=0):
    request = ExecutionRequest(key, "mint", struct.pack("<Q", 7), nonce=nonce)
    return sign_request(request, [ALICE_KEY], chain_id="flow", genesis_hash=FLOW_GENESIS,
                        valid_until=10 ** 6)


class CountingView:
    """The real view, counting how often the contract's content is read."""

    def __init__(self, view):
        self._view = view
        self.content_reads = 0

    def resource_content(self, content_hash):
        self.content_reads += 1
        return self._view.resource_content(content_hash)

    def __getattr__(self, name):
        return getattr(self._view, name)


def test_per_request_work_is_done_once_per_coordinator():
    coordinator, repository, key = chain()
    assert coordinator.host_functions() is coordinator.host_functions()
    assert coordinator.wasm_engine() is coordinator.wasm_engine()
    assert coordinator.limits is coordinator.limits
    views = [CountingView(repository.view()) for _ in range(3)]
    results = [coordinator.execute(mint(key, nonce), prove=False, view=view)
               for nonce, view in enumerate(views)]
    assert [view.content_reads for view in views] == [1, 0, 0]   # compiled once, by hash
    assert all(result.status == 0 for result in results)
    assert len({result.execution_result_hash for result in results}) == 3
    coordinator.close()


def test_a_cached_contract_still_needs_to_exist_in_the_view():
    coordinator, repository, key = chain()
    coordinator.execute(mint(key), prove=False)
    with pytest.raises(NotFound):   # genesis: the contract was deployed in block 1
        coordinator.execute(mint(key, 1), prove=False, view=repository.view_at(0))
    coordinator.close()


def test_content_that_does_not_hash_to_its_address_is_refused():
    """A repository handing out other bytes under a contract's hash (corrupt or hostile) never
    gets them compiled, and cannot poison the cache for later runs."""
    coordinator, repository, key = chain()
    repository._state.blobs[key] = TOKEN.read_bytes() + b"\x00"   # the stored bytes, tampered with
    with pytest.raises(RepositoryError) as info:
        coordinator.execute(mint(key), prove=False)
    assert info.value.code == "resource-content-mismatch" and info.value.hint
    repository._state.blobs[key] = TOKEN.read_bytes()
    assert coordinator.execute(mint(key), prove=False).status == 0
    coordinator.close()


def test_both_kinds_of_run_go_through_the_same_wrapped_flow():
    """One flow: the ispc_execution wrappers see a contract call, and a model resource asked for
    as a contract (or the reverse) is refused by the same resource check."""
    coordinator, repository, key = chain()
    seen = []

    class Audit:
        @hookimpl(wrapper=True)
        def ispc_execution(self, request, context):
            seen.append((request.method, context.engine))
            return (yield)

    coordinator.plugins.register(Audit())
    coordinator.execute(mint(key), prove=False)
    assert seen == [("mint", "wasmtime")]
    with pytest.raises(ValidationError) as info:
        coordinator.execute_model(sign_request(ExecutionRequest(key, "onnx.run"), [ALICE_KEY],
                                               chain_id="flow", genesis_hash=FLOW_GENESIS,
                                               valid_until=10 ** 6),
                                  prove=False)
    assert info.value.code == "wrong-resource-kind"
    coordinator.close()
