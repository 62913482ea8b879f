"""SqliteRepository behaviour: genesis, deploy, apply, lookups, failures, schema, concurrency."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from ispc_framework.plugins import encode
from ispc_framework.plugins import (
    ConfigError,
    InputMissing,
    InputSpent,
    LimitExceeded,
    NotFound,
    RepositoryError,
    SchemaError,
    ValidationError,
)
from ispc_framework.plugins import (
    AssetOutput,
    Event,
    NativeCoin,
    OutPoint,
    ResourceCategory,
    ResourceOutput,
    SealedDraft,
    StateOutput,
    TxInput,
    TxOutput,
)
from ispc_framework.plugins import (
    ChainView,
    MemoryRepository,
    RepositoryWriter,
    block_hash_of,
    content_hash,
    transaction_id_of,
)
from ispc_sqlite import SqliteRepository
from ispc_sqlite.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, ensure_schema, u64

ALICE = b"\xa1" * 32
BOB = b"\xb0" * 32


def coin(owner: bytes, amount: int) -> TxOutput:
    return TxOutput(owner, asset=AssetOutput(NativeCoin(), amount))


def resource_output(owner: bytes, content: bytes, name: str = "c.wasm") -> TxOutput:
    return TxOutput(owner, resource=ResourceOutput(content_hash(content), ResourceCategory.CONTRACT,
                                                   "application/wasm", len(content), name))


def state_output(owner: bytes, state_id: bytes, version: int) -> TxOutput:
    return TxOutput(owner, state=StateOutput(state_id, version, bytes([version % 256]) * 32))


@pytest.fixture
def repo(tmp_path):
    repository = SqliteRepository(tmp_path / "chain.db", synchronous="normal")
    yield repository
    repository.close()


@pytest.fixture
def chain(repo):
    genesis = repo.writer().create_genesis("devnet", 1_000, [coin(ALICE, 100), coin(BOB, 50)])
    return repo, genesis


def test_protocols_are_implemented(repo):
    assert isinstance(repo.view(), ChainView)
    assert isinstance(repo.writer(), RepositoryWriter)


def test_genesis_sets_the_head_and_allocations(chain):
    repo, genesis = chain
    view = repo.view()
    head = view.head()
    assert (head.height, head.timestamp, head.chain_id) == (0, 1_000, "devnet")
    tx_id = transaction_id_of(SealedDraft((), (coin(ALICE, 100), coin(BOB, 50)), ()), 0)
    assert genesis.created == (OutPoint(tx_id, 0), OutPoint(tx_id, 1))
    assert head.block_hash == block_hash_of(bytes(32), 0, 1_000, "devnet", tx_id)
    assert view.block_hash(0) == head.block_hash and view.block_hash(1) is None
    assert view.utxo(genesis.created[1]) == coin(BOB, 50)
    assert view.utxos_of(ALICE) == [(genesis.created[0], coin(ALICE, 100))]
    assert view.revision() == 1
    assert repo.verify() == []


def test_a_second_genesis_is_refused(chain):
    repo, _ = chain
    with pytest.raises(RepositoryError) as err:
        repo.writer().create_genesis("other", 5, [])
    assert err.value.code == "genesis-exists"
    assert repo.view().head().chain_id == "devnet"


@pytest.mark.parametrize("chain_id, timestamp, allocations, field", [
    ("", 0, [], "chain_id"),
    (7, 0, [], "chain_id"),
    ("devnet", -1, [], "timestamp"),
    ("devnet", 2**64, [], "timestamp"),
    ("devnet", True, [], "timestamp"),
    ("devnet", 0, ["not an output"], "SealedDraft.outputs"),
])
def test_bad_genesis_arguments_write_nothing(repo, chain_id, timestamp, allocations, field):
    with pytest.raises(ValidationError) as err:
        repo.writer().create_genesis(chain_id, timestamp, allocations)
    assert err.value.field == field
    assert repo.view().revision() == 0
    with pytest.raises(NotFound) as missing:
        repo.view().head()
    assert missing.value.code == "no-genesis"


def test_apply_before_genesis_is_a_typed_error(repo):
    with pytest.raises(NotFound) as err:
        repo.writer().apply(SealedDraft((), (coin(ALICE, 1),), ()))
    assert err.value.code == "no-genesis"
    assert repo.view().revision() == 0


def test_deploy_stores_content_once_and_records_a_resource_output(chain):
    repo, _ = chain
    writer, before = repo.writer(), repo.view()
    code = b"\0asm\x01\0\0\0"
    key = writer.store_resource(code)
    assert key == content_hash(code)
    assert repo.view().revision() == 2 and before.revision() == 1  # views are snapshots
    assert writer.store_resource(bytearray(code)) == key  # deduplicated: no new write
    view = repo.view()
    assert view.revision() == 2
    assert view.query("SELECT count(*) FROM resources") == [(1,)]
    assert view.resource_content(key) is None  # available from the next block on (schema v5)
    assert not view.resource_exists(key)  # stored bytes alone are not a deployed resource
    applied = writer.apply(SealedDraft((), (resource_output(ALICE, code),), ()))
    assert not view.resource_exists(key)  # the old snapshot, cached lookups included
    view = repo.view()
    assert view.resource_exists(key) and view.resource_content(key) == code
    assert view.resource(key) == resource_output(ALICE, code).resource
    assert view.utxo(applied.created[0]).resource.content_hash == key
    assert view.resource_content(b"\0" * 32) is None and view.resource(b"\0" * 32) is None
    assert repo.verify() == []


def test_store_resource_rejects_bad_content(tmp_path):
    repo = SqliteRepository(tmp_path / "small.db", max_resource_bytes=8)
    with pytest.raises(ValidationError):
        repo.writer().store_resource("text")
    with pytest.raises(LimitExceeded) as err:
        repo.writer().store_resource(b"123456789")
    assert err.value.code == "resource-too-large"
    assert repo.view().revision() == 0
    repo.close()


def test_apply_spends_inputs_and_creates_outputs(chain):
    repo, genesis = chain
    genesis_hash = repo.view().block_hash(0)
    draft = SealedDraft(
        (TxInput(genesis.created[0]), TxInput(genesis.created[1], reference_only=True)),
        (coin(BOB, 60), coin(ALICE, 40), state_output(ALICE, b"\x05" * 32, 1)),
        (Event(ALICE, "transfer", b"60"),))
    applied = repo.writer().apply(draft)
    view = repo.view()
    block = applied.block
    assert block.height == 1 and block.timestamp == 1_001 and block.output_count == 3
    assert block.transaction_id == transaction_id_of(draft, 1)
    assert block.parent_hash == genesis_hash == view.block_hash(0)
    assert block.block_hash == block_hash_of(block.parent_hash, 1, 1_001, "devnet",
                                             block.transaction_id)
    assert view.head().block_hash == block.block_hash
    assert view.blocks(10) == [block, view.blocks(10)[1]] and view.blocks(1) == [block]
    assert view.blocks(0) == []
    assert view.block(1) == block
    assert not view.utxo_exists(genesis.created[0]) and view.was_spent(genesis.created[0])
    assert view.utxo_exists(genesis.created[1])  # reference-only inputs are not spent
    assert [op for op, _ in view.utxos_of(BOB)] == [genesis.created[1], applied.created[0]]
    history = view.state_outputs(b"\x05" * 32)
    assert history == [(1, applied.created[2], draft.outputs[2].state)]
    assert view.revision() == 2
    assert repo.verify() == []


def test_explicit_timestamps_may_not_go_backwards(chain):
    repo, _ = chain
    writer = repo.writer()
    assert writer.apply(SealedDraft(), timestamp=1_000).block.timestamp == 1_000
    with pytest.raises(RepositoryError) as err:
        writer.apply(SealedDraft(), timestamp=999)
    assert err.value.code == "timestamp-order"
    with pytest.raises(ValidationError):
        writer.apply(SealedDraft(), timestamp=-5)
    assert repo.view().head().height == 1


def test_timestamps_use_the_full_u64_range(chain):
    repo, _ = chain
    top = 2**64 - 1
    assert repo.writer().apply(SealedDraft(), timestamp=top).block.timestamp == top
    assert repo.view().head().timestamp == top
    with pytest.raises(ValidationError) as err:
        repo.writer().apply(SealedDraft())
    assert err.value.code == "timestamp-overflow"
    assert repo.view().head().height == 1


def _nothing_applied(repo, revision, height):
    view = repo.view()
    assert view.revision() == revision
    assert view.head().height == height
    assert repo.verify() == []


def test_missing_input_applies_nothing(chain):
    repo, genesis = chain
    ghost = OutPoint(b"\x77" * 32, 0)
    draft = SealedDraft((TxInput(genesis.created[0]), TxInput(ghost)), (coin(ALICE, 100),), ())
    with pytest.raises(InputMissing) as err:
        repo.writer().apply(draft)
    assert err.value.code == "input-missing" and err.value.details["input_index"] == 1
    _nothing_applied(repo, 1, 0)
    assert repo.view().utxo_exists(genesis.created[0])  # the valid input was not spent


def test_spent_input_applies_nothing(chain):
    repo, genesis = chain
    writer = repo.writer()
    writer.apply(SealedDraft((TxInput(genesis.created[0]),), (coin(BOB, 100),), ()))
    again = SealedDraft((TxInput(genesis.created[1]), TxInput(genesis.created[0])),
                        (coin(ALICE, 150),), ())
    with pytest.raises(InputSpent) as err:
        writer.apply(again)
    assert err.value.code == "input-spent" and err.value.details["input_index"] == 1
    _nothing_applied(repo, 2, 1)
    assert repo.view().utxo_exists(genesis.created[1])


def test_reference_to_a_spent_output_applies_nothing(chain):
    repo, genesis = chain
    writer = repo.writer()
    writer.apply(SealedDraft((TxInput(genesis.created[1]),), (coin(ALICE, 50),), ()))
    draft = SealedDraft((TxInput(genesis.created[0]),
                         TxInput(genesis.created[1], reference_only=True)), (coin(BOB, 100),), ())
    with pytest.raises(InputSpent) as err:
        writer.apply(draft)
    assert "reference 1" in err.value.message
    _nothing_applied(repo, 2, 1)


def test_duplicate_inputs_and_wrong_types_are_rejected(chain):
    repo, genesis = chain
    twice = SealedDraft((TxInput(genesis.created[0]),
                         TxInput(genesis.created[0], reference_only=True)), (), ())
    with pytest.raises(ValidationError) as err:
        repo.writer().apply(twice)
    assert err.value.code == "duplicate-input"
    with pytest.raises(ValidationError):
        repo.writer().apply({"inputs": []})
    with pytest.raises(ValidationError):
        repo.view().utxo((b"\0" * 32, 0))
    with pytest.raises(ValidationError):
        repo.view().blocks(-1)
    _nothing_applied(repo, 1, 0)


def test_same_ids_as_the_memory_reference(chain):
    repo, _ = chain
    memory = MemoryRepository()
    memory.create_genesis("devnet", 1_000, [coin(ALICE, 100), coin(BOB, 50)])
    for repository in (repo, memory):
        op = repository.view().utxos_of(ALICE)[0][0]
        repository.writer().apply(SealedDraft((TxInput(op),), (coin(BOB, 100),), ()))
        repository.writer().apply(SealedDraft((), (), ()), timestamp=5_000)
    assert repo.view().blocks(5) == memory.view().blocks(5)
    assert repo.view().utxos_of(BOB) == memory.view().utxos_of(BOB)


def test_data_survives_reopening(tmp_path):
    path = tmp_path / "persist.db"
    with SqliteRepository(path) as repo:
        genesis = repo.writer().create_genesis("devnet", 1, [coin(ALICE, 9)])
        key = repo.writer().store_resource(b"model bytes")
        repo.writer().apply(SealedDraft())  # the blob is available from this block on
        head = repo.view().head()
    with SqliteRepository(path) as again:
        view = again.view()
        assert view.head() == head
        assert view.utxo(genesis.created[0]) == coin(ALICE, 9)
        assert view.resource_content(key) == b"model bytes"
        assert view.revision() == 3
        assert again.migrated_from == SCHEMA_VERSION


def test_closed_repository_gives_typed_errors(tmp_path):
    repo = SqliteRepository(tmp_path / "c.db")
    view, writer = repo.view(), repo.writer()
    repo.close()
    repo.close()  # idempotent
    for call in (repo.view, repo.writer, view.revision, lambda: writer.store_resource(b"x")):
        with pytest.raises(RepositoryError) as err:
            call()
        assert err.value.code == "closed"


@pytest.mark.parametrize("settings", [
    {"path": ":memory:"}, {"path": ""}, {"path": 5},
    {"path": "x.db", "synchronous": "off"},
    {"path": "x.db", "busy_timeout_ms": -1},
    {"path": "x.db", "max_resource_bytes": 0},
])
def test_bad_settings_are_config_errors(tmp_path, monkeypatch, settings):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as err:
        SqliteRepository(**settings)
    assert err.value.code == "config-invalid" and "[plugin.sqlite]" in err.value.message


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError) as err:
        SqliteRepository(path)
    assert err.value.code == "foreign-database"


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database file" * 100)
    with pytest.raises(SchemaError) as err:
        SqliteRepository(path)
    assert err.value.code == "not-a-database"
    assert path.read_bytes() == b"this is not a database file" * 100


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "future.db"
    SqliteRepository(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaError) as err:
        SqliteRepository(path)
    assert err.value.code == "schema-too-new"


def test_migration_from_v1_backfills_state_outputs(tmp_path):
    """Build a v1 file by hand (as the first release wrote it), then open it with v2 code."""
    path = tmp_path / "v1.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert ensure_schema(conn, str(path), migrations=MIGRATIONS[:1]) == 0
    draft = SealedDraft((), (coin(ALICE, 1), state_output(ALICE, b"\x09" * 32, 3)), ())
    tx_id = transaction_id_of(draft, 0)
    block_hash = block_hash_of(bytes(32), 0, 7, "old", tx_id)
    conn.execute("UPDATE chain_state SET chain_id = 'old', revision = 1")
    conn.execute("INSERT INTO blocks VALUES (0, ?, ?, ?, ?, 2, ?)",
                 (u64(7), block_hash, bytes(32), tx_id, encode(draft)))
    for index, output in enumerate(draft.outputs):
        conn.execute("INSERT INTO outputs (tx_id, idx, height, owner, body) VALUES (?, ?, 0, ?, ?)",
                     (tx_id, index, output.owner, encode(output)))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    conn.close()

    with SqliteRepository(path) as repo:
        assert repo.migrated_from == 1
        assert repo.view().state_outputs(b"\x09" * 32) == [
            (0, OutPoint(tx_id, 1), draft.outputs[1].state)]
        assert repo.verify() == []


def test_migration_to_v5_keeps_older_blobs_visible_at_every_height(tmp_path):
    """A v4 file's blobs have no availability height: v5 makes them available from block 0 (as
    v4 behaved), while blobs stored after the migration are available from the next block."""
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert ensure_schema(conn, str(path), migrations=MIGRATIONS[:4]) == 0
    conn.execute("INSERT INTO resources (content_hash, size, content) VALUES (?, 3, ?)",
                 (content_hash(b"old"), b"old"))
    conn.close()
    with SqliteRepository(path) as repo:
        assert repo.migrated_from == 4
        repo.writer().create_genesis("v4", 1, [])
        new = repo.writer().store_resource(b"new")
        repo.writer().apply(SealedDraft())
        assert repo.view_at(0).resource_content(content_hash(b"old")) == b"old"
        assert repo.view_at(0).resource_content(new) is None
        assert repo.view_at(1).resource_content(new) == b"new"


def test_verify_detects_tampering(chain):
    repo, genesis = chain
    repo.writer().apply(SealedDraft((TxInput(genesis.created[0]),), (coin(BOB, 100),), ()))
    assert repo.verify() == []
    raw = sqlite3.connect(repo.path)
    raw.execute("UPDATE outputs SET spent_height = NULL WHERE spent_height IS NOT NULL")
    raw.commit()
    raw.close()
    problems = repo.verify()
    assert any("spent markers" in problem for problem in problems)


def test_readers_are_not_blocked_by_an_open_write_transaction(chain):
    repo, genesis = chain
    blocker = sqlite3.connect(repo.path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    blocker.execute("UPDATE chain_state SET revision = 999")
    try:
        view = repo.view()
        assert view.revision() == 1  # the committed state, immediately
        assert view.utxo_exists(genesis.created[0])
        impatient = SqliteRepository(repo.path, busy_timeout_ms=50)
        with pytest.raises(RepositoryError) as err:
            impatient.writer().apply(SealedDraft((), (coin(ALICE, 1),), ()))
        assert err.value.code == "database-busy"
        impatient.close()
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert repo.view().revision() == 1


def test_concurrent_readers_keep_working_during_applies(chain):
    repo, genesis = chain
    errors: list[BaseException] = []
    seen: list[list[int]] = [[], []]
    stop = threading.Event()

    def read(heights: list[int]) -> None:
        view = repo.view()
        try:
            while not stop.is_set():
                head = view.head()
                # A head is always a complete block: its hash is the one stored for its height.
                assert view.block_hash(head.height) == head.block_hash
                assert len(view.utxos_of(ALICE)) == 1
                heights.append(head.height)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            view.close()

    readers = [threading.Thread(target=read, args=(heights,)) for heights in seen]
    for thread in readers:
        thread.start()
    op = genesis.created[0]
    for _ in range(60):
        applied = repo.writer().apply(SealedDraft((TxInput(op),), (coin(ALICE, 100),), ()))
        op = applied.created[0]
    stop.set()
    for thread in readers:
        thread.join()
    assert errors == []
    for heights in seen:
        assert heights and heights == sorted(heights) and heights[-1] <= 60
    assert repo.verify() == []


def test_view_at_a_height_that_does_not_exist_is_not_found(chain):
    repo, _ = chain
    for height in (-1, 1, 2**63, 2**64 + 5, "0", True):
        with pytest.raises(NotFound) as info:
            repo.view_at(height)
        assert info.value.code == "no-such-height"
    assert repo.view_at(0).head().height == 0


def test_cached_answers_follow_the_snapshot_they_were_read_in(chain, tmp_path):
    """Lookups are cached per revision: a view keeps its snapshot's answers, a view opened
    after a write in another repository object (another process, for the cache) sees the write."""
    repo, genesis = chain
    op = genesis.created[0]
    before = repo.view()
    assert before.utxo(op) == coin(ALICE, 100) and before.utxo_exists(op)
    assert before.applied_transaction(b"\x07" * 32) is None and before.block_hash(1) is None
    other = SqliteRepository(repo.path)  # its own writer, its own cache: like another process
    applied = other.writer().apply(SealedDraft((TxInput(op),), (coin(BOB, 100),), ()),
                                   record=(b"\x07" * 32, b"result"))
    other.close()
    after = repo.view()
    assert after.revision() == before.revision() + 1
    assert after.utxo(op) is None and not after.utxo_exists(op)
    assert after.utxo(applied.created[0]) == coin(BOB, 100)
    assert after.applied_transaction(b"\x07" * 32) == (1, b"result")
    assert after.block_hash(1) == applied.block.block_hash
    # the older snapshot, asked after the newer one filled the cache, still answers as before
    assert before.utxo(op) == coin(ALICE, 100) and before.utxo_exists(op)
    assert before.utxo(applied.created[0]) is None
    assert before.applied_transaction(b"\x07" * 32) is None and before.block_hash(1) is None
    before.close()
    after.close()


class _SubclassedOutput(TxOutput):
    """Not a model class itself: it has no canonical encoding, so it can never be written (and
    so never be carried into the views' cache in place of a decoded output)."""


def test_an_apply_carries_the_read_cache_forward(chain):
    """An apply on top of the cached revision moves the cache to the new revision with exactly
    the block's changes: spent outputs gone, created ones present (the draft's own objects when
    they are plain), the recorded transaction applied, touched resource answers read again."""
    repo, genesis = chain
    content = b"\0asm\1\0\0\0"
    key = repo.writer().store_resource(content)
    op, bob_op = genesis.created
    before = repo.view()  # fills the cache at the current revision
    assert before.utxo(op) == coin(ALICE, 100) and before.resource(key) is None
    assert before.applied_transaction(b"\x01" * 32) is None
    odd = _SubclassedOutput(ALICE, asset=AssetOutput(NativeCoin(), 40))
    with pytest.raises(ValidationError):
        repo.writer().apply(SealedDraft((TxInput(op),), (odd,), ()))
    plain = coin(BOB, 60)
    draft = SealedDraft((TxInput(op), TxInput(bob_op, reference_only=True)),
                        (plain, coin(ALICE, 40), resource_output(ALICE, content)), ())
    applied = repo.writer().apply(draft, record=(b"\x01" * 32, b"r"))
    after = repo.view()
    assert after.revision() == before.revision() + 1
    assert after.utxo(op) is None and not after.utxo_exists(op) and after.utxo_exists(bob_op)
    assert after.utxo(applied.created[0]) is plain              # carried: no read, no decode
    assert after.utxo(applied.created[1]) == coin(ALICE, 40)
    assert after.resource(key) == draft.outputs[2].resource      # dropped, then read again
    assert after.applied_transaction(b"\x01" * 32) == (1, b"r")
    assert before.utxo(op) == coin(ALICE, 100) and before.resource(key) is None  # its snapshot
    # spending the resource output: its answer is read again, not carried
    repo.writer().apply(SealedDraft((TxInput(applied.created[2]),), (coin(ALICE, 1),), ()))
    latest = repo.view()
    assert latest.resource(key) is None and latest.utxo(applied.created[0]) is plain
    for view in (before, after, latest):
        view.close()
    assert repo.verify() == []
