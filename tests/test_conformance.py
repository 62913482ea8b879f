"""The shipped conformance suite: passes for the reference and the SQLite repository, and fails
(with a useful message) for a repository that breaks the rules."""

from __future__ import annotations

import itertools

from ispc_framework.conformance import repository
from ispc_framework._repository import MemoryRepository


def test_memory_repository_conforms():
    report = repository.run(MemoryRepository)
    assert report.ok, report.render()


def test_sqlite_repository_conforms(tmp_path):
    from ispc_sqlite.repository import SqliteRepository

    counter = itertools.count()
    report = repository.run(lambda: SqliteRepository(tmp_path / f"db{next(counter)}.sqlite"))
    assert report.ok, report.render()


class CarelessRepository(MemoryRepository):
    """Applies blocks without checking inputs: must fail conformance."""

    def apply(self, draft, *, timestamp=None):
        with self._lock:
            head = self._head()
            for tx_input in draft.inputs:
                self._utxos.pop(tx_input.outpoint, None)
            return self._append_block(draft, head.height + 1,
                                      timestamp or head.timestamp + 1, head.block_hash)


def test_a_careless_repository_fails_with_a_named_check():
    report = repository.run(CarelessRepository)
    assert not report.ok
    failed = {check.name for check in report.checks if not check.passed}
    assert "failed applies write nothing; double spends fail" in failed
    assert "FAIL" in report.render()


class RacyRepository(MemoryRepository):
    """Checks the head and the replay record outside its write (the bug of issue #12)."""

    def apply(self, draft, *, timestamp=None, expected_head=None, check=None, record=None):
        return super().apply(draft, timestamp=timestamp, check=check)


def test_a_repository_without_compare_and_swap_fails_conformance():
    report = repository.run(RacyRepository)
    failed = {check.name for check in report.checks if not check.passed}
    assert failed == {"apply is a compare-and-swap with replay records; past views"}


def test_conformance_command_on_the_installed_sqlite_plugin():
    from click.testing import CliRunner

    from ispc_framework._cli import cli

    result = CliRunner().invoke(cli, ["conformance", "repository", "sqlite"])
    assert result.exit_code == 0, result.output
    assert "8 passed, 0 failed" in result.output
    result = CliRunner().invoke(cli, ["conformance", "repository", "nope"])
    assert result.exit_code == 2 and "[plugin-not-found]" in result.output


def test_conformance_command_on_the_installed_wasmtime_engine():
    from click.testing import CliRunner

    from ispc_framework._cli import cli

    result = CliRunner().invoke(cli, ["conformance", "wasm-engine", "wasmtime"])
    assert result.exit_code == 0, result.output
    assert "wasm-engine conformance: 20 passed, 0 failed" in result.output
