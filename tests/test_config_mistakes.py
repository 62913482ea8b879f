"""The config mistakes a new user made (issue #17), each with the error or warning and its fix:
block lists by the names `ispc plugins` shows, misspelt plugin tables, keys and variables, plugin
name typos, relative paths in --config FILE, plugin settings listed with defaults and sources,
hints that name where a value came from, and a doctor that builds what it checks."""

from __future__ import annotations

import json
import logging
import sys

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._config import load_config
from ispc_framework._coordinator import Coordinator
from ispc_framework._doctor import run_checks
from ispc_framework._errors import ConfigError, PluginNotFound
from ispc_framework.plugins._manager import PluginManager


def _config(tmp_path, text, **kw):
    path = tmp_path / "ispc.toml"
    path.write_text(text)
    return path, load_config(path, environ=kw.pop("environ", {}), **kw)


def _bound(config):
    manager = PluginManager.from_config(config)
    manager.bind_config(config)
    return manager


def test_block_accepts_the_component_name_ispc_plugins_shows(tmp_path):
    _, config = _config(tmp_path, '[plugins]\nblock = ["wasmtime"]\n')
    manager = _bound(config)
    (record,) = [r for r in manager.records() if r.name == "wasmtime"]
    assert record.status == "blocked"
    with pytest.raises(PluginNotFound) as info:
        manager.select("engine", "wasmtime", "wasm")
    assert "blocked by configuration" in info.value.message
    assert "remove it from [plugins] block" in info.value.hint
    # the distribution and entry-point names still work too
    for name in ("ispc-wasmtime",):
        _, config = _config(tmp_path, f'[plugins]\nblock = ["{name}"]\n')
        assert [r.status for r in _bound(config).records() if r.plugin == "ispc-wasmtime"] == \
            ["blocked"]


def test_a_block_entry_matching_nothing_warns_with_did_you_mean(tmp_path, caplog):
    _, config = _config(tmp_path, '[plugins]\nblock = ["wasmtme"]\n')
    with caplog.at_level(logging.WARNING, logger="ispc.plugins"):
        manager = _bound(config)
    assert "'wasmtme' matches no installed plugin" in caplog.text
    assert "Did you mean 'wasmtime'?" in caplog.text
    warning = [c for c in run_checks(config, manager) if c.subject.startswith("[plugins] block")]
    assert warning and warning[0].level == "warning" and "ispc plugins" in warning[0].hint


def test_a_misspelt_plugin_table_is_an_error_with_did_you_mean(tmp_path):
    path, config = _config(tmp_path, '[plugin.sqlte]\npath = "chain.db"\n')
    with pytest.raises(ConfigError) as info:
        _bound(config)
    assert "[plugin.sqlte] names no installed plugin" in info.value.message
    assert "Did you mean 'sqlite'?" in info.value.message
    assert f"fix plugin.sqlte.path in {path}" in info.value.hint
    # and a misspelt key inside a real plugin's table, before any plugin is built
    _, config = _config(tmp_path, '[plugin.sqlite]\npth = "chain.db"\n')
    with pytest.raises(ConfigError, match="Did you mean 'path'"):
        _bound(config)


def test_the_cli_refuses_a_misspelt_plugin_table(tmp_path):
    path = tmp_path / "ispc.toml"
    path.write_text('[plugin.sqlte]\npath = "chain.db"\n')
    result = CliRunner().invoke(cli, ["--config", str(path), "chain"])
    assert result.exit_code == 2 and "Did you mean 'sqlite'?" in result.output
    assert "[config-invalid]" in result.output and not (tmp_path / "chain.db").exists()
    # the commands one diagnoses it with still work, and say it
    for args in (["plugins", "--json"], ["config", "show", "--json"]):
        listed = CliRunner().invoke(cli, ["--config", str(path), *args])
        assert listed.exit_code == 0 and json.loads(listed.stdout)
        assert "warning: [plugin.sqlte] names no installed plugin" in listed.stderr


