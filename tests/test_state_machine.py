"""Hypothesis state machine: random set / delete / get / exists across runs and blocks, on the
MemoryRepository and on ispc-sqlite, against a dict model kept for every height. After every step
the storage at every past height, its version and root (checked against an independent
computation) and inclusion/absence proofs agree with the model."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ispc_framework._model import SealedDraft
from ispc_framework._repository import MemoryRepository
from ispc_framework._state import EMPTY_ROOT, prove, state_root, verify_proof
from state_driver import StorageRun
from test_state import naive_root

CONTRACTS = (b"\xc0" * 32, b"\xc1" * 32)
KEYS = st.sampled_from([b"a", b"b", b"counter", b"\x00", b"k" * 128])
VALUES = st.binary(max_size=24)


class StorageMatchesModel(RuleBasedStateMachine):
    make_repository = staticmethod(MemoryRepository)

    def __init__(self) -> None:
        super().__init__()
        self.repo = self.make_repository()
        self.repo.writer().create_genesis("state-sm", 1, [])
        # per contract: the committed storage and version at every height (index = height)
        self.history = {c: [({}, 0)] for c in CONTRACTS}
        self.run: StorageRun | None = None
        self.pending: dict[bytes, bytes | None] = {}
        self.nonce = 0

    def _committed(self, contract: bytes) -> dict[bytes, bytes]:
        return self.history[contract][-1][0]

    def _expected(self, key: bytes) -> bytes | None:
        if key in self.pending:
            return self.pending[key]
        return self._committed(self.run.contract).get(key)

    @precondition(lambda self: self.run is None)
    @rule(contract=st.sampled_from(CONTRACTS))
    def start_run(self, contract):
        self.nonce += 1
        self.run = StorageRun(self.repo, contract, nonce=self.nonce)
        self.pending = {}

    @precondition(lambda self: self.run is not None)
    @rule(key=KEYS, value=VALUES)
    def set(self, key, value):
        assert self.run.set(key, value) == 0
        self.pending[key] = value

    @precondition(lambda self: self.run is not None)
    @rule(key=KEYS)
    def delete(self, key):
        assert self.run.delete(key) == 0
        self.pending[key] = None

    @precondition(lambda self: self.run is not None)
    @rule(key=KEYS)
    def get(self, key):
        assert self.run.get(key) == self._expected(key)
        assert self.run.exists(key) == (self._expected(key) is not None)

    @precondition(lambda self: self.run is not None)
    @rule()
    def apply_run(self):
        contract = self.run.contract
        draft = self.run.seal()
        self.run.view.close()
        self.run = None
        self.repo.writer().apply(draft)
        for other in CONTRACTS:
            items, version = self.history[other][-1]
            if other == contract and self.pending:
                items = {k: v for k, v in {**items, **self.pending}.items() if v is not None}
                version += 1
            self.history[other].append((dict(items), version))

    @precondition(lambda self: self.run is not None)
    @rule()
    def abandon_run(self):
        self.run.close()
        self.run.view.close()
        self.run = None

    @rule()
    def unrelated_block(self):
        self.repo.writer().apply(SealedDraft())
        for contract in CONTRACTS:
            self.history[contract].append(self.history[contract][-1])

    @invariant()
    def every_height_matches_the_model(self):
        view = self.repo.view()
        for contract in CONTRACTS:
            for height, (items, version) in enumerate(self.history[contract]):
                assert view.state_items(contract, height) == items, (contract, height)
                root = state_root(items)
                assert view.state_version(contract, height) == (
                    version, root if version else EMPTY_ROOT)
                assert root == naive_root(items)
            items = self.history[contract][-1][0]
            for key in (b"a", b"counter"):
                assert view.state_get(contract, key, len(self.history[contract])) == items.get(key)
                assert verify_proof(prove(items, key), root)
        view.close()

    def teardown(self):
        if self.run is not None:
            self.run.close()


StorageMatchesModel.TestCase.settings = settings(
    max_examples=40, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestMemoryStorage = StorageMatchesModel.TestCase


class SqliteStorageMatchesModel(StorageMatchesModel):
    def __init__(self) -> None:
        pytest.importorskip("ispc_sqlite")
        from ispc_sqlite import SqliteRepository

        self.dir = Path(tempfile.mkdtemp(prefix="ispc-state-sm-"))
        self.make_repository = lambda: SqliteRepository(self.dir / "chain.db",
                                                        synchronous="normal")
        super().__init__()

    def teardown(self):
        super().teardown()
        self.repo.close()
        shutil.rmtree(self.dir, ignore_errors=True)


SqliteStorageMatchesModel.TestCase.settings = settings(
    max_examples=25, stateful_step_count=20, deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestSqliteStorage = SqliteStorageMatchesModel.TestCase
