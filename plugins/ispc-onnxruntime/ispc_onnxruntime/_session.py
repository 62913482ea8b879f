"""onnxruntime sessions under the determinism profile, and runs under a terminate watchdog.

Shared by the in-process engine and the worker process; imports only onnxruntime and numpy.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time

import onnxruntime as ort

__all__ = ["OPTIMIZATION_LEVELS", "session_options", "run_options", "create_session", "Watchdog",
           "classify"]

#: Optimisation levels by their recorded name. The level changes output bits (constant folding
#: and fusions reorder float operations), so it is part of the engine fingerprint.
OPTIMIZATION_LEVELS = {
    "disable": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}

#: Session config entries of the determinism profile (names from onnxruntime's
#: onnxruntime_session_options_config_keys.h), recorded verbatim in the fingerprint.
PROFILE_ENTRIES = {
    "session.intra_op.allow_spinning": "0",
    "session.inter_op.allow_spinning": "0",
    "session.allow_released_opsets_only": "1",
    "session.load_model_format": "ONNX",  # never interpret bytes as the ORT flatbuffer format
    "session.set_denormal_as_zero": "0",
}


def session_options(optimization_level: str) -> ort.SessionOptions:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = OPTIMIZATION_LEVELS[optimization_level]
    options.use_deterministic_compute = True
    options.log_severity_level = 4  # failures reach the caller as exceptions; keep stderr quiet
    for key, value in PROFILE_ENTRIES.items():
        options.add_session_config_entry(key, value)
    return options


def run_options() -> ort.RunOptions:
    options = ort.RunOptions()
    options.log_severity_level = 4
    return options


def create_session(model_bytes: bytes, optimization_level: str) -> ort.InferenceSession:
    return ort.InferenceSession(model_bytes, sess_options=session_options(optimization_level),
                                providers=["CPUExecutionProvider"])


class Watchdog:
    """One daemon thread that sets ``RunOptions.terminate`` on runs past their deadline.

    A single thread for all runs, started once, so arming a run creates no thread (a new thread
    would reserve stack address space under the worker's RLIMIT_AS). onnxruntime checks the flag
    between kernels: it stops a long Loop, not one long kernel (the worker's kill timer does).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, ort.RunOptions]] = []
        self._armed: set[int] = set()
        self._ids = itertools.count()
        threading.Thread(target=self._loop, name="ispc-ort-watchdog", daemon=True).start()

    def arm(self, run_options: ort.RunOptions, timeout_s: float) -> int:
        token = next(self._ids)
        deadline = time.monotonic() + timeout_s
        with self._cond:
            # Wake the thread only when this deadline comes first: waking it on every run
            # (a thread switch) was a tenth of a small model's run. Finished runs left in the
            # heap are dropped when the thread next wakes.
            wake = not self._heap or deadline < self._heap[0][0]
            heapq.heappush(self._heap, (deadline, token, run_options))
            self._armed.add(token)
            if wake:
                self._cond.notify()
        return token

    def disarm(self, token: int) -> None:
        with self._cond:
            self._armed.discard(token)

    def _loop(self) -> None:
        with self._cond:
            while True:
                while self._heap and self._heap[0][1] not in self._armed:
                    heapq.heappop(self._heap)  # finished runs
                if not self._heap:
                    self._cond.wait()
                    continue
                deadline, token, run_options = self._heap[0]
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
                heapq.heappop(self._heap)
                self._armed.discard(token)
                run_options.terminate = True


def classify(exc: BaseException) -> str:
    """Sort an onnxruntime failure into timeout / memory / run by its type and message."""
    text = str(exc).lower()
    if "terminate flag" in text:
        return "timeout"
    if isinstance(exc, MemoryError) or "allocate" in text or "bad_alloc" in text \
            or "bad allocation" in text or "std::bad_alloc" in text:
        return "memory"
    return "run"
