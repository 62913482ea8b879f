"""The official WebAssembly specification test suite against a WebAssembly engine plugin.

Engine-neutral: it talks to the engine only through the optional "spec-tests" protocol
(:mod:`ispc_framework._wasm_spec_protocol`), never to a runtime directly::

    from ispc_framework.conformance import wasm_spec
    report = wasm_spec.run_spec_tests("my_engine.plugin:MyEngine", {}, Path("wasm-testsuite"))
    assert report.ok, report.render_failures()

How it runs:

* each ``.wast`` script is converted with wabt's ``wast2json`` (a JSON list of commands plus the
  ``.wasm`` modules they refer to) into a cache directory keyed by the script's hash and the
  wabt version;
* each script is one group, run in its own worker process (``python -m
  ispc_framework.conformance.wasm_spec``) with a fresh engine and session, under a timeout: a
  command that crashes the worker fails, with the signal named, and a fresh worker replays the
  commands before it silently and carries on after it; a script that hangs past its timeout
  fails the running command and its remaining commands as not run; the rest of the suite
  carries on;
* every command is counted as passed, failed, skipped (``assert_malformed`` of a *text* module:
  the text format is wabt's concern, an engine only decodes binaries), xfailed or xpassed;
* the engine's known-issues file (``SpecTestEngine.spec_known_issues()``, format below) lists the
  commands expected to fail, each with a category and a reason. Entries are strict xfails: a
  listed command that passes is an *xpassed* failure, so the file cannot go stale silently
  (category ``flaky`` is the exception: it may pass or fail). An entry naming a line where the
  script has no command is a failure of the file itself.

The spec's ``spectest`` host module (print functions, the four globals, a table and a memory) is
provided as a small module (:data:`SPECTEST_WAT`) assembled by wabt's ``wat2wasm``, instantiated
through the same session and registered as ``spectest``: no host-function binding is needed, so
the protocol stays small. Its print functions print nothing.

Known-issues file (JSON)::

    {"engine": "wasmtime", "issues": [
       {"file": "memory_grow.wast", "lines": [12, 14], "category": "unsupported",
        "reason": "the memory cap of the contract limits (64 MiB) refuses the grow"}]}

Written with the standard library and subprocess rather than a test framework's runner: the
suite must run from the CLI of an installed node as well as under pytest.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs

from .._errors import ConfigError, ISPCError, ModuleRejected, StackExhausted, Trap, ValidationError
from .._limits import ExecutionLimits

__all__ = ["run_spec_tests", "SpecReport", "FileResult", "CommandResult", "KnownIssue",
           "load_known_issues", "convert", "list_scripts", "OUTCOMES", "CATEGORIES",
           "SPECTEST_WAT", "DEFAULT_TIMEOUT_S", "MAX_RESTARTS"]

OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed")
CATEGORIES = ("unsupported", "known-bug", "flaky")
DEFAULT_TIMEOUT_S = 300.0
#: Worker deaths tolerated per script before its remaining commands are given up as not run.
MAX_RESTARTS = 20
_CRASH_TAIL = 600   # characters of a dead worker's stderr kept in the failure

SPECTEST_WAT = """(module
  (func (export "print"))
  (func (export "print_i32") (param i32))
  (func (export "print_i64") (param i64))
  (func (export "print_f32") (param f32))
  (func (export "print_f64") (param f64))
  (func (export "print_i32_f32") (param i32 f32))
  (func (export "print_f64_f64") (param f64 f64))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2))
