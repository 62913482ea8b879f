"""Hypothesis drives random genesis / store / deploy / apply / reopen sequences against both the
SQLite repository and the core's MemoryRepository (the simple in-memory model) and checks, after
every step, that every result, every error (class and code) and every lookup agree."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from ispc_framework.plugins import ISPCError
from ispc_framework.plugins import (
    AssetOutput,
    Event,
    FungibleToken,
    NativeCoin,
    OutPoint,
    ResourceCategory,
    ResourceOutput,
    SealedDraft,
    StateOutput,
    TxInput,
    TxOutput,
)
from ispc_framework.plugins import MemoryRepository, content_hash
from ispc_sqlite import SqliteRepository

OWNERS = [bytes([n]) * 32 for n in (1, 2, 3)]
GHOST = OutPoint(b"\xee" * 32, 0)  # never created by anyone
CONTENTS = st.binary(max_size=48)

coin_outputs = st.builds(lambda owner, amount: TxOutput(owner, asset=AssetOutput(NativeCoin(),
                                                                               amount)),
                         st.sampled_from(OWNERS), st.integers(0, 2**64 - 1))
token_outputs = st.builds(lambda owner, amount: TxOutput(owner, asset=AssetOutput(
    FungibleToken(OWNERS[0], b"gold"), amount)), st.sampled_from(OWNERS), st.integers(0, 1000))
state_outputs = st.builds(lambda owner, sid, version: TxOutput(owner, state=StateOutput(
    bytes([sid]) * 32, version, bytes([version % 256]) * 32)),
    st.sampled_from(OWNERS), st.integers(0, 3), st.integers(0, 2**64 - 1))


def _outcome(call):
    """A comparable result: the value, or the error's class and code."""
    try:
        return ("ok", call())
    except ISPCError as exc:
        return ("error", type(exc).__name__, exc.code)


