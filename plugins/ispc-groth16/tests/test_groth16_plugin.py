"""Registration: the entry point, a fast import, the descriptor and building through the core."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ispc_framework.plugins import ConfigError
from ispc_framework.plugins import PluginManager
from ispc_framework.plugins import Prover


def test_plugin_module_imports_no_heavy_runtime():
    code = ("import sys, ispc_groth16.plugin; "
            "print(sorted(m for m in ('groth16py', 'wasmtime') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_manager_finds_and_builds_the_prover(tmp_path):
    manager = PluginManager()
    spec = manager.select("prover", "groth16")
    assert spec.factory == "ispc_groth16.prover:Groth16Prover"
    assert "ispc.draft.v2" in spec.circuits and spec.supports_api()
    assert {s.name for s in spec.settings} >= {"key_dir", "backend", "timeout_s",
                                                "trusted_vk_hashes", "allow_testing_keys"}
    assert {s.name: s.default for s in spec.settings}["allow_testing_keys"] is False
    prover = manager.create(spec, {"key_dir": str(tmp_path)})
    try:
        assert isinstance(prover, Prover)
        info = prover.info()
        assert info["protocol"] == 1 and info["backend"] == "groth16py"
        assert info["circuits"]["ispc.draft.v2"] == {"version": 2, "inputs": 8, "outputs": 8}
    finally:
        prover.close()


@pytest.mark.parametrize("settings", [{"backend": "gnark"}, {"timeout_s": 0},
                                      {"setup_mode": "yolo"}, {"colour": "blue"},
                                      {"trusted_vk_hashes": ["not-hex"]},
                                      {"trusted_vk_hashes": [1]},
                                      {"allow_testing_keys": "yes"}])
def test_bad_settings_are_config_errors(settings):
    from ispc_groth16.prover import Groth16Prover

    with pytest.raises(ConfigError) as err:
        Groth16Prover(settings)
    assert err.value.code == "config-invalid" and err.value.hint