"""


# ====================================================================== results


@attrs.frozen
class CommandResult:
    line: int
    command: str          # the command type: module, assert_return, ...
    outcome: str          # one of OUTCOMES
    detail: str = ""      # what happened (failures), the reason (xfailed / skipped)


@attrs.frozen
class FileResult:
    file: str
    commands: tuple[CommandResult, ...]
    seconds: float = 0.0
    error: str = ""       # the script as a whole could not run (conversion, worker start)

    def count(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.commands)

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome: self.count(outcome) for outcome in OUTCOMES}
        counts["failed"] += bool(self.error)
        return counts

    @property
    def ok(self) -> bool:
        counts = self.counts
        return counts["failed"] == 0 and counts["xpassed"] == 0

    def render(self) -> str:
        """One progress line: ``name  N passed  N failed  N skipped  N xfailed  (s)``."""
        counts = self.counts
        text = "  ".join(f"{counts[o]:5d} {o}" for o in OUTCOMES if o != "xpassed" or counts[o])
        return f"{'FAIL' if not self.ok else 'ok  '} {self.file:32s} {text}  ({self.seconds:.1f} s)"

    def failures(self) -> list[str]:
        """Readable messages: ``file:line: command: what happened``."""
        lines = [f"{self.file}: {self.error}"] if self.error else []
        lines += [f"{self.file}:{c.line}: {c.command}: {c.outcome.upper()}: {c.detail}"
                  for c in self.commands if c.outcome in ("failed", "xpassed")]
        return lines


@attrs.frozen
class SpecReport:
    engine: str
    fingerprint: str
    suite: str
    files: tuple[FileResult, ...]

    @property
    def totals(self) -> dict[str, int]:
        totals = dict.fromkeys(OUTCOMES, 0)
        for result in self.files:
            for outcome, n in result.counts.items():
                totals[outcome] += n
        totals["commands"] = sum(len(result.commands) for result in self.files)
        return totals

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.files)

    def render_totals(self) -> str:
        t = self.totals
        return (f"{self.engine} spec tests: {len(self.files)} files, {t['commands']} commands: "
                f"{t['passed']} passed, {t['failed']} failed, {t['skipped']} skipped, "
                f"{t['xfailed']} xfailed, {t['xpassed']} xpassed")

    def render_failures(self, limit: int = 200) -> str:
        lines = [line for result in self.files for line in result.failures()]
        shown = lines[:limit] + ([f"... and {len(lines) - limit} more"] if len(lines) > limit
                                 else [])
        return "\n".join([self.render_totals(), *shown])

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": self.engine, "fingerprint": self.fingerprint, "suite": self.suite,
            "totals": self.totals, "ok": self.ok,
            "files": [{
                "file": r.file, "counts": r.counts, "seconds": round(r.seconds, 3),
                "error": r.error,
                "commands": [{"line": c.line, "command": c.command, "outcome": c.outcome,
                              **({"detail": c.detail} if c.detail else {})}
                             for c in r.commands],
            } for r in self.files],
        }

    def to_junit_xml(self) -> bytes:
        """One <testsuite> per script, one <testcase> per command (xfailed and skipped as
        <skipped>, the way pytest writes them)."""
        t = self.totals
        root = ET.Element("testsuites", name=f"wasm-spec {self.engine}",
                          tests=str(t["commands"]), failures=str(t["failed"] + t["xpassed"]),
                          skipped=str(t["skipped"] + t["xfailed"]))
        for r in self.files:
            counts = r.counts
            suite = ET.SubElement(root, "testsuite", name=r.file, tests=str(len(r.commands)),
                                  failures=str(counts["failed"] + counts["xpassed"]),
                                  skipped=str(counts["skipped"] + counts["xfailed"]),
                                  time=f"{r.seconds:.3f}")
            if r.error:
                case = ET.SubElement(suite, "testcase", classname=r.file, name="script")
                ET.SubElement(case, "failure", message=r.error)
            for c in r.commands:
                case = ET.SubElement(suite, "testcase", classname=r.file,
                                     name=f"line {c.line} {c.command}")
                if c.outcome in ("failed", "xpassed"):
                    ET.SubElement(case, "failure", message=f"{c.outcome}: {c.detail}")
                elif c.outcome in ("skipped", "xfailed"):
                    ET.SubElement(case, "skipped", message=f"{c.outcome}: {c.detail}")
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)


# ====================================================================== known issues


@attrs.frozen
class KnownIssue:
    file: str
    line: int
    category: str
    reason: str


def load_known_issues(path: Path | None) -> dict[tuple[str, int], KnownIssue]:
    """Parse a known-issues file into ``{(file, line): issue}``; ValidationError naming the
    entry if it is malformed (no reason, unknown category, a line listed twice)."""
    if path is None:
        return {}
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError("known-issues", f"cannot read {path}: {exc}",
                              hint="the file is JSON: {\"issues\": [...]}") from None
    issues: dict[tuple[str, int], KnownIssue] = {}
    entries = data.get("issues") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValidationError("known-issues", f"{path}: expected an object with an "
                              f"\"issues\" list")
    for index, entry in enumerate(entries):
        where = f"{path}: issues[{index}]"
        if not isinstance(entry, dict):
            raise ValidationError("known-issues", f"{where} is not an object")
        file, lines = entry.get("file"), entry.get("lines")
        category, reason = entry.get("category"), entry.get("reason")
        if not isinstance(file, str) or not file.endswith(".wast"):
            raise ValidationError("known-issues", f"{where}: \"file\" must name a .wast script")
        if not isinstance(lines, list) or not lines or not all(
                isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in lines):
            raise ValidationError("known-issues", f"{where}: \"lines\" must be a non-empty "
                                  f"list of line numbers")
        if category not in CATEGORIES:
            raise ValidationError("known-issues", f"{where}: category {category!r} is not one "
                                  f"of {', '.join(CATEGORIES)}")
        if not isinstance(reason, str) or not reason.strip():
            raise ValidationError("known-issues", f"{where}: a reason is required")
        for line in lines:
            if (file, line) in issues:
                raise ValidationError("known-issues", f"{where}: {file}:{line} is listed twice")
            issues[(file, line)] = KnownIssue(file, line, category, reason.strip())
    return issues


def _apply_known_issues(file: str, commands: list[CommandResult],
                        issues: Mapping[tuple[str, int], KnownIssue]) -> list[CommandResult]:
    out = []
    seen = set()
    for c in commands:
        issue = issues.get((file, c.line))
        if issue is None or c.outcome == "skipped":
            out.append(c)
            continue
        seen.add(c.line)
        note = f"[{issue.category}] {issue.reason}"
        if c.outcome == "failed":
            out.append(attrs.evolve(c, outcome="xfailed", detail=f"{note} (got: {c.detail})"))
        elif issue.category == "flaky":
            out.append(c)
        else:
            out.append(attrs.evolve(c, outcome="xpassed",
                                    detail=f"listed as a known issue but passed: {note}"))
    for name, line in sorted(issues):
        if name == file and line not in seen:
            out.append(CommandResult(line, "known-issue", "failed",
                                     f"the known-issues entry for line {line} matches no "
                                     f"command of the script (stale entry?)"))
    return out


# ====================================================================== conversion


def list_scripts(suite_dir: Path) -> list[Path]:
    suite_dir = Path(suite_dir)
    if not suite_dir.is_dir():
        raise ValidationError("--spec-tests", f"{suite_dir} is not a directory",
                              hint="point at a checkout of github.com/WebAssembly/testsuite")
    scripts = sorted(suite_dir.glob("*.wast"))
    if not scripts:
        raise ValidationError("--spec-tests", f"{suite_dir} holds no .wast scripts")
    return scripts


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ConfigError(f"wabt's {name} is not on PATH", code="tool-missing",
                          hint="apt-get install wabt (scripts/bootstrap.sh does)")
    return path


def _wabt_version() -> str:
    done = subprocess.run([_tool("wast2json"), "--version"], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip() or "unknown"


def convert(script: Path, cache_dir: Path, wabt_version: str | None = None) -> Path:
    """wast2json ``script`` into ``cache_dir/<hash>/`` once; return the JSON path. Raises
    ValidationError with wast2json's message if it cannot convert the script."""
    data = Path(script).read_bytes()
    key = hashlib.sha256(data + (wabt_version or _wabt_version()).encode()).hexdigest()[:24]
    out_dir = Path(cache_dir) / f"{Path(script).stem}-{key}"
    target = out_dir / f"{Path(script).stem}.json"
    if target.is_file():
        return target
    scratch = Path(tempfile.mkdtemp(prefix=".convert-", dir=cache_dir))
    try:
        done = subprocess.run([_tool("wast2json"), str(script), "-o",
                               str(scratch / target.name)], capture_output=True, text=True,
                              check=False, timeout=120)
        if done.returncode != 0:
            raise ValidationError("--spec-tests", f"wast2json cannot convert {script.name}: "
                                  f"{done.stderr.strip()[:_CRASH_TAIL]}")
        try:
            scratch.rename(out_dir)   # atomic: a concurrent converter may have won the race
        except OSError:
            pass
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _spectest_module(cache_dir: Path) -> Path:
    key = hashlib.sha256(SPECTEST_WAT.encode()).hexdigest()[:16]
    target = Path(cache_dir) / f"spectest-{key}.wasm"
    if not target.is_file():
        source = target.with_suffix(f".{os.getpid()}.wat")
        source.write_text(SPECTEST_WAT)
        partial = target.with_suffix(f".{os.getpid()}.part")
        subprocess.run([_tool("wat2wasm"), str(source), "-o", str(partial)], check=True,
                       capture_output=True)
        partial.replace(target)
        source.unlink()
    return target


