"""Discovery, loading and selection of plugins.

One entry-point group, ``ispc.plugins``; the core's built-ins come through it too. Entry points are
scanned once per manager. Each plugin module is imported, registered with pluggy and asked for its
descriptors inside its own try/except, so a broken plugin is recorded (with its distribution and
exception) and never stops the others. Selection is strict only for what the config selects: a
selected plugin that failed raises its error; an unselected broken one is a warning in
``ispc plugins`` / ``ispc doctor``.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Iterable, Mapping
from importlib import metadata
from typing import Any, TypedDict

import attrs
import pluggy

from .._errors import (PluginAPIMismatch, PluginConflict, PluginError, PluginLoadError,
                      PluginNotFound)
from . import _hookspecs as hookspecs
from ._specs import (KINDS, PLUGIN_API_VERSION, EngineSpec, HookSpec, HostABIProviderSpec,
                     PluginSpec, ProverSpec, RepositorySpec, TraceSinkSpec, load_factory)

__all__ = ["PluginManager", "PluginRecord", "ENTRY_POINT_GROUP", "AUTOLOAD_ENV"]

log = logging.getLogger("ispc.plugins")

ENTRY_POINT_GROUP = "ispc.plugins"
AUTOLOAD_ENV = "ISPC_DISABLE_PLUGIN_AUTOLOAD"
CORE_PLUGIN = "ispc-core"

_REGISTRATION_HOOKS = {
    "ispc_register_engines": EngineSpec,
    "ispc_register_hostabi_providers": HostABIProviderSpec,
    "ispc_register_provers": ProverSpec,
    "ispc_register_trace_sinks": TraceSinkSpec,
    "ispc_register_repositories": RepositorySpec,
    "ispc_register_hooks": HookSpec,
}
KIND_LABELS = {"engine": "engine", "hostabi": "HostABI provider", "prover": "prover",
               "trace_sink": "trace sink", "repository": "repository", "hooks": "hook plugin"}


class _Origin(TypedDict):
    """Where a record comes from (the first three fields of PluginRecord)."""

    plugin: str
    distribution: str
    version: str


@attrs.frozen
class PluginRecord:
    """One row of ``ispc plugins``: a descriptor (or a failure) and where it came from.

    ``status``: ok, failed (import or hook raised), blocked, conflict, api-mismatch, invalid.
    """

    plugin: str                    # entry-point name
    distribution: str
    version: str
    status: str
    kind: str = ""
    name: str = ""
    spec: PluginSpec | None = None
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        spec = self.spec
        return {
            "plugin": self.plugin, "distribution": self.distribution, "version": self.version,
            "kind": self.kind, "name": self.name, "status": self.status, "error": self.error,
            "capabilities": sorted(spec.capabilities) if spec else [],
            "description": spec.description if spec else "",
            "api": list(spec.api) if spec else [],
        }


def _dist_of(entry_point: metadata.EntryPoint) -> tuple[str, str]:
    dist = getattr(entry_point, "dist", None)
    if dist is None:
        return "?", "?"
    return dist.metadata["Name"], dist.version


def _install_hint(kind: str, name: str) -> str:
    return f"pip install ispc-{name.split('.')[0]}" if kind != "hostabi" else \
        "install the distribution that provides it"


def _refuse_execution_replacement(module: Any) -> None:
    """``ispc_execution`` is firstresult: a plain implementation could return a fake outcome and
    skip the engine. Plugins may only wrap it."""
    function = getattr(module, "ispc_execution", None)
    options = getattr(function, hookspecs.PROJECT + "_impl", None)
    if options is not None and not (options.get("wrapper") or options.get("hookwrapper")):
        raise PluginLoadError("implements ispc_execution without wrapper=True; plugins may wrap "
                              "an execution, never replace it",
                              hint="decorate it with @hookimpl(wrapper=True)")


def _refuse_unknown_hooks(pm: pluggy.PluginManager, plugin: Any) -> None:
    """pluggy accepts a ``@hookimpl`` whose name matches no hookspec and never calls it (its
    ``check_pending`` would say so, for every plugin at once): a misspelt registration hook
    (``ispc_register_tracesinks``) would silently register nothing. Refuse it at load."""
    unknown = sorted(name for name, caller in vars(pm.hook).items()
                     if isinstance(caller, pluggy.HookCaller) and caller.spec is None
                     and any(impl.plugin is plugin and not impl.optionalhook
                             for impl in caller.get_hookimpls()))
    if unknown:
        known = [name for name in dir(hookspecs) if name.startswith("ispc_")]
        guesses = [difflib.get_close_matches(name, known, 1) for name in unknown]
        pm.unregister(plugin)
        raise PluginLoadError(
            "implements unknown hook(s) " + ", ".join(
                f"{name}" + (f" (did you mean {guess[0]}?)" if guess else "")
                for name, guess in zip(unknown, guesses)),
            code="plugin-unknown-hook",
            hint="docs/plugin-authors.md lists the hook names; fix the spelling")


class PluginManager:
    """Finds plugins, records their descriptors and failures, and builds selected ones."""

    def __init__(self, *, autoload: bool = True, load: Iterable[str] = (),
                 block: Iterable[str] = (), trace_hooks: bool = False,
                 environ: dict[str, str] | None = None) -> None:
        env: Mapping[str, str] = os.environ if environ is None else environ
        self.autoload = autoload and not env.get(AUTOLOAD_ENV)
        self.load = set(load)
        self.block = set(block)
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        if trace_hooks:
            self.pm.trace.root.setwriter(lambda text: log.info("hook: %s", text.rstrip()))
            self.pm.enable_tracing()
        self._records: list[PluginRecord] | None = None
        #: [plugins] block entries that matched no plugin, distribution or component name.
        self.unmatched_block: list[str] = []

    @classmethod
    def from_config(cls, config: Any) -> PluginManager:
        return cls(autoload=config.get("plugins.autoload", True),
                   load=config.get("plugins.load", []), block=config.get("plugins.block", []),
                   trace_hooks=config.get("plugins.trace_hooks", False))

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def register(self, plugin: Any, name: str | None = None) -> None:
        """Register an in-process plugin object (tests, embedding applications)."""
        _refuse_execution_replacement(plugin)
        records = self.records()
        registered = self.pm.register(plugin, name=name) or name or ""
        _refuse_unknown_hooks(self.pm, plugin)
        # Its descriptors are selectable like an installed plugin's (tests, embedding apps).
        base = _Origin(plugin=registered, distribution="(in-process)", version="")
        found = [r for r in self._specs_of(plugin, base)
                 if r.error != "registers no components"]
        records.extend(found)
        self._mark_conflicts(records)

    # ------------------------------------------------------------------------------ discovery

    def records(self) -> list[PluginRecord]:
        """Every plugin found, loaded or not (scans entry points on first call only)."""
        if self._records is None:
            self._records = self._discover()
        return self._records

    def _wanted(self, entry_point: metadata.EntryPoint, distribution: str) -> str | None:
        """None if the plugin should load, else the status explaining why not."""
        names = {entry_point.name, distribution}
        if names & self.block:
            return "blocked"
        if entry_point.name == CORE_PLUGIN or self.autoload or names & self.load:
            return None
        return "not-loaded"

    def _discover(self) -> list[PluginRecord]:
        records: list[PluginRecord] = []
        seen: set[tuple[str, str]] = set()
        for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
            distribution, version = _dist_of(entry_point)
            if (entry_point.name, distribution) in seen:  # the same dist found twice on sys.path
                continue
            seen.add((entry_point.name, distribution))
            skip = self._wanted(entry_point, distribution)
            if skip is not None:
                log.debug("plugin %s (%s %s) %s", entry_point.name, distribution, version, skip)
                records.append(PluginRecord(entry_point.name, distribution, version, skip))
                continue
            records.extend(self._load_one(entry_point, distribution, version))
        self._mark_conflicts(records)
        self._warn_unmatched_block(records)
        usable = sum(r.status == "ok" and bool(r.name) for r in records)
        log.info("plugins: %d component(s) usable of %d record(s) from entry points %r",
                 usable, len(records), ENTRY_POINT_GROUP)
        return records

    def _warn_unmatched_block(self, records: list[PluginRecord]) -> None:
        """A [plugins] block entry that matches nothing blocks nothing: say so, with the names
        that would work (those `ispc plugins` shows)."""
        names = {n for r in records for n in (r.plugin, r.distribution, r.name) if n}
        self.unmatched_block = sorted(self.block - names)
        for entry in self.unmatched_block:
            close = difflib.get_close_matches(entry, sorted(names), n=1)
            log.warning("[plugins] block entry %r matches no installed plugin, so it blocks "
                        "nothing.%s Names `ispc plugins` shows work, as do distribution names.",
                        entry, f" Did you mean {close[0]!r}?" if close else "")

    def bind_config(self, config: Any) -> None:
        """Complete ``config`` with the installed plugins' settings (see Config.bind_plugins)."""
        records = self.records()
        others: set[str] = set()
        for record in records:
            if record.spec is None:  # not loaded: its settings are unknown, its table tolerated
                others |= {record.plugin, record.distribution,
                           record.plugin.removeprefix("ispc-"),
                           record.distribution.removeprefix("ispc-")}
        config.bind_plugins([r.spec for r in records if r.spec is not None], others)

    def _load_one(self, entry_point: metadata.EntryPoint, distribution: str,
                  version: str) -> list[PluginRecord]:
        base = _Origin(plugin=entry_point.name, distribution=distribution, version=version)
        try:
            module = entry_point.load()
            _refuse_execution_replacement(module)
            # Registered under distribution:name, so two distributions using one entry-point name
            # both load and their clash is reported as a conflict, not hidden.
            self.pm.register(module, name=f"{distribution}:{entry_point.name}")
            _refuse_unknown_hooks(self.pm, module)
        except Exception as exc:  # a broken plugin must not take the others down
            log.warning("plugin %s (%s) failed to load: %s", entry_point.name, distribution, exc)
            return [PluginRecord(status="failed", error=f"{type(exc).__name__}: {exc}", **base)]
        log.debug("loaded plugin %s from %s %s", entry_point.name, distribution, version)
        return self._specs_of(module, base)

    def _specs_of(self, module: Any, base: _Origin) -> list[PluginRecord]:
        out: list[PluginRecord] = []
        for hook_name, spec_type in _REGISTRATION_HOOKS.items():
            for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                if impl.plugin is not module:
                    continue
                try:
                    specs = list(impl.function() or [])
                    out.extend(self._check_spec(spec, spec_type, base) for spec in specs)
                except Exception as exc:  # includes descriptors that fail their own validation
                    out.append(PluginRecord(status="failed", error=f"{hook_name} raised "
                                            f"{type(exc).__name__}: {exc}", **base))
        if not out:
            out.append(PluginRecord(status="ok", error="registers no components", **base))
        return self._block_components(module, out)

    def _block_components(self, module: Any, records: list[PluginRecord]) -> list[PluginRecord]:
        """[plugins] block may name a component (``wasmtime``, as `ispc plugins` shows it), not
        only its entry point or distribution: such a component is recorded as blocked, and a
        module whose every component is blocked is unregistered, so none of its hooks run."""
        out = [attrs.evolve(r, status="blocked", error="blocked by [plugins] block")
               if r.name and r.name in self.block else r for r in records]
        if all(r.status == "blocked" for r in out) and any(r.name for r in out):
            self.pm.unregister(module)
        return out

    @staticmethod
    def _check_spec(spec: Any, spec_type: type[PluginSpec], base: _Origin) -> PluginRecord:
        if not isinstance(spec, spec_type):
            return PluginRecord(status="invalid", error=f"returned {type(spec).__name__}, "
                                f"expected {spec_type.__name__}", **base)
        if not spec.supports_api(PLUGIN_API_VERSION):
            return PluginRecord(status="api-mismatch", kind=spec.kind, name=spec.name, spec=spec,
                                error=f"supports plugin API {spec.api[0]}..{spec.api[1]}, this "
                                f"core provides {PLUGIN_API_VERSION}", **base)
        return PluginRecord(status="ok", kind=spec.kind, name=spec.name, spec=spec, **base)

    @staticmethod
    def _mark_conflicts(records: list[PluginRecord]) -> None:
        owners: dict[tuple[str, str], set[str]] = {}
        for record in records:
            if record.status == "ok" and record.name:
                owners.setdefault((record.kind, record.name), set()).add(record.distribution)
        for index, record in enumerate(records):
            dists = owners.get((record.kind, record.name), set())
            if record.status == "ok" and len(dists) > 1:
                records[index] = attrs.evolve(
                    record, status="conflict",
                    error=f"{KIND_LABELS[record.kind]} {record.name!r} is also provided by "
                          f"{', '.join(sorted(dists - {record.distribution}))}")

    # ------------------------------------------------------------------------------ selection

    def available(self, kind: str, runtime: str | None = None) -> list[PluginSpec]:
        return [r.spec for r in self.records()
                if r.status == "ok" and r.kind == kind and r.spec is not None
                and (runtime is None or getattr(r.spec, "runtime", None) == runtime)]

    def select(self, kind: str, name: str, runtime: str | None = None) -> PluginSpec:
        """The descriptor of the selected plugin, or the typed error saying why it is unusable."""
        if kind not in KINDS:
            raise PluginError(f"unknown plugin kind {kind!r}; kinds: {', '.join(KINDS)}")
        label = KIND_LABELS[kind] if runtime is None else f"{runtime} {KIND_LABELS[kind]}"
        matches = [r for r in self.records() if r.kind == kind and r.name == name
                   and (runtime is None or getattr(r.spec, "runtime", None) == runtime)]
        for record in matches:
            if record.status == "ok" and record.spec is not None:  # an ok named record has one
                return record.spec
        choices = ", ".join(sorted(s.name for s in self.available(kind, runtime))) or "none"
        for record in matches:
            if record.status == "blocked":
                raise PluginNotFound(f"{label} {name!r} is blocked by configuration. Available: "
                                     f"{choices}", plugin=name,
                                     hint="remove it from [plugins] block")
            if record.status == "conflict":
                dists = sorted({r.distribution for r in matches})
                raise PluginConflict(f"{label} {name!r} is provided by several distributions: "
                                     f"{', '.join(dists)}", plugin=name)
            if record.status == "api-mismatch":
                raise PluginAPIMismatch(f"{label} {name!r} from {record.distribution} "
                                        f"{record.version}: {record.error}", plugin=name)
        aliases = {name, f"ispc-{name}", name.split(".")[0], f"ispc-{name.split('.')[0]}"}
        failed = [r for r in self.records() if r.status in ("failed", "blocked", "not-loaded")
                  and ({r.plugin, r.distribution} & aliases)]
        for record in failed:
            if record.status == "failed":
                raise PluginLoadError(f"{label} {name!r}: plugin {record.plugin} "
                                      f"({record.distribution}) failed to load: {record.error}",
                                      plugin=name)
            raise PluginNotFound(
                f"{label} {name!r} is {record.status.replace('-', ' ')} by configuration. "
                f"Available: {choices}", plugin=name,
                hint="remove it from [plugins] block, or add it to [plugins] load")
        installed = sorted(s.name for s in self.available(kind, runtime))
        close = difflib.get_close_matches(name, installed, n=1)
        raise PluginNotFound(f"{label} {name!r} is not installed. Available: {choices}",
                             plugin=name, hint=f"did you mean {close[0]!r}? (`ispc plugins` lists "
                             "what is installed)" if close else _install_hint(kind, name))

    def hook_plugin(self, spec: PluginSpec) -> Any:
        """The object whose hooks a hook plugin registered (its module, or its factory's object)."""
        if spec.factory:
            return load_factory(spec)
        for record in self.records():
            if record.spec is spec:
                return (self.pm.get_plugin(record.plugin) if record.distribution == "(in-process)"
                        else self.pm.get_plugin(f"{record.distribution}:{record.plugin}"))
        raise PluginNotFound(f"hook plugin {spec.name!r} is not registered", plugin=spec.name)

    def create(self, spec: PluginSpec, settings: dict[str, Any] | None = None) -> Any:
        """Build the plugin object: import its factory, call it with its settings, and check the
        object against its kind's protocol (a missing method is caught here, by name, instead of
        failing in the middle of a run)."""
        factory = load_factory(spec)
        try:
            obj = factory(settings or {})
        except PluginError:
            raise
        except Exception as exc:
            if hasattr(exc, "code") and hasattr(exc, "hint"):
                raise
            raise PluginLoadError(f"{spec.kind} {spec.name!r}: {spec.factory} raised "
                                  f"{type(exc).__name__}: {exc}", plugin=spec.name) from exc
        check_protocol(spec, obj)
        return obj