class SqliteMatchesMemory(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ispc-sqlite-sm-"))
        self.sqlite = SqliteRepository(self.dir / "chain.db", synchronous="normal")
        self.memory = MemoryRepository()
        self.outpoints: list[OutPoint] = [GHOST]
        self.hashes: list[bytes] = [b"\x00" * 32]

    def teardown(self) -> None:
        self.sqlite.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def both(self, act):
        """Run ``act(repository)`` on both; they must agree. Returns the memory outcome."""
        expected = _outcome(lambda: act(self.memory))
        actual = _outcome(lambda: act(self.sqlite))
        assert actual == expected
        return expected

    def _record(self, outcome) -> None:
        if outcome[0] == "ok" and hasattr(outcome[1], "created"):
            self.outpoints.extend(outcome[1].created)

    @initialize(chain_id=st.sampled_from(["devnet", "test-1"]), timestamp=st.integers(0, 2**40),
                allocations=st.lists(coin_outputs | token_outputs, max_size=4),
                skip_genesis=st.sampled_from([False, False, False, True]))
    def start(self, chain_id, timestamp, allocations, skip_genesis) -> None:
        """Most runs start from a genesis block; some stay without one to cover no-genesis."""
        self.views = (self.memory.view(), self.sqlite.view())
        if not skip_genesis:
            self.genesis(chain_id, timestamp, allocations)

    @rule(chain_id=st.sampled_from(["devnet", "test-1"]), timestamp=st.integers(0, 2**40),
          allocations=st.lists(coin_outputs | token_outputs, max_size=4))
    def genesis(self, chain_id, timestamp, allocations) -> None:
        self._record(self.both(lambda r: r.writer().create_genesis(chain_id, timestamp,
                                                                   allocations)))

    @rule(content=CONTENTS)
    def store(self, content) -> None:
        outcome = self.both(lambda r: r.writer().store_resource(content))
        self.hashes.append(outcome[1])

    @rule(content=CONTENTS, owner=st.sampled_from(OWNERS), name=st.sampled_from(["a", "b"]),
          store_first=st.booleans())
    def deploy(self, content, owner, name, store_first) -> None:
        """What `ispc deploy` does: store the bytes, then apply a draft with a resource output
        (store_first=False deploys an output whose bytes were never stored)."""
        if store_first:
            self.store(content)
        key = content_hash(content)
        self.hashes.append(key)
        output = TxOutput(owner, resource=ResourceOutput(key, ResourceCategory.CONTRACT,
                                                         "application/wasm", len(content), name))
        self._record(self.both(lambda r: r.writer().apply(SealedDraft((), (output,), ()))))

    @rule(data=st.data())
    def apply(self, data) -> None:
        chosen = data.draw(st.lists(st.sampled_from(self.outpoints), unique=True, max_size=4))
        inputs = tuple(TxInput(op, reference_only=data.draw(st.booleans())) for op in chosen)
        spendable = [o for o in self.outpoints if self.memory.view().utxo_exists(o)]
        if spendable and data.draw(st.booleans()):  # bias towards drafts that can succeed
            picks = data.draw(st.lists(st.sampled_from(spendable), unique=True, min_size=1,
                                       max_size=3))
            inputs = tuple(TxInput(op, reference_only=data.draw(st.booleans())) for op in picks)
        resource_outputs = st.builds(
            lambda owner, key: TxOutput(owner, resource=ResourceOutput(
                key, ResourceCategory.AI_MODEL, "application/onnx", 1, "m")),
            st.sampled_from(OWNERS), st.sampled_from(self.hashes))
        outputs = data.draw(st.lists(coin_outputs | token_outputs | state_outputs
                                     | resource_outputs, max_size=4))
        events = data.draw(st.lists(st.builds(Event, st.sampled_from(OWNERS),
                                              st.sampled_from(["t", "mint"]),
                                              st.binary(max_size=8)), max_size=2))
        try:
            head_ts = self.memory.view().head().timestamp
        except ISPCError:
            head_ts = 0
        timestamp = data.draw(st.sampled_from([None, None, head_ts, head_ts + 7,
                                               max(0, head_ts - 1)]))
        draft = SealedDraft(inputs, tuple(outputs), tuple(events))
        self._record(self.both(lambda r: r.writer().apply(draft, timestamp=timestamp)))

    @rule()
    def reopen(self) -> None:
        """Persistence: everything must be the same after closing and reopening the file."""
        self.sqlite.close()
        self.sqlite = SqliteRepository(self.dir / "chain.db", synchronous="normal")
        self.views = (self.memory.view(), self.sqlite.view())  # both snapshots taken now

    @invariant()
    def lookups_agree(self) -> None:
        """Fresh views agree, and so do the views opened earlier: each still shows its snapshot."""
        memory, sqlite = self.memory.view(), self.sqlite.view()
        try:
            self._agree(memory, sqlite, fresh=True)
        finally:
            sqlite.close()
        self._agree(*self.views, fresh=False)

    def _agree(self, memory, sqlite, fresh: bool) -> None:
        def same(call):
            assert _outcome(lambda: call(sqlite)) == _outcome(lambda: call(memory))

        same(lambda v: v.head())
        same(lambda v: v.revision())
        same(lambda v: v.blocks(3))
        height = len(memory.blocks(10**6))
        for h in (0, height - 1, height, 10**9):
            same(lambda v, h=h: v.block_hash(h))
        for owner in OWNERS:
            same(lambda v, owner=owner: v.utxos_of(owner))
        for op in self.outpoints:
            same(lambda v, op=op: (v.utxo(op), v.utxo_exists(op), v.was_spent(op)))
        for key in self.hashes:
            same(lambda v, key=key: (v.resource(key), v.resource_exists(key)))
            if fresh:  # bytes are content-addressed: an older view may see bytes stored later
                same(lambda v, key=key: v.resource_content(key))

    @invariant()
    def file_is_consistent(self) -> None:
        assert self.sqlite.verify() == []


SqliteMatchesMemory.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_sqlite_matches_memory = SqliteMatchesMemory.TestCase