# ====================================================================== the parent side


def run_spec_tests(engine_factory: str, settings: Mapping[str, Any] | None, suite_dir: Path, *,
                   engine_name: str | None = None, files: Iterable[str] | None = None,
                   limits: ExecutionLimits | None = None, timeout_s: float = DEFAULT_TIMEOUT_S,
                   cache_dir: Path | None = None, known_issues: Path | None | bool = True,
                   jobs: int = 1,
                   progress: Callable[[FileResult], None] | None = None) -> SpecReport:
    """Run every ``.wast`` script of ``suite_dir`` (or those named in ``files``) against the
    engine that ``engine_factory`` (``"package.module:callable"``, called with ``settings``)
    builds, each script in its own worker process; return the structured report.

    ``known_issues``: True uses the engine's own file, False none, a path that file. ``limits``
    default to the contract defaults (:class:`ExecutionLimits`). ``jobs`` worker processes run
    at a time. ``progress`` is called with each script's result as it finishes, in suite order.
    """
    scripts = list_scripts(suite_dir)
    if files is not None:
        wanted = {name if name.endswith(".wast") else f"{name}.wast" for name in files}
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            raise ValidationError("--file", f"no such script in {suite_dir}: "
                                  f"{', '.join(sorted(unknown))}")
        scripts = [s for s in scripts if s.name in wanted]
    limits = limits or ExecutionLimits()
    owned_cache = cache_dir is None
    cache = Path(tempfile.mkdtemp(prefix="ispc-wasm-spec-")) if cache_dir is None else Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    try:
        wabt = _wabt_version()
        spectest = _spectest_module(cache)
        issues: dict[tuple[str, int], KnownIssue] | None = None
        if known_issues is not True:
            issues = load_known_issues(known_issues or None)
        identity = {"engine": engine_name or engine_factory, "fingerprint": ""}
        results = []

        def one(script: Path) -> tuple[FileResult, dict | None]:
            return _run_script(script, cache, wabt, spectest, engine_factory, settings, limits,
                               timeout_s)

        with ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:   # threads wait on
            for script, (result, header) in zip(scripts, pool.map(one, scripts)):  # processes
                if header:
                    identity["engine"] = engine_name or header["engine"]
                    identity["fingerprint"] = header["fingerprint"]
                    if issues is None:
                        path = header.get("known_issues")
                        issues = load_known_issues(Path(path) if path else None)
                result = attrs.evolve(result, commands=tuple(
                    _apply_known_issues(script.name, list(result.commands), issues or {})))
                results.append(result)
                if progress is not None:
                    progress(result)
        return SpecReport(identity["engine"], identity["fingerprint"], str(suite_dir),
                          tuple(results))
    finally:
        if owned_cache:
            shutil.rmtree(cache, ignore_errors=True)


