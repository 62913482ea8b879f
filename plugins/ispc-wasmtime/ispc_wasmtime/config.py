"""The deterministic wasmtime configuration and its digest.

Every setting that can change a result (fuel counts, NaN bits, which modules validate, stack depth)
is set explicitly here rather than left to wasmtime's defaults, which change between releases.
The digest of these settings plus the wasmtime version is part of the engine fingerprint and of
every compiled-module cache key: a module compiled under one configuration must never run under
another (a serialized module compiled without NaN canonicalisation is accepted by an engine that
has it on, and returns non-canonical NaNs).

Runs instantiate from a *pooling* engine (:func:`build_pooling_config`): the same settings plus
wasmtime's pooling instance allocator, which keeps linear memories and tables mapped between runs
instead of mapping and unmapping 4 GiB of address space per store (one instantiate + call of the
example token: 50 us on demand, 18 us pooled; docs/performance.md, "wasmtime per-run cost").
The allocator does not change compiled code (a module serialized by a pooling engine is byte for
byte the one an on-demand engine serializes; test_wasmtime_pool.py checks it), so it is not part
of :func:`deterministic_settings` and modules move between the two engines by serialization.
"""

from __future__ import annotations

import functools
import hashlib
import json
from importlib import metadata

from ispc_framework.plugins import WASM_FEATURES

__all__ = ["WASMTIME_MAJOR", "wasmtime_version", "deterministic_settings", "settings_digest",
           "engine_fingerprint",
           "build_config", "build_pooling_config", "pool_fits_address_space",
           "POOL_MAX_MEMORY_BYTES", "POOL_KEEP_RESIDENT_BYTES"]

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


@functools.lru_cache(maxsize=64)
def engine_fingerprint(stack_bytes: int) -> str:
    """The engine fingerprint for runs with this stack limit (asked on every run)."""
    return f"wasmtime-{wasmtime_version()}/{settings_digest(stack_bytes)[:16]}"


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


#: A pool slot's linear memory may grow to the whole 32-bit space, so memory.grow is refused by
#: the run's ``memory_bytes`` limiter alone, exactly as on demand. It costs no extra address
#: space: each slot reserves ``memory_reservation`` (4 GiB, wasmtime's default, which lets
#: Cranelift elide bounds checks) plus the 32 MiB guard anyway.
POOL_MAX_MEMORY_BYTES = 4 << 30
#: Bytes of a slot's linear memory reset by memset rather than given back to the kernel when a
#: run ends: a small contract's whole memory (the example token has 2 pages), so the next run
#: takes no page faults for it. Larger memories have the rest decommitted (madvise). Either way
#: the next run sees exactly the module's initial memory (wasmtime restores the image).
POOL_KEEP_RESIDENT_BYTES = 128 << 10


#: Address space one pool slot reserves: its linear memory's 4 GiB reservation and 32 MiB guard
#: (wasmtime's defaults, which the compiled code's elided bounds checks rely on) and a table of
#: MAX_TABLE_ELEMENTS 8-byte elements.
POOL_SLOT_ADDRESS_SPACE = (4 << 30) + (32 << 20) + (512 << 10)


def pool_fits_address_space(slots: int) -> bool:
    """Whether a pool of ``slots`` can be reserved. wasmtime *aborts the process* (a Rust panic
    in ``wasm_engine_new_with_config``) when the reservation fails, so a process whose address
    space is capped (``ulimit -v``) gets no pool unless the cap leaves room for it twice over."""
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return soft == resource.RLIM_INFINITY or soft >= 2 * slots * POOL_SLOT_ADDRESS_SPACE


def build_pooling_config(stack_bytes: int, slots: int):
    """:func:`build_config` plus the pooling allocator with ``slots`` instances, memories and
    tables. Address space reserved: ``slots`` x (4 GiB + 32 MiB guard) for memories and
    ``slots`` x 512 KiB for tables (16 slots: VmSize grows by 64.5 GiB, measured, of the 128 TiB
    a 64-bit process has; the reservation is PROT_NONE, so it is neither memory nor commit
    charge until a run uses it). Resident between runs: at most POOL_KEEP_RESIDENT_BYTES per
    slot that has run (16 x 128 KiB = 2 MiB) plus the page tables of what is mapped. The limits a
    store runs under (one instance, one memory, one table of at most MAX_TABLE_ELEMENTS, the
    run's memory_bytes) are the same as on demand, so a run's result does not depend on the
    allocator."""
    from ispc_framework.plugins import MAX_TABLE_ELEMENTS
    from wasmtime import _ffi as ffi   # wasmtime-py wraps no pooling API: the C calls directly

    config = build_config(stack_bytes)
    pool = ffi.wasmtime_pooling_allocation_config_new()
    try:
        for name, value in (("total_core_instances", slots), ("total_memories", slots),
                            ("total_tables", slots),
                            ("total_stacks", 0),      # no async stacks: runs are synchronous
                            ("total_gc_heaps", 0),    # gc is off (WASM_FEATURES)
                            ("max_memory_size", POOL_MAX_MEMORY_BYTES),
                            ("table_elements", MAX_TABLE_ELEMENTS),
                            ("linear_memory_keep_resident", POOL_KEEP_RESIDENT_BYTES)):
            getattr(ffi, f"wasmtime_pooling_allocation_config_{name}_set")(pool, value)
        ffi.wasmtime_pooling_allocation_strategy_set(config.ptr(), pool)   # copies the settings
    finally:
        ffi.wasmtime_pooling_allocation_config_delete(pool)
    # Copy-on-write initial memory (wasmtime's default, set here because it was measured): a
    # slot maps the module's memory image instead of copying its data segments, 18 us against
    # 23 us per instantiate + call of the example token. Neither changes compiled code.
    config.memory_init_cow = True
    return config
