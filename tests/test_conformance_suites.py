"""Every suite catches the deliberately broken plugins of tests/broken_plugins.py with a message
naming the broken requirement, and passes the first-party plugins; reports count outcomes
separately, known issues run as strict xfails, a hanging check is killed at its timeout."""

from __future__ import annotations

import itertools
import json
import xml.etree.ElementTree as ET

import broken_plugins as broken
import pytest

from ispc_framework.conformance.installed import run_target
from ispc_framework.conformance.runner import KnownIssue, Target, load_known_issues
from ispc_framework._errors import ConfigError
from ispc_framework._repository import MemoryRepository
from ispc_framework._sinks import JsonlTraceSink


def run(suite, make, **kw):
    lines = []
    target = Target(suite, kw.pop("name", "under-test"), make,
                    known_issues=kw.pop("known_issues", {}), variants=kw.pop("variants", {}))
    report = run_target(target, echo=lines.append, **kw)
    return Run(report, lines)


class Run:
    def __init__(self, report, lines):
        self.report, self.lines = report, lines

    def __getattr__(self, name):
        return getattr(self.report, name)


def outcome(report, check):
    found = [c for c in report.checks if c.id == check]
    assert len(found) == 1, (check, report.lines, report.errors)
    (found,) = found
    return found


def failed(report, check, *words):
    result = outcome(report, check)
    assert result.outcome == "failed", (check, result, report.lines)
    for word in words:
        assert word in result.reason, (check, result.reason)
    return result


@pytest.mark.parametrize("engine, check, words", [
    (broken.IgnoresFuel, "loop_runs_out_of_gas", ["expected OutOfGas"]),
    (broken.Nondeterministic, "deterministic_repeats", ["not deterministic"]),
    (broken.MisreportsStatus, "values_cross_unsigned", ["0xFFFFFFFE"]),
    (broken.CorruptsMemoryReads, "example_contracts_match_reference",
     ["example contracts differ from the reference engine", "counter_as: call 0 init"]),
])
def test_broken_engines_fail_the_named_check(engine, check, words):
    report = run("wasm-engine", engine, select_expr=check)
    failed(report, check, *words)
    assert not report.ok and report.counts()["failed"] == 1


def test_an_engine_ignoring_fuel_and_timeout_is_killed_at_the_check_timeout():
    report = run("wasm-engine", broken.IgnoresFuelAndTimeout, timeout_s=3,
                 select_expr="loop_runs_out_of_gas or loop_times_out or seven or runs_a_method")
    for check in ("loop_runs_out_of_gas", "loop_times_out"):
        result = failed(report, check, "timed out after 3 s")
        assert result.duration < 10
    assert outcome(report, "runs_a_method").outcome == "passed"   # the suite went on


def test_wasmtime_passes_with_json_and_junit(tmp_path):
    from ispc_wasmtime.engine import WasmtimeEngine

    report = run("wasm-engine", WasmtimeEngine, junitxml=tmp_path / "x.xml",
                 json_path=tmp_path / "x.json")
    assert report.ok, report.lines
    data = json.loads((tmp_path / "x.json").read_text())
    assert data["counts"]["passed"] == len(data["checks"]) == len(report.checks)
    assert data["levels"]["safe-for-untrusted-code"]["met"]
    suite = ET.parse(tmp_path / "x.xml").getroot().find("testsuite")
    assert int(suite.get("tests")) == len(report.checks) and int(suite.get("failures")) == 0
    assert len(report.lines) == len(report.checks)   # one line printed per check


def test_known_issues_are_strict_xfails_and_cannot_rot(tmp_path):
    issues = {"deterministic_repeats": KnownIssue("known-bug", "random fuel, upstream #1")}
    report = run("wasm-engine", broken.Nondeterministic, known_issues=issues,
                 select_expr="deterministic_repeats")
    assert outcome(report, "deterministic_repeats").outcome == "xfailed"
    assert report.ok
    from ispc_wasmtime.engine import WasmtimeEngine

    fixed = run("wasm-engine", WasmtimeEngine, known_issues=issues,
                select_expr="deterministic_repeats")
    failed(fixed, "deterministic_repeats", "unexpectedly passed")
    stale = run("wasm-engine", WasmtimeEngine, select_expr="runs_a_method",
                known_issues={"no_such_check": KnownIssue("flaky", "gone")})
    assert not stale.ok and "no_such_check" in stale.errors[0]
    path = tmp_path / "issues.toml"
    path.write_text('[checks.loop_times_out]\ncategory = "unsupported"\nreason = "no timer"\n')
    assert load_known_issues(path) == {"loop_times_out": KnownIssue("unsupported", "no timer")}
    path.write_text('[checks.loop_times_out]\ncategory = "meh"\nreason = ""\n')
    with pytest.raises(ConfigError, match="needs category"):
        load_known_issues(path)


