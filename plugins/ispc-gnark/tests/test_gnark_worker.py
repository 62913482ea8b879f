"""The Go worker's protocol and its faults: killed mid-proof, hung, garbage on stdout, dead;
typed errors, a restart, and no result lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ispc_framework.plugins import ProofError, ProverTimeout, ProverUnavailable

FAULTY = Path(__file__).with_name("faulty_worker.py")


def test_worker_replies_and_keeps_serving_after_errors(worker_binary):
    lines = [
        json.dumps({"protocol": 1, "id": 1, "op": "info"}),
        "not json",
        json.dumps({"protocol": 2, "id": 3, "op": "info"}),
        json.dumps({"protocol": 1, "id": 4, "op": "launch"}),
        json.dumps({"protocol": 1, "id": 5, "op": "prove"}),
        json.dumps({"protocol": 1, "id": 6, "op": "verify", "key_dir": "/nonexistent",
                    "circuit_id": "ispc.draft.v2", "vk_hash": "ab" * 32, "proof": "",
                    "public": []}),
        json.dumps({"protocol": 1, "id": 7, "op": "public", "circuit_id": "ispc.draft.v2",
                    "input": {"result_hi": "-1"}}),
        json.dumps({"protocol": 1, "id": 8, "op": "load", "key_dir": "/nonexistent",
                    "circuit_id": "ispc.draft.v2", "vk_hash": "ab" * 32}),
        json.dumps({"protocol": 1, "id": 9, "op": "shutdown"}),
    ]
    done = subprocess.run([str(worker_binary)], input="".join(x + "\n" for x in lines),
                          capture_output=True, text=True, timeout=60)
    replies = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["id"] for r in replies] == [1, None, 3, 4, 5, 6, 7, 8, 9]
    info = replies[0]["result"]
    assert info["protocol"] == 1 and info["backend"] == "gnark"
    assert {"prove", "load"} <= set(info["ops"])
    codes = [r["error"]["code"] for r in replies[1:8]]
    assert codes == ["prover-protocol-error", "prover-protocol-mismatch", "prover-protocol-error",
                     "prover-protocol-error", "key-not-found", "witness-input", "key-not-found"]
    assert all(r["error"]["hint"] for r in replies[1:8])
    assert replies[8] == {"protocol": 1, "id": 9, "ok": True, "result": {}}
    assert done.returncode == 0


def test_gnark_logs_never_reach_stdout(worker_binary):
    """gnark logs while compiling; all of it must go to stderr."""
    # no cached constraint system (see the cache test below): this worker compiles
    (worker_binary.parent / "ccs-ispc.draft.v2.bin").unlink(missing_ok=True)
    line = json.dumps({"protocol": 1, "id": 1, "op": "circuit", "circuit_id": "ispc.draft.v2"})
    done = subprocess.run([str(worker_binary)], input=line + "\n", capture_output=True,
                          text=True, timeout=120)
    assert [json.loads(x)["id"] for x in done.stdout.splitlines()] == [1]
    assert "compiling circuit" in done.stderr


def _faulty(make_prover, key_dir, mode, worker_binary, **settings):
    return make_prover(key_dir, worker_command=[sys.executable, str(FAULTY), mode,
                                                str(worker_binary)], **settings)


def test_a_hung_worker_times_out_and_is_replaced(make_prover, testing_keys, worker_binary,
                                                 sample):
    prover = _faulty(make_prover, testing_keys, "hang", worker_binary, timeout_s=2.0)
    first = prover.worker.request("info")["pid"]
    started = time.monotonic()
    with pytest.raises(ProverTimeout) as info:
        prover.prove(sample.request())
    assert 1.9 < time.monotonic() - started < 4.0
    assert info.value.code == "prover-timeout"
    assert prover.worker.request("info")["pid"] != first  # a fresh worker answers
    assert prover.worker.restarts == 1


def test_garbage_on_stdout_is_a_protocol_error_then_a_restart(make_prover, testing_keys,
                                                              worker_binary, sample):
    prover = _faulty(make_prover, testing_keys, "garbage", worker_binary)
    with pytest.raises(ProofError) as info:
        prover.prove(sample.request())
    assert info.value.code == "prover-protocol-error"
    assert "not a protocol line" in info.value.message
    assert prover.worker.request("info")["backend"] == "gnark"
    assert prover.worker.restarts == 1


def test_a_worker_that_keeps_dying_is_reported(make_prover, testing_keys, worker_binary, sample):
    prover = _faulty(make_prover, testing_keys, "die", worker_binary)
    with pytest.raises(ProverUnavailable) as info:
        prover.prove(sample.request())
    assert info.value.code == "prover-worker-died"
    assert "status 7" in info.value.message


def test_a_worker_killed_mid_proof_is_restarted_and_the_proof_still_delivered(
        make_prover, testing_keys, worker_binary, sample):
    prover = _faulty(make_prover, testing_keys, "slow", worker_binary, self_check=False)
    prover.worker.request("info")
    victim = prover.worker.pid
    result = {}
    thread = threading.Thread(target=lambda: result.update(proof=prover.prove(sample.request())))
    thread.start()
    time.sleep(1.0)  # the proxy now holds the reply
    os.kill(victim, signal.SIGKILL)
    thread.join(30)
    assert "proof" in result, "the idempotent prove was not retried on a fresh worker"
    assert prover.worker.restarts == 1 and prover.worker.pid != victim
    prover.verify(result["proof"], sample.request().execution_result_hash)


def test_the_real_worker_killed_between_requests_is_restarted(make_prover, testing_keys,
                                                              sample):
    prover = make_prover(testing_keys)
    proof = prover.prove(sample.request())
    os.kill(prover.worker.pid, signal.SIGKILL)
    time.sleep(0.2)
    prover.verify(proof, sample.request().execution_result_hash)
    assert prover.worker.restarts == 1


def test_warm_up_loads_the_proving_key_in_the_worker_that_proves(make_prover, testing_keys,
                                                                  sample):
    prover = make_prover(testing_keys)
    prover.warm_up("ispc.draft.v2").join(timeout=300)
    pid = prover.worker.pid
    assert pid is not None
    prover.verify(prover.prove(sample.request()), sample.request().execution_result_hash,
                  request=sample.request())
    assert prover.worker.pid == pid and prover.worker.restarts == 0


@pytest.mark.parametrize("damage", ["payload", "header", "truncated"])
def test_the_compiled_circuit_cache_is_checked_and_rebuilt(make_prover, testing_keys, sample,
                                                           worker_binary, damage, tmp_path):
    """The worker caches its compiled constraint system next to its binary; a damaged entry is
    recompiled (and rewritten), never trusted: keys still match and proofs still verify."""
    import hashlib
    import shutil

    # A private copy of the worker, so the damaged cache file is this test's alone: the shared
    # build's cache is read at the same time by other test processes, whose recompile raced this
    # test's damage and made it flaky.
    binary = Path(shutil.copy2(worker_binary, tmp_path / worker_binary.name))
    cache = binary.parent / "ccs-ispc.draft.v2.bin"
    make_prover(testing_keys, worker_binary=str(binary)).worker.request(
        "circuit", {"circuit_id": "ispc.draft.v2"})
    good = cache.read_bytes()
    header_end = good.index(b"\n") + 1
    payload = good[header_end + 32:]
    assert good[header_end:header_end + 32] == hashlib.sha256(payload).digest()
    data = bytearray(good)
    if damage == "payload":
        data[-10] ^= 0xFF
    elif damage == "header":
        data[header_end - 5:header_end - 1] = b"3/3 "[:4]  # another circuit's capacities
    else:
        data = data[:len(data) // 2]
    cache.write_bytes(bytes(data))
    prover = make_prover(testing_keys, worker_binary=str(binary))
    prover.verify(prover.prove(sample.request()), sample.request().execution_result_hash,
                  request=sample.request())
    assert cache.read_bytes() == good  # recompiled: the same constraint system, rewritten


def test_close_stops_the_worker(make_prover, testing_keys):
    prover = make_prover(testing_keys)
    pid = prover.worker.request("info")["pid"]
    prover.close()
    time.sleep(0.2)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
