"""Finding the worker: a missing Go, an unbuilt or a stale worker are typed errors with a hint
that says how to build it; `ispc doctor` reports them; the plugin is a real entry point."""

from __future__ import annotations

import subprocess
import sys

import shutil
from pathlib import Path

import pytest

from ispc_framework.plugins import ProverUnavailable


def ispc(*args: str) -> subprocess.CompletedProcess:
    """The installed CLI, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "ispc_framework", *args], capture_output=True,
                          text=True, timeout=600)


def test_the_plugin_is_registered_through_its_entry_point(tmp_path, worker_binary):
    from ispc_framework.plugins import PluginManager
    from ispc_framework.plugins import Prover

    manager = PluginManager()
    spec = manager.select("prover", "gnark")
    record = next(r for r in manager.records() if r.spec is spec)
    assert record.distribution == "ispc-gnark"
    assert spec.factory == "ispc_gnark.prover:GnarkProver"
    assert spec.doctor == "ispc_gnark.build:doctor_checks"
    assert "setup-ceremony" in spec.capabilities and "ispc.draft.v2" in spec.circuits
    prover = manager.create(spec, {"key_dir": str(tmp_path)})
    try:
        assert isinstance(prover, Prover)
    finally:
        prover.close()


def test_plugin_module_imports_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, ispc_gnark.plugin; "
            "print(sorted(m for m in sys.modules if m.startswith(('ispc_gnark.', 'wasmtime'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['ispc_gnark.plugin']"


def test_source_hash_covers_sources_not_tests(tmp_path):
    from ispc_gnark.build import WORKER_SOURCES, source_hash

    copy = tmp_path / "worker"
    shutil.copytree(WORKER_SOURCES, copy)
    assert source_hash(copy) == source_hash()
    (copy / "poseidon" / "extra_test.go").write_text("package poseidon\n")
    assert source_hash(copy) == source_hash()
    (copy / "main.go").write_text((copy / "main.go").read_text() + "\n// changed\n")
    assert source_hash(copy) != source_hash()


def test_unbuilt_worker(tmp_path, monkeypatch):
    from ispc_gnark.prover import GnarkProver

    monkeypatch.setenv("ISPC_GNARK_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ProverUnavailable) as info:
        GnarkProver({"key_dir": str(tmp_path)})
    assert info.value.code == "gnark-worker-unbuilt"
    assert "python -m ispc_gnark.build" in info.value.hint


def test_stale_worker_in_the_cache(tmp_path, monkeypatch, worker_binary):
    from ispc_gnark.prover import GnarkProver

    old = tmp_path / "cache" / ("0" * 64)
    old.mkdir(parents=True)
    shutil.copy(worker_binary, old / worker_binary.name)
    monkeypatch.setenv("ISPC_GNARK_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ProverUnavailable) as info:
        GnarkProver({"key_dir": str(tmp_path)})
    assert info.value.code == "gnark-worker-stale"
    assert "ispc_gnark.build" in info.value.hint


def test_a_worker_built_from_other_sources_is_refused_at_the_handshake(tmp_path, monkeypatch,
                                                                        worker_binary):
    """A binary in the right place but reporting another source hash (copied, or built by hand
    after editing the Go code) never serves a request."""
    from ispc_gnark import build
    from ispc_gnark.prover import GnarkProver

    monkeypatch.setattr(build, "source_hash", lambda src=None: "f" * 64)
    target = tmp_path / "cache" / ("f" * 64) / worker_binary.name
    target.parent.mkdir(parents=True)
    shutil.copy(worker_binary, target)
    monkeypatch.setenv("ISPC_GNARK_CACHE", str(tmp_path / "cache"))
    prover = GnarkProver({"key_dir": str(tmp_path)})
    try:
        with pytest.raises(ProverUnavailable) as info:
            prover.worker.request("info")
        assert info.value.code == "gnark-worker-stale"
    finally:
        prover.close()


def test_building_without_go_says_how_to_get_it(tmp_path, monkeypatch):
    from ispc_gnark.build import WORKER_SOURCES, build

    monkeypatch.setenv("ISPC_GNARK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no go here
    with pytest.raises(ProverUnavailable) as info:
        build(WORKER_SOURCES)
    assert info.value.code == "go-missing" and "Go" in info.value.hint


def test_worker_binary_setting_must_be_executable(tmp_path):
    from ispc_gnark.prover import GnarkProver

    (tmp_path / "worker").write_text("not a program")
    with pytest.raises(ProverUnavailable) as info:
        GnarkProver({"key_dir": str(tmp_path), "worker_binary": str(tmp_path / "worker")})
    assert info.value.code == "gnark-worker-unbuilt"


def _doctor(tmp_path):
    return ispc("--set", "prover.name=gnark", "--set", f"plugin.gnark.key_dir={tmp_path}",
                "doctor", "--json")


def test_doctor_checks_the_worker(tmp_path, worker_binary, monkeypatch):
    import json

    result = _doctor(tmp_path)
    rows = [r for r in json.loads(result.stdout) if "prover" in r["subject"]]
    assert any(r["level"] == "ok" and "answers protocol 1" in r["message"] for r in rows), rows
    monkeypatch.setenv("ISPC_GNARK_CACHE", str(tmp_path / "empty"))
    result = _doctor(tmp_path)
    rows = [r for r in json.loads(result.stdout) if "prover" in r["subject"]]
    bad = [r for r in rows if r["level"] == "error"]
    assert bad and bad[0]["code"] == "gnark-worker-unbuilt" and bad[0]["hint"], rows
    assert result.returncode != 0


def test_the_committed_poseidon_constants_are_circomlibs(tmp_path, node_modules):
    """gen_poseidon_constants.py regenerates the committed file byte for byte."""
    import subprocess
    import sys

    from ispc_gnark.build import WORKER_SOURCES

    copy = tmp_path / "worker"
    shutil.copytree(WORKER_SOURCES, copy)
    subprocess.run([sys.executable, str(copy / "gen_poseidon_constants.py"),
                    str(node_modules / "circomlib" / "circuits" / "poseidon_constants.circom")],
                   check=True)
    for t in (6, 10, 17):                  # gen_poseidon_constants.py's WIDTHS
        name = f"constants_t{t}.go"
        assert (copy / "poseidon" / name).read_bytes() == \
            Path(WORKER_SOURCES / "poseidon" / name).read_bytes()
