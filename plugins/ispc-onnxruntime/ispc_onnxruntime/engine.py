"""The onnxruntime engine: safe loader, determinism profile, session cache, hard limits.

Determinism profile (every session): one intra-op and one inter-op thread, sequential execution,
spinning off, CPU provider only, released opsets only, a fixed graph-optimisation level. Outputs
are bit-exact run to run on one machine, not across CPU instruction-set classes, so the
fingerprint names the onnxruntime version, the optimisation level and the CPU ISA class.

Isolation ``"process"`` (default) runs sessions in worker processes: a run past its timeout is
killed (SIGKILL) after ``kill_grace_s`` even inside one long kernel, and memory is capped with
RLIMIT_AS. Isolation ``"inprocess"`` is faster per call but only has the terminate watchdog
(stops between kernels) and no memory cap; its capabilities say so.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import attrs

from ispc_framework.plugins import (ExecutionError, LimitExceeded, MemoryLimitExceeded,
                                   ModuleRejected, Timeout, Trap, ValidationError)
from ispc_framework.plugins import ExecutionLimits
from ispc_framework.plugins import Tensor
from ispc_framework.plugins import (CheckedModel, ModelPolicy, coerce_limits, cpu_isa_class,
                                        load_checked_model, model_hash, outputs_to_tensors,
                                        tensor_to_array, validate_inputs)
from ispc_framework.plugins import resolve_settings

from .plugin import ENGINE

__all__ = ["OnnxRuntimeEngine", "PreparedModel", "ORT_POLICY"]

#: What onnxruntime 1.31 loads (probed: IR 13, ai.onnx 26, ai.onnx.ml 5). Released opsets only.
ORT_POLICY = ModelPolicy(max_ir_version=13, max_opsets={"": 26, "ai.onnx.ml": 5})
#: Bump when the loader's rewrite of a model (or the profile) changes: it is in the cache key.
PROFILE_VERSION = "1"
ISOLATIONS = ("process", "inprocess")
#: the declared settings' defaults (plugin.py, the one place they are written), so an engine built
#: directly (tests, library use) gets the same ones as one the core builds from ispc.toml
_DEFAULTS = resolve_settings(ENGINE.settings, None, "onnxruntime")


@attrs.frozen
class PreparedModel:
    """A loaded model: the checked model plus the session-cache key of this engine's options."""

    engine: str
    model: CheckedModel
    session_key: str

    @property
    def model_hash(self) -> bytes:
        return self.model.model_hash


