"""The subprocess protocol: replies and errors, fd 1 hygiene, restart and timeout."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import attrs
import pytest

from ispc_framework.plugins import ConfigError, ProofError, ProverTimeout, ProverUnavailable
from ispc_groth16.client import WorkerClient


def _worker(*args):
    return subprocess.Popen([sys.executable, "-m", "ispc_groth16.worker", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _talk(lines):
    proc = _worker()
    out, err = proc.communicate("".join(line + "\n" for line in lines), timeout=60)
    return [json.loads(line) for line in out.splitlines()], err


def test_worker_replies_and_keeps_serving_after_errors():
    replies, _ = _talk([
        json.dumps({"protocol": 1, "id": 1, "op": "info"}),
        "not json",
        json.dumps({"protocol": 2, "id": 3, "op": "info"}),
        json.dumps({"protocol": 1, "id": 4, "op": "launch"}),
        json.dumps({"protocol": 1, "id": 5, "op": "prove"}),
        json.dumps({"protocol": 1, "id": 6, "op": "verify", "key_dir": "/nonexistent",
                    "circuit_id": "ispc.draft.v2", "vk_hash": "ab" * 32, "proof": "",
                    "public": []}),
        json.dumps({"protocol": 1, "id": 7, "op": "load", "key_dir": "/nonexistent",
                    "circuit_id": "ispc.draft.v2", "vk_hash": "ab" * 32}),
        json.dumps({"protocol": 1, "id": 8, "op": "shutdown"}),
    ])
    assert [r["id"] for r in replies] == [1, None, 3, 4, 5, 6, 7, 8]
    info = replies[0]["result"]
    assert replies[0]["ok"] and info["protocol"] == 1 and info["backend"] == "groth16py"
    assert info["backend_version"] == "0.2.0" and {"prove", "load"} <= set(info["ops"])
    codes = [r["error"]["code"] for r in replies[1:7]]
    assert codes == ["prover-protocol-error", "prover-protocol-mismatch", "prover-protocol-error",
                     "prover-protocol-error", "key-not-found", "key-not-found"]
    assert all(r["error"]["hint"] for r in replies[1:7])
    assert replies[7] == {"protocol": 1, "id": 8, "ok": True, "result": {}}


def test_native_writes_to_fd1_do_not_reach_the_protocol():
    code = textwrap.dedent("""
        import os, sys
        from ispc_groth16.worker import _claim_stdout
        out = _claim_stdout()
        os.write(1, b"native noise\\n")   # what groth16py's embedded circom does
        print("python noise")
        out.write('{"protocol": 1}\\n'); out.flush()
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=30)
    assert done.stdout == '{"protocol": 1}\n'
    assert "native noise" in done.stderr and "python noise" in done.stderr


def test_unknown_backend_is_reported_at_start():
    client = WorkerClient(backend="gnark")
    with pytest.raises(ConfigError) as err:
        client.request("info")
    assert err.value.code == "prover-backend-unknown"
    client.close()


def test_dead_worker_is_restarted():
    client = WorkerClient()
    try:
        first = client.request("info")["pid"]
        os.kill(first, signal.SIGKILL)  # the worker this test started
        second = client.request("info")["pid"]
        assert second != first and client.restarts == 1
    finally:
        client.close()
    assert client.pid is None


def test_dropped_client_does_not_leave_its_worker_running():
    import gc
    import time

    client = WorkerClient()
    pid = client.request("info")["pid"]
    del client
    gc.collect()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)  # probe only
        except ProcessLookupError:
            return
        time.sleep(0.1)
    pytest.fail(f"worker {pid} outlived its client")


FAKE = textwrap.dedent("""
    import json, os, sys, time
    mode = sys.argv[1]
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "shutdown" and mode != "hang":
            break
        if msg["op"] == "info":
            reply = {"protocol": 2 if mode == "v2" else 1, "id": msg["id"], "ok": True,
                     "result": {"protocol": 2 if mode == "v2" else 1, "pid": os.getpid()}}
        elif mode == "hang":
            time.sleep(3600)
        elif mode == "die":
            sys.stderr.write("worker crashed: out of memory\\n"); sys.exit(3)
        elif mode == "noise":
            sys.stdout.write("circom says hello\\n"); sys.stdout.flush(); continue
        elif mode == "hangchild":  # a child that inherits (and holds) the worker's pipes
            import subprocess
            child = subprocess.Popen(["sleep", "60"])
            open(sys.argv[2], "w").write(str(child.pid))
            time.sleep(3600)
        elif mode == "diechild":  # exits, leaving a child that holds its stdout open
            import subprocess
            subprocess.Popen(["sleep", "60"]); sys.exit(4)
        elif mode == "strvalid":
            reply = {"protocol": 1, "id": msg["id"], "ok": True, "result": {"valid": "false"}}
        elif mode == "nopublic":
            reply = {"protocol": 1, "id": msg["id"], "ok": True, "result": {"proof": "00" * 256}}
        elif mode == "listresult":
            reply = {"protocol": 1, "id": msg["id"], "ok": True, "result": ["valid"]}
        elif mode == "badpublic":
            reply = {"protocol": 1, "id": msg["id"], "ok": True,
                     "result": {"proof": "00" * 256, "public": ["1", "x", None]}}
        print(json.dumps(reply), flush=True)
""")


