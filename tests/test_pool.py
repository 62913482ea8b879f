"""ExecutionPool and `ispc batch --workers`: executions on worker processes, fork and spawn.

Real parts throughout: a SQLite chain file, wasmtime in every worker, Ed25519 signatures. Runs
are unproven (proving is the prover's business and would take most of the time)."""

from __future__ import annotations

import json
import os
import signal
import struct
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner

from ispc_framework import (ContractFailed, Coordinator, ExecutionError, ExecutionPool,
                            ExecutionRequest, NotFound, SealedDraft, TxOutput, AssetOutput,
                            NativeCoin, ResourceCategory, ResourceOutput, ConfigError, load_config)
from ispc_framework._cli import cli
from ispc_framework._coordinator import final_transaction
from ispc_framework._keys import KeyStore
from ispc_framework._signing import devnet_key
from ispc_framework._transaction import sign_request
from ispc_framework._repository import genesis_hash_of

REPO = Path(__file__).resolve().parents[1]
TOKEN = REPO / "examples" / "contracts" / "build" / "token_c.wasm"
ALICE_KEY, BOB_KEY = devnet_key("alice"), devnet_key("bob")

# slow: worker processes start wasmtime and plugins each
pytestmark = [pytest.mark.skipif(not TOKEN.is_file(), reason="run examples/contracts/build.sh"),
              pytest.mark.slow]


def signed(request, key=ALICE_KEY, spends=()):
    return sign_request(request, [key], chain_id="pool", valid_until=2**64 - 1, spends=spends,
                        genesis_hash=genesis_hash_of("pool", 1000, [TxOutput(
                            ALICE_KEY.public_key, asset=AssetOutput(NativeCoin(), 1))]))


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """A SQLite chain with the token deployed and 500 minted to alice; its config and token."""
    root = tmp_path_factory.mktemp("pool")
    config = load_config(search_cwd=False, environ={}, overrides={
        "plugin.sqlite.path": str(root / "chain.db")})
    coordinator = Coordinator(config)
    writer = coordinator.repository.writer()
    writer.create_genesis("pool", 1000, [TxOutput(ALICE_KEY.public_key,
                                                  asset=AssetOutput(NativeCoin(), 1))])
    code = TOKEN.read_bytes()
    token = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(ALICE_KEY.public_key, resource=ResourceOutput(
        token, ResourceCategory.CONTRACT, "application/wasm", len(code), "token")),), ()))
    minted = coordinator.execute(signed(ExecutionRequest(token, "mint", struct.pack("<Q", 500))),
                                 prove=False)
    coin = writer.apply(final_transaction(minted)).created[0]
    transfers = [signed(ExecutionRequest(token, "transfer", BOB_KEY.public_key
                                         + struct.pack("<Q", 10 + n) + bytes([1]) + coin.tx_id
                                         + struct.pack("<I", coin.index), nonce=n),
                        spends=[coin])
                 for n in range(6)]
    expected = [coordinator.execute(tx, prove=False) for tx in transfers]  # in this process
    yield root, config, token, transfers, expected
    coordinator.close()


@pytest.mark.parametrize("start_method", ["fork", "spawn"])
def test_a_pool_gives_the_results_of_one_process(chain, start_method):
    """Byte-identical results on every process; fork is safe after the parent compiled (the
    fixture's coordinator compiled the token in this process before the fork)."""
    _, config, _, transfers, expected = chain
    with ExecutionPool(config, workers=2, start_method=start_method) as pool:
        results = pool.execute_many(transfers, prove=False)
        again = list(pool.imap(reversed(transfers), prove=False))
    assert results == expected
    # as in process, a result holds the very transaction object it was given
    assert all(r.commitment.transaction is tx for r, tx in zip(results, transfers))
    assert [r.execution_result_hash for r in again] == \
        [r.execution_result_hash for r in reversed(expected)]
    assert [struct.unpack("<Q", r.return_data)[0] for r in results] == \
        [500 - 10 - n for n in range(6)]


