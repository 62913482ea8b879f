"""The plugin system against real distributions: built by setuptools, installed by pip into a
scratch virtualenv, discovered through entry points, listed and checked by the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from plugin_dists import (BROKEN_MODULE, DUP_MODULE, GOOD_MODULE, INCOMPLETE_MODULE,
                          MALFORMED_MODULE,
                          OLD_API_MODULE, REPLACER_MODULE, build_wheels, make_scratch_env, run_ispc,
                          write_plugin)

# slow: builds and installs real distributions (run once, in the Python 3.11 phase of scripts/test.sh)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    projects = [
        write_plugin(root / "src", "ispc-toy", GOOD_MODULE),
        write_plugin(root / "src", "ispc-broken", BROKEN_MODULE),
        write_plugin(root / "src", "ispc-dup-a", DUP_MODULE),
        write_plugin(root / "src", "ispc-dup-b", DUP_MODULE),
        write_plugin(root / "src", "ispc-oldapi", OLD_API_MODULE),
        write_plugin(root / "src", "ispc-malformed", MALFORMED_MODULE),
        write_plugin(root / "src", "ispc-replacer", REPLACER_MODULE),
        write_plugin(root / "src", "ispc-incomplete", INCOMPLETE_MODULE),
    ]
    python = make_scratch_env(root / "venv", build_wheels(projects, root / "wheels"))
    work = root / "work"
    work.mkdir()
    return python, work


def env(**extra):
    base = {k: v for k, v in os.environ.items() if not k.startswith("ISPC_")}
    return {**base, **extra}


def records(scratch, *args, **extra):
    python, work = scratch
    done = run_ispc(python, *args, "plugins", "--json", cwd=work, env=env(**extra))
    assert done.returncode == 0, done.stderr
    return {row["plugin"]: row for row in json.loads(done.stdout)}


def test_plugins_lists_good_broken_conflicting_and_mismatched(scratch):
    rows = records(scratch)
    assert rows["toy"]["status"] == "ok" and rows["toy"]["kind"] == "engine"
    assert rows["toy"]["distribution"] == "ispc-toy" and rows["toy"]["version"] == "1.0.0"
    assert rows["toy"]["capabilities"] == ["memory-limit", "metering", "timeout", "toy"]
    assert rows["broken"]["status"] == "failed"
    assert "ImportError: this plugin is broken on purpose" in rows["broken"]["error"]
    assert rows["dup-a"]["status"] == rows["dup-b"]["status"] == "conflict"
    assert "ispc-dup-b" in rows["dup-a"]["error"]
    assert rows["oldapi"]["status"] == "api-mismatch"
    assert "supports plugin API 2..3" in rows["oldapi"]["error"]
    assert rows["ispc-core"]["status"] == "ok"  # the built-ins come through the same group
    # a descriptor that fails its own validation is that plugin's failure, nobody else's
    assert rows["malformed"]["status"] == "failed" and "EngineSpec.api" in rows["malformed"]["error"]
    # a plugin may wrap an execution, never replace it
    assert rows["replacer"]["status"] == "failed"
    assert "without wrapper=True" in rows["replacer"]["error"]


def test_plugins_table_output_and_exit_code(scratch):
    python, work = scratch
    done = run_ispc(python, "plugins", cwd=work, env=env())
    assert done.returncode == 0
    assert "toy" in done.stdout and "ispc-broken" in done.stdout
    assert "unusable" in done.stderr


def write_config(work, text):
    path = work / "ispc.toml"
    path.write_text(text)
    return path


SLOTS_OK = """
[engine.wasm]
name = "toy"
[engine.onnx]
name = "toy"
[prover]
name = "toy"
[repository]
name = "toy"
[hostabi]
providers = []
"""


def test_doctor_strict_only_about_selected_plugins(scratch):
    python, work = scratch
    config = write_config(work, '[engine.wasm]\nname = "toy"\n[engine.onnx]\nname = "none"\n'
                                '[prover]\nname = "none"\n[repository]\nname = "dup"\n'
                                '[hostabi]\nproviders = []\n[plugin.toy]\nspeed = 3\n')
    done = run_ispc(python, "--config", str(config), "doctor", "--json", cwd=work, env=env())
    assert done.returncode == 2
    checks = json.loads(done.stdout)
    by_subject = {c["subject"]: c for c in checks}
    assert by_subject["engine.wasm.name = 'toy'"]["level"] == "ok"
    assert by_subject["repository.name = 'dup'"]["level"] == "error"
    assert by_subject["repository.name = 'dup'"]["code"] == "plugin-conflict"
    assert by_subject["prover.name = 'none'"]["code"] == "plugin-not-found"
    broken = by_subject["plugin broken (ispc-broken)"]
    assert broken["level"] == "warning"  # not selected: a warning, not fatal


def test_doctor_builds_the_selected_engine(scratch):
    """Doctor builds the selected engine as a run would: an object missing the protocol's
    methods is an error before any run (unselected, the same plugin is not looked at)."""
    python, work = scratch
    config = write_config(work, '[engine.wasm]\nname = "incomplete"\n[engine.onnx]\n'
                                'name = "none"\n[prover]\nname = "none"\n[hostabi]\n'
                                'providers = []\n')
    done = run_ispc(python, "--config", str(config), "doctor", "--json", cwd=work, env=env())
    assert done.returncode == 2
    check = {c["subject"]: c for c in json.loads(done.stdout)}["engine.wasm.name = 'incomplete'"]
    assert check["level"] == "error" and check["code"] == "plugin-protocol-mismatch"
    assert "compile" in check["message"] and "execute" in check["message"]


def test_doctor_reports_bad_plugin_settings_and_missing_engine(scratch):
    python, work = scratch
    config = write_config(work, '[engine.wasm]\nname = "wasmer"\n[plugin.toy]\nsped = 3\n')
    done = run_ispc(python, "--config", str(config), "doctor", cwd=work, env=env())
    assert done.returncode == 2
    assert "wasm engine 'wasmer' is not installed. Available: incomplete, toy" in done.stdout
    assert "pip install ispc-wasmer [plugin-not-found]" in done.stdout


def test_block_list_and_autoload_switch(scratch):
    rows = records(scratch, "--set", 'plugins.block=["broken"]')
    assert rows["broken"]["status"] == "blocked"
    python, work = scratch
    config = write_config(work, '[engine.wasm]\nname = "toy"\n[plugins]\nblock = ["ispc-toy"]\n')
    done = run_ispc(python, "--config", str(config), "doctor", cwd=work, env=env())
    assert "wasm engine 'toy' is blocked by configuration" in done.stdout
    assert "remove it from [plugins] block" in done.stdout
    config.unlink()  # ./ispc.toml would be read by the next commands
    rows = records(scratch, ISPC_DISABLE_PLUGIN_AUTOLOAD="1")
    assert rows["toy"]["status"] == "not-loaded" and rows["ispc-core"]["status"] == "ok"
    rows = records(scratch, "--set", 'plugins.load=["toy"]', ISPC_DISABLE_PLUGIN_AUTOLOAD="1")
    assert rows["toy"]["status"] == "ok" and rows["broken"]["status"] == "not-loaded"
    python, work = scratch
    config = write_config(work, '[plugins]\nautoload = false\n[engine.wasm]\nname = "toy"\n')
    done = run_ispc(python, "--config", str(config), "doctor", cwd=work, env=env())
    assert "is not loaded by configuration" in done.stdout
    assert "add it to [plugins] load" in done.stdout


def test_config_show_reports_sources(scratch):
    python, work = scratch
    config = write_config(work, '[limits]\nfuel = 123\n')
    done = run_ispc(python, "--config", str(config), "--set", "limits.timeout_s=2", "config",
                    "show", "--json", cwd=work, env=env(ISPC_ENGINE_WASM_NAME="toy"))
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["limits.fuel"] == {"value": 123, "source": f"file:{config}"}
    assert shown["limits.timeout_s"] == {"value": 2, "source": "cli"}
    assert shown["engine.wasm.name"] == {"value": "toy", "source": "env:ISPC_ENGINE_WASM_NAME"}
    assert shown["limits.memory_bytes"]["source"] == "default"


def test_config_error_exit_code_and_message(scratch):
    python, work = scratch
    config = write_config(work, '[engine.wasm]\nnam = "toy"\n')
    done = run_ispc(python, "--config", str(config), "plugins", cwd=work, env=env())
    assert done.returncode == 2
    assert "unknown key 'engine.wasm.nam'" in done.stderr and "[config-invalid]" in done.stderr


def test_listing_plugins_imports_no_heavy_runtime():
    """Run in the project's own environment, where the real engine and prover plugins are."""
    code = ("import sys; from ispc_framework.plugins import PluginManager; "
            "rows = PluginManager().records(); "
            "heavy = [m for m in ('wasmtime', 'wasmer', 'onnxruntime', 'onnx', 'numpy', "
            "'groth16py', 'sqlite3') if m in sys.modules]; print(len(rows), heavy)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, heavy = done.stdout.split(" ", 1)
    assert int(count) >= 1
    assert heavy.strip() == "[]"
