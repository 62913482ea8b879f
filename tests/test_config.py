"""ispc.toml loading: precedence, sources, $env secrets, and errors that name key and fix."""

from __future__ import annotations

import pytest

from ispc_framework._config import load_config
from ispc_framework._errors import ConfigError
from ispc_framework.plugins._specs import Setting, TraceSinkSpec


def write(tmp_path, text):
    path = tmp_path / "ispc.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.get("engine.wasm.name") == "wasmtime"
    assert config.sources["engine.wasm.name"] == "default"
    assert config.limits.fuel == 10_000_000 and config.path is None


def test_precedence_cli_over_env_over_file_over_default(tmp_path):
    path = write(tmp_path, '[engine.wasm]\nname = "wasmer"\n[limits]\nfuel = 5\nmemory_mb = 2\n')
    config = load_config(path, environ={})
    assert config.get("engine.wasm.name") == "wasmer"
    assert config.sources["engine.wasm.name"] == f"file:{path}"
    assert config.limits.memory_bytes == 2 * 1024 * 1024
    config = load_config(path, environ={"ISPC_LIMITS_FUEL": "7", "ISPC_ENGINE_WASM_NAME": "x"})
    assert config.limits.fuel == 7 and config.sources["limits.fuel"] == "env:ISPC_LIMITS_FUEL"
    config = load_config(path, environ={"ISPC_LIMITS_FUEL": "7"}, overrides={"limits.fuel": "9"})
    assert config.limits.fuel == 9 and config.sources["limits.fuel"] == "cli"


def test_config_file_from_environment(tmp_path):
    path = write(tmp_path, '[prover]\nname = "other"\n')
    assert load_config(environ={"ISPC_CONFIG": str(path)}).get("prover.name") == "other"
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(environ={"ISPC_CONFIG": str(tmp_path / "nope.toml")})


def test_env_reference_for_secrets(tmp_path):
    path = write(tmp_path, '[plugin.jsonl]\npath = {"$env" = "TRACE_PATH"}\n')
    config = load_config(path, environ={"TRACE_PATH": "/tmp/t.jsonl"})
    assert config.get("plugin.jsonl.path") == "/tmp/t.jsonl"
    assert config.sources["plugin.jsonl.path"] == "env-ref:TRACE_PATH"
    assert ("plugin.jsonl.path", "********", "env-ref:TRACE_PATH") in config.shown()
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert "TRACE_PATH is not set" in info.value.message and "export TRACE_PATH" in info.value.hint


@pytest.mark.parametrize("text, key, fragment", [
    ('[engin.wasm]\nname = "x"\n', "engin.wasm.name", "Did you mean 'engine'?"),
    ('[engine.wasm]\nnmae = "x"\n', "engine.wasm.nmae", "Did you mean 'name'?"),
    ('[limits]\nfuell = 1\n', "limits.fuell", "Did you mean 'fuel'?"),
    ('[plugins]\nautoload = "yes"\n', "plugins.autoload", "must be bool"),
    ('[limits]\nfuel = -1\n', "limits.fuel", "positive"),
    ('plugin = 3\n', "plugin", "must be a table"),
    ('[engine\n', None, "not valid TOML"),
])
def test_bad_config_names_key_and_fix(tmp_path, text, key, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), environ={})
    assert fragment in str(info.value)
    assert info.value.code == "config-invalid" and info.value.hint
    if key:
        assert info.value.details["key"] == key


def test_bad_cli_override():
    with pytest.raises(ConfigError, match="unknown key 'limits.nope'"):
        load_config(overrides={"limits.nope": "1"}, environ={}, search_cwd=False)


SPEC = TraceSinkSpec(name="demo", factory="m:o", settings=[
    Setting("path", "path", "x.jsonl"), Setting("level", "int", 1),
    Setting("mode", "str", "a", choices=("a", "b")), Setting("token", "str", None, secret=True)])


def test_plugin_settings_validated_against_schema(tmp_path):
    config = load_config(write(tmp_path, '[plugin.demo]\nlevel = 3\n'), environ={})
    assert config.plugin_settings(SPEC) == {"path": "x.jsonl", "level": 3, "mode": "a", "token": None}
    for text, fragment in [('[plugin.demo]\nlevl = 3\n', "unknown key 'levl'"),
                           ('[plugin.demo]\nlevel = "3"\n', "level must be int"),
                           ('[plugin.demo]\nmode = "c"\n', "is not one of")]:
        config = load_config(write(tmp_path, text), environ={})
        with pytest.raises(ConfigError, match=fragment):
            config.plugin_settings(SPEC)
    config = load_config(write(tmp_path, '[plugin.demo]\ntoken = "s3cret"\n'), environ={})
    assert ("plugin.demo.token", "********", f"file:{tmp_path / 'ispc.toml'}") in \
        config.shown({"plugin.demo.token"})


def test_memory_mb_is_a_spelling_within_its_layer(tmp_path):
    path = write(tmp_path, '[limits]\nmemory_mb = 64\n')
    config = load_config(path, environ={}, overrides={"limits.memory_bytes": "1000000"})
    assert config.limits.memory_bytes == 1_000_000  # the CLI wins over the file's memory_mb
    config = load_config(path, environ={"ISPC_LIMITS_MEMORY_MB": "2"})
    assert config.limits.memory_bytes == 2 * 1024 * 1024
    assert config.sources["limits.memory_bytes"] == "env:ISPC_LIMITS_MEMORY_MB"
    assert load_config(path, environ={}).sources["limits.memory_bytes"] == f"file:{path}"


@pytest.mark.parametrize("text", ['memory_mb = "64"', "memory_mb = [1]", "memory_mb = true",
                                  "fuel = inf", "fuel = 1.5", "timeout_s = nan",
                                  "max_events = true", 'timeout_s = "5"'])
def test_bad_limit_values_are_config_errors(tmp_path, text):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f"[limits]\n{text}\n"), environ={})
    assert info.value.code == "config-invalid"


def test_env_reference_works_for_typed_core_keys(tmp_path):
    path = write(tmp_path, '[prover]\nname = {"$env" = "PROVER"}\n')
    assert load_config(path, environ={"PROVER": "groth16"}).get("prover.name") == "groth16"


def test_environment_overrides_a_plugin_key_the_file_introduced(tmp_path):
    path = write(tmp_path, '[plugin.sqlite]\npath = "from-file.db"\n')
    config = load_config(path, environ={"ISPC_PLUGIN_SQLITE_PATH": "from-env.db"})
    assert config.get("plugin.sqlite.path") == "from-env.db"
    assert config.sources["plugin.sqlite.path"] == "env:ISPC_PLUGIN_SQLITE_PATH"