def test_errors_in_a_worker_are_raised_typed_in_the_parent(chain):
    _, config, token, transfers, _ = chain
    missing = signed(ExecutionRequest(b"\x99" * 32, "transfer"))
    not_owner = signed(ExecutionRequest(token, "mint", struct.pack("<Q", 1)), key=BOB_KEY)
    with ExecutionPool(config, workers=1, start_method="fork") as pool:
        with pytest.raises(NotFound) as info:
            pool.execute_many([transfers[0], missing], prove=False)
        assert info.value.code == "not-found" and "deploy it first" in info.value.hint
        with pytest.raises(ContractFailed) as failed:
            pool.result(pool.submit(not_owner, prove=False))
        assert failed.value.code == "contract-failed" and failed.value.details["status"] == 2
        assert pool.execute_many(transfers[:1], prove=False)[0].status == 0  # still usable


def test_chunks_keep_order_and_each_transaction_its_own_outcome(chain):
    """Many transactions go in chunks (several per round trip): results stay in order across
    chunks, and a failing transaction inside a chunk is the error raised, at its place."""
    _, config, token, transfers, expected = chain
    missing = signed(ExecutionRequest(b"\x99" * 32, "transfer"))
    with ExecutionPool(config, workers=2, start_method="fork") as pool:
        assert pool.execute_many(transfers * 7, prove=False) == expected * 7
        got = []
        with pytest.raises(NotFound):
            for result in pool.imap(transfers * 4 + [missing] + transfers, prove=False):
                got.append(result)
        assert got == expected * 4  # everything before the failing one, nothing after


def test_an_abandoned_imap_leaves_the_pool_in_order(chain):
    """Leaving an imap early leaves its chunks running or queued: their replies are read and
    dropped by whatever call comes next, which still gets its own results."""
    _, config, _, transfers, expected = chain
    with ExecutionPool(config, workers=2, start_method="fork") as pool:
        for _ in pool.imap(transfers * 20, prove=False):
            break
        handle = pool.submit(transfers[2], prove=False)
        assert pool.execute_many(transfers, prove=False) == expected
        assert pool.result(handle) == expected[2]
        assert pool.result(handle) == expected[2]  # a handle can be read again


def test_a_killed_worker_breaks_the_pool_with_a_typed_error(chain):
    _, config, _, transfers, expected = chain
    with ExecutionPool(config, workers=2, start_method="fork") as pool:
        assert pool.execute_many(transfers, prove=False) == expected
        os.kill(pool.worker_pids[0], signal.SIGKILL)
        with pytest.raises(ExecutionError) as info:
            pool.execute_many(transfers * 10, prove=False)
        assert info.value.code == "pool-worker-died" and "cannot be used again" in info.value.hint
        with pytest.raises(ExecutionError) as again:
            pool.submit(transfers[0], prove=False)
        assert again.value.code == "pool-worker-died"
    # leaving the block closed the pool: the other worker was terminated, not waited for
    assert all(not os.path.exists(f"/proc/{pid}/stat") or
               open(f"/proc/{pid}/stat").read().split()[2] == "Z" for pid in pool.worker_pids)


def test_a_closed_pool_is_a_typed_error(chain):
    _, config, _, transfers, _ = chain
    pool = ExecutionPool(config, workers=1)
    pool.close()
    pool.close()  # idempotent
    for call in (lambda: pool.execute_many(transfers, prove=False),
                 lambda: pool.submit(transfers[0], prove=False)):
        with pytest.raises(ExecutionError) as info:
            call()
        assert info.value.code == "pool-closed"


def test_a_worker_that_cannot_start_gives_its_reason_typed(chain):
    """A config the parent accepts but a coordinator refuses (an unknown [plugin.x] table):
    every transaction's outcome is the error Coordinator(config) raises in process."""
    root, _, _, transfers, _ = chain
    bad = load_config(search_cwd=False, environ={}, overrides={
        "plugin.sqlite.path": str(root / "chain.db"), "plugin.no-such-plugin.x": 1})
    with pytest.raises(ConfigError) as in_process:
        Coordinator(bad)
    with ExecutionPool(bad, workers=1, start_method="fork") as pool:
        with pytest.raises(ConfigError) as info:
            pool.execute_many(transfers[:2], prove=False)
    assert (info.value.code, info.value.message) == (in_process.value.code,
                                                     in_process.value.message)


