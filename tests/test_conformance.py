"""The shipped conformance suite: passes for the reference and the SQLite repository, and fails
(with a useful message) for a repository that breaks the rules."""

from __future__ import annotations

import itertools

import pytest

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
        with self._state.lock:
            head = self._head()
            for tx_input in draft.inputs:
                self._state.utxos.pop(tx_input.outpoint, None)
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
    # it also drops the replay record, so `ispc tx SIGNED_ID` cannot find the block
    assert failed == {"apply is a compare-and-swap with replay records; past views",
                      "block records, transactions, events and resource outputs as "
                      "MemoryRepository"}


class StaleViewRepository(MemoryRepository):
    """Hands out its first view again and again (a view cache without a freshness check)."""

    def view(self):
        if getattr(self, "_kept", None) is None:
            self._kept = super().view()
        return self._kept


def test_a_repository_reusing_stale_views_fails_conformance():
    report = repository.run(StaleViewRepository)
    failed = {check.name for check in report.checks if not check.passed}
    assert "every new view shows the commits before it; an open view keeps its snapshot" \
        in failed


def test_conformance_command_on_the_installed_sqlite_plugin():
    from click.testing import CliRunner

    from ispc_framework._cli import cli

    result = CliRunner().invoke(cli, ["conformance", "repository", "sqlite"])   # old spelling
    assert result.exit_code == 0, result.output
    assert "repository conformance of sqlite: 13 passed, 0 failed" in result.output
    result = CliRunner().invoke(cli, ["conformance", "repository", "nope"])
    assert result.exit_code == 2 and "[plugin-not-found]" in result.output


def test_conformance_command_on_the_installed_wasmtime_engine():
    from click.testing import CliRunner

    from ispc_framework._cli import cli

    result = CliRunner().invoke(cli, ["conformance", "wasmtime"])
    assert result.exit_code == 0, result.output
    assert "wasm-engine conformance of wasmtime: 26 passed, 0 failed" in result.output
    assert "level safe-for-untrusted-code: met" in result.output


@pytest.mark.slow   # building onnx's node-test classes alone takes seconds
def test_onnx_backend_tests_through_the_cli(tmp_path):
    """onnx's backend node tests are checks of `ispc conformance NAME --backend-tests`, in the
    same report format, with the engine's known gaps as strict xfails."""
    pytest.importorskip("onnx")
    import json
    import xml.etree.ElementTree as ET

    from click.testing import CliRunner

    from ispc_framework._cli import cli

    args = ["conformance", "onnx-reference", "--backend-tests", "-k",
            "test_abs_cpu or test_relu_cpu or test_string_concat_cpu or example_models",
            "--json", str(tmp_path / "r.json"), "--junitxml", str(tmp_path / "r.xml")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    outcomes = {c["id"]: (c["outcome"], c["reason"]) for c in report["checks"]}
    assert outcomes["backend_node[test_abs_cpu]"][0] == "passed"
    assert outcomes["backend_node[test_relu_cpu]"][0] == "passed"
    assert outcomes["backend_node[test_string_concat_cpu]"] == (
        "xfailed", outcomes["backend_node[test_string_concat_cpu]"][1])
    assert outcomes["backend_node[test_string_concat_cpu]"][1].startswith("unsupported: io-dtype")
    assert outcomes["example_models_match_reference"][0] == "passed"
    counts = report["counts"]
    assert f"{counts['passed']} passed, {counts['failed']} failed" in result.output
    suite = ET.parse(tmp_path / "r.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == len(report["checks"]) == sum(counts.values())
    wrong = CliRunner().invoke(cli, ["conformance", "wasmtime", "--backend-tests"])
    assert wrong.exit_code != 0 and "ONNX engines only" in wrong.output
