"""Setup: gnark's MPC ceremony (phase 1 + phase 2) gives a trusted, non-testing key; the testing
setup is marked testing-only; `ispc setup` reports progress; keys are stored by hash."""

from __future__ import annotations

import subprocess
import sys

import json

import pytest


def ispc(*args: str) -> subprocess.CompletedProcess:
    """The installed CLI, as an operator runs it."""
    return subprocess.run([sys.executable, "-m", "ispc_framework", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_ceremony_key_proves_without_allowing_testing_keys(make_prover, tmp_path, sample):
    prover = make_prover(tmp_path, allow_testing_keys=False, setup_mode="ceremony")
    steps = []
    vk_hash = prover.setup("ispc.draft.v2.small", contributions=2,
                           progress=lambda text, done, total: steps.append((text, done, total)))
    record = prover.keys.current("ispc.draft.v2.small")
    assert record.vk_hash == vk_hash and (tmp_path / "ispc.draft.v2.small" / vk_hash).is_dir()
    meta = record.meta
    assert meta["mode"] == "ceremony" and meta["testing_only"] is False
    assert meta["contributions"] == 2 and len(meta["beacon"]) == 64
    assert len(meta["phase1_transcript_sha256"]) == 64
    assert set(meta["files"]) == {"proving_key.bin", "verifying_key.bin",
                                  "verification_key.json"}
    texts = [t for t, _, _ in steps]
    for step in ("phase1: contribution 2/2", "phase1-verify", "phase2: contribution 2/2",
                 "phase2-verify", "done"):
        assert any(t.startswith(step) for t in texts), (step, texts)
    assert [d for _, d, _ in steps] == sorted(d for _, d, _ in steps)  # progress only advances
    request = sample.small()
    proof = prover.prove(request)
    prover.verify(proof, request.execution_result_hash, request=request)


def test_testing_setup_is_marked_and_cli_shows_progress(tmp_path, worker_binary):
    result = ispc(
        "--set", "prover.name=gnark", "--set", f"plugin.gnark.key_dir={tmp_path}",
        "--set", "plugin.gnark.setup_mode=testing", "setup", "ispc.draft.v2.small")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "TESTING ONLY: single-party setup" in result.stderr  # the tools' lines stay quiet
    assert "] done" in result.stderr  # one progress line per step
    vk_hash = result.stdout.strip().rsplit(" ", 1)[-1]
    meta = json.loads((tmp_path / "ispc.draft.v2.small" / vk_hash / "meta.json").read_text())
    assert meta["testing_only"] is True and meta["mode"] == "testing"
    assert meta["backend"] == "gnark" and meta["vk_hash"] == vk_hash
    assert (tmp_path / "ispc.draft.v2.small" / "CURRENT").read_text().strip() == vk_hash


def test_a_failed_setup_leaves_no_key_behind(make_prover, tmp_path):
    from ispc_framework.plugins import ConfigError

    prover = make_prover(tmp_path)
    with pytest.raises(ConfigError):
        prover.setup("ispc.draft.v2.small", mode="bogus")
    assert not (tmp_path / "ispc.draft.v2.small").exists()  # not even an empty key folder
