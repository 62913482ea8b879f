"""``ispc doctor``: the effective config checked against what is installed, with fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ._config import Config
from ._engines import check_bounded
from ._errors import ISPCError, PluginError
from .plugins._manager import KIND_LABELS, PluginManager

__all__ = ["Check", "run_checks"]


@attrs.frozen
class Check:
    level: str  # ok, warning, error
    subject: str
    message: str
    hint: str = ""
    code: str = ""

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def _selected(config: Config) -> list[tuple[str, str, str | None, str]]:
    """(kind, name, runtime, config key) for every plugin the config selects."""
    rows = [("engine", config.get("engine.wasm.name"), "wasm", "engine.wasm.name"),
            ("engine", config.get("engine.onnx.name"), "onnx", "engine.onnx.name"),
            ("prover", config.get("prover.name"), None, "prover.name"),
            ("repository", config.get("repository.name"), None, "repository.name")]
    rows += [("hostabi", name, None, "hostabi.providers") for name in config.get("hostabi.providers")]
    rows += [("trace_sink", name, None, "trace.sinks") for name in config.get("trace.sinks")]
    return rows


def _plugin_checks(spec, settings: dict[str, Any], subject: str) -> list[Check]:
    """The selected plugin's own checks (its spec's ``doctor`` hook); a hook that fails is an
    error of its own, never a crash of ``ispc doctor``."""
    from .plugins._specs import load_factory

    try:
        rows = list(load_factory(spec, spec.doctor)(settings))
        return [Check(str(level), subject, str(message), str(hint), str(code))
                for level, message, hint, code in rows]
    except Exception as exc:  # a plugin's hook must not take the doctor down
        return [Check("error", subject, f"the plugin's doctor check failed: "
                      f"{type(exc).__name__}: {exc}", "report it to the plugin's authors",
                      "plugin-doctor-failed")]
def _build_engine(plugins: PluginManager, spec: Any, settings: dict[str, Any], config: Config,
                  subject: str) -> list[Check]:
    """Build the selected engine as a run would (so one that cannot work on this Python fails
    here, not at the first run) and check the capabilities the object declares, which are the
    ones runs use; a descriptor that claims more than the object is a warning."""
    engine = plugins.create(spec, settings)
    try:
        try:
            declared = frozenset(engine.capabilities())
        except Exception as exc:  # a broken engine object is this check's error, not doctor's
            raise PluginError(f"engine {spec.name!r}: capabilities() raised "
                              f"{type(exc).__name__}: {exc}", code="engine-broken",
                              plugin=spec.name, hint=f"run `ispc conformance {spec.name}`") from exc
        if spec.runtime == "wasm":
            check_bounded(spec.name, declared, config.get("engine.wasm.allow_unbounded"))
    finally:
        close = getattr(engine, "close", None)
        if close is not None:
            close()
    if declared != spec.capabilities:
        return [Check("warning", subject, f"the descriptor declares capabilities "
                      f"{sorted(spec.capabilities)}, the engine object {sorted(declared)}; runs "
                      "use the object's", "fix the plugin's EngineSpec capabilities",
                      "capabilities-mismatch")]
    return []


def _build(plugins: PluginManager, spec, settings: dict[str, Any]) -> Any:
    """The plugin object, built as a run would build it (an engine that cannot run on this
    Python, or an object missing its protocol's methods, fails here, not mid-run)."""
    return plugins.create(spec, settings)


def _close(obj: Any) -> None:
    close = getattr(obj, "close", None)
    if close is not None:
        close()


def _state_checks(plugins: PluginManager, spec, settings: dict[str, Any], kind: str,
                  subject: str, config: Config) -> list[Check]:
    """What the built prover and repository hold: the prover's keys for the circuit, the chain's
    genesis block. A repository whose file does not exist yet is reported, never created."""
    if kind == "repository":
        missing = [settings[s.name] for s in spec.settings
                   if s.type == "path" and settings.get(s.name) and not Path(settings[s.name]).exists()]
        if missing:
            return [Check("warning", subject, f"no chain at {missing[0]} yet",
                          "create the devnet with `ispc init`", "genesis-missing")]
    try:
        obj = _build(plugins, spec, settings)
    except ISPCError as exc:
        return [Check("error", subject, f"cannot be built: {exc.message}", exc.hint, exc.code)]
    try:
        if kind == "prover":
            return _key_checks(obj, settings, spec.name, subject, config.get("prover.circuit"))
        return _genesis_checks(obj, subject)
    except ISPCError as exc:
        return [Check("error", subject, exc.message, exc.hint, exc.code)]
    finally:
        _close(obj)


def _key_checks(prover: Any, settings: dict[str, Any], name: str, subject: str,
                circuit: str) -> list[Check]:
    keys = (prover.info() or {}).get("keys", {})
    meta = keys.get(circuit)
    if meta is None:
        return [Check("error", subject, f"no proving and verification keys for {circuit}",
                      f"run `ispc setup` (a devnet: --set plugin.{name}.setup_mode=testing "
                      f"--set plugin.{name}.allow_testing_keys=true)",
                      "key-not-found")]
    if meta.get("testing_only") and not settings.get("allow_testing_keys"):
        return [Check("error", subject, f"the keys for {circuit} are testing keys and "
                      "allow_testing_keys is off, so proving refuses them",
                      f"set allow_testing_keys = true in [plugin.{name}] (devnet only), or run "
                      "a ceremony with `ispc setup`", "testing-key-refused")]
    mode = " (testing keys: devnet only)" if meta.get("testing_only") else ""
    return [Check("ok" if not mode else "warning", subject,
                  f"keys for {circuit}: verification key hash {meta.get('vk_hash')}{mode}",
                  "run a ceremony with `ispc setup` before anything but a devnet" if mode else "",
                  "testing-keys" if mode else "")]


def _genesis_checks(repository: Any, subject: str) -> list[Check]:
    view = repository.view()
    try:
        head = view.head()
    except ISPCError as exc:
        return [Check("warning", subject, f"no genesis block: {exc.message}",
                      "create the devnet with `ispc init`", "genesis-missing")]
    finally:
        close = getattr(view, "close", None)
        if close is not None:
            close()
    return [Check("ok", subject, f"chain {head.chain_id!r} at height {head.height}")]


def _binding_checks(config: Config, plugins: PluginManager) -> list[Check]:
    """The config against the installed plugins (unknown [plugin.x] tables, keys, ISPC_PLUGIN_
    variables): one error check instead of stopping the doctor."""
    try:
        plugins.bind_config(config)
    except ISPCError as exc:
        return [Check("error", str(exc.details.get("key", "config")), exc.message, exc.hint,
                      exc.code)]
    return []


def run_checks(config: Config, plugins: PluginManager) -> list[Check]:
    checks = _binding_checks(config, plugins)
    selected_names = set()
    for kind, name, runtime, key in _selected(config):
        subject = f"{key} = {name!r}"
        try:
            spec = plugins.select(kind, name, runtime)
            settings = config.plugin_settings(spec)
            if kind == "engine":   # as a run builds it; the object's capabilities
                checks.extend(_build_engine(plugins, spec, settings, config, subject))
            elif kind in ("hostabi", "trace_sink"):  # stateless: building is the check
                _close(_build(plugins, spec, settings))
        except ISPCError as exc:
            source = config.sources.get(key, "default")
            checks.append(Check("error", subject, f"{exc.message} ({key} from {source})",
                                exc.hint, exc.code))
            continue
        selected_names.add(name)
        record = next(r for r in plugins.records() if r.spec is spec)
        checks.append(Check("ok", subject, f"{KIND_LABELS[kind]} from {record.distribution} "
                            f"{record.version}"))
        if spec.doctor:
            checks += _plugin_checks(spec, settings, subject)
        if kind in ("prover", "repository"):
            checks += _state_checks(plugins, spec, settings, kind, subject, config)
    for record in plugins.records():
        if record.status in ("ok", "not-loaded", "blocked"):
            continue
        level = "error" if record.name in selected_names else "warning"
        checks.append(Check(level, f"plugin {record.plugin} ({record.distribution})",
                            f"{record.status}: {record.error}",
                            "uninstall or upgrade it, or add it to [plugins] block",
                            f"plugin-{record.status}"))
    for entry in plugins.unmatched_block:
        checks.append(Check("warning", f"[plugins] block = {entry!r}",
                            "matches no installed plugin, so it blocks nothing",
                            "use a name `ispc plugins` shows (or a distribution name)",
                            "plugin-not-found"))
    for record in plugins.records():
        if record.kind == "hooks" and record.status == "ok" and record.spec is not None:
            try:
                config.plugin_settings(record.spec)
            except ISPCError as exc:
                checks.append(Check("error", f"[plugin.{record.name}]", exc.message, exc.hint,
                                    exc.code))
    return checks
