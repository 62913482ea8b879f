"""The conformance suite the core ships for plugin authors.

Each kind has a module of checks that take the plugin's object (or a factory for fresh ones) and
return a :class:`Report`; ``ispc conformance KIND NAME`` runs them against an installed plugin, and a
plugin's own test suite can call them directly:

    from ispc_framework.conformance import repository
    report = repository.run(lambda: MyRepository(tmp_path / "db"))
    assert report.ok, report.render()

The checks compare the plugin with the core's reference behaviour (MemoryRepository for
repositories), so two conforming plugins derive the same ids, hashes and errors.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable

import attrs

__all__ = ["Check", "Report", "run_checks"]


@attrs.frozen
class Check:
    name: str
    passed: bool
    detail: str = ""
    skipped: bool = False   # not run (``detail`` says why): neither passed nor failed


@attrs.frozen
class Report:
    kind: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """No check failed (skipped ones did not pass either: see :attr:`skipped`)."""
        return all(check.passed or check.skipped for check in self.checks)

    @property
    def skipped(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.skipped)

    def render(self) -> str:
        passed = sum(c.passed for c in self.checks)
        skipped = len(self.skipped)
        lines = [f"{self.kind} conformance: {passed} passed, "
                 f"{len(self.checks) - passed - skipped} failed"
                 + (f", {skipped} skipped" if skipped else "")]
        for check in self.checks:
            mark = "SKIP" if check.skipped else "ok  " if check.passed else "FAIL"
            lines.append(f"  {mark} {check.name}" + (f": {check.detail}" if check.detail else ""))
        return "\n".join(lines)


def run_checks(kind: str, checks: list[tuple[str, Callable[[], None]]]) -> Report:
    """Run each check; an AssertionError or any exception is that check's failure, not the run's."""
    results = []
    for name, check in checks:
        try:
            check()
            results.append(Check(name, True))
        except AssertionError as exc:
            results.append(Check(name, False, str(exc) or "assertion failed"))
        except Exception as exc:  # a crash in the plugin is a failed check with its cause
            last = traceback.extract_tb(exc.__traceback__)[-1]
            results.append(Check(name, False, f"{type(exc).__name__}: {exc} "
                                 f"({last.filename}:{last.lineno})"))
    return Report(kind, tuple(results))
