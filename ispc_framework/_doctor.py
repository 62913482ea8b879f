"""``ispc doctor``: the effective config checked against what is installed, with fixes."""

from __future__ import annotations

from typing import Any

import attrs

from ._config import Config
from ._engines import check_bounded
from ._errors import ISPCError
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


def run_checks(config: Config, plugins: PluginManager) -> list[Check]:
    checks: list[Check] = []
    selected_names = set()
    for kind, name, runtime, key in _selected(config):
        subject = f"{key} = {name!r}"
        try:
            spec = plugins.select(kind, name, runtime)
            settings = config.plugin_settings(spec)
            if runtime == "wasm":
                check_bounded(name, spec.capabilities, config.get("engine.wasm.allow_unbounded"))
        except ISPCError as exc:
            checks.append(Check("error", subject, exc.message, exc.hint, exc.code))
            continue
        selected_names.add(name)
        record = next(r for r in plugins.records() if r.spec is spec)
        checks.append(Check("ok", subject, f"{KIND_LABELS[kind]} from {record.distribution} "
                            f"{record.version}"))
        if spec.doctor:
            checks += _plugin_checks(spec, settings, subject)
    for record in plugins.records():
        if record.status in ("ok", "not-loaded", "blocked"):
            continue
        level = "error" if record.name in selected_names else "warning"
        checks.append(Check(level, f"plugin {record.plugin} ({record.distribution})",
                            f"{record.status}: {record.error}",
                            "uninstall or upgrade it, or add it to [plugins] block",
                            f"plugin-{record.status}"))
    installed = {r.name for r in plugins.records() if r.name}
    for key in config.values:
        if key.startswith("plugin."):
            name = key[len("plugin."):].rsplit(".", 1)[0]
            if name not in installed:
                checks.append(Check("warning", f"[plugin.{name}]",
                                    "settings for a plugin that is not installed",
                                    f"pip install ispc-{name}, or remove the table",
                                    "plugin-not-found"))
    return checks