def _run_script(script: Path, cache: Path, wabt: str, spectest: Path, factory: str,
                settings: Mapping[str, Any] | None, limits: ExecutionLimits,
                timeout_s: float) -> tuple[FileResult, dict | None]:
    """Run one script in worker processes. A worker that dies fails the command it was running;
    a fresh worker then replays the commands before it silently (rebuilding the modules' state)
    and carries on after it, up to :data:`MAX_RESTARTS` times. ``timeout_s`` bounds the script
    as a whole: when it runs out, the running command fails and the rest are not run."""
    started = time.monotonic()
    try:
        json_path = convert(script, cache, wabt)
    except ISPCError as exc:
        return FileResult(script.name, (), time.monotonic() - started, error=exc.message), None
    commands = json.loads(json_path.read_text(encoding="utf-8"))["commands"]
    job: dict[str, Any] = {"factory": factory, "settings": dict(settings or {}), "script": script.name,
           "json": str(json_path), "spectest": str(spectest), "limits": attrs.asdict(limits),
           "skip": []}
    done: list[CommandResult] = []
    header = None
    while len(done) < len(commands):
        left = timeout_s - (time.monotonic() - started)
        job["start"] = len(done)
        worker_header, records, failure, stderr = _run_worker(job, cache, left, timeout_s)
        header = header or worker_header
        if worker_header is not None and worker_header.get("error"):
            return FileResult(script.name, (), time.monotonic() - started,
                              error=worker_header["error"]), worker_header
        done += [CommandResult(r["line"], r["command"], r["outcome"], r.get("detail", ""))
                 for r in records[:len(commands) - len(done)]]
        if len(done) >= len(commands):
            break
        failure = failure or "the worker stopped early"
        tail = stderr.strip()[-_CRASH_TAIL:]
        culprit = commands[len(done)]
        done.append(CommandResult(culprit["line"], culprit["type"], "failed",
                                  f"{failure} during this command"
                                  + (f"; stderr: {tail}" if tail else "")))
        job["skip"].append(len(done) - 1)
        if "timed out" in failure or len(job["skip"]) > MAX_RESTARTS:
            done += [CommandResult(c["line"], c["type"], "failed",
                                   f"not run: {failure} at line {culprit['line']}")
                     for c in commands[len(done):]]
    return FileResult(script.name, tuple(done), time.monotonic() - started), header


