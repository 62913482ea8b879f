"""`python -m benchmarks`: the runner, its JSON shape and the harness (times are never asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._harness import SCHEMA, alternate, figure  # noqa: E402

FIGURE_KEYS = {"name", "unit", "value", "repeats", "better", "baseline", "ratio", "target", "met"}


def run_benchmarks(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "benchmarks", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=600, check=check)


def test_quick_run_writes_the_documented_json_and_a_table(tmp_path):
    out = tmp_path / "bench.json"
    done = run_benchmarks("--quick", "--only", "plugins_discovery", "--output", str(out))
    report = json.loads(out.read_text())
    assert report["schema"] == SCHEMA and report["quick"] is True
    assert {"platform", "python", "cpu", "cores", "loadavg", "versions"} <= set(report["machine"])
    record = report["modules"]["plugins_discovery"]
    assert record["status"] == "ok", record
    assert record["seconds"] > 0
    names = [f["name"] for f in record["figures"]]
    assert names[0] == "import ispc_framework" and names[1].startswith("ispc plugins --json")
    for fig in record["figures"]:
        assert set(fig) == FIGURE_KEYS
        assert fig["value"] > 0 and fig["repeats"] >= 3
        assert fig["baseline"]["value"] > 0
        assert fig["ratio"] == pytest.approx(fig["value"] / fig["baseline"]["value"])
    assert "import ispc_framework" in done.stdout  # the table


def test_every_module_is_listed_and_unknown_names_are_refused(tmp_path):
    listed = run_benchmarks("--list").stdout.split()
    assert {"plugins_discovery", "proven_cli", "prover_gnark"} <= set(listed)
    assert not any(name.startswith("_") for name in listed)
    done = run_benchmarks("--only", "no_such_module", "--output", str(tmp_path / "x.json"),
                          check=False)
    assert done.returncode == 2 and "available:" in done.stderr


def test_a_failing_or_interface_less_module_is_a_record_not_a_crash(tmp_path):
    """What the runner's child writes for a module that cannot run: the parent keeps going."""
    records = {}
    for name in ("_harness", "no_such_module"):  # no run(); an import that fails
        child = tmp_path / f"{name}.json"
        subprocess.run([sys.executable, "-m", "benchmarks", "--child", name, "--child-output",
                        str(child)], cwd=REPO, check=True, timeout=120)
        records[name] = json.loads(child.read_text())
    assert records["_harness"]["status"] == "skipped"
    assert records["no_such_module"]["status"] == "error"
    assert "ModuleNotFoundError" in records["no_such_module"]["error"]


def test_alternate_rotates_the_order_and_counts_each_call():
    order = []
    samples = alternate({"a": lambda: order.append("a"), "b": lambda: order.append("b"),
                         "c": lambda: order.append("c")}, repeats=3, number=2)
    assert {k: len(v) for k, v in samples.items()} == {"a": 3, "b": 3, "c": 3}
    firsts = [order[i * 6] for i in range(3)]
    assert firsts == ["a", "b", "c"]  # a different contender starts each repeat
    assert len(order) == 18


def test_figure_medians_ratio_and_target():
    fig = figure("x", [3.0, 1.0, 2.0], "ms", baseline=("base", [4.0, 4.0, 8.0]), scale=1e3,
                 target=("<=", 2500.0))
    assert fig["value"] == 2000.0 and fig["baseline"] == {"name": "base", "value": 4000.0}
    assert fig["ratio"] == 0.5 and fig["met"] is True
    missed = figure("y", [2.0], target=("<=", 0.5), baseline=("b", [1.0]), target_of="ratio")
    assert missed["met"] is False and missed["target"] == {"op": "<=", "value": 0.5,
                                                           "of": "ratio"}


def test_transfer_benchmarks_execute_a_fresh_transaction_object_per_transfer():
    """The coordinator memoises a transaction's encoding, body and id on the object, so the
    transfer benchmarks must not execute one object again and again: each transfer gets its own
    object decoded from the bytes, and executing one leaves the others without a memo."""
    from benchmarks.repository_transfers import (TOKEN, execute_slice, fresh_transactions,
                                                 memory_coordinator, token_chain)

    if not TOKEN.is_file():
        pytest.skip("examples/contracts/build.sh has not been run")
    coordinator = memory_coordinator()
    try:
        transfer = token_chain(coordinator)
        fresh = fresh_transactions(transfer, 3)
        assert all(tx == transfer and tx is not transfer for tx in fresh)
        assert len({id(tx) for tx in fresh}) == 3
        assert not any(hasattr(tx, "_ispc_body") for tx in fresh)
        assert execute_slice(coordinator, fresh[:1]) > 0
        assert hasattr(fresh[0], "_ispc_body")          # executing memoised on that object only
        assert not any(hasattr(tx, "_ispc_body") for tx in fresh[1:])
        assert coordinator.execute(fresh[1], prove=False) == coordinator.execute(transfer,
                                                                                  prove=False)
    finally:
        coordinator.close()
