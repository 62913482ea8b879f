"""Descriptors a plugin returns from its registration hooks: small, frozen, cheap to build.

A descriptor names the implementation lazily (``factory = "pkg.module:Object"``), so listing
plugins never imports a heavy runtime; the object is built only when the config selects it.
"""

from __future__ import annotations

import copy
import difflib
import importlib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import attrs

from .._errors import ConfigError, PluginLoadError, ValidationError

__all__ = [
    "PLUGIN_API_VERSION",
    "KINDS",
    "Setting",
    "resolve_settings",
    "PluginSpec",
    "EngineSpec",
    "HostABIProviderSpec",
    "ProverSpec",
    "TraceSinkSpec",
    "RepositorySpec",
    "HookSpec",
    "load_factory",
]

#: The plugin API this core provides. A plugin states the range it supports in ``api``.
PLUGIN_API_VERSION = 1
KINDS = ("engine", "hostabi", "prover", "trace_sink", "repository", "hooks")
SETTING_TYPES: dict[str, type[Any] | tuple[type[Any], ...]] = {
    "str": str, "int": int, "float": (int, float), "bool": bool, "list": list,
    "path": str}
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,63}$")
_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def _check_name(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _NAME.match(value):
        raise ValidationError(f"{type(instance).__name__}.name",
                              f"{value!r} must be lowercase letters, digits, '.', '_' or '-'")


def _check_factory(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not _FACTORY.match(value):
        raise ValidationError(f"{type(instance).__name__}.factory",
                              f"{value!r} must look like 'package.module:Object'")


# Typed converters: attrs' mypy plugin types an ``__init__`` argument from its field's converter
# (the bare ``tuple`` would leave it ``Iterable[_T_co]``, unbound).
def _any_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _str_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _settings(value: Iterable[Setting]) -> tuple[Setting, ...]:
    return tuple(value)


def _api_range(value: Iterable[int]) -> tuple[int, int]:
    # a pair only once _check_api has run: it reports any other length as a ValidationError
    return cast("tuple[int, int]", tuple(value))


@attrs.frozen
class Setting:
    """One key a plugin accepts in ``[plugin.<name>]``; ``secret`` values are masked in output."""

    name: str
    type: str = attrs.field(validator=attrs.validators.in_(tuple(SETTING_TYPES)))
    default: Any = None
    description: str = ""
    secret: bool = False
    choices: tuple[Any, ...] = attrs.field(default=(), converter=_any_tuple)
    positive: bool = False  # a number that must be > 0

    def check(self, value: Any, plugin: str) -> Any:
        """``value`` if it fits this setting, else a ConfigError naming ``[plugin.<plugin>]``."""
        where = f"[plugin.{plugin}] {self.name}"
        key = f"plugin.{plugin}.{self.name}"
        if value is None:
            return None
        if not isinstance(value, SETTING_TYPES[self.type]) or (
                self.type != "bool" and isinstance(value, bool)):
            raise ConfigError(f"{where} must be {self.type}, got {value!r}", key=key)
        if self.choices and value not in self.choices:
            raise ConfigError(f"{where} = {value!r} is not one of "
                              f"{', '.join(map(repr, self.choices))}", key=key)
        if self.positive and not value > 0:
            raise ConfigError(f"{where} must be positive, got {value!r}", key=key)
        return value


def resolve_settings(settings: Sequence[Setting], given: Mapping[str, Any] | None,
                     plugin: str) -> dict[str, Any]:
    """The effective ``[plugin.<plugin>]`` table: ``given`` checked against the declared
    ``settings``, with their defaults for what is missing (or None). The one place plugin settings
    are validated: the config calls it when it resolves a plugin, and a plugin built directly
    (tests, library use) calls it on what it was given."""
    known = {s.name: s for s in settings}
    given = dict(given or {})
    for key in given:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            raise ConfigError(
                f"[plugin.{plugin}] has unknown key {key!r}; {plugin} accepts: "
                f"{', '.join(sorted(known)) or 'no settings'}."
                f"{f' Did you mean {close[0]!r}?' if close else ''}", key=f"plugin.{plugin}.{key}")
    return {name: setting.check(copy.deepcopy(setting.default) if given.get(name) is None
                                else given[name], plugin)
            for name, setting in known.items()}


def _check_api(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if (len(value) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            or not 1 <= value[0] <= value[1]):
        raise ValidationError(f"{type(instance).__name__}.api",
                              f"{value!r} must be (lowest, highest) plugin API versions, ints, "
                              "1 <= lowest <= highest")


def _check_doctor(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value != "":  # optional
        _check_factory(instance, attribute, value)


@attrs.frozen(kw_only=True)
class PluginSpec:
    name: str = attrs.field(validator=_check_name)
    factory: str = attrs.field(validator=_check_factory)
    description: str = ""
    api: tuple[int, int] = attrs.field(default=(1, 1), converter=_api_range, validator=_check_api)
    capabilities: frozenset[str] = attrs.field(default=frozenset(), converter=_str_set)
    settings: tuple[Setting, ...] = attrs.field(default=(), converter=_settings)
    #: Optional ``"pkg.module:function"``: ``function(settings)`` returns ``ispc doctor``'s
    #: checks of what the plugin needs beyond Python (a built binary, a toolchain) as
    #: ``(level, message, hint, code)`` tuples, level "ok", "warning" or "error".
    doctor: str = attrs.field(default="", validator=_check_doctor)
    kind: str = attrs.field(default="", init=False)

    def supports_api(self, version: int = PLUGIN_API_VERSION) -> bool:
        return self.api[0] <= version <= self.api[1]


def _kind(name: str) -> str:
    return attrs.field(default=name, init=False)


@attrs.frozen(kw_only=True)
class EngineSpec(PluginSpec):
    runtime: str = attrs.field(validator=attrs.validators.in_(("wasm", "onnx")))
    kind: str = _kind("engine")


@attrs.frozen(kw_only=True)
class HostABIProviderSpec(PluginSpec):
    import_module: str
    abi_version: int = 1
    kind: str = _kind("hostabi")


@attrs.frozen(kw_only=True)
class ProverSpec(PluginSpec):
    circuits: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    scheme: str = "groth16"
    curve: str = "bn254"
    kind: str = _kind("prover")


@attrs.frozen(kw_only=True)
class TraceSinkSpec(PluginSpec):
    kind: str = _kind("trace_sink")


@attrs.frozen(kw_only=True)
class RepositorySpec(PluginSpec):
    kind: str = _kind("repository")


def _check_optional_factory(instance: Any, attribute: Any, value: str) -> None:
    if value:
        _check_factory(instance, attribute, value)


@attrs.frozen(kw_only=True)
class HookSpec(PluginSpec):
    """A plugin that only implements hooks (``ispc_configure``, ``ispc_execution``) declares its
    name and its ``[plugin.<name>]`` settings with this. ``factory`` is optional: without it the
    conformance suite checks the registered module's hooks."""

    factory: str = attrs.field(default="", validator=_check_optional_factory)
    kind: str = _kind("hooks")


def load_factory(spec: PluginSpec, target_name: str | None = None) -> Any:
    """Import and return the object named by ``spec.factory`` (a class or callable), or by
    ``target_name`` (another ``"pkg.module:Object"`` of the spec, e.g. its ``doctor``)."""
    module_name, _, attr_path = (target_name or spec.factory).partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr_path.split("."):
            target = getattr(target, part)
    except Exception as exc:
        raise PluginLoadError(f"{spec.kind} {spec.name!r}: cannot load {target_name or spec.factory}: "
                              f"{type(exc).__name__}: {exc}", plugin=spec.name) from exc
    return target
