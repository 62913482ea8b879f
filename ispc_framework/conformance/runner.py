"""Running a conformance suite against one plugin: pytest in-process, one forked process per check.

Every check is its own pytest test (the suites are pytest base classes, see the kind modules), so
authors get pytest's reporting and fixtures in their own tests, and ``ispc conformance NAME``
gets JUnit XML for free. Two things pytest does not give us, written here:

- a per-check time limit that holds even when the plugin hangs in native code holding the GIL
  (an engine ignoring fuel and the timeout): each check runs in a forked child which the parent
  kills at the deadline (pytest-timeout's signal method cannot interrupt native code and its
  thread method ends the whole session);
- checks of a class with a ``fork_group`` (hundreds of small checks on one plugin object, such as
  onnx's backend node tests) run one after another in one forked child, which streams each
  result; each check still has its own deadline, and a killed or crashed child is replaced by a
  fresh one for the rest of the batch;
- a result per check, printed as it finishes and collected into :class:`SuiteReport` (counts of
  passed / failed / skipped / xfailed / xpassed, reasons, durations, compliance levels), written as
  JSON by :meth:`SuiteReport.write_json`.

Other runners (the WebAssembly spec-test runner) reuse :func:`run_pytest` with their own test
modules and the same report. Known issues of a plugin (a TOML file, :func:`load_known_issues`)
become strict xfails, so a fixed issue shows up as a failure until it is removed from the file.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from .._errors import ConfigError

__all__ = ["Target", "KnownIssue", "CheckResult", "SuiteReport", "load_known_issues",
           "run_pytest", "current_target", "CATEGORIES", "OUTCOMES"]

CATEGORIES = ("unsupported", "known-bug", "flaky")
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "xpassed", "error")
DEFAULT_TIMEOUT_S = 60.0


@attrs.frozen
class KnownIssue:
    category: str
    reason: str


@attrs.frozen
class Target:
    """The plugin a suite runs against. ``make()`` returns a fresh plugin object on every call
    (repositories get a new empty database each time)."""

    suite: str                           # suite key, e.g. "wasm-engine"
    name: str
    make: Callable[[], Any]
    distribution: str = ""
    version: str = ""
    capabilities: frozenset[str] = frozenset()   # as the descriptor declares them
    known_issues: dict[str, KnownIssue] = attrs.field(factory=dict)
    #: other objects of the plugin some checks need, by role (the prover suite's "foreign":
    #: its own keys; "production": the same keys under the plugin's default settings)
    variants: dict[str, Callable[[], Any]] = attrs.field(factory=dict)


_CURRENT: list[Target] = []


def current_target() -> Target:
    """The target of the running ``ispc conformance`` (used by the generated test module)."""
    if not _CURRENT:
        raise RuntimeError("no conformance run in progress")
    return _CURRENT[-1]


def load_known_issues(path: Path | str) -> dict[str, KnownIssue]:
    """``[checks.<check id>]`` tables with ``category`` (unsupported, known-bug, flaky) and a
    non-empty ``reason``; anything else is a ConfigError naming the entry."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
        import tomli as tomllib

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"known-issues file {str(path)!r}: {exc}", key="known-issues") from exc
    issues: dict[str, KnownIssue] = {}
    unknown = set(data) - {"checks"}
    if unknown:
        raise ConfigError(f"known-issues file {str(path)!r}: unknown table(s) "
                          f"{', '.join(sorted(unknown))}; only [checks.<id>]", key="known-issues")
    for check, entry in data.get("checks", {}).items():
        category, reason = entry.get("category"), entry.get("reason")
        if category not in CATEGORIES or not isinstance(reason, str) or not reason.strip() \
                or set(entry) - {"category", "reason"}:
            raise ConfigError(f"known-issues file {str(path)!r}: [checks.{check}] needs "
                              f"category (one of {', '.join(CATEGORIES)}) and a reason, "
                              f"got {entry!r}", key="known-issues")
        issues[check] = KnownIssue(category, reason.strip())
    return issues


@attrs.frozen
class CheckResult:
    id: str
    nodeid: str
    outcome: str            # one of OUTCOMES
    reason: str = ""
    duration: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


