"""Operator configuration: ``ispc.toml`` merged with the environment and the command line.

Precedence, highest first: CLI (``--set key=value``) > environment (``ISPC_<KEY>``, the dotted key
upper-cased with dots and dashes as underscores, e.g. ``ISPC_ENGINE_WASM_NAME``,
``ISPC_LIMITS_FUEL``) > file > embedded defaults. Every value remembers where it came from, so
``ispc config show`` can say it. A value written ``{"$env" = "VAR"}`` is read from the environment
at load time (for secrets; the file then holds no secret).

Plugin settings (``[plugin.<name>]``) need the installed plugins: :meth:`Config.bind_plugins`
(run once the plugins are discovered) adds every installed plugin's settings with their defaults,
maps ``ISPC_PLUGIN_<NAME>_<SETTING>`` variables onto them, and refuses a table or variable that
names no installed plugin or setting, with a did-you-mean. Values are checked against the plugin's
declared types when the plugin is resolved (:meth:`Config.plugin_settings`); relative ``path``
settings from a file resolve against that file's directory.

Every error's hint says where the bad value came from: the file, ``--set`` or the variable.
"""

from __future__ import annotations

import copy
import difflib
import os
import sys
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

import attrs

from ._errors import ConfigError, ValidationError
from ._limits import ExecutionLimits, memory_mb_to_bytes
from .plugins._specs import PluginSpec, resolve_settings

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised in the 3.10 CI environment
    import tomli as tomllib

__all__ = ["Config", "DEFAULTS", "load_config", "CONFIG_FILENAME", "OTHER_ENV_VARS",
           "SELECTION_KEYS"]

CONFIG_FILENAME = "ispc.toml"

DEFAULTS: dict[str, Any] = {
    "engine": {"wasm": {"name": "wasmtime", "allow_unbounded": False},
               "onnx": {"name": "onnxruntime"}},
    "hostabi": {"providers": ["ispc.v1", "ispc.crypto", "ispc.state"]},
    "prover": {"name": "groth16", "circuit": "ispc.draft.v2"},
    "repository": {"name": "sqlite"},
    "trace": {"sinks": []},
    "keys": {"dir": ""},  # the CLI's key directory; empty: $ISPC_KEY_DIR, else ~/.ispc/keys
    "plugins": {"autoload": True, "load": [], "block": [], "trace_hooks": False},
    "plugin": {},
    "limits": {f.name: f.default for f in attrs.fields(ExecutionLimits)},
}

#: ``ISPC_`` variables that are not config keys (read directly by the core or a first-party plugin);
#: any other ``ISPC_`` variable that names no config key is an error, so a typo is not ignored.
OTHER_ENV_VARS = {
    "ISPC_CONFIG": "the config file to load",
    "ISPC_KEY_DIR": "the key directory of `ispc keys` and --as",
    "ISPC_DISABLE_PLUGIN_AUTOLOAD": "load only the core and [plugins] load",
    "ISPC_NODE_MODULES": "where ispc-groth16 finds circom2 and snarkjs",
    "ISPC_GNARK_CACHE": "where ispc-gnark keeps its built worker",
    "ISPC_WASM_TESTSUITE": "the WebAssembly spec test suite checkout (tests)",
}
_FREE_ENV_PREFIXES = ("ISPC_TEST_",)  # the test suites' own variables

#: (plugin kind, runtime) -> the config key that selects it.
SELECTION_KEYS = {("engine", "wasm"): "engine.wasm.name", ("engine", "onnx"): "engine.onnx.name",
                  ("prover", None): "prover.name", ("repository", None): "repository.name",
                  ("hostabi", None): "hostabi.providers", ("trace_sink", None): "trace.sinks"}


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in table.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and "$env" not in value:
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


# The schema is DEFAULTS itself: which keys each table accepts, and (outside [limits], which
# ExecutionLimits validates) the type of each value. Everything under "plugin" is free-form until
# the plugin is resolved against its declared Settings.
_DEFAULT_KEYS = _flatten(DEFAULTS)
_ALLOWED: dict[str, set[str]] = {}
for _key in _DEFAULT_KEYS:
    _ALLOWED.setdefault(_key.rpartition(".")[0], set()).add(_key.rpartition(".")[2])
_ALLOWED["limits"].add("memory_mb")
_TYPES: dict[str, type] = {key: type(value) for key, value in _DEFAULT_KEYS.items()
                           if not key.startswith("limits.")}


def _env_name(key: str) -> str:
    return "ISPC_" + key.upper().replace(".", "_").replace("-", "_")


