"""The on-disk cache of compiled witness modules: only an entry for exactly this key is run."""

from __future__ import annotations

import hashlib
import os

import pytest
import wasmtime

from ispc_framework.plugins import ConfigError
from ispc_groth16.module_cache import MAGIC, cache_key, load_module


def answer_module(value: int) -> bytes:
    return wasmtime.wat2wasm(f'(module (func (export "f") (result i32) i32.const {value}))')


def call_f(engine, module) -> int:
    store = wasmtime.Store(engine)
    return wasmtime.Instance(store, module, []).exports(store)["f"](store)


@pytest.fixture
def cache(tmp_path):
    directory = tmp_path / "cache"
    return directory


def entry(directory, wasm: bytes):
    return directory / f"{cache_key(wasm).hex()}.cwasm"


def test_second_load_comes_from_disk_unchanged(cache):
    engine = wasmtime.Engine()
    wasm = answer_module(1)
    assert call_f(engine, load_module(engine, wasm, cache)) == 1
    path = entry(cache, wasm)
    stamp, data = path.stat().st_mtime_ns, path.read_bytes()
    assert data.startswith(MAGIC + cache_key(wasm))
    assert oct(cache.stat().st_mode & 0o777) == "0o700"
    assert call_f(engine, load_module(engine, wasm, cache)) == 1
    assert (path.stat().st_mtime_ns, path.read_bytes()) == (stamp, data)


def test_entry_for_another_key_is_never_loaded(cache):
    """An attacker (or a stale build) puts a valid serialized module of OTHER code under this
    key's file name: it must not run; the real code is compiled and the entry overwritten."""
    engine = wasmtime.Engine()
    wanted, other = answer_module(1), answer_module(666)
    load_module(engine, other, cache)
    os.replace(entry(cache, other), entry(cache, wanted))
    assert call_f(engine, load_module(engine, wanted, cache)) == 1
    assert entry(cache, wanted).read_bytes()[len(MAGIC):len(MAGIC) + 32] == cache_key(wanted)


def test_forged_header_with_right_key_but_other_payload_is_refused(cache):
    engine = wasmtime.Engine()
    wanted, other = answer_module(1), answer_module(666)
    load_module(engine, other, cache)
    payload = entry(cache, other).read_bytes()[len(MAGIC) + 64:]
    # right key, payload of other code, stale payload hash: the hash check refuses it
    entry(cache, wanted).write_bytes(MAGIC + cache_key(wanted) + b"\0" * 32 + payload)
    assert call_f(engine, load_module(engine, wanted, cache)) == 1


@pytest.mark.parametrize("damage", ["truncate", "flip", "empty", "garbage-with-valid-hash"])
def test_corrupt_entry_is_rebuilt_not_a_crash(cache, damage):
    engine = wasmtime.Engine()
    wasm = answer_module(7)
    load_module(engine, wasm, cache)
    path = entry(cache, wasm)
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[:len(data) // 2]
    elif damage == "flip":
        data[-100] ^= 0xFF
    elif damage == "empty":
        data = bytearray()
    else:  # the header is consistent, the payload is not a serialized module: wasmtime refuses
        junk = b"\x7fELF" + b"\x00" * 200
        data = bytearray(MAGIC + cache_key(wasm) + hashlib.sha256(junk).digest() + junk)
    path.write_bytes(bytes(data))
    assert call_f(engine, load_module(engine, wasm, cache)) == 7
    assert path.read_bytes().startswith(MAGIC + cache_key(wasm))  # rewritten, valid again


def test_key_covers_code_and_wasmtime_version(monkeypatch):
    import ispc_groth16.module_cache as mc

    assert cache_key(answer_module(1)) != cache_key(answer_module(2))
    before = cache_key(answer_module(1))
    monkeypatch.setattr(mc, "version", lambda dist: "0.0.0-other")
    assert cache_key(answer_module(1)) != before


def test_directory_writable_by_others_is_a_config_error(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(ConfigError) as info:
        load_module(wasmtime.Engine(), answer_module(1), shared)
    assert info.value.code == "config-invalid" and "native code" in info.value.message


def test_cache_off_compiles_without_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ISPC_GROTH16_CACHE", "off")
    engine = wasmtime.Engine()
    assert call_f(engine, load_module(engine, answer_module(3))) == 3