def test_wasmer_without_metering_skips_with_reasons():
    """Through `ispc conformance wasmer --json` in a fresh interpreter: the runner forks a child
    per check, and a process whose earlier tests already ran wasmer's threads can deadlock in
    such a child (seen on 3.10 after test_conformance_wasm), which says nothing of the suite."""
    import subprocess
    import sys

    from ispc_framework._errors import EngineUnavailable
    from ispc_wasmer.engine import WasmerEngine

    try:
        WasmerEngine().close()
    except EngineUnavailable as exc:
        pytest.skip(f"wasmer is not usable here: {exc.message}")
    done = subprocess.run([sys.executable, "-m", "ispc_framework", "conformance", "wasmer",
                           "--json"], capture_output=True, text=True, timeout=900)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"], done.stdout[-2000:] + done.stderr[-2000:]
    (skipped,) = [c for c in report["checks"] if c["id"] == "loop_runs_out_of_gas"]
    assert skipped["outcome"] == "skipped" and "does not declare 'metering'" in skipped["reason"]
    assert not report["levels"]["safe-for-untrusted-code"]["met"]


def _fresh(cls, tmp_path):
    counter = itertools.count()
    return lambda: cls({"path": str(tmp_path / f"traces-{next(counter)}.jsonl")})


def test_repository_suite_catches_broken_repositories():
    failed(run("repository", broken.ViewWithWriteMethod, select_expr="views_are_read_only"),
           "views_are_read_only", "store_resource")
    failed(run("repository", broken.NonAtomicApply, select_expr="apply_is_atomic"),
           "apply_is_atomic", "not atomic")
    assert run("repository", MemoryRepository).ok


def test_trace_sink_suite(tmp_path):
    import os

    def fresh(cls):
        return lambda: cls({"path": str(tmp_path / f"t-{os.getpid()}-{os.urandom(4).hex()}")})

    report = run("trace-sink", fresh(broken.DropsRecords))
    failed(report, "every_trace_read_back_in_order", "read back")
    good = run("trace-sink", fresh(JsonlTraceSink))
    assert good.ok and good.levels["auditable"]["met"], good.lines


def test_hostabi_suite_catches_an_untraced_provider():
    report = run("hostabi", broken.UntracedProvider)
    failed(report, "every_call_traced_and_charged", "traced_host_function")
    assert outcome(report, "matches_the_spec").outcome == "skipped"
    assert run("hostabi", broken.TracedProvider, select_expr="traced").ok


def test_hooks_suite_catches_a_wrapper_replacing_the_outcome():
    report = run("hooks", broken.ReplacesOutcome)
    failed(report, "success_passes_through", "cannot replace the outcome")
    assert run("hooks", broken.HonestWrapper).ok


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("conformance-keys")


def _prover(cls, key_dir):
    settings = {"key_dir": str(key_dir), "setup_mode": "testing", "allow_testing_keys": True}
    return lambda: cls(settings)


@pytest.mark.slow
def test_prover_suite_catches_accept_anything_and_fixed_proofs(key_dir):
    report = run("prover", _prover(broken.AcceptsAnything, key_dir),
                 select_expr="tampered_public_inputs_refused or foreign_key_refused")
    failed(report, "tampered_public_inputs_refused", "accepts forged proofs")
    failed(report, "foreign_key_refused", "accepts forged proofs")
    fixed = run("prover", _prover(broken.FixedProof, key_dir), select_expr="not_fixed")
    failed(fixed, "proofs_are_not_fixed", "fixed proof")


def _variants(cls, key_dir, foreign_dir):
    from ispc_groth16.prover import Groth16Prover

    testing = {"setup_mode": "testing", "allow_testing_keys": True}
    return {"foreign": lambda: Groth16Prover({"key_dir": str(foreign_dir), **testing}),
            "production": lambda: cls({"key_dir": str(key_dir)})}


@pytest.mark.slow
def test_prover_suite_refuses_foreign_and_testing_only_keys(key_dir, tmp_path):
    from ispc_groth16.prover import Groth16Prover

    select = "foreign_setup_refused or testing_only_key_refused"
    good = run("prover", _prover(Groth16Prover, key_dir), select_expr=select,
               variants=_variants(Groth16Prover, key_dir, tmp_path / "foreign"))
    assert good.ok and good.counts()["passed"] == 2, good.lines
    anything = run("prover", _prover(broken.AcceptsAnything, key_dir), select_expr=select,
                   variants=_variants(Groth16Prover, key_dir, tmp_path / "foreign"))
    failed(anything, "foreign_setup_refused", "another setup's keys (a foreign key) verified")
    trusting = run("prover", _prover(broken.TrustsTestingKeys, key_dir),
                   select_expr="testing_only_key_refused",
                   variants=_variants(broken.TrustsTestingKeys, key_dir, tmp_path / "foreign"))
    failed(trusting, "testing_only_key_refused", "testing-only (single-party) key")
    skipped = run("prover", _prover(Groth16Prover, key_dir), select_expr=select)
    assert [c.outcome for c in skipped.checks] == ["skipped", "skipped"]
    assert "make_foreign_plugin" in skipped.checks[0].reason
