"""``ispc conformance NAME``: find an installed plugin, pick its suite from its descriptor, run it.

The CLI command is a thin wrapper around :func:`run_installed`. Each run builds fresh plugin
objects from the plugin's factory and settings; settings of type ``path`` point into a scratch
directory (a new file or directory per object), so a repository starts empty and a prover keeps
its keys away from the operator's.
"""

from __future__ import annotations

import importlib
import os
import itertools
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from .._errors import PluginError, PluginNotFound
from .runner import DEFAULT_TIMEOUT_S, SuiteReport, Target, load_known_issues, run_pytest

__all__ = ["SUITES", "suite_for", "find_plugin", "run_installed", "run_target", "KNOWN_ISSUES_FILE",
           "compute_levels"]

#: suite key -> (suite module, base class, plugin kind, runtime)
SUITES: dict[str, tuple[str, str, str, str | None]] = {
    "wasm-engine": ("wasm_engine", "WasmEngineSuite", "engine", "wasm"),
    "onnx-engine": ("onnx_engine", "OnnxEngineSuite", "engine", "onnx"),
    "hostabi": ("hostabi_provider", "HostABIProviderSuite", "hostabi", None),
    "prover": ("prover", "ProverSuite", "prover", None),
    "trace-sink": ("trace_sink", "TraceSinkSuite", "trace_sink", None),
    "repository": ("repository", "RepositorySuite", "repository", None),
    "hooks": ("hooks", "ExecutionHooksSuite", "hooks", None),
}
#: the file a plugin ships in its top-level package to declare its known issues
KNOWN_ISSUES_FILE = "conformance_known_issues.toml"

# Settings a suite needs to exercise a plugin without an operator's setup: a prover's fast
# single-party keys (the suite proves with them, it never trusts them for real results).
_SUITE_SETTINGS: dict[str, dict[str, Any]] = {
    "prover": {"setup_mode": "testing", "allow_testing_keys": True},
}

# Suites whose checks need an empty plugin each: a new file or directory per object.
_FRESH_PATH_SUITES = {"repository", "trace-sink"}

_SOURCE = '''\
import pytest
from ispc_framework.conformance.runner import current_target
from ispc_framework.conformance.{module} import {cls} as _Suite


class TestConformance(_Suite):
    @pytest.fixture
    def make_plugin(self):
        return current_target().make

    @pytest.fixture
    def variants(self):
        return current_target().variants
'''

# ``--backend-tests``: onnx's backend node tests as checks of the same report.
_BACKEND_SOURCE = '''

from ispc_framework.conformance.onnx_backend import OnnxBackendSuite as _Backend


class TestBackend(_Backend):
    @pytest.fixture
    def make_plugin(self):
        return current_target().make
'''


def suite_for(spec: Any) -> str:
    for key, (_module, _cls, kind, runtime) in SUITES.items():
        if spec.kind == kind and getattr(spec, "runtime", None) == runtime:
            return key
    raise PluginError(f"no conformance suite for plugin kind {spec.kind!r}")


def find_plugin(plugins: Any, name: str, suite: str | None = None) -> tuple[Any, Any]:
    """(record, spec) of the installed plugin ``name``; ``suite`` picks one where a name has
    several kinds. Unknown names get the manager's typed error with the alternatives."""
    if suite is not None and suite not in SUITES:
        raise PluginError(f"unknown suite {suite!r}; suites: {', '.join(SUITES)}",
                          code="conformance-unknown-suite", hint="pass --kind with one of them")
    matches = [r for r in plugins.records() if r.name == name and r.spec is not None
               and (suite is None or suite_for(r.spec) == suite)]
    usable = [r for r in matches if r.status == "ok"]
    if len(usable) > 1:
        kinds = ", ".join(sorted(suite_for(r.spec) for r in usable))
        raise PluginError(f"{name!r} names several plugins: {kinds}",
                          code="conformance-ambiguous", hint=f"add --kind, e.g. --kind "
                          f"{suite_for(usable[0].spec)}")
    if usable:
        return usable[0], usable[0].spec
    if matches:   # present but unusable: the manager's select explains why
        record = matches[0]
        plugins.select(record.kind, name, getattr(record.spec, "runtime", None))
    available = sorted({f"{r.name} ({suite_for(r.spec)})" for r in plugins.records()
                        if r.status == "ok" and r.spec is not None
                        and (suite is None or suite_for(r.spec) == suite)})
    raise PluginNotFound(f"no installed plugin is named {name!r}"
                         + (f" with a {suite} suite" if suite else "")
                         + f". Available: {', '.join(available) or 'none'}", plugin=name,
                         hint="`ispc plugins` lists them; pip install the plugin first")


def _known_issues_of(spec: Any) -> Path | None:
    if not spec.factory:
        return None
    package = spec.factory.partition(":")[0].split(".")[0]
    try:
        candidate = resources.files(package) / KNOWN_ISSUES_FILE
    except (ModuleNotFoundError, TypeError):
        return None
    return Path(str(candidate)) if candidate.is_file() else None


def compute_levels(report: SuiteReport, levels: dict[str, tuple[str, ...]]) -> None:
    outcomes = {c.id: c.outcome for c in report.checks}
    for level, needed in levels.items():
        missing = {check: outcomes.get(check, "not run") for check in needed
                   if outcomes.get(check) != "passed"}
        report.levels[level] = {"met": not missing, "requires": list(needed),
                                "not_passed": missing}


