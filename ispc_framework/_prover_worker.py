"""The plugin's side of the prover protocol: start, talk to, restart and time out a worker.

Shared by every prover plugin whose prover runs in a subprocess (ispc-groth16's Python worker,
ispc-gnark's Go worker). Any executable that speaks docs/prover-protocol.md can be the worker
(``command``). One request is in flight at a time (a lock serialises callers). A worker that
exits is restarted on the next request; a request that outlives its timeout kills the worker and
raises ProverTimeout.

Each worker runs in a process group (session) of its own, so stopping it kills everything it
started too (snarkjs, circom2, or a stray child still holding its pipes). The group is only
signalled while the worker has not been reaped (its pid, and so the group id, is still ours):
exits are observed with ``waitid(WNOWAIT)``. Pipes the reader threads use are never closed under
them; the threads end, and close them, at end of file.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import IO, Any

from . import _errors as errors

__all__ = ["WorkerClient", "PROTOCOL", "PROVER_PROTOCOL"]

#: The prover protocol version (docs/prover-protocol.md).
PROTOCOL = PROVER_PROTOCOL = 1
_IDEMPOTENT = ("info", "load", "prove", "verify")
_POLL_S = 0.25       # how often a waiting request checks that its worker is still alive
_EXIT_GRACE_S = 1.0  # after the worker exits, how long its last lines may take to arrive


def _alive(proc: subprocess.Popen[str]) -> bool:
    """Whether ``proc`` is still running, *without* reaping it (the pid stays ours)."""
    if proc.returncode is not None:
        return False
    try:
        return os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None
    except ChildProcessError:  # reaped elsewhere
        return False


def _wait_exit(proc: subprocess.Popen[str], timeout_s: float) -> bool:
    # Polled from 1 ms up to 20 ms: a worker that exits right after its shutdown reply is seen
    # within a millisecond or two (a fixed 20 ms step added that much to every CLI command).
    deadline = time.monotonic() + timeout_s
    pause = 0.001
    while _alive(proc):
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)
        pause = min(pause * 2, 0.02)
    return True


def _kill_group(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the worker's process group (it leads it: start_new_session), then reap it."""
    if proc.returncode is None:  # not reaped: the group id cannot have been reused
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _reap(proc: subprocess.Popen[str]) -> None:
    if proc.returncode is None:
        try:
            if proc.stdin is not None:  # always a pipe (_start)
                proc.stdin.close()
        except (OSError, ValueError):
            pass
        _wait_exit(proc, 2)
        _kill_group(proc)


def _error_from_reply(error: dict[str, Any]) -> errors.ISPCError:
    """Rebuild the typed error a worker reported (only proof/validation errors cross over)."""
    cls = getattr(errors, str(error.get("type")), None)
    message = error.get("message", "the prover worker reported an error")
    if isinstance(cls, type) and issubclass(cls, errors.ValidationError):
        field, _, rest = message.partition(": ")
        return cls(field, rest or message, code=error.get("code"), hint=error.get("hint"))
    if not (isinstance(cls, type) and issubclass(cls, (errors.ProofError, errors.ConfigError))):
        cls = errors.ProofError
    # A worker's details become keyword arguments: never ``code``/``hint`` twice, only str keys.
    raw = error.get("details")
    details: dict[str, Any] = {k: v for k, v in raw.items() if isinstance(k, str)
                               and k not in ("code", "hint")} if isinstance(raw, dict) else {}
    return cls(message, code=error.get("code"), hint=error.get("hint"), **details)


