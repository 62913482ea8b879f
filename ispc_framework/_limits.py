"""Resource limits of one execution. Every run is bounded; every bound has a name here."""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import attrs

from ._errors import ValidationError

__all__ = ["ExecutionLimits", "memory_mb_to_bytes"]

MiB = 1024 * 1024


def _positive_int(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(f"limits.{attribute.name}",
                              f"must be a positive integer, got {value!r}")


def _positive_seconds(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value <= threading.TIMEOUT_MAX:  # the watchdog timer cannot wait longer
        raise ValidationError(f"limits.{attribute.name}",
                              f"must be a positive, finite number of seconds, got {value!r}")


def _limit(default: int) -> int:
    return attrs.field(default=default, validator=_positive_int)


def memory_mb_to_bytes(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value <= 0:
        raise ValidationError("limits.memory_mb", f"must be a positive number, got {value!r}")
    return int(value * MiB)


@attrs.frozen(cache_hash=True)  # the key of per-limits caches, looked up on every execution
class ExecutionLimits:
    """Caps for one execution; ``[limits]`` in ispc.toml sets them (same names)."""

    fuel: int = _limit(10_000_000)               # gas budget: wasm fuel plus host-call costs
    memory_bytes: int = _limit(64 * MiB)         # linear memory / ONNX arena cap
    stack_bytes: int = _limit(512 * 1024)        # max wasm stack
    timeout_s: float = attrs.field(default=5.0, validator=_positive_seconds)  # wall-clock watchdog
    max_input_bytes: int = _limit(64 * 1024)     # the call input
    max_return_bytes: int = _limit(64 * 1024)    # return data set by the contract
    max_inputs: int = _limit(256)                # draft inputs
    max_outputs: int = _limit(256)               # draft outputs
    max_events: int = _limit(256)
    max_event_bytes: int = _limit(256 * 1024)    # sum of event payloads
    max_draft_bytes: int = _limit(1 * MiB)       # canonical size of the whole draft
    max_log_bytes: int = _limit(64 * 1024)       # log_debug output kept per run
    max_trace_records: int = _limit(100_000)
    max_trace_bytes: int = _limit(16 * MiB)
    max_model_bytes: int = _limit(64 * MiB)      # ONNX model size
    max_tensor_bytes: int = _limit(64 * MiB)     # each ONNX input or output tensor

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ExecutionLimits:
        """Build from a ``[limits]`` table; ``memory_mb`` is accepted for ``memory_bytes``."""
        table = dict(values)
        if "memory_mb" in table:
            table["memory_bytes"] = memory_mb_to_bytes(table.pop("memory_mb"))
        names = {f.name for f in attrs.fields(cls)}
        for key in table:
            if key not in names:
                known = ", ".join(sorted(names | {"memory_mb"}))
                raise ValidationError(f"limits.{key}", f"unknown limit; known: {known}")
        return cls(**table)