def run_target(target: Target, *, junitxml: Path | str | None = None,
               json_path: Path | str | None = None, timeout_s: float | None = None,
               echo: Callable[[str], None] = print, select_expr: str | None = None,
               prepare: bool = True, backend_tests: bool = False) -> SuiteReport:
    """Run ``target.suite``'s checks against plugin objects from ``target.make`` (an installed
    plugin via :func:`run_installed`, or any object: tests, a plugin's own CI)."""
    module_name, cls_name, _kind, _runtime = SUITES[target.suite]
    module = importlib.import_module(f"{__package__}.{module_name}")
    report = SuiteReport(target.suite, getattr(module, "SUITE_VERSION", "1"), target)
    sample = target.make()   # built here first: a plugin that cannot be built fails loudly now
    try:
        hook = getattr(module, "prepare", None)
        if prepare and hook is not None:   # e.g. a prover's keys, made once for every check
            echo(f"preparing {target.name} ({module_name}.prepare)")
            if target.variants:
                hook(sample, target.variants)
            else:
                hook(sample)
        capabilities = getattr(sample, "capabilities", None)
        if callable(capabilities):
            report.object_capabilities = sorted(capabilities())
    finally:
        close = getattr(sample, "close", None)
        if callable(close) and target.suite != "hooks":
            close()
    source = _SOURCE.format(module=module_name, cls=cls_name)
    if backend_tests:
        if target.suite != "onnx-engine":
            raise PluginError("--backend-tests is for ONNX engines only",
                              code="conformance-unknown-suite",
                              hint="drop --backend-tests, or name an ONNX engine")
        source += _BACKEND_SOURCE
    if timeout_s is None:   # a suite whose checks start worker processes allows them longer
        timeout_s = getattr(module, "CHECK_TIMEOUT_S", DEFAULT_TIMEOUT_S)
    run_pytest(report, source, timeout_s=timeout_s, junitxml=junitxml, echo=echo,
               select_expr=select_expr)
    compute_levels(report, getattr(module, "LEVELS", {}))
    if json_path:
        report.write_json(json_path)
    return report


def run_installed(plugins: Any, config: Any, name: str, *, suite: str | None = None,
                  known_issues: Path | str | None = None, junitxml: Path | str | None = None,
                  json_path: Path | str | None = None, timeout_s: float | None = None,
                  echo: Callable[[str], None] = print,
                  select_expr: str | None = None, backend_tests: bool = False) -> SuiteReport:
    try:
        import pytest  # noqa: F401
    except ImportError:
        raise PluginError("the conformance suites need pytest, which is not installed",
                          code="conformance-needs-pytest",
                          hint="pip install 'ispc-framework[conformance]'") from None
    record, spec = find_plugin(plugins, name, suite)
    suite = suite_for(spec)
    settings = config.plugin_settings(spec)
    issues_path = known_issues or _known_issues_of(spec)
    issues = load_known_issues(issues_path) if issues_path else {}
    with tempfile.TemporaryDirectory(prefix="ispc-conformance-data-") as scratch:
        counter = itertools.count()
        extra = {k: v for k, v in _SUITE_SETTINGS.get(suite, {}).items()
                 if k in {s.name for s in spec.settings}}

        def build(role: str = "") -> Any:
            if suite == "hooks":
                return plugins.hook_plugin(spec)
            fresh = dict(settings)
            if role == "production":   # the plugin's defaults for what the suite overrides
                fresh.update({s.name: s.default for s in spec.settings if s.name in extra})
            else:
                fresh.update(extra)
            for setting in spec.settings:
                if setting.type != "path" or not setting.default:
                    continue   # an optional file (e.g. a ptau) stays as configured
                if suite in _FRESH_PATH_SUITES:
                    # pid too: checks run in forked children, each with a copy of the counter
                    fresh[setting.name] = str(Path(scratch) / f"{setting.name}-{os.getpid()}-"
                                                              f"{next(counter)}")
                else:   # shared by the run (a prover's key directory); a foreign one apart
                    fresh[setting.name] = str(Path(scratch) / (
                        f"foreign-{setting.name}" if role == "foreign" else setting.name))
            return plugins.create(spec, fresh)

        variants: dict[str, Callable[[], Any]] = {}
        if suite == "prover":
            if any(s.type == "path" and s.default for s in spec.settings):
                variants["foreign"] = lambda: build("foreign")
            if extra:   # without testing-setup settings its keys are never testing-only
                variants["production"] = lambda: build("production")
        if backend_tests and suite == "onnx-engine":
            issues = {**_backend_known_issues(build), **issues}
        target = Target(suite, name, build, record.distribution, record.version,
                        frozenset(spec.capabilities), issues, variants)
        echo(f"{suite} conformance of {name} ({record.distribution} {record.version})"
             + (f", known issues from {issues_path}" if issues_path else ""))
        return run_target(target, junitxml=junitxml, json_path=json_path, timeout_s=timeout_s,
                          echo=echo, select_expr=select_expr, backend_tests=backend_tests)


def _backend_known_issues(build: Callable[[], Any]) -> dict[str, Any]:
    """The engine's backend-test gaps (``backend_known_issues()``: a file in the format of
    :mod:`.onnx_backend`), as known issues of the ``backend_node[...]`` checks."""
    from .onnx_backend import known_issues_of

    engine = build()
    try:
        where = getattr(engine, "backend_known_issues", None)
        path = where() if callable(where) else None
    finally:
        close = getattr(engine, "close", None)
        if callable(close):
            close()
    return known_issues_of(path) if path else {}