class WorkerClient:
    """``command`` starts the worker; ``check_info(info)`` may refuse a worker after the
    handshake by raising a typed error (say, one built from other sources)."""

    def __init__(self, command: Sequence[str], *, timeout_s: float = 60.0,
                 start_timeout_s: float = 30.0,
                 check_info: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.command = list(command)
        self.check_info = check_info
        self.timeout_s = timeout_s
        self.start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._next_id = 0
        self._lock = threading.Lock()
        self.info: dict[str, Any] | None = None
        self.restarts = -1  # counts starts after the first

    # --------------------------------------------------------------------------- process life

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc and _alive(self._proc) else None

    def _start(self) -> None:
        try:
            proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                    bufsize=1, start_new_session=True)
        except OSError as exc:
            raise errors.ProverUnavailable(f"cannot start the prover worker {self.command[0]}: "
                                           f"{exc}", code="prover-start-failed") from None
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(proc.stdout, lines.put, True),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(proc.stderr, self._stderr.append, False),
                         daemon=True).start()
        self._proc, self._lines = proc, lines
        # A client dropped without close() must not leave its worker running (each holds
        # ~170 MB with keys loaded): closing stdin ends the worker's read loop.
        weakref.finalize(self, _reap, proc)
        self.restarts += 1
        info = self._exchange({"op": "info"}, self.start_timeout_s, None)
        if info.get("protocol") != PROTOCOL:
            self._stop()  # not close(): the caller holds the lock
            raise errors.ProverUnavailable(
                f"the worker speaks protocol {info.get('protocol')!r}, this plugin {PROTOCOL}",
                code="prover-protocol-mismatch", hint="install matching prover and plugin versions")
        if self.check_info is not None:
            try:
                self.check_info(info)
            except errors.ISPCError:
                self._stop()
                raise
        self.info = info

    @staticmethod
    def _pump(stream: IO[str], put: Callable[[str | None], None], signal_eof: bool) -> None:
        """Read one of the worker's pipes to its end (daemon thread; nobody joins it)."""
        try:
            for line in stream:
                put(line.rstrip("\n"))
        except (OSError, ValueError):
            pass
        finally:
            try:
                stream.close()
            except OSError:
                pass
        if signal_eof:
            put(None)  # end of stream

    def _stop(self) -> None:
        """Kill the worker and its process group and reap it; returns at once (no joins)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _kill_group(proc)
        try:
            if proc.stdin is not None:  # always a pipe (_start)
                proc.stdin.close()  # ours alone; the pump threads close stdout/stderr at EOF
        except (OSError, ValueError):
            pass

    def close(self) -> None:
        with self._lock:
            if self._proc is not None and _alive(self._proc):
                try:
                    self._send({"op": "shutdown", "id": -1})
                    _wait_exit(self._proc, 5)
                except (OSError, ValueError):
                    pass
            self._stop()  # also kills anything the worker left running in its group

    # ------------------------------------------------------------------------------- messaging

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._proc.stdin if self._proc is not None else None
        if stdin is None:  # stopped: the caller reports the worker as died
            raise OSError("the prover worker is not running")
        stdin.write(json.dumps({"protocol": PROTOCOL, **message}) + "\n")
        stdin.flush()

    def _died(self) -> errors.ProverUnavailable:
        proc = self._proc
        self._stop()
        code = proc.returncode if proc else None
        tail = "\n".join(list(self._stderr)[-10:])
        return errors.ProverUnavailable(
            f"the prover worker exited (status {code}) before replying"
            + (f"; its stderr ends with:\n{tail}" if tail else ""),
            code="prover-worker-died", hint="the next request restarts it; see the stderr above")

    def _exchange(self, message: dict[str, Any], timeout_s: float,
                  on_progress: Callable[[str, str], None] | None) -> dict[str, Any]:
        self._next_id += 1
        msg_id = self._next_id
        try:
            self._send({**message, "id": msg_id})
        except (OSError, ValueError):
            raise self._died() from None
        proc = self._proc
        assert proc is not None  # _send succeeded
        deadline = time.monotonic() + timeout_s
        exited_at = None
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(min(remaining, _POLL_S), 0))
            except queue.Empty:
                if remaining > _POLL_S:
                    # A worker that exited while something it started still holds its stdout
                    # never sends EOF: notice the exit itself, after a grace for its last lines.
                    if exited_at is None and not _alive(proc):
                        exited_at = time.monotonic()
                    if exited_at is not None and time.monotonic() - exited_at > _EXIT_GRACE_S:
                        raise self._died() from None
                    continue
                pid = proc.pid
                self._stop()
                raise errors.ProverTimeout(
                    f"the prover worker (pid {pid}) did not answer {message['op']!r} within "
                    f"{timeout_s:g} s; it was stopped and will be restarted",
                    op=message["op"], timeout_s=timeout_s) from None
            if line is None:  # the worker closed its stdout
                raise self._died()
            try:
                reply = json.loads(line)
                if not isinstance(reply, dict):
                    raise ValueError("not an object")
            except ValueError:
                self._stop()
                raise errors.ProofError(
                    f"the prover worker wrote a non-protocol line: {line[:200]!r}",
                    code="prover-protocol-error",
                    hint="the worker must keep stdout for protocol messages") from None
            if reply.get("id") is None and reply.get("ok") is False:  # failed to start
                self._stop()
                error = reply.get("error")
                raise _error_from_reply(error if isinstance(error, dict) else {})
            if reply.get("id") != msg_id:
                continue  # a late reply to a request that already timed out
            if "progress" in reply:
                if on_progress:
                    p = reply["progress"]
                    on_progress(str(p.get("step", "")), str(p.get("message", "")))
                continue
            if reply.get("ok") is True:
                result = reply.get("result", {})
                if not isinstance(result, dict):
                    raise errors.ProofError(
                        f"the prover worker's {message['op']!r} result is not an object",
                        code="prover-protocol-error",
                        hint="the worker is not following docs/prover-protocol.md")
                return result
            error = reply.get("error")
            raise _error_from_reply(error if isinstance(error, dict) else {})

    def request(self, op: str, params: dict[str, Any] | None = None, *,
                timeout_s: float | None = None,
                on_progress: Callable[[str, str], None] | None = None) -> dict[str, Any]:
        """Send one request and wait for its reply; (re)starts the worker when needed.

        A worker found dead is restarted; if it dies during an idempotent request (info, prove,
        verify) the request is retried once on a fresh worker, so a worker killed between two
        requests costs a restart, while one that a request keeps crashing is reported."""
        attempts = 2 if op in _IDEMPOTENT else 1
        with self._lock:
            for attempt in range(attempts):
                if self._proc is None or not _alive(self._proc):
                    self._stop()
                    self._start()
                try:
                    return self._exchange({"op": op, **(params or {})},
                                          self.timeout_s if timeout_s is None else timeout_s,
                                          on_progress)
                except errors.ProverUnavailable as exc:
                    if exc.code != "prover-worker-died" or attempt == attempts - 1:
                        raise
        raise AssertionError("unreachable")