class _SessionCache:
    """In-process LRU of sessions; a session's ``run`` is safe to call from several threads."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._sessions: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str, model_bytes: bytes, optimization_level: str):
        from ._session import create_session

        with self._lock:  # creation under the lock too: one session per key, never two
            session = self._sessions.get(key)
            if session is not None:
                self.hits += 1
                self._sessions.move_to_end(key)
                return session
            self.misses += 1
            try:
                session = create_session(model_bytes, optimization_level)
            except Exception as exc:
                raise ModuleRejected(f"onnxruntime cannot create a session: {exc}",
                                     code="onnx-session-failed",
                                     hint="the model passed the checker but onnxruntime "
                                          "rejects it; check its operators against "
                                          "onnxruntime's") from None
            self._sessions[key] = session
            while len(self._sessions) > self._size:
                self._sessions.popitem(last=False)
            return session


class OnnxRuntimeEngine:
    """``OnnxEngine`` on onnxruntime. Settings come from ``[plugin.onnxruntime]``."""

    name = "onnxruntime"

    def __init__(self, optimization_level: str = _DEFAULTS["optimization_level"],
                 isolation: str = _DEFAULTS["isolation"], workers: int = _DEFAULTS["workers"],
                 kill_grace_s: float = _DEFAULTS["kill_grace_s"],
                 session_cache_size: int = _DEFAULTS["session_cache_size"]) -> None:
        from ._session import OPTIMIZATION_LEVELS  # cheap next to any use of the engine

        if optimization_level not in OPTIMIZATION_LEVELS:
            raise ValidationError("plugin.onnxruntime.optimization_level",
                                  f"{optimization_level!r} is not one of "
                                  f"{sorted(OPTIMIZATION_LEVELS)}")
        if isolation not in ISOLATIONS:
            raise ValidationError("plugin.onnxruntime.isolation",
                                  f"{isolation!r} is not one of {list(ISOLATIONS)}")
        self.optimization_level = optimization_level
        self.isolation = isolation
        self.kill_grace_s = float(kill_grace_s)
        self.ort_version = metadata.version("onnxruntime")
        self._fingerprint: str | None = None
        self._idle_run_options: list = []  # list.pop/append are atomic: no lock needed
        # (model bytes object, checked model, session key) of the last prepare: bytes are
        # immutable, so the same object is the same model (holding it keeps its id unique).
        self._last_prepared: tuple[bytes, CheckedModel, str] | None = None
        self._checked: OrderedDict[bytes, CheckedModel] = OrderedDict()
        self._checked_lock = threading.Lock()
        self._checked_size = session_cache_size
        self._sessions = _SessionCache(session_cache_size)
        self._watchdog = None
        self._pool = None
        if isolation == "inprocess":
            from ._session import Watchdog

            self._watchdog = Watchdog()
        else:
            from ._isolation import WorkerPool

            self._pool = WorkerPool(int(workers))

    # ---------------------------------------------------------------------------- identity

    def fingerprint_fields(self) -> dict[str, str]:
        return {"engine": self.name, "onnxruntime": self.ort_version,
                "optimization_level": self.optimization_level, "cpu_isa": cpu_isa_class(),
                "threads": "intra1-inter1-sequential-nospin", "provider": "cpu",
                "profile": PROFILE_VERSION}

    def fingerprint(self) -> str:
        # Every field is fixed for the engine's lifetime; the coordinator asks twice per run.
        if self._fingerprint is None:
            fields = self.fingerprint_fields()
            self._fingerprint = ";".join(
                f"{key}={fields[key]}" for key in ("engine", "onnxruntime", "optimization_level",
                                                   "cpu_isa", "threads", "provider", "profile"))
        return self._fingerprint

    def backend_known_issues(self):
        """onnx's backend node tests this engine fails, grouped by reason (the conformance
        suite's ``--backend-tests`` runs them as strict xfails)."""
        from pathlib import Path

        return Path(__file__).with_name("backend_known_issues.json")

    def capabilities(self) -> frozenset[str]:
        common = {"onnx", "deterministic-profile", "session-cache", "timeout", "tensor-caps"}
        if self.isolation == "process":
            common |= {"hard-timeout", "memory-limit"}
        return frozenset(common)

    # ------------------------------------------------------------------------------ prepare

    def prepare(self, model_bytes: bytes, limits: ExecutionLimits | None = None) -> PreparedModel:
        limits = coerce_limits(limits)
        if not isinstance(model_bytes, bytes):
            raise ValidationError("model_bytes",
                                  f"expected bytes, got {type(model_bytes).__name__}")
        if len(model_bytes) > limits.max_model_bytes:  # before hashing, as the loader would
            load_checked_model(model_bytes, ORT_POLICY, limits)
        last = self._last_prepared  # the same bytes object again (the coordinator's content
        if last is not None and last[0] is model_bytes:  # cache): skip hashing the model
            checked, key = last[1], last[2]
        else:
            checked, key = self._checked_model(model_bytes, limits)
            self._last_prepared = (model_bytes, checked, key)
        prepared = PreparedModel(engine=self.name, model=checked, session_key=key)
        # Create the session now, so a model onnxruntime rejects fails here and not mid-run.
        if self._pool is None:
            self._sessions.get(key, checked.model_bytes, self.optimization_level)
        else:
            with self._pool.worker() as worker:
                self._load_in_worker(worker, prepared, limits)
        return prepared

    def _checked_model(self, model_bytes: bytes, limits: ExecutionLimits):
        """The checked model (cached by hash) and its session key."""
        digest = model_hash(model_bytes)
        with self._checked_lock:
            checked = self._checked.get(digest)
            if checked is not None:
                self._checked.move_to_end(digest)
        if checked is None:
            checked = load_checked_model(model_bytes, ORT_POLICY, limits)
            with self._checked_lock:
                self._checked[digest] = checked
                while len(self._checked) > self._checked_size:
                    self._checked.popitem(last=False)
        key = hashlib.sha256("|".join((checked.model_hash.hex(), self.optimization_level,
                                       self.ort_version, PROFILE_VERSION)).encode()).hexdigest()
        return checked, key

    # ---------------------------------------------------------------------------------- run

    def run(self, prepared: PreparedModel, inputs: Sequence[Tensor],
            limits: ExecutionLimits | None = None) -> tuple[Tensor, ...]:
        limits = coerce_limits(limits)
        if not isinstance(prepared, PreparedModel) or prepared.engine != self.name:
            raise ValidationError("prepared", "not a model prepared by this engine")
        ordered = validate_inputs(prepared.model, inputs, limits)
        feeds = {t.name: tensor_to_array(t) for t in ordered}
        if self._pool is None:
            arrays = self._run_inprocess(prepared, feeds, limits)
        else:
            arrays = self._run_in_worker(prepared, ordered, limits)
        return outputs_to_tensors(prepared.model, arrays, limits)

    def _run_inprocess(self, prepared: PreparedModel, feeds: dict, limits: ExecutionLimits):
        from ._session import classify
        from ._session import run_options as new_run_options

        session = self._sessions.get(prepared.session_key, prepared.model.model_bytes,
                                     self.optimization_level)
        try:  # RunOptions are reused unless the watchdog terminated them (after disarm it
            run_options = self._idle_run_options.pop()  # can no longer touch them)
        except IndexError:
            run_options = new_run_options()
        watchdog = self._watchdog
        assert watchdog is not None  # isolation "inprocess" made it
        token = watchdog.arm(run_options, limits.timeout_s)
        try:
            return session.run(None, feeds, run_options)
        except Exception as exc:
            raise _typed_error(classify(exc), str(exc), limits) from None
        finally:
            watchdog.disarm(token)
            if not run_options.terminate and len(self._idle_run_options) < 16:
                self._idle_run_options.append(run_options)

    def _load_in_worker(self, worker, prepared: PreparedModel, limits: ExecutionLimits,
                        force: bool = False) -> None:
        if prepared.session_key in worker.loaded and worker.alive and not force:
            return
        reply, _ = self._ask(worker, {"op": "load", "key": prepared.session_key,
                                      "optimization_level": self.optimization_level,
                                      "memory_bytes": limits.memory_bytes},
                             [prepared.model.model_bytes], limits)
        if reply["status"] != "ok":
            raise _typed_error(reply.get("kind", "run"), reply.get("message", ""), limits)
        worker.loaded.add(prepared.session_key)

    def _run_in_worker(self, prepared: PreparedModel, ordered: Sequence[Tensor],
                       limits: ExecutionLimits):
        import numpy as np

        request = {"op": "run", "key": prepared.session_key, "timeout_s": limits.timeout_s,
                   "memory_bytes": limits.memory_bytes, "max_tensor_bytes": limits.max_tensor_bytes,
                   "inputs": [[t.name, t.dtype, list(t.shape)] for t in ordered]}
        blobs = [t.data for t in ordered]
        pool = self._pool
        assert pool is not None  # isolation "process" made it
        with pool.worker() as worker:
            reply, out_blobs = self._ask(worker, request, blobs, limits)
            if reply["status"] == "need-model":  # a fresh or evicting worker: load, then retry
                self._load_in_worker(worker, prepared, limits, force=True)
                reply, out_blobs = self._ask(worker, request, blobs, limits)
        if reply["status"] != "ok":
            raise _typed_error(reply.get("kind", "run"), reply.get("message", ""), limits)
        try:
            return [np.frombuffer(blob, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
                    for (dtype, shape), blob in zip(reply["outputs"], out_blobs, strict=True)]
        except (TypeError, ValueError) as exc:
            raise ExecutionError(f"the worker sent a malformed reply: {exc}",
                                 code="onnx-worker-protocol") from None

    def _ask(self, worker, header: dict, blobs: list[bytes], limits: ExecutionLimits):
        from ._isolation import WorkerCrashed, WorkerTimedOut

        try:
            return worker.request(header, blobs, limits.timeout_s + self.kill_grace_s,
                                  limits.max_tensor_bytes)
        except WorkerTimedOut:
            raise Timeout(f"the run passed its {limits.timeout_s} s limit and its worker was "
                          f"killed", hint="raise [limits] timeout_s or use a cheaper model",
                          limit=limits.timeout_s, hard_kill=True) from None
        except WorkerCrashed as exc:
            raise ExecutionError(f"the onnxruntime worker died: {exc}", code="onnx-worker-crashed") from None

    def close(self) -> None:
        """Stop the worker processes (they also exit when this process does)."""
        if self._pool is not None:
            self._pool.close()

    @property
    def worker_starts(self) -> int:
        return self._pool.starts if self._pool is not None else 0


def _typed_error(kind: str, message: str, limits: ExecutionLimits) -> Exception:
    if kind == "timeout":
        return Timeout(f"the run passed its {limits.timeout_s} s limit and was terminated",
                       limit=limits.timeout_s)
    if kind == "memory":
        return MemoryLimitExceeded(f"the run needed more than its {limits.memory_bytes} byte "
                                   f"memory cap: {message[:300]}", limit=limits.memory_bytes)
    if kind == "output-too-large":
        return LimitExceeded(f"an output is over the {limits.max_tensor_bytes} byte cap",
                             code="onnx-output-too-large")
    if kind == "session":
        return ModuleRejected(f"onnxruntime cannot create a session: {message[:500]}",
                              code="onnx-session-failed",
                              hint="the model passed the checker but onnxruntime rejects it")
    return Trap(f"onnxruntime failed while running the model: {message[:500]}",
                code="onnx-run-failed")