@attrs.define
class SuiteReport:
    suite: str
    suite_version: str
    target: Target
    checks: list[CheckResult] = attrs.field(factory=list)
    object_capabilities: list[str] | None = None
    levels: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    errors: list[str] = attrs.field(factory=list)   # collection errors, unknown known-issues

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for check in self.checks:
            counts[check.outcome] += 1
        return counts

    @property
    def ok(self) -> bool:
        counts = self.counts()
        return not (counts["failed"] or counts["error"] or self.errors) and bool(self.checks)

    def summary(self) -> str:
        counts = self.counts()
        parts = [f"{counts[o]} {o}" for o in OUTCOMES if counts[o] or o in ("passed", "failed")]
        return f"{self.suite} conformance of {self.target.name}: " + ", ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        from .. import __version__

        target = self.target
        return {
            "core_version": __version__, "suite": self.suite, "suite_version": self.suite_version,
            "plugin": {"name": target.name, "distribution": target.distribution,
                       "version": target.version,
                       "declared_capabilities": sorted(target.capabilities),
                       "object_capabilities": self.object_capabilities},
            "counts": self.counts(), "ok": self.ok, "levels": self.levels, "errors": self.errors,
            "checks": [c.as_dict() for c in self.checks],
        }

    def write_json(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n")


def check_id(item: Any) -> str:
    """A check's stable id: the test function's name without ``test_`` (plus its parameters)."""
    name = item.name
    return name[5:] if name.startswith("test_") else name


def _outcome(reports: list[Any]) -> tuple[str, str]:
    """One test's outcome and reason from its setup/call/teardown reports."""
    for report in reports:
        if report.failed:
            if getattr(report, "wasxfail", None) is not None or "XPASS(strict)" in str(
                    getattr(report, "longrepr", "")):
                return "failed", "unexpectedly passed (strict xfail): remove it from the " \
                                 "known issues"
            return ("failed" if report.when == "call" else "error"), _failure_text(report)
    for report in reports:
        if report.skipped:
            reason = getattr(report, "wasxfail", None)
            if reason is not None:
                return "xfailed", reason
            longrepr = report.longrepr
            text = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            return "skipped", text.removeprefix("Skipped: ")
    call = [r for r in reports if r.when == "call"]
    if call and getattr(call[0], "wasxfail", None) is not None:
        return "xpassed", call[0].wasxfail
    return "passed", ""


def _failure_text(report: Any) -> str:
    """The assertion or error message, not the whole traceback."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message
    return str(report.longrepr).strip().splitlines()[-1] if report.longrepr else "failed"


class _Collector:
    """The pytest plugin: forks each test, enforces the deadline, records and prints results."""

    def __init__(self, report: SuiteReport, timeout_s: float,
                 echo: Callable[[str], None]) -> None:
        self.report, self.timeout_s, self.echo = report, timeout_s, echo
        self.items: list[Any] = []
        self.batch: _Batch | None = None   # the running child of a fork group

    # -- known issues become strict xfails (flaky ones non-strict: a pass proves nothing)
    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list[Any]) -> None:
        import pytest

        self.items = items
        issues = self.report.target.known_issues
        ids = {check_id(item) for item in items}
        for stale in sorted(set(issues) - ids):
            self.report.errors.append(f"known issue {stale!r} names no check of this suite")
        for item in items:
            issue = issues.get(check_id(item))
            if issue is not None:
                item.add_marker(pytest.mark.xfail(reason=f"{issue.category}: {issue.reason}",
                                                  strict=issue.category != "flaky", run=True))

    def pytest_sessionfinish(self, session: Any) -> None:
        if self.batch is not None:   # the session ended early: no child outlives it
            self.batch.stop()
            self.batch = None

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.report.errors.append(f"collecting {report.nodeid}: {report.longrepr}")

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> bool:
        started = time.monotonic()
        group = getattr(item.cls, "fork_group", None)
        reports = self._run_forked(item) if group is None else self._run_batched(item, group)
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
        outcome, reason = _outcome(reports)
        result = CheckResult(check_id(item), item.nodeid, outcome, reason,
                             round(time.monotonic() - started, 4))
        self.report.checks.append(result)
        mark = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP",
                "xfailed": "XFAIL", "xpassed": "XPASS"}[outcome]
        self.echo(f"{mark:5} {result.id} ({result.duration:.2f}s)"
                  + (f": {reason}" if reason else ""))
        return True

    def _run_forked(self, item: Any) -> list[Any]:
        from _pytest.runner import runtestprotocol

        config = item.config
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:   # child: run the test, send its reports, never return into pytest
            code = 0
            try:
                os.close(read_fd)
                reports = runtestprotocol(item, log=False, nextitem=None)
                sent = [config.hook.pytest_report_to_serializable(config=config, report=r)
                        for r in reports]
                payload = json.dumps(sent, default=str).encode()
                with os.fdopen(write_fd, "wb") as pipe:
                    pipe.write(payload)
            except BaseException:  # noqa: BLE001 - the parent reports a crash
                code = 3
            finally:
                os._exit(code)
        os.close(write_fd)
        chunks, deadline = [], time.monotonic() + self.timeout_s
        timed_out = False
        with os.fdopen(read_fd, "rb") as pipe:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    timed_out = True
                    break
                ready, _, _ = select.select([pipe], [], [], left)
                if ready:
                    chunk = os.read(pipe.fileno(), 1 << 16)
                    if not chunk:
                        break
                    chunks.append(chunk)
        if timed_out:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        if timed_out:
            return [self._synthetic(item, f"timed out after {self.timeout_s:g} s: the check "
                                    "was killed (the plugin hangs or ignores its limits)")]
        data: Any
        try:
            data = json.loads(b"".join(chunks) or b"null")
        except ValueError:
            data = None
        if not data:
            how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                   else f"exit status {os.WEXITSTATUS(status)}")
            return [self._synthetic(item, f"the check crashed its process ({how})")]
        reports = [config.hook.pytest_report_from_serializable(config=config, data=d)
                   for d in data]
        for report in reports:   # JSON made the (path, line, reason) of a skip a list
            if isinstance(report.longrepr, list):
                report.longrepr = tuple(report.longrepr)
        return reports

    def _run_batched(self, item: Any, group: str) -> list[Any]:
        """This item's reports from the group's child, starting one (for this item and the
        rest of its group) when none runs."""
        if self.batch is None or not self.batch.expects(item):
            if self.batch is not None:
                self.batch.stop()
            start = self.items.index(item)
            members = [i for i in self.items[start:]
                       if getattr(i.cls, "fork_group", None) == group]
            self.batch = _Batch(members)
        data, problem = self.batch.next_result(self.timeout_s)
        if problem is not None:
            self.batch.stop()
            self.batch = None
            return [self._synthetic(item, problem)]
        if self.batch.done():
            self.batch.stop()
            self.batch = None
        config = item.config
        reports = [config.hook.pytest_report_from_serializable(config=config, data=d)
                   for d in data]
        for report in reports:
            if isinstance(report.longrepr, list):
                report.longrepr = tuple(report.longrepr)
        return reports

    def _synthetic(self, item: Any, message: str) -> Any:
        from _pytest.reports import TestReport

        return TestReport(item.nodeid, item.location, {}, "failed", message, "call",
                          duration=self.timeout_s)


class _Batch:
    """A forked child running ``items`` in order, one JSON line of serialised reports each."""

    def __init__(self, items: list[Any]) -> None:
        from _pytest.runner import runtestprotocol

        self.pending = list(items)
        self.buffer = b""
        read_fd, write_fd = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:   # child: run the batch, never return into pytest
            code = 0
            try:
                os.close(read_fd)
                with os.fdopen(write_fd, "wb", buffering=0) as pipe:
                    for index, item in enumerate(items):
                        after = items[index + 1] if index + 1 < len(items) else None
                        config = item.config
                        reports = runtestprotocol(item, log=False, nextitem=after)
                        line = json.dumps([config.hook.pytest_report_to_serializable(
                            config=config, report=r) for r in reports], default=str)
                        pipe.write(line.encode() + b"\n")
            except BaseException:  # noqa: BLE001 - the parent reports the crash
                code = 3
            finally:
                os._exit(code)
        os.close(write_fd)
        self.fd = read_fd

    def expects(self, item: Any) -> bool:
        return bool(self.pending) and self.pending[0] is item

    def done(self) -> bool:
        return not self.pending

    def next_result(self, timeout_s: float) -> tuple[Any, str | None]:
        """The next item's serialised reports, or (None, why it has none)."""
        self.pending.pop(0)
        deadline = time.monotonic() + timeout_s
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, (f"timed out after {timeout_s:g} s: the check was killed (the "
                              "plugin hangs or ignores its limits)")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    _, status = os.waitpid(self.pid, 0)
                    self.pid = 0
                    how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                           else f"exit status {os.WEXITSTATUS(status)}")
                    return None, f"the check crashed its process ({how})"
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line), None

    def stop(self) -> None:
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        with contextlib.suppress(OSError):
            os.close(self.fd)