def _parse_scalar(text: str) -> Any:
    """Parse an override the way TOML would (numbers, booleans, arrays), else keep the string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, ValueError, RecursionError):  # then it is a string
        return text


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def where_hint(key: str, source: str) -> str:
    """How to fix ``key`` given where its value came from (a ``Config.sources`` entry)."""
    kind, _, origin = source.partition(":")
    fix = {"file": f"fix {key} in {origin}",
           "env": f"fix or unset the environment variable {origin}",
           "env-ref": f"fix the environment variable {origin} (which {key} reads)",
           "cli": f"fix the --set {key}=... option"}.get(kind, f"set {key} in ispc.toml or with "
                                                               f"--set {key}=...")
    return f"{fix}; `ispc config show` lists every value and its source"


def _origin_hint(origin: str, key: str) -> str:
    """The hint for a key checked within one layer (``origin`` is a file path or ``--set``)."""
    return where_hint(key, "cli" if origin == "--set" else f"file:{origin}")


@attrs.define
class Config:
    """The effective configuration: ``values`` by dotted key, ``sources`` saying where each came
    from (``default``, ``file:PATH``, ``env:VAR`` or ``cli``)."""

    values: dict[str, Any]
    sources: dict[str, str]
    path: Path | None = None
    #: ``ISPC_PLUGIN_*`` variables waiting for :meth:`bind_plugins` (var -> text).
    pending_env: dict[str, str] = attrs.field(factory=dict)
    bound: bool = False

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def table(self, prefix: str) -> dict[str, Any]:
        """All keys under ``prefix.`` with the prefix removed."""
        cut = len(prefix) + 1
        return {k[cut:]: v for k, v in self.values.items() if k.startswith(prefix + ".")}

    def hint_for(self, key: str) -> str:
        """How to fix ``key``, naming where its value came from (file, --set or variable)."""
        return where_hint(key, self.sources.get(key, "default"))

    @property
    def limits(self) -> ExecutionLimits:
        try:
            return ExecutionLimits.from_mapping(self.table("limits"))
        except ValidationError as exc:
            key = exc.field if exc.field.startswith("limits.") else f"limits.{exc.field}"
            raise ConfigError(f"[limits] {exc.message}", key=key,
                              hint=self.hint_for(key)) from None
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"[limits] {exc}", key="limits") from None

    def plugin_settings(self, spec: PluginSpec) -> dict[str, Any]:
        """``[plugin.<name>]`` validated against ``spec.settings`` with defaults filled in; a
        relative ``path`` setting from a file resolves against that file's directory."""
        prefix = f"plugin.{spec.name}"
        try:
            settings = resolve_settings(spec.settings, self.table(prefix), spec.name)
        except ConfigError as exc:
            key = exc.details.get("key", prefix)
            raise ConfigError(exc.message, key=key, hint=self.hint_for(key)) from None
        for setting in spec.settings:
            source = self.sources.get(f"{prefix}.{setting.name}", "default")
            value = settings[setting.name]
            if setting.type == "path" and isinstance(value, str) and value and \
                    source.startswith("file:") and not Path(value).expanduser().is_absolute():
                settings[setting.name] = str(Path(source[len("file:"):]).parent / value)
        return settings

    def bind_plugins(self, specs: Iterable[PluginSpec], other_names: Iterable[str] = ()) -> None:
        """Complete the config with the installed plugins (``specs``; ``other_names``: plugins
        installed but not loaded, whose settings are unknown): every declared setting is added
        with its default, ``ISPC_PLUGIN_*`` variables are mapped onto them, and a
        ``[plugin.<name>]`` table, key or variable that matches nothing is a ConfigError with a
        did-you-mean. Idempotent."""
        if self.bound:
            return
        declared: dict[str, dict[str, Any]] = {}
        for spec in specs:
            declared.setdefault(spec.name, {}).update({s.name: s for s in spec.settings})
        tolerated = set(other_names)
        self._check_plugin_tables(declared, tolerated)
        for name, settings in declared.items():
            for setting in settings.values():
                key = f"plugin.{name}.{setting.name}"
                if key not in self.values:
                    self.values[key] = copy.deepcopy(setting.default)
                    self.sources[key] = "default"
        self._bind_plugin_env(declared)
        self.bound = True

    def _check_plugin_tables(self, declared: dict[str, dict[str, Any]],
                             tolerated: set[str]) -> None:
        known = sorted(declared, key=len, reverse=True)  # "ispc.v1" before "ispc"
        for key in sorted(self.values):
            if not key.startswith("plugin.") or self.sources.get(key) == "default":
                continue
            rest = key[len("plugin."):]
            name = next((n for n in known if rest.startswith(n + ".")), None)
            if name is None:
                guess = rest.split(".")[0]
                if guess in tolerated or any(rest.startswith(t + ".") for t in tolerated):
                    continue
                raise ConfigError(
                    f"[plugin.{guess}] names no installed plugin. Installed: "
                    f"{', '.join(sorted(declared)) or 'none'}.{_suggest(guess, declared)}",
                    key=key, hint=self.hint_for(key))
            setting = rest[len(name) + 1:]
            if setting not in declared[name]:
                raise ConfigError(
                    f"[plugin.{name}] has unknown key {setting!r}; {name} accepts: "
                    f"{', '.join(sorted(declared[name])) or 'no settings'}."
                    f"{_suggest(setting, declared[name])}", key=key, hint=self.hint_for(key))

    def _bind_plugin_env(self, declared: dict[str, dict[str, Any]]) -> None:
        env_keys = {_env_name(f"plugin.{name}.{setting}"): f"plugin.{name}.{setting}"
                    for name, settings in declared.items() for setting in settings}
        for var, text in sorted(self.pending_env.items()):
            key = env_keys.get(var)
            if key is None:
                known = set(env_keys) | {_env_name(k) for k in _DEFAULT_KEYS} | set(OTHER_ENV_VARS)
                raise ConfigError(f"environment variable {var} names no setting of an installed "
                                  f"plugin.{_suggest(var, known)}", key=var,
                                  hint=f"unset {var}, or spell it ISPC_PLUGIN_<NAME>_<SETTING> "
                                       "(`ispc config show` lists the settings)")
            if self.sources.get(key) != "cli":  # --set still wins over the environment
                self.values[key] = _parse_scalar(text)
                self.sources[key] = f"env:{var}"
        self.pending_env = {}

    def shown(self, secret_keys: AbstractSet[str] = frozenset()) -> list[tuple[str, Any, str]]:
        """(key, value, source) rows for display, secrets masked."""
        rows = []
        for key in sorted(self.values):
            value = self.values[key]
            source = self.sources[key]
            if key in secret_keys or source.startswith("env-ref:"):
                value = "********"
            rows.append((key, value, source))
        return rows