def _run_worker(job: dict, cache: Path, left: float,
                timeout_s: float) -> tuple[dict | None, list[dict], str, str]:
    """One worker process: (its header, its command records, why it died or "", its stderr)."""
    with tempfile.NamedTemporaryFile("w+", suffix=".jsonl", dir=cache, delete=False) as out:
        results_path = Path(out.name)
    failure, stderr = "", ""
    try:
        if left <= 0:
            return None, [], f"the script timed out after {timeout_s:g} s", ""
        proc = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            _, stderr = proc.communicate(json.dumps({**job, "results": str(results_path)}),
                                         timeout=left)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, stderr = proc.communicate()
            failure = f"the worker timed out after {timeout_s:g} s"
        else:
            if proc.returncode < 0:
                failure = (f"the worker crashed with signal "
                           f"{signal.Signals(-proc.returncode).name}")
            elif proc.returncode != 0:
                failure = f"the worker exited with status {proc.returncode}"
        records = _records(results_path)
    finally:
        results_path.unlink(missing_ok=True)
    header = records[0] if records and "engine" in records[0] else None
    return header, records[1:] if header is not None else records, failure, stderr or ""


def _records(path: Path) -> list[dict]:
    """The worker's records up to the first incomplete one (a crash can cut the last line)."""
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            break
        if not isinstance(record, dict):
            break
        records.append(record)
    return records


# ====================================================================== the worker side


_WIDTH = {"i32": 32, "i64": 64, "f32": 32, "f64": 64}
_CANONICAL = {"f32": 0x7FC00000, "f64": 0x7FF8000000000000}   # also the quiet-bit masks
_SIGN = {"f32": 0x7FFFFFFF, "f64": 0x7FFFFFFFFFFFFFFF}


class _Failed(Exception):
    """A command's check failed; the message says how."""