@pytest.mark.parametrize("var, fragment", [
    ("ISPC_LIMITS_FUELL", "Did you mean 'ISPC_LIMITS_FUEL'?"),
    ("ISPC_ENGINE_WASM_NAM", "Did you mean 'ISPC_ENGINE_WASM_NAME'?"),
])
def test_a_misspelt_environment_variable_is_an_error(var, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(environ={var: "1"}, search_cwd=False)
    assert f"unknown environment variable {var}" in info.value.message
    assert fragment in info.value.message and f"unset {var}" in info.value.hint


def test_plugin_setting_variables_are_mapped_or_refused_with_did_you_mean(tmp_path):
    config = load_config(environ={"ISPC_PLUGIN_SQLITE_PATH": str(tmp_path / "env.db")},
                         search_cwd=False)
    _bound(config)
    assert config.get("plugin.sqlite.path") == str(tmp_path / "env.db")
    assert config.sources["plugin.sqlite.path"] == "env:ISPC_PLUGIN_SQLITE_PATH"
    # --set still wins over the variable
    config = load_config(environ={"ISPC_PLUGIN_SQLITE_PATH": "env.db"}, search_cwd=False,
                         overrides={"plugin.sqlite.path": "cli.db"})
    _bound(config)
    assert config.get("plugin.sqlite.path") == "cli.db" and config.sources[
        "plugin.sqlite.path"] == "cli"
    config = load_config(environ={"ISPC_PLUGIN_SQLITE_PTH": "x"}, search_cwd=False)
    with pytest.raises(ConfigError) as info:
        _bound(config)
    assert "Did you mean 'ISPC_PLUGIN_SQLITE_PATH'?" in info.value.message


def test_a_mistyped_plugin_name_gets_did_you_mean_and_its_source(tmp_path):
    path, config = _config(tmp_path, '[engine.wasm]\nname = "wasmtim"\n')
    coordinator = Coordinator(config)
    try:
        with pytest.raises(PluginNotFound) as info:
            coordinator.wasm_engine()
    finally:
        coordinator.close()
    assert "pip install" not in info.value.hint
    assert info.value.hint.startswith("did you mean 'wasmtime'?")
    assert f"engine.wasm.name names 'wasmtim' (from file:{path}" in info.value.hint


def test_relative_paths_resolve_against_the_config_file(tmp_path, monkeypatch):
    (tmp_path / "devnet").mkdir()
    path = tmp_path / "devnet" / "ispc.toml"
    path.write_text('[plugin.sqlite]\npath = "chain.db"\n[plugin.groth16]\nkey_dir = "keys"\n')
    monkeypatch.chdir(tmp_path)  # elsewhere than the file
    config = load_config(path, environ={})
    manager = _bound(config)
    sqlite = config.plugin_settings(manager.select("repository", "sqlite"))
    assert sqlite["path"] == str(tmp_path / "devnet" / "chain.db")
    groth16 = config.plugin_settings(manager.select("prover", "groth16"))
    assert groth16["key_dir"] == str(tmp_path / "devnet" / "keys")
    # values from --set or the environment stay relative to the working directory
    config = load_config(path, environ={}, overrides={"plugin.sqlite.path": "here.db"})
    assert config.plugin_settings(_bound(config).select("repository", "sqlite"))["path"] == \
        "here.db"


def test_config_show_and_plugins_json_list_every_plugin_setting(tmp_path):
    path = tmp_path / "ispc.toml"
    path.write_text('[plugin.sqlite]\nbusy_timeout_ms = 100\n')
    shown = json.loads(CliRunner().invoke(cli, ["--config", str(path), "config", "show",
                                                "--json"]).stdout)
    assert shown["plugin.sqlite.busy_timeout_ms"] == {"value": 100, "source": f"file:{path}"}
    assert shown["plugin.sqlite.path"] == {"value": "ispc.db", "source": "default"}
    assert shown["plugin.groth16.setup_mode"]["source"] == "default"
    plugins = json.loads(CliRunner().invoke(cli, ["--config", str(path), "plugins",
                                                  "--json"]).stdout)
    (sqlite,) = [p for p in plugins if p["name"] == "sqlite"]
    settings = {s["name"]: s for s in sqlite["settings"]}
    assert settings["busy_timeout_ms"]["default"] == 5000
    assert settings["busy_timeout_ms"]["value"] == 100
    assert settings["busy_timeout_ms"]["source"] == f"file:{path}"
    assert settings["path"]["source"] == "default"


@pytest.mark.parametrize("layer, fragment", [
    ("file", "fix limits.fuel in "), ("env", "fix or unset the environment variable "
                                             "ISPC_LIMITS_FUEL"),
    ("cli", "fix the --set limits.fuel=... option")])
def test_hints_name_where_the_bad_value_came_from(tmp_path, layer, fragment):
    path = tmp_path / "ispc.toml"
    path.write_text("[limits]\nfuel = -1\n" if layer == "file" else "")
    kw = {"environ": {"ISPC_LIMITS_FUEL": "-1"} if layer == "env" else {},
          "overrides": {"limits.fuel": "-1"} if layer == "cli" else None}
    with pytest.raises(ConfigError) as info:
        load_config(path, **kw)
    assert fragment in info.value.hint
    assert (str(path) in info.value.hint) == (layer == "file")  # not "fix ... in ispc.toml"


def test_doctor_reports_a_config_that_does_not_fit_the_plugins_as_a_check(tmp_path):
    path = tmp_path / "ispc.toml"
    path.write_text('[plugin.sqlte]\npath = "chain.db"\n')
    result = CliRunner().invoke(cli, ["--config", str(path), "doctor", "--json"])
    assert result.exit_code == 2
    (bad,) = [c for c in json.loads(result.stdout) if c["subject"] == "plugin.sqlte.path"]
    assert bad["level"] == "error" and "Did you mean 'sqlite'?" in bad["message"]


def test_doctor_builds_plugins_and_checks_keys_and_genesis(tmp_path):
    path = tmp_path / "ispc.toml"
    path.write_text('[plugin.sqlite]\npath = "chain.db"\n[plugin.groth16]\nkey_dir = "keys"\n')
    result = CliRunner().invoke(cli, ["--config", str(path), "doctor", "--json"])
    checks = json.loads(result.stdout)
    codes = {c["code"] for c in checks if c["level"] != "ok"}
    assert "key-not-found" in codes and "genesis-missing" in codes
    keys = [c for c in checks if c["code"] == "key-not-found"][0]
    assert "ispc setup" in keys["hint"] and "setup_mode=testing" in keys["hint"]
    assert result.exit_code == 2 and not (tmp_path / "chain.db").exists()  # never created
    if sys.version_info >= (3, 11):  # wasmer's wheels stop at 3.10: it cannot run here
        result = CliRunner().invoke(cli, ["--config", str(path), "--set",
                                          "engine.wasm.name=wasmer", "--set",
                                          "engine.wasm.allow_unbounded=true", "doctor", "--json"])
        unusable = [c for c in json.loads(result.stdout) if c["code"] == "engine-unavailable"]
        assert unusable and unusable[0]["message"].endswith("(engine.wasm.name from cli)")