def _check_table_keys(flat: dict[str, Any], origin: str,
                      sources: Mapping[str, str] | None = None) -> None:
    """Every key of ``flat`` is a known key of the right type; ``origin`` (a file path, --set or
    "config") names the layer in messages, ``sources`` (for the merged config) each key's."""
    def hint(key: str) -> str:
        return where_hint(key, sources[key]) if sources else _origin_hint(origin, key)

    for key in flat:
        if key == "plugin" or key.startswith("plugin."):
            if key.count(".") < 2:
                raise ConfigError(f"{origin}: {key!r} must be a table [plugin.<name>]", key=key,
                                  hint=hint(key))
            continue
        table, _, leaf = key.rpartition(".")
        if table not in _ALLOWED:
            top = key.split(".")[0]
            known = sorted({t.split(".")[0] for t in _ALLOWED} | {"plugin"})
            raise ConfigError(f"{origin}: unknown key {key!r}. Known tables: "
                              f"{', '.join(known)}.{_suggest(top, known)}", key=key,
                              hint=hint(key))
        if leaf not in _ALLOWED[table]:
            raise ConfigError(f"{origin}: unknown key {key!r}; [{table}] accepts: "
                              f"{', '.join(sorted(_ALLOWED[table]))}.{_suggest(leaf, _ALLOWED[table])}",
                              key=key, hint=hint(key))
        expected = _TYPES.get(key)
        value = flat[key]
        if expected is not None and not isinstance(value, expected):
            raise ConfigError(f"{origin}: {key} must be {getattr(expected, '__name__', expected)}, "
                              f"got {value!r}", key=key, hint=hint(key))


def _normalise(flat: dict[str, Any]) -> dict[str, Any]:
    """``limits.memory_mb`` is a spelling of ``limits.memory_bytes``: translate it within its own
    layer, so precedence between layers holds whichever spelling each layer used."""
    if "limits.memory_mb" in flat:
        value = flat.pop("limits.memory_mb")
        try:
            flat["limits.memory_bytes"] = memory_mb_to_bytes(value)
        except ValidationError as exc:
            raise ConfigError(exc.message, key="limits.memory_mb") from None
    return flat