def _fake_command(tmp_path, mode, *args):
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE)
    return [sys.executable, str(script), mode, *map(str, args)]


def _fake(tmp_path, mode, *args, **kw):
    return WorkerClient(_fake_command(tmp_path, mode, *args), **kw)


def _gone(pid, within_s=5.0):
    import time

    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True  # killed, waiting for its (new) parent to reap it
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_timeout_is_not_stretched_by_a_child_holding_the_pipes(tmp_path):
    import time

    pid_file = tmp_path / "child.pid"
    client = _fake(tmp_path, "hangchild", pid_file, timeout_s=1.0)
    try:
        client.request("info")
        started = time.monotonic()
        with pytest.raises(ProverTimeout):
            client.request("verify")
        assert time.monotonic() - started < 1.0 + 3.0  # the child sleeps 60 s
        assert _gone(int(pid_file.read_text()))  # the whole process group was killed
        assert client.request("info")["pid"]  # and a fresh worker serves
    finally:
        client.close()


def test_worker_exiting_while_a_child_holds_stdout_is_noticed(tmp_path):
    import time

    client = _fake(tmp_path, "diechild", timeout_s=30.0)
    try:
        started = time.monotonic()
        with pytest.raises(ProverUnavailable) as err:
            client.request("setup")  # not retried
        assert err.value.code == "prover-worker-died" and "status 4" in err.value.message
        assert time.monotonic() - started < 10  # not the 30 s timeout
    finally:
        client.close()


@pytest.fixture(scope="module")
def real_proof(testing_keys, sample):
    from ispc_groth16.prover import Groth16Prover

    with Groth16Prover({"key_dir": str(testing_keys), "allow_testing_keys": True}) as real:
        return real.prove(sample.request())


@pytest.mark.parametrize("mode,op", [("strvalid", "verify"), ("nopublic", "prove"),
                                     ("listresult", "verify"), ("badpublic", "prove")])
def test_malformed_replies_are_protocol_errors(tmp_path, testing_keys, sample, real_proof, mode,
                                               op):
    from ispc_groth16.prover import Groth16Prover

    proof = real_proof
    bad = Groth16Prover({"key_dir": str(testing_keys), "allow_testing_keys": True,
                         "worker_command": _fake_command(tmp_path, mode), "self_check": False})
    try:
        with pytest.raises(ProofError) as err:  # never accepted, never a plain "invalid"
            if op == "prove":
                bad.prove(sample.request())
            else:
                bad.verify(attrs.evolve(proof, proof=b"\x00" * 256), b"\x11" * 32)
        assert err.value.code == "prover-protocol-error", err.value
    finally:
        bad.close()


def test_hung_worker_times_out_and_is_replaced(tmp_path):
    client = _fake(tmp_path, "hang", timeout_s=1.0)
    try:
        pid = client.request("info")["pid"]
        with pytest.raises(ProverTimeout) as err:
            client.request("prove")
        assert err.value.code == "prover-timeout" and str(pid) in err.value.message
        assert client.pid is None  # killed
        assert client.request("info")["pid"] != pid
    finally:
        client.close()


def test_worker_dying_mid_request(tmp_path):
    client = _fake(tmp_path, "die")
    try:
        with pytest.raises(ProverUnavailable) as err:
            client.request("prove")
        assert err.value.code == "prover-worker-died"
        assert "out of memory" in err.value.message
    finally:
        client.close()


def test_non_protocol_output_and_version_mismatch(tmp_path):
    client = _fake(tmp_path, "noise")
    with pytest.raises(ProofError) as err:
        client.request("prove")
    assert err.value.code == "prover-protocol-error"
    client.close()
    client = _fake(tmp_path, "v2")
    with pytest.raises(ProverUnavailable) as err:
        client.request("info")
    assert err.value.code == "prover-protocol-mismatch"
    client.close()


def test_close_lets_the_worker_exit_by_itself():
    """After its shutdown reply the worker leaves at once with status 0 (not killed by the
    client's fallback), having flushed the reply."""
    client = WorkerClient(timeout_s=60)
    client.request("info")
    proc = client._proc
    client.close()
    assert proc is not None and proc.returncode == 0
    replies, _ = _talk([json.dumps({"protocol": 1, "id": 1, "op": "shutdown"}),
                        json.dumps({"protocol": 1, "id": 2, "op": "info"})])
    assert replies == [{"protocol": 1, "id": 1, "ok": True, "result": {}}]  # nothing after it