def _describe(value) -> str:
    if value.type in ("f32", "f64"):
        number = struct.unpack("<f" if value.type == "f32" else "<d",
                               value.bits.to_bytes(_WIDTH[value.type] // 8, "little"))[0]
        shown = "nan" if math.isnan(number) else repr(number)
        return f"{value.type}:0x{value.bits:0{_WIDTH[value.type] // 4}x}({shown})"
    if value.type in ("i32", "i64"):
        return f"{value.type}:{value.bits}"
    return str(value)


def _expected_text(spec: dict) -> str:
    return f"{spec['type']}:{spec.get('value', '?')}"


class _Script:
    """Runs one converted script's commands on one session, in the worker process."""

    def __init__(self, session, folder: Path, value_type) -> None:
        self.session = session
        self.folder = folder
        self.WasmValue = value_type
        self.current: Any = None
        self.named: dict[str, Any] = {}

    # -- helpers

    def _module_bytes(self, command: dict) -> bytes:
        return (self.folder / command["filename"]).read_bytes()

    def _instance(self, name: str | None) -> Any:
        instance = self.named.get(name) if name else self.current
        if instance is None:
            raise _Failed(f"no module {name or '(current)'} to act on")
        if isinstance(instance, _Broken):
            raise _Failed(f"the module of line {instance.line} did not instantiate")
        return instance

    def _arg(self, spec: dict):
        kind, text = spec["type"], spec.get("value", "")
        if kind in ("funcref", "externref"):
            return self.WasmValue(kind, None if text == "null" else int(text))
        return self.WasmValue(kind, int(text))

    def _action(self, action: dict):
        instance = self._instance(action.get("module"))
        if action["type"] == "get":
            return (self.session.get_global(instance, action["field"]),), \
                f"get {action['field']!r}"
        args = [self._arg(a) for a in action.get("args", [])]
        text = f"invoke {action['field']!r}({', '.join(_describe(a) for a in args)})"
        return tuple(self.session.invoke(instance, action["field"], args)), text

    @staticmethod
    def _matches(value, spec: dict) -> bool:
        kind, text = spec["type"], spec.get("value", "")  # a funcref result may have none
        if value.type != kind:
            return False
        if kind in ("funcref", "externref"):
            if text == "null":
                return value.bits is None
            return value.bits is not None and (kind == "funcref" or value.bits == int(text))
        if text == "nan:canonical":
            return value.bits & _SIGN[kind] == _CANONICAL[kind]
        if text == "nan:arithmetic":
            return value.bits & _CANONICAL[kind] == _CANONICAL[kind]
        return value.bits == int(text)

    def _expect_error(self, run: Callable[[], Any], accept: Callable[[BaseException], bool],
                      want: str) -> None:
        try:
            outcome = run()
        except Exception as exc:  # noqa: BLE001 - any engine error is judged, not propagated
            if accept(exc):
                return
            raise _Failed(f"expected {want}, got {_error_text(exc)}") from None
        shown = ", ".join(_describe(v) for v in outcome) if isinstance(outcome, tuple) else \
            "success"
        raise _Failed(f"expected {want}, got {shown or 'no results'}")

    # -- commands

    def run(self, command: dict) -> tuple[str, str]:
        kind = command["type"]
        handler = getattr(self, "_cmd_" + kind, None)
        if handler is None:
            return "failed", f"unknown command type {kind!r}"
        try:
            return handler(command) or ("passed", "")
        except _Failed as exc:
            return "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - an engine bug fails this command only
            return "failed", f"unexpected {_error_text(exc)}"

    def _cmd_module(self, command: dict):
        try:
            instance = self.session.instantiate(self.session.compile(self._module_bytes(command)))
        except Exception as exc:
            self.current = _Broken(command["line"])
            if command.get("name"):
                self.named[command["name"]] = self.current
            raise _Failed(f"module {command['filename']} did not load: "
                          f"{_error_text(exc)}") from None
        self.current = instance
        if command.get("name"):
            self.named[command["name"]] = instance

    def _cmd_register(self, command: dict):
        self.session.register(command["as"], self._instance(command.get("name")))

    def _cmd_action(self, command: dict):
        self._action(command["action"])

    def _cmd_assert_return(self, command: dict):
        results, text = self._action(command["action"])
        expected = command.get("expected", [])
        if len(results) != len(expected) or not all(
                self._matches(v, e) for v, e in zip(results, expected)):
            raise _Failed(f"{text}: expected {', '.join(map(_expected_text, expected)) or '()'}"
                          f", got {', '.join(map(_describe, results)) or '()'}")

    def _cmd_assert_trap(self, command: dict):
        self._expect_error(lambda: self._action(command["action"])[0],
                           lambda e: type(e) is Trap,
                           f"a trap ({command.get('text')}) from {self._text(command)}")

    def _cmd_assert_exhaustion(self, command: dict):
        self._expect_error(lambda: self._action(command["action"])[0],
                           lambda e: isinstance(e, StackExhausted),
                           f"stack exhaustion ({command.get('text')}) from "
                           f"{self._text(command)}")

    def _text(self, command: dict) -> str:
        action = command["action"]
        args = ", ".join(_describe(self._arg(a)) for a in action.get("args", []))
        return f"invoke {action['field']!r}({args})" if action["type"] == "invoke" else \
            f"get {action['field']!r}"

    def _rejected(self, command: dict):
        if command.get("module_type") == "text":
            return "skipped", "a text-format module: parsing text is wabt's job, not an engine's"
        from .._wasm_spec_protocol import INVALID

        self._expect_error(lambda: self.session.compile(self._module_bytes(command)),
                           lambda e: isinstance(e, ModuleRejected) and e.code == INVALID,
                           f"the module to be rejected ({command.get('text')})")
        return None

    _cmd_assert_invalid = _rejected
    _cmd_assert_malformed = _rejected

    def _cmd_assert_unlinkable(self, command: dict):
        from .._wasm_spec_protocol import UNLINKABLE

        module = self.session.compile(self._module_bytes(command))
        self._expect_error(lambda: self.session.instantiate(module),
                           lambda e: isinstance(e, ModuleRejected) and e.code == UNLINKABLE,
                           f"a link error ({command.get('text')})")

    def _cmd_assert_uninstantiable(self, command: dict):
        module = self.session.compile(self._module_bytes(command))
        self._expect_error(lambda: self.session.instantiate(module),
                           lambda e: type(e) is Trap,
                           f"a trap while instantiating ({command.get('text')})")


class _Broken:
    """Stands for a module that failed to load, so later commands say so."""

    def __init__(self, line: int) -> None:
        self.line = line


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, ISPCError):
        return f"{type(exc).__name__} [{exc.code}]: {exc.message}"
    return f"{type(exc).__name__}: {exc}"


def _load_factory(path: str):
    import importlib

    module_name, _, attr = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


def _worker(job: dict) -> int:
    from .._wasm_spec_protocol import SPEC_TESTS, WasmValue, supports_spec_tests

    with open(job["results"], "w", encoding="utf-8") as out:
        def emit(record: dict) -> None:
            out.write(json.dumps(record) + "\n")
            out.flush()   # a crash later must not lose what was done

        try:
            engine = _load_factory(job["factory"])(job["settings"])
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which fails the script
            emit({"engine": job["factory"], "fingerprint": "",
                  "error": f"the engine could not be built: {_error_text(exc)}"})
            return 0
        name = getattr(engine, "name", job["factory"])
        if not supports_spec_tests(engine):
            emit({"engine": name, "fingerprint": "",
                  "error": f"engine {name!r} does not declare {SPEC_TESTS!r} with "
                           f"spec_session() and spec_known_issues()"})
            return 0
        known = engine.spec_known_issues()
        emit({"engine": name, "fingerprint": engine.fingerprint(),
              "known_issues": str(known) if known else None})
        session = engine.spec_session(ExecutionLimits(**job["limits"]))
        try:
            script = _Script(session, Path(job["json"]).parent, WasmValue)
            spectest = session.instantiate(session.compile(Path(job["spectest"]).read_bytes()))
            session.register("spectest", spectest)
            commands = json.loads(Path(job["json"]).read_text(encoding="utf-8"))["commands"]
            skip, start = set(job.get("skip", ())), job.get("start", 0)
            for index, command in enumerate(commands):
                if index in skip:   # killed an earlier worker: reported there, not rerun
                    continue
                outcome, detail = script.run(command)   # before start: replayed silently
                if index >= start:
                    emit({"line": command["line"], "command": command["type"],
                          "outcome": outcome, **({"detail": detail} if detail else {})})
        finally:
            session.close()
            close = getattr(engine, "close", None)
            if callable(close):
                close()
    return 0


if __name__ == "__main__":
    sys.exit(_worker(json.loads(sys.stdin.read())))