def protocol_of(spec: PluginSpec) -> type:
    """The typed protocol a plugin object of this descriptor's kind implements."""
    from .._engines import OnnxEngine, WasmEngine
    from .._hostabi.provider import HostABIProvider
    from .._proving import Prover
    from .._repository import Repository
    from .._sinks import TraceSink

    if isinstance(spec, EngineSpec):
        return WasmEngine if spec.runtime == "wasm" else OnnxEngine
    return {"hostabi": HostABIProvider, "prover": Prover, "repository": Repository,
            "trace_sink": TraceSink}[spec.kind]


def protocol_members(protocol: type) -> list[str]:
    """The public methods and attributes a protocol requires."""
    names = set(getattr(protocol, "__annotations__", {}))
    names |= {name for name, value in vars(protocol).items() if callable(value)}
    return sorted(name for name in names if not name.startswith("_"))


def check_protocol(spec: PluginSpec, obj: Any) -> None:
    protocol = protocol_of(spec)
    missing = [name for name in protocol_members(protocol) if not hasattr(obj, name)]
    if missing:
        raise PluginLoadError(
            f"{spec.kind} {spec.name!r}: {spec.factory} built a {type(obj).__name__} that lacks "
            f"{', '.join(missing)} of the {protocol.__name__} protocol", plugin=spec.name,
            code="plugin-protocol-mismatch",
            hint=f"implement every method of ispc_framework.plugins.{protocol.__name__} "
                 "(docs/plugins.md lists them)")
