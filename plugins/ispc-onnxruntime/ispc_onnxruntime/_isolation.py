"""Worker processes that give the engine hard limits: a kill timer and an address-space cap.

onnxruntime's terminate flag is checked between kernels, so one long kernel (a huge MatMul)
cannot be stopped in-process. Each run therefore goes to a worker process; the parent waits for
the reply until the run's timeout plus a grace period, then kills the worker (SIGKILL) and
raises Timeout. The next run starts a fresh worker. Memory is capped inside the worker with
RLIMIT_AS (see ``_worker``).
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import time
import weakref
from contextlib import contextmanager
from typing import IO

from ispc_framework.plugins import ConfigError, EngineUnavailable

from ._protocol import FrameError, encode_frame, read_frame_fd

__all__ = ["WorkerPool", "WorkerProcess", "WorkerTimedOut", "WorkerCrashed"]

STARTUP_TIMEOUT_S = 60.0  # importing onnxruntime on a loaded machine, not a run's budget

# Keep the worker's own footprint small and predictable: one BLAS/OpenMP thread, few malloc
# arenas (each arena reserves 64 MiB of address space, which counts against RLIMIT_AS).
_WORKER_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MALLOC_ARENA_MAX": "2"}


class WorkerTimedOut(Exception):
    """The worker did not answer in time and was killed."""


class WorkerCrashed(Exception):
    """The worker exited (a crash, or the kernel's OOM killer) without answering."""


def _pipes(proc: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    """stdin and stdout of a worker (_start pipes both)."""
    assert proc.stdin is not None and proc.stdout is not None
    return proc.stdin, proc.stdout


class WorkerProcess:
    """One worker: start lazily, talk in frames, kill on timeout. Not thread-safe (the pool is)."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self.onnxruntime_version: str | None = None
        self.starts = 0
        # Session keys this worker process has loaded (it may since have evicted some: a run
        # then answers "need-model" and the engine loads again).
        self.loaded: set[str] = set()

    def _start(self) -> None:
        # The worker imports this very package: its root goes at the end of sys.path, so an
        # installed copy wins as it does in the parent and the stdlib is never shadowed.
        package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        bootstrap = (f"import sys; sys.path.append({package_root!r}); "
                     "from ispc_onnxruntime._worker import main; main()")
        self._proc = proc = subprocess.Popen(
            [sys.executable, "-c", bootstrap], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, env={**os.environ, **_WORKER_ENV}, close_fds=True)
        self.starts += 1
        self.loaded = set()
        try:
            header, _ = read_frame_fd(_pipes(proc)[1].fileno(),
                                      time.monotonic() + STARTUP_TIMEOUT_S, 0)
        except (TimeoutError, FrameError) as exc:
            self.kill()
            raise EngineUnavailable(f"the onnxruntime worker did not start: {exc!r}",
                                    hint="check that onnxruntime imports in this Python") from None
        self.onnxruntime_version = header.get("onnxruntime")

    def request(self, header: dict, blobs: list[bytes], timeout_s: float,
                max_blob_bytes: int) -> tuple[dict, list[bytes]]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = None
            self._start()
        assert self._proc is not None  # _start made it
        stdin, stdout = _pipes(self._proc)
        try:
            stdin.write(encode_frame(header, blobs))
            stdin.flush()
            return read_frame_fd(stdout.fileno(), time.monotonic() + timeout_s, max_blob_bytes)
        except TimeoutError:
            self.kill()
            raise WorkerTimedOut from None
        except (FrameError, BrokenPipeError, OSError) as exc:
            code = self.kill()
            raise WorkerCrashed(f"worker exited (status {code}): {exc}") from None

    def kill(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        if proc.poll() is None:
            proc.kill()
        for stream in _pipes(proc):
            try:
                stream.close()
            except OSError:
                pass
        return proc.wait()

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None


class WorkerPool:
    """Up to ``size`` workers; a thread takes one for a whole request and gives it back."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ConfigError("workers must be at least 1")
        self._idle: queue.SimpleQueue[WorkerProcess] = queue.SimpleQueue()
        self._all: list[WorkerProcess] = []
        for _ in range(size):
            worker = WorkerProcess()
            self._all.append(worker)
            self._idle.put(worker)
        # An engine dropped without close() still stops its workers.
        weakref.finalize(self, _kill_all, list(self._all))

    @contextmanager
    def worker(self):
        worker = self._idle.get()
        try:
            yield worker
        finally:
            self._idle.put(worker)

    @property
    def starts(self) -> int:
        return sum(w.starts for w in self._all)

    def close(self) -> None:
        _kill_all(self._all)


def _kill_all(workers: list[WorkerProcess]) -> None:
    for worker in workers:
        worker.kill()