def test_an_exception_that_is_no_ispc_error_is_typed(chain, monkeypatch, capfd):
    """Fault injection (a bug in a worker has no real trigger): the forked worker inherits a
    Coordinator.execute that raises KeyError; the pool raises pool-worker-error, the worker's
    traceback is on its stderr, and the worker carries on."""
    _, config, _, transfers, expected = chain
    execute = Coordinator.execute

    def buggy(self, transaction, **kwargs):
        if transaction.request.nonce == 1:
            raise KeyError("a bug")
        return execute(self, transaction, **kwargs)
    monkeypatch.setattr(Coordinator, "execute", buggy)
    with ExecutionPool(config, workers=1, start_method="fork") as pool:
        with pytest.raises(ExecutionError) as info:
            pool.execute_many(transfers[:3], prove=False)
        assert info.value.code == "pool-worker-error" and "KeyError" in info.value.message
        assert pool.execute_many(transfers[2:], prove=False) == expected[2:]
    assert "KeyError: 'a bug'" in capfd.readouterr().err


def test_chunks_shrink_towards_the_end():
    from ispc_framework._pool import MAX_CHUNK, _chunk_size

    for count, workers in ((1, 1), (6, 2), (240, 2), (1000, 3)):
        sizes, left = [], count
        while left:
            sizes.append(_chunk_size(left, workers))
            left -= sizes[-1]
        assert sum(sizes) == count and max(sizes) <= MAX_CHUNK
        assert sizes == sorted(sizes, reverse=True) and sizes[-1] == 1


def test_bad_pool_arguments_are_config_errors(chain, monkeypatch):
    _, config, _, _, _ = chain
    for workers in (0, -1, 1.5, True):
        with pytest.raises(ConfigError):
            ExecutionPool(config, workers=workers)
    with pytest.raises(ConfigError):
        ExecutionPool(config, workers=1, start_method="thread")
    from ispc_framework.plugins._manager import PluginManager

    select = PluginManager.select

    def in_memory_only(self, kind, name, runtime=None):  # a repository that is not persistent
        spec = select(self, kind, name, runtime)
        return attrs.evolve(spec, capabilities=spec.capabilities - {"persistent"})
    monkeypatch.setattr(PluginManager, "select", in_memory_only)
    with pytest.raises(ConfigError) as info:
        ExecutionPool(config, workers=2)
    assert info.value.code == "pool-repository"


def test_cli_batch_with_workers(chain):
    root, _, token, _, expected = chain
    KeyStore(root / "accounts").save("alice", devnet_key("alice"))
    toml = root / "ispc.toml"
    toml.write_text(f'[plugin.sqlite]\npath = "{root / "chain.db"}"\n')
    calls = root / "calls.jsonl"
    calls.write_text("".join(json.dumps({"contract": token.hex(), "method": "transfer",
                                         "input": tx.request.input.hex(), "nonce": n}) + "\n"
                             for n, tx in enumerate(t.commitment.transaction for t in expected)))
    runner = CliRunner(env={"ISPC_KEY_DIR": str(root / "accounts")})
    out = root / "results.jsonl"
    [coin] = expected[0].commitment.transaction.spends   # the transfers' allowance
    result = runner.invoke(cli, ["--config", str(toml), "batch", str(calls), "--as", "alice",
                                 "--spend", f"{coin.tx_id.hex()}:{coin.index}",
                                 "--workers", "2", "--no-prove", "--json", "--out", str(out)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["requests"] == 6 and [r["status"] for r in summary["results"]] == [0] * 6
    assert len(out.read_text().splitlines()) == 6
    calls.write_text('{"contract": "zz", "method": "transfer"}\n')
    result = runner.invoke(cli, ["--config", str(toml), "batch", str(calls), "--as", "alice"])
    assert result.exit_code == 2 and "[invalid-value]" in result.output and ":1" in result.output
