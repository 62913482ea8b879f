"""The WebAssembly spec-test runner: every command kind, known issues as strict xfails, crash and
hang isolation, a deliberately wrong engine, reports and the CLI. Engine: ispc-wasmtime (it runs
on every supported Python); the full suite per engine is in each engine plugin's tests."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from wasm_spec_suite import REPO, require_suite, require_wabt, worker_path

from ispc_framework._cli import cli
from ispc_framework.conformance import wasm_spec
from ispc_framework.plugins import ValidationError

WASMTIME = "ispc_wasmtime.engine:WasmtimeEngine"

# Every command kind the runner knows, against the spectest module and between two modules.
ALL_KINDS = r'''
(module $M
  (import "spectest" "print_i32" (func $print (param i32)))
  (import "spectest" "global_i32" (global $g i32))
  (global (export "seven") i32 (i32.const 7))
  (func (export "add") (param i32 i32) (result i32) (local.get 0) (local.get 1) (i32.add))
  (func (export "div") (param f32 f32) (result f32) (f32.div (local.get 0) (local.get 1)))
  (func (export "neg") (param f32) (result f32) (f32.neg (local.get 0)))
  (func (export "g") (result i32) (call $print (global.get $g)) (global.get $g))
  (func (export "trap") (unreachable))
  (func $rec (export "rec") (call $rec))
  (func (export "id") (param externref) (result externref) (local.get 0)))
(register "M" $M)
(assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
(assert_return (invoke "div" (f32.const 0) (f32.const 0)) (f32.const nan:canonical))
(assert_return (invoke "div" (f32.const nan:0x200000) (f32.const 1)) (f32.const nan:arithmetic))
(assert_return (invoke "neg" (f32.const nan:0x200000)) (f32.const -nan:0x200000))
(assert_return (invoke "g") (i32.const 666))
(assert_return (get "seven") (i32.const 7))
(assert_return (invoke "id" (ref.extern 5)) (ref.extern 5))
(assert_return (invoke "id" (ref.null extern)) (ref.null extern))
(invoke "add" (i32.const 0) (i32.const 0))
(assert_trap (invoke "trap") "unreachable")
(assert_exhaustion (invoke "rec") "call stack exhausted")
(module (import "M" "seven" (global i32)))
(assert_invalid (module (func (result i32) (i64.const 1))) "type mismatch")
(assert_malformed (module binary "\00asm" "\02\00\00\00") "unknown binary version")
(assert_malformed (module quote "(func") "unexpected end")
(assert_unlinkable (module (import "M" "nope" (func))) "unknown import")
(assert_trap (module (func $t (unreachable)) (start $t)) "unreachable")
'''


def suite(tmp_path: Path, **scripts: str) -> Path:
    folder = tmp_path / "suite"
    folder.mkdir(exist_ok=True)
    for name, text in scripts.items():
        (folder / f"{name}.wast").write_text(text)
    return folder


@pytest.fixture(autouse=True)
def _wabt():
    require_wabt()


def run(folder: Path, factory: str = WASMTIME, **kw) -> wasm_spec.SpecReport:
    return wasm_spec.run_spec_tests(factory, {}, folder, **kw)


def test_every_command_kind_is_run_and_counted(tmp_path):
    report = run(suite(tmp_path, kinds=ALL_KINDS))
    (result,) = report.files
    assert report.ok, report.render_failures()
    assert [c.command for c in result.commands] == [
        "module", "register", *["assert_return"] * 8, "action", "assert_trap",
        "assert_exhaustion", "module", "assert_invalid", "assert_malformed", "assert_malformed",
        "assert_unlinkable", "assert_uninstantiable"]
    assert result.counts == {"passed": 18, "failed": 0, "skipped": 1, "xfailed": 0, "xpassed": 0}
    assert report.totals["commands"] == 19
    assert report.engine == "wasmtime" and report.fingerprint.startswith("wasmtime-")


def test_wrong_results_and_outcomes_fail_naming_file_line_and_command(tmp_path):
    wrong = r'''
(module (func (export "one") (result i32) (i32.const 1)) (func (export "ok")))
(assert_return (invoke "one") (i32.const 2))
(assert_trap (invoke "ok") "unreachable")
(assert_exhaustion (invoke "one") "call stack exhausted")
(assert_invalid (module (func)) "should not be invalid")
(assert_unlinkable (module) "nothing to link")
(assert_trap (module) "nothing traps")
(module (import "nowhere" "f" (func)) (func (export "one") (result i32) (i32.const 1)))
(assert_return (invoke "one") (i32.const 1))
'''
    report = run(suite(tmp_path, wrong=wrong))
    assert not report.ok
    failures = report.files[0].failures()
    assert failures == [
        "wrong.wast:3: assert_return: FAILED: invoke 'one'(): expected i32:2, got i32:1",
        "wrong.wast:4: assert_trap: FAILED: expected a trap (unreachable) from invoke 'ok'(), "
        "got no results",
        "wrong.wast:5: assert_exhaustion: FAILED: expected stack exhaustion (call stack "
        "exhausted) from invoke 'one'(), got i32:1",
        "wrong.wast:6: assert_invalid: FAILED: expected the module to be rejected (should not "
        "be invalid), got success",
        "wrong.wast:7: assert_unlinkable: FAILED: expected a link error (nothing to link), got "
        "success",
        "wrong.wast:8: assert_uninstantiable: FAILED: expected a trap while instantiating "
        "(nothing traps), got success",
        failures[6],
        "wrong.wast:10: assert_return: FAILED: the module of line 9 did not instantiate",
    ]
    assert failures[6].startswith("wrong.wast:9: module: FAILED: module wrong.4.wasm did not "
                                  "load: ModuleRejected [unlinkable]: cannot link:")


def test_a_wrong_engine_fails_hundreds_of_spec_commands_readably(tmp_path, monkeypatch):
    worker_path(monkeypatch)
    report = wasm_spec.run_spec_tests("wasm_spec_suite:ZeroI32Engine", {}, require_suite(),
                                      files=["i32", "address", "br_if"], jobs=2)
    failures = [line for result in report.files for line in result.failures()]
    assert report.totals["failed"] >= 300, report.render_totals()
    assert "i32.wast:37: assert_return: FAILED: invoke 'add'(i32:1, i32:1): expected i32:2, " \
           "got i32:0" in failures
    pattern = re.compile(r"^(i32|address|br_if)\.wast:\d+: assert_return: FAILED: "
                         r"(invoke|get) '[^']+'\(.*\): expected .+, got .+$")
    assert all(pattern.match(line) for line in failures), [
        line for line in failures if not pattern.match(line)][:5]


@pytest.mark.slow
def test_a_crash_or_a_hang_fails_that_script_only(tmp_path, monkeypatch):
    worker_path(monkeypatch)
    module = '(module (func (export "one") (result i32) (i32.const 1)) ' \
             '(func (export "crash")) (func (export "hang")))\n'
    one = '(assert_return (invoke "one") (i32.const 1))\n'
    folder = suite(tmp_path, a_crash=module + one + '(invoke "crash")\n' + one,
                   b_hang=module + '(invoke "hang")\n' + one, c_fine=module + one)
    report = run(folder, "wasm_spec_suite:CrashingEngine", timeout_s=8, jobs=2)
    crash, hang, fine = report.files
    # The crash fails its command; a fresh worker replays the module and runs the rest.
    assert [c.outcome for c in crash.commands] == ["passed", "passed", "failed", "passed"]
    assert crash.commands[2].detail.startswith(
        "the worker crashed with signal SIGABRT during this command")
    assert [c.outcome for c in hang.commands] == ["passed", "failed", "failed"]
    assert hang.commands[1].detail.startswith("the worker timed out after 8 s during this command")
    assert fine.ok and fine.count("passed") == 2
    assert hang.commands[2].detail == "not run: the worker timed out after 8 s at line 2"
    assert report.totals["failed"] == 3


@pytest.mark.parametrize("kind, bits", [("i32", -1), ("i32", 1 << 32), ("f64", 1 << 64),
                                         ("i64", True), ("f32", None), ("externref", "x"),
                                         ("v128", 0)])
def test_wasm_values_refuse_what_their_type_cannot_hold(kind, bits):
    from ispc_framework.plugins import WasmValue

    with pytest.raises(ValueError):
        WasmValue(kind, bits)


def test_a_script_that_keeps_crashing_is_given_up(tmp_path, monkeypatch):
    worker_path(monkeypatch)
    monkeypatch.setattr(wasm_spec, "MAX_RESTARTS", 1)
    script = '(module (func (export "crash")) (func (export "one") (result i32) (i32.const 1)))\n' \
        + '(invoke "crash")\n' * 3 + '(assert_return (invoke "one") (i32.const 1))\n'
    (result,) = run(suite(tmp_path, s=script), "wasm_spec_suite:CrashingEngine").files
    assert [(c.line, c.outcome) for c in result.commands] == [
        (1, "passed"), (2, "failed"), (3, "failed"), (4, "failed"), (5, "failed")]
    assert result.commands[3].detail == "not run: the worker crashed with signal SIGABRT at " \
                                        "line 3"


def _issues(tmp_path: Path, *entries: dict) -> Path:
    path = tmp_path / "issues.json"
    path.write_text(json.dumps({"engine": "x", "issues": list(entries)}))
    return path


def test_known_issues_are_strict_xfails(tmp_path):
    script = '(module (func (export "one") (result i32) (i32.const 1)))\n' \
             '(assert_return (invoke "one") (i32.const 2))\n' \
             '(assert_return (invoke "one") (i32.const 1))\n' \
             '(assert_return (invoke "one") (i32.const 1))\n'
    folder = suite(tmp_path, s=script)
    issues = _issues(tmp_path,
                     {"file": "s.wast", "lines": [2], "category": "known-bug", "reason": "r2"},
                     {"file": "s.wast", "lines": [3], "category": "unsupported", "reason": "r3"},
                     {"file": "s.wast", "lines": [4, 9], "category": "flaky", "reason": "r4"})
    (result,) = run(folder, known_issues=issues).files
    outcomes = [(c.line, c.outcome) for c in result.commands]
    assert outcomes == [(1, "passed"), (2, "xfailed"), (3, "xpassed"), (4, "passed"),
                        (9, "failed")]
    assert result.commands[1].detail == "[known-bug] r2 (got: invoke 'one'(): expected i32:2, " \
                                        "got i32:1)"
    assert result.commands[2].detail == "listed as a known issue but passed: [unsupported] r3"
    assert "matches no command" in result.commands[4].detail
    assert not result.ok


@pytest.mark.parametrize("entry, message", [
    ({"file": "a.wast", "lines": [1], "category": "unsupported"}, "a reason is required"),
    ({"file": "a.wast", "lines": [1], "category": "unsupported", "reason": "  "},
     "a reason is required"),
    ({"file": "a.wast", "lines": [1], "category": "wontfix", "reason": "r"}, "category"),
    ({"file": "a.wast", "lines": [], "category": "flaky", "reason": "r"}, "lines"),
    ({"file": "a.wast", "lines": ["1"], "category": "flaky", "reason": "r"}, "lines"),
    ({"file": "a.wat", "lines": [1], "category": "flaky", "reason": "r"}, ".wast"),
    ("not an object", "not an object"),
])
def test_a_malformed_known_issues_entry_is_refused(tmp_path, entry, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        wasm_spec.load_known_issues(_issues(tmp_path, entry))


def test_known_issues_refuses_duplicates_and_non_json(tmp_path):
    entry = {"file": "a.wast", "lines": [1], "category": "flaky", "reason": "r"}
    with pytest.raises(ValidationError, match="listed twice"):
        wasm_spec.load_known_issues(_issues(tmp_path, entry, entry))
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ValidationError, match="cannot read"):
        wasm_spec.load_known_issues(bad)


@pytest.mark.parametrize("plugin", ["ispc-wasmtime/ispc_wasmtime", "ispc-wasmer/ispc_wasmer"])
def test_the_shipped_known_issues_files_are_valid(plugin):
    path = REPO / "plugins" / plugin / "spec_known_issues.json"
    issues = wasm_spec.load_known_issues(path)
    assert all(issue.reason for issue in issues.values())


def test_an_engine_without_the_capability_is_reported(tmp_path, monkeypatch):
    worker_path(monkeypatch)
    report = run(suite(tmp_path, s='(module)\n'), "wasm_spec_suite:NoSpecTestsEngine")
    assert not report.ok
    assert "does not declare 'spec-tests'" in report.files[0].error


def test_an_unconvertible_script_fails_with_wabts_message(tmp_path):
    report = run(suite(tmp_path, broken="(module (func $x (i32.bogus)))"))
    assert not report.ok and "wast2json cannot convert broken.wast" in report.files[0].error


def test_cli_prints_progress_and_writes_json_and_junit(tmp_path):
    folder = suite(tmp_path, kinds=ALL_KINDS, wrong='(module (func (export "f") (result i32) '
                   '(i32.const 1)))\n(assert_return (invoke "f") (i32.const 2))\n')
    out_json, out_xml = tmp_path / "r.json", tmp_path / "r.xml"
    result = CliRunner().invoke(cli, ["conformance", "wasm-engine", "wasmtime", "--spec-tests",
                                      str(folder), "--json", str(out_json), "--junitxml",
                                      str(out_xml)], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert re.search(r"ok   kinds\.wast\s+18 passed\s+0 failed\s+1 skipped", result.output)
    assert "wrong.wast:2: assert_return: FAILED: invoke 'f'(): expected i32:2, got i32:1" \
        in result.output
    assert "wasmtime spec tests: 2 files, 21 commands: 19 passed, 1 failed, 1 skipped" \
        in result.output
    data = json.loads(out_json.read_text())
    assert data["totals"] == {"passed": 19, "failed": 1, "skipped": 1, "xfailed": 0,
                              "xpassed": 0, "commands": 21}
    assert data["ok"] is False and [f["file"] for f in data["files"]] == ["kinds.wast",
                                                                          "wrong.wast"]
    root = ET.fromstring(out_xml.read_bytes())
    assert root.get("tests") == "21" and root.get("failures") == "1"
    failure = root.find(".//testcase[@name='line 2 assert_return']/failure")
    assert failure is not None and "expected i32:2, got i32:1" in failure.get("message")


def test_cli_refuses_spec_options_without_a_suite():
    # --json and --junitxml alone write the conformance suite's report; --file needs the suite
    result = CliRunner().invoke(cli, ["conformance", "wasm-engine", "wasmtime", "--file",
                                      "i32.wast"])
    assert result.exit_code == 2 and "needs --spec-tests" in result.output


def test_the_docs_table_shows_counts_and_disagreements(tmp_path, monkeypatch):
    import importlib.util

    worker_path(monkeypatch)
    spec = importlib.util.spec_from_file_location("wasm_spec_table",
                                                  REPO / "scripts" / "wasm_spec_table.py")
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    folder = suite(tmp_path, s='(module (func (export "f") (result i32) (i32.const 1)))\n'
                               '(assert_return (invoke "f") (i32.const 1))\n')
    right = run(folder).to_json()
    wrong = run(folder, "wasm_spec_suite:ZeroI32Engine").to_json()
    text = table.render([right, wrong])
    assert "| s.wast | 2 | 0 | 2 / 0 / 0 | 1 / 0 / 1 | lines 2 assert_return |" in text
    assert "| **total** | 2 | 0 | **2 / 0 / 0** | **1 / 0 / 1** | |" in text