@contextlib.contextmanager
def _pytest_environment() -> Iterator[None]:
    """The user's installed pytest plugins stay out of a conformance run."""
    old = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = old


def run_pytest(report: SuiteReport, test_source: str, *, extra_modules: Iterable[Path] = (),
               timeout_s: float = DEFAULT_TIMEOUT_S, junitxml: Path | str | None = None,
               echo: Callable[[str], None] = print, select_expr: str | None = None) -> SuiteReport:
    """Run ``test_source`` (a generated test module) and ``extra_modules`` under pytest, one
    forked process per check, filling ``report``."""
    import pytest

    _CURRENT.append(report.target)
    try:
        with tempfile.TemporaryDirectory(prefix="ispc-conformance-") as scratch, \
                _pytest_environment():
            root = Path(scratch)
            (root / "pytest.ini").write_text("[pytest]\n")
            module = root / f"test_conformance_{report.suite.replace('-', '_')}.py"
            module.write_text(textwrap.dedent(test_source))
            args = [str(module), *map(str, extra_modules), "-c", str(root / "pytest.ini"),
                    "--rootdir", str(root), "-p", "no:cacheprovider", "-p", "no:terminal",
                    # faulthandler would sit in front of an engine's own signal handlers
                    # installed earlier in this process (wasmtime turns SIGILL/SIGSEGV in guest
                    # code into traps) and make every trap a crash
                    "-p", "no:faulthandler",
                    "--import-mode=importlib", "-o",
                    f"junit_suite_name=ispc-conformance-{report.suite}-{report.target.name}"]
            if junitxml:
                args += ["--junitxml", str(Path(junitxml).resolve())]
            if select_expr:
                args += ["-k", select_expr]
            code = pytest.main(args, plugins=[_Collector(report, timeout_s, echo)])
            if code not in (0, 1, 5) and not report.errors:
                report.errors.append(f"pytest exited with status {int(code)}")
    finally:
        _CURRENT.pop()
        sys.stdout.flush()
    return report
