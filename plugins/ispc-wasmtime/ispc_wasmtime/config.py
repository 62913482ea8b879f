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

__all__ = ["DEFAULTS", "engine_settings", "WASMTIME_MAJOR", "wasmtime_version",
           "deterministic_settings", "settings_digest", "build_config"]

#: ``[plugin.wasmtime]`` keys and their defaults (plugin.py declares the same as Settings).
DEFAULTS = {"cache_size": 64, "cache_dir": None, "max_module_bytes": 8 * 1024 * 1024,
            "default_stack_bytes": 512 * 1024}

#: Fuel counts and serialized modules are specific to a wasmtime release line; setup.cfg pins it.
WASMTIME_MAJOR = 50

# Post-MVP proposals: off unless a supported toolchain (clang -mcpu=mvp, asc 0.28, wat) needs
# them. Reference types must stay on: turning them off makes wasmtime panic and kills Python.
# Bulk memory and multi-value stay on because asc emits memory.copy/fill and reference types
# depend on bulk memory. Sign-extension, mutable globals and saturating float-to-int are part of
# wasmtime's baseline and cannot be turned off.
_FEATURES = {
    "wasm_reference_types": True,
    "wasm_bulk_memory": True,
    "wasm_multi_value": True,
    "wasm_threads": False,
    "wasm_simd": False,
    "wasm_relaxed_simd": False,
    "wasm_memory64": False,
    "wasm_multi_memory": False,
    "wasm_tail_call": False,
    "wasm_gc": False,
    "wasm_function_references": False,
    "wasm_exceptions": False,
    "wasm_wide_arithmetic": False,
    "wasm_custom_page_sizes": False,
    "wasm_stack_switching": False,
    "wasm_component_model": False,
    "shared_memory": False,
}


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
    return config


def engine_settings(settings, overrides: dict, defaults: dict) -> dict:
    """Merge a plugin settings table and keyword overrides over ``defaults``; unknown keys and
    non-positive sizes are a ConfigError naming the known keys."""
    from ispc_framework.errors import ConfigError

    merged = dict(defaults)
    for source in (settings or {}, overrides):
        for key, value in dict(source).items():
            if key not in defaults:
                raise ConfigError(f"unknown engine setting {key!r}; known: "
                                  f"{', '.join(sorted(defaults))}", key=key)
            merged[key] = value
    for key, value in merged.items():
        if key == "cache_dir":
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"engine setting cache_dir must be a path, got {value!r}",
                                  key=key)
        elif isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ConfigError(f"engine setting {key} must be a positive integer, got {value!r}",
                              key=key)
    return merged