def _resolve_env_refs(flat: dict[str, Any], sources: dict[str, str],
                      environ: Mapping[str, str]) -> None:
    for key, value in list(flat.items()):
        if isinstance(value, Mapping) and "$env" in value:
            var = value["$env"]
            if var not in environ:
                raise ConfigError(f"{key} = {{$env = {var!r}}} but {var} is not set", key=key,
                                  hint=f"export {var}=... before running, or write the value")
            flat[key] = environ[var]
            sources[key] = f"env-ref:{var}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        table: dict[str, Any] = tomllib.loads(path.read_bytes().decode("utf-8"))
        return table
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", key=str(path),
                          hint="fix the TOML syntax at the position shown") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})",
                          key=str(path), hint="save the file as UTF-8") from None
    except (ValueError, RecursionError) as exc:  # an integer past Python's digit cap; nesting
        raise ConfigError(f"{path}: not usable TOML: {exc}", key=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it: {exc.strerror or exc}", key=str(path)) from None


def load_config(path: str | os.PathLike[str] | None = None, *,
                overrides: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None,
                search_cwd: bool = True) -> Config:
    """Load the effective config. ``path`` None means ``$ISPC_CONFIG`` or ``./ispc.toml`` if present,
    else the embedded defaults only. Plugin settings are completed by :meth:`Config.bind_plugins`."""
    environ = os.environ if environ is None else environ
    values = _flatten(copy.deepcopy(DEFAULTS))
    sources = dict.fromkeys(values, "default")
    file_path = _config_file(path, environ, search_cwd)
    # Layers from lowest to highest precedence; each is checked on its own, so an error names
    # the file, the variable or --set that holds the bad key.
    if file_path is not None:
        _merge(values, sources, _file_layer(file_path, environ))
    env_layer, pending = _env_layer(values, environ)  # keys known by now, the file's plugin keys too
    _merge(values, sources, env_layer)
    _merge(values, sources, _override_layer(overrides or {}))
    _check_table_keys(values, "config", sources)
    config = Config(values, sources, file_path, pending_env=pending)
    _ = config.limits  # validate limits now, not mid-run
    return config


_Layer = dict[str, tuple[Any, str]]  # key -> (value, where it came from)


def _merge(values: dict[str, Any], sources: dict[str, str], layer: _Layer) -> None:
    for key, (value, source) in layer.items():
        values[key] = value
        sources[key] = source


def _config_file(path: str | os.PathLike[str] | None, environ: Mapping[str, str],
                 search_cwd: bool) -> Path | None:
    if path is not None:
        file_path = Path(path)
        if not file_path.is_file():
            raise ConfigError(f"config file {str(file_path)!r} does not exist", key="--config",
                              hint="pass an existing file, or omit --config for the defaults")
        return file_path
    if environ.get("ISPC_CONFIG"):
        file_path = Path(environ["ISPC_CONFIG"])
        if not file_path.is_file():
            raise ConfigError(f"ISPC_CONFIG names {str(file_path)!r}, which does not exist",
                              key="ISPC_CONFIG")
        return file_path
    if search_cwd and Path(CONFIG_FILENAME).is_file():
        return Path(CONFIG_FILENAME)
    return None


def _file_layer(file_path: Path, environ: Mapping[str, str]) -> _Layer:
    flat = _flatten(_read_toml(file_path))
    file_sources = dict.fromkeys(flat, f"file:{file_path}")
    _resolve_env_refs(flat, file_sources, environ)  # secrets first, then their types
    _check_table_keys(flat, str(file_path))
    return {key: (value, file_sources.get(key, f"file:{file_path}"))
            for key, value in _normalise(flat).items()}


def _env_layer(known: Mapping[str, Any], environ: Mapping[str, str]) -> tuple[_Layer, dict[str, str]]:
    """The ``ISPC_*`` variables naming known keys, and the ``ISPC_PLUGIN_*`` ones left for
    :meth:`Config.bind_plugins`; any other ``ISPC_`` variable is a typo and an error."""
    env_keys = {_env_name(key): key for key in known}
    env_keys["ISPC_LIMITS_MEMORY_MB"] = "limits.memory_mb"
    layer: _Layer = {}
    pending: dict[str, str] = {}
    for var, text in environ.items():
        if var in env_keys:
            for key, value in _normalise({env_keys[var]: _parse_scalar(text)}).items():
                layer[key] = (value, f"env:{var}")
        elif var.startswith("ISPC_PLUGIN_"):
            pending[var] = text
        elif var.startswith("ISPC_") and var not in OTHER_ENV_VARS and \
                not var.startswith(_FREE_ENV_PREFIXES):
            raise ConfigError(f"unknown environment variable {var}: it names no config key."
                              f"{_suggest(var, set(env_keys) | set(OTHER_ENV_VARS))}", key=var,
                              hint=f"unset {var}, or spell the key as ISPC_<TABLE>_<KEY> "
                                   "(e.g. ISPC_LIMITS_FUEL); docs/configuration.md lists them")
    return layer, pending


def _override_layer(overrides: Mapping[str, Any]) -> _Layer:
    flat = {k: _parse_scalar(v) if isinstance(v, str) else v for k, v in overrides.items()}
    _check_table_keys(flat, "--set")
    return {key: (value, "cli") for key, value in _normalise(flat).items()}
