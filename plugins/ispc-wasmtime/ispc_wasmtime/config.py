"""The deterministic wasmtime configuration and its digest.

Every setting that can change a result (fuel counts, NaN bits, which modules validate, stack depth)
is set explicitly here rather than left to wasmtime's defaults, which change between releases.
The digest of these settings plus the wasmtime version is part of the engine fingerprint and of
every compiled-module cache key: a module compiled under one configuration must never run under
another (a serialized module compiled without NaN canonicalisation is accepted by an engine that
has it on, and returns non-canonical NaNs).
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata

from ispc_framework.plugins import WASM_FEATURES

__all__ = ["WASMTIME_MAJOR", "wasmtime_version",
           "deterministic_settings", "settings_digest", "build_config"]

#: Fuel counts and serialized modules are specific to a wasmtime release line; setup.cfg pins it.
WASMTIME_MAJOR = 50

# The engine-neutral feature policy, as wasmtime Config switches (shared_memory has no wasm_ prefix).
_FEATURES = {(name if name == "shared_memory" else f"wasm_{name}"): on
             for name, on in WASM_FEATURES.items()}


@functools.cache
def wasmtime_version() -> str:
    return metadata.version("wasmtime")


def deterministic_settings(stack_bytes: int) -> dict:
    """All result-relevant settings as plain data (the input of :func:`settings_digest`)."""
    return {
        **_FEATURES,
        "consume_fuel": True,
        "epoch_interruption": True,
        "cranelift_nan_canonicalization": True,
        "cranelift_opt_level": "speed",
        "strategy": "cranelift",
        "max_wasm_stack": int(stack_bytes),
    }


@functools.lru_cache(maxsize=64)
def settings_digest(stack_bytes: int) -> str:
    blob = json.dumps({"wasmtime": wasmtime_version(), **deterministic_settings(stack_bytes)},
                      sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()


def build_config(stack_bytes: int):
    """A fresh ``wasmtime.Config`` with :func:`deterministic_settings` applied."""
    import wasmtime  # heavy runtime: imported only when an engine is built

    config = wasmtime.Config()
    for name, value in deterministic_settings(stack_bytes).items():
        setattr(config, name, value)
    # wasmtime's own on-disk cache is off by default; ours is keyed by version + config.
    # Serial compilation: wasmtime's parallel compilation threads do not survive fork(), and a
    # forked process (the pool's workers, the conformance runner's per-check forks) then hangs
    # forever on its first compile; it also keeps a hostile module's compile to one core.
    # Contracts are small: serial compilation measured as fast (0.93x the parallel time for the
    # example token). It does not change the compiled code, so it is not part of
    # deterministic_settings or the fingerprint.
    config.parallel_compilation = False
    return config
