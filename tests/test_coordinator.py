"""The coordinator end to end with the real default plugins: wasmtime, the ispc.v1 provider,
Groth16 (groth16py, testing keys) and the in-memory and SQLite repositories."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import attrs
import pytest

from ispc_framework import (AssetOutput, Coordinator, ExecutionRequest, MemoryRepository,
                            NativeCoin, ResourceCategory, ResourceOutput, SealedDraft, TxOutput,
                            load_config)
from ispc_framework._errors import (ContractFailed, ISPCError, NotFound, RepositoryError,
                                   ValidationError)
from ispc_framework.plugins import hookimpl
from ispc_framework._repository import genesis_hash_of
from ispc_framework._signing import devnet_key
from ispc_framework._trace import ExecutionTrace
from ispc_framework._transaction import sign_request

REPO = Path(__file__).resolve().parents[1]
TOKEN = REPO / "examples" / "contracts" / "build" / "token_c.wasm"
ALICE_KEY, BOB_KEY = devnet_key("alice"), devnet_key("bob")
ALICE, BOB = ALICE_KEY.public_key, BOB_KEY.public_key
#: the genesis make() writes (signatures are bound to it)
GENESIS = genesis_hash_of("test", 1000, [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))])

# slow: every run is proven (run once, in the Python 3.11 phase of scripts/test.sh)
pytestmark = [pytest.mark.skipif(not TOKEN.is_file(), reason="run examples/contracts/build.sh"),
              pytest.mark.slow]


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys")
    config = load_config(overrides={"plugin.groth16.key_dir": str(path),
                                    "plugin.groth16.setup_mode": "testing",
                                    "plugin.groth16.allow_testing_keys": "true"},
                         search_cwd=False)
    coordinator = Coordinator(config, repository=MemoryRepository())
    coordinator.prover().setup("ispc.draft.v2")
    coordinator.close()
    return path


def make(key_dir, tmp_path, repository=None, **extra):
    overrides = {"plugin.groth16.key_dir": str(key_dir), "trace.sinks": '["jsonl"]',
                 "plugin.groth16.allow_testing_keys": "true",  # key_dir holds a testing key
                 "plugin.jsonl.path": str(tmp_path / "traces.jsonl"), **extra}
    config = load_config(overrides=overrides, search_cwd=False, environ={})
    repository = repository or MemoryRepository()
    coordinator = Coordinator(config, repository=repository)
    writer = repository.writer()
    writer.create_genesis("test", 1000, [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 50))])
    content = TOKEN.read_bytes()
    key = writer.store_resource(content)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, ResourceCategory.CONTRACT, "application/wasm", len(content), "token")),), ()))
    return coordinator, key


def signed(request, key=ALICE_KEY, chain_id="test", valid_until=2**64 - 1, spends=(),
           genesis=GENESIS):
    return sign_request(request, [key], chain_id=chain_id, genesis_hash=genesis,
                        valid_until=valid_until, spends=spends)


def mint(token, amount=500, key=ALICE_KEY, nonce=0):
    return signed(ExecutionRequest(token, "mint", struct.pack("<Q", amount), nonce=nonce), key)


def forge(result, **changes):
    """The result with committed fields changed (the hash and proof left as they were)."""
    return attrs.evolve(result, commitment=attrs.evolve(result.commitment, **changes))


def test_execution_is_proven_deterministic_and_writes_nothing(key_dir, tmp_path):
    coordinator, token = make(key_dir, tmp_path)
    view = coordinator.repository.view()
    revision = view.revision()
    first = coordinator.execute(mint(token))
    second = coordinator.execute(mint(token))
    assert view.revision() == revision  # draft-only: nothing reached the chain
    # Same request, same pinned head: identical result; only the proof differs (Groth16 proofs
    # are randomised by design, both verify).
    def unproven(result):
        return attrs.evolve(result, state_output=attrs.evolve(result.state_output, zk_proof=None))

    assert unproven(first) == unproven(second)
    assert first.state_output.zk_proof.public_inputs == second.state_output.zk_proof.public_inputs
    assert first.status == 0 and struct.unpack("<I", first.return_data) == (0,)
    (output,) = first.draft.outputs
    assert output.owner == ALICE and output.asset.amount == 500
    assert output.asset.token.contract == token
    proof = first.state_output.zk_proof
    assert proof.circuit_id == "ispc.draft.v2" and proof.verification_key_hash
    coordinator.verify_result(first)
    assert first.contract == token and first.spent_outputs == ()
    third = coordinator.execute(mint(token, nonce=1))
    assert third.execution_result_hash != first.execution_result_hash


def test_trace_sink_gets_a_replayable_trace(key_dir, tmp_path):
    coordinator, token = make(key_dir, tmp_path)
    result = coordinator.execute(mint(token))
    (line,) = (tmp_path / "traces.jsonl").read_text().splitlines()
    data = json.loads(line)
    assert data["root"] == result.trace_root.hex()
    assert data["execution_result_hash"] == result.execution_result_hash.hex()
    from ispc_framework._sinks import records_from_line
    from ispc_framework._trace import TraceRecord

    records = records_from_line(data["records"])  # the record buffer (trace encoding), as hex
    assert all(type(r) is TraceRecord for r in records)
    assert records[0].kind == "start" and records[-1].kind == "end"
    assert "ispc.v1.tx_add_asset_output" in [r.function for r in records]
    assert ExecutionTrace.replay_root(bytes.fromhex(data["header"]), records) == result.trace_root


def test_non_zero_status_is_an_error_and_discards_the_draft(key_dir, tmp_path):
    coordinator, token = make(key_dir, tmp_path)
    with pytest.raises(ContractFailed) as info:
        coordinator.execute(mint(token, key=BOB_KEY))  # only the owner may mint
    assert info.value.code == "contract-failed" and info.value.details["status"] == 2
    assert coordinator.contexts.stats().active == 0


def test_unknown_or_wrong_kind_of_resource(key_dir, tmp_path):
    coordinator, token = make(key_dir, tmp_path)
    with pytest.raises(NotFound):
        coordinator.execute(signed(ExecutionRequest(b"\x99" * 32, "mint")))
    with pytest.raises(ValidationError) as info:
        coordinator.execute_model(signed(ExecutionRequest(token, "onnx.run")))
    assert info.value.code == "wrong-resource-kind"


class Recorder:
    """A cross-cutting plugin: sees every execution through the wrapper hook."""

    def __init__(self, sneak_write=None):
        self.seen = []
        self.sneak_write = sneak_write

    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        if self.sneak_write:
            self.sneak_write()
        result = yield
        self.seen.append((request.method, context.transaction_id))
        return result


def test_execution_wrapper_hook_sees_every_run(key_dir, tmp_path):
    coordinator, token = make(key_dir, tmp_path)
    recorder = Recorder()
    coordinator.plugins.register(recorder)
    coordinator.execute(mint(token))
    assert [method for method, _ in recorder.seen] == ["mint"]


class Replacer:
    @hookimpl(tryfirst=True)
    def ispc_execution(self, request, context):
        return "fake"


def test_a_plugin_cannot_replace_the_execution(key_dir, tmp_path):
    from ispc_framework._errors import PluginLoadError

    coordinator, _ = make(key_dir, tmp_path)
    with pytest.raises(PluginLoadError, match="wrapper=True"):
        coordinator.plugins.register(Replacer())


class LiveView:
    """A chain view that is no snapshot (every call reads the repository as it is now), as a
    third-party repository might offer."""

    def __init__(self, repository):
        self._repository = repository

    def __getattr__(self, name):
        return getattr(self._repository.view(), name)


@pytest.mark.parametrize("snapshot", [True, False])
def test_a_write_during_the_run_is_detected(key_dir, tmp_path, snapshot):
    """With a snapshot view (both built-in repositories) the run finishes on the chain it
    started on and the block that landed meanwhile makes its result stale at apply; a view
    that is no snapshot sees the revision move and refuses the run."""
    from ispc_sqlite import SqliteRepository

    for repository in (MemoryRepository(), SqliteRepository(tmp_path / f"w{snapshot}.db")):
        coordinator, token = make(key_dir, tmp_path, repository)
        writer = repository.writer()
        coordinator.plugins.register(Recorder(lambda w=writer: w.apply(SealedDraft())))
        pins = repository.view().head()
        if not snapshot:
            with pytest.raises(RepositoryError) as info:
                coordinator.execute(mint(token), view=LiveView(repository), prove=False)
            assert info.value.code == "revision-changed"
            coordinator.close()
            continue
        result = coordinator.execute(mint(token))
        assert result.pins == pins and repository.view().head().height == pins.height + 1
        with pytest.raises(RepositoryError) as info:
            coordinator.apply_result(result)
        assert info.value.code == "result-stale"
        coordinator.close()


def test_sqlite_round_trip_apply_and_spend(key_dir, tmp_path):
    from ispc_sqlite.repository import SqliteRepository

    repository = SqliteRepository(tmp_path / "chain.db")
    coordinator, token = make(key_dir, tmp_path, repository)
    minted = coordinator.execute(mint(token))
    applied = coordinator.apply_result(minted)
    outpoint = applied.created[0]
    transfer = BOB + struct.pack("<Q", 200) + bytes([1]) + outpoint.tx_id + \
        struct.pack("<I", outpoint.index)
    result = coordinator.execute(signed(ExecutionRequest(token, "transfer", transfer),
                                        spends=[outpoint]))
    assert struct.unpack("<Q", result.return_data) == (300,)
    assert [o.asset.amount for o in result.spent_outputs] == [500]
    coordinator.apply_result(result)
    view = repository.view()
    assert [o.asset.amount for _, o in view.utxos_of(BOB) if o.asset] == [200]
    assert sorted(o.asset.amount for _, o in view.utxos_of(ALICE) if o.asset) == [50, 300]
    coordinator.close()


def test_a_proof_does_not_verify_for_another_draft_or_contract(key_dir, tmp_path):
    from ispc_framework._errors import VerificationFailed

    coordinator, token = make(key_dir, tmp_path)
    result = coordinator.execute(mint(token))
    (output,) = result.draft.outputs
    richer = attrs.evolve(output, asset=attrs.evolve(output.asset, amount=5000))
    other = signed(ExecutionRequest(b"\x42" * 32, "mint", struct.pack("<Q", 500)))
    for forged in (forge(result, draft=attrs.evolve(result.draft, outputs=(richer,))),
                   forge(result, transaction=other)):
        with pytest.raises(VerificationFailed):
            coordinator.verify_result(forged)
    with pytest.raises(VerificationFailed) as info:
        coordinator.verify_result(attrs.evolve(
            result, state_output=attrs.evolve(result.state_output, zk_proof=None)))
    assert info.value.code == "proof-missing"


def test_a_stale_result_is_not_applied(key_dir, tmp_path):
    coordinator, token = make(key_dir, tmp_path)
    outpoint = coordinator.apply_result(coordinator.execute(mint(token))).created[0]
    spend = BOB + struct.pack("<Q", 1) + bytes([1]) + outpoint.tx_id + struct.pack("<I", outpoint.index)
    first = coordinator.execute(signed(ExecutionRequest(token, "transfer", spend),
                                       spends=[outpoint]))
    second = coordinator.execute(signed(ExecutionRequest(token, "transfer", spend, nonce=1),
                                        spends=[outpoint]))
    coordinator.apply_result(first)
    height = coordinator.repository.view().head().height
    with pytest.raises(RepositoryError) as info:
        coordinator.apply_result(second)  # pinned to the old head, whose output is now spent
    assert info.value.code == "result-stale"
    with pytest.raises(ISPCError) as info:
        coordinator.apply_result(first)  # and no result is ever applied twice
    assert info.value.code in ("result-stale", "transaction-replayed")
    assert coordinator.repository.view().head().height == height


def test_an_altered_result_is_refused_before_its_proof_is_checked(key_dir, tmp_path):
    from ispc_framework._errors import VerificationFailed

    coordinator, token = make(key_dir, tmp_path)
    result = coordinator.execute(mint(token))
    pins = attrs.evolve(result.pins, height=result.pins.height + 5)
    for forged, code in [(forge(result, pins=pins), "result-hash-mismatch"),
                         (forge(result, return_data=b"x"), "result-hash-mismatch"),
                         (attrs.evolve(result, state_output=attrs.evolve(
                             result.state_output, version=99)), "state-output-mismatch")]:
        with pytest.raises(VerificationFailed) as info:
            coordinator.verify_result(forged)
        assert info.value.code == code
