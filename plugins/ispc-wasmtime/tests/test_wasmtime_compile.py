"""Deploy-time rules of ispc-wasmtime: each bad module ends in ModuleRejected with a stable code."""

from __future__ import annotations

import subprocess
import sys

import pytest
import wasmtime

from ispc_framework.plugins import HostFunction
from ispc_framework.plugins import ModuleRejected
from ispc_wasmtime.engine import CAPABILITIES, WasmtimeEngine
from ispc_framework.plugins import parse_module


def _noop(env, *args):
    return 0


HOST = (HostFunction("env", "put", ("i32", "i32"), ("i32",), 1, _noop),
        HostFunction("env", "tick", (), (), 1, lambda env: None))

MEMORY = '(memory (export "memory") 1)'
RUN = '(func (export "run") (result i32) i32.const 0)'


def wat(body: str) -> bytes:
    return wasmtime.wat2wasm(f"(module {body})")


@pytest.fixture(scope="module")
def engine():
    return WasmtimeEngine()


def rejected(engine, code: bytes, host=HOST) -> ModuleRejected:
    with pytest.raises(ModuleRejected) as info:
        engine.compile(code, host)
    assert info.value.hint and str(info.value).endswith(f"[{info.value.code}]")
    return info.value


def test_valid_module_compiles_and_lists_its_imports(engine):
    code = wat(f'(import "env" "put" (func (param i32 i32) (result i32))) {MEMORY} {RUN}')
    compiled = engine.compile(code, HOST)
    assert [imp.key for imp in compiled.info.func_imports] == [("env", "put")]
    assert compiled.info.exports["run"] == ("func", (), ("i32",))


@pytest.mark.parametrize("code", [b"", b"\0asm", b"\0asm\x02\0\0\0", b"not wasm at all",
                                  b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f"])
def test_malformed_bytes(engine, code):
    assert rejected(engine, code).code == "malformed-module"


def test_truncated_module(engine):
    code = wat(f"{MEMORY} {RUN}")
    assert rejected(engine, code[:-3]).code in ("malformed-module", "invalid-module")


def test_start_function_is_rejected(engine):
    err = rejected(engine, wat(f'{MEMORY} {RUN} (func $init) (start $init)'))
    assert err.code == "start-function"


def test_unknown_import_is_named(engine):
    err = rejected(engine, wat(f'(import "env" "steal" (func)) {MEMORY} {RUN}'))
    assert err.code == "unknown-import"
    assert "env.steal" in err.message and err.details["function"] == "env.steal"


def test_import_with_wrong_signature(engine):
    err = rejected(engine, wat(f'(import "env" "put" (func (param i64) (result i32))) '
                               f'{MEMORY} {RUN}'))
    assert err.code == "import-signature" and "env.put" in err.message


def test_imported_memory_is_rejected(engine):
    err = rejected(engine, wat(f'(import "env" "memory" (memory 1)) {RUN}'))
    assert err.code == "disallowed-import"


def test_missing_memory_export(engine):
    assert rejected(engine, wat(f"(memory 1) {RUN}")).code == "missing-memory"
    assert rejected(engine, wat(RUN)).code == "missing-memory"


@pytest.mark.parametrize("feature", [
    '(func (export "f") (result v128) v128.const i32x4 0 0 0 0)',                # SIMD
    '(func $f (export "f") (result i32) (return_call $f))',                      # tail calls
])
def test_post_mvp_features_are_rejected(engine, feature):
    assert rejected(engine, wat(f"{MEMORY} {RUN} {feature}")).code == "invalid-module"


def test_shared_memory_is_rejected(engine):
    code = wat(f'(memory (export "memory") 1 1 shared) {RUN}')
    assert rejected(engine, code).code == "malformed-module"


def test_memory64_is_rejected(engine):
    code = wat(f'(memory (export "memory") i64 1) {RUN}')
    assert rejected(engine, code).code == "malformed-module"


def test_module_size_cap():
    small = WasmtimeEngine(max_module_bytes=16)
    err = rejected(small, wat(f"{MEMORY} {RUN}"))
    assert err.code == "module-too-large"


def test_parse_never_crashes_on_mutations():
    """Every byte-level mutation of a valid module is either parsed or rejected with a code."""
    code = wat(f'(import "env" "put" (func (param i32 i32) (result i32))) {MEMORY} {RUN}')
    for i in range(8, len(code)):
        for value in (0x00, 0x7F, 0x80, 0xFF):
            mutated = code[:i] + bytes([value]) + code[i + 1:]
            try:
                parse_module(mutated)
            except ModuleRejected as exc:
                assert exc.code == "malformed-module"


def test_fingerprint_and_capabilities(engine):
    fp = engine.fingerprint()
    assert fp.startswith("wasmtime-50.") and fp == engine.fingerprint()
    assert engine.fingerprint_for(1 << 20) != fp
    assert {"metering", "memory-limit", "nan-canonicalization", "timeout"} <= CAPABILITIES
    assert engine.capabilities() == CAPABILITIES


def test_compile_cache_hits_and_keys_by_stack(engine):
    code = wat(f"{MEMORY} {RUN} (func (export \"other\") (result i32) i32.const 7)")
    before = engine.cache.misses
    first = engine.compile(code, HOST)
    assert engine.compile(code, HOST) is first          # validated and linked once
    assert engine.cache.misses == before + 1
    # The cached module is still checked against each request's providers.
    importing_put = wat(f'(import "env" "put" (func (param i32 i32) (result i32))) {MEMORY} {RUN}')
    engine.compile(importing_put, HOST)
    with pytest.raises(ModuleRejected):
        engine.compile(importing_put, HOST[1:])
    # Another stack limit is another engine config: compiled again under its own key. (Counted
    # from here: whether `importing_put` was a miss depends on which tests ran before.)
    before_link = engine.cache.misses
    engine._link(first, engine._slot(1 << 20))
    assert engine.cache.misses == before_link + 1


def test_settings_are_validated():
    from ispc_framework.plugins import ConfigError

    assert WasmtimeEngine({"cache_size": 2}).cache._capacity == 2
    for bad in ({"cache_size": 0}, {"nope": 1}, {"max_module_bytes": "big"}, {"cache_dir": 3}):
        with pytest.raises(ConfigError) as info:
            WasmtimeEngine(bad)
        assert info.value.code == "config-invalid"


def test_disk_cache_round_trip(tmp_path):
    code = wat(f"{MEMORY} {RUN}")
    first = WasmtimeEngine(cache_dir=str(tmp_path))
    first.compile(code, HOST)
    files = list(tmp_path.glob("*.cwasm"))
    assert len(files) == 1
    second = WasmtimeEngine(cache_dir=str(tmp_path))
    second.compile(code, HOST)
    assert second.cache.disk_hits == 1 and second.cache.misses == 0
    # A corrupt entry is recompiled, never trusted.
    files[0].write_bytes(b"garbage")
    third = WasmtimeEngine(cache_dir=str(tmp_path))
    third.compile(code, HOST)
    assert third.cache.disk_hits == 0 and third.cache.misses == 1


def test_plugin_registration_is_lazy():
    """The entry-point module imports without loading wasmtime and names a loadable factory."""
    script = ("import sys, ispc_wasmtime.plugin as p; specs = p.ispc_register_engines(); "
              "assert 'wasmtime' not in sys.modules, 'wasmtime loaded at registration'; "
              "from ispc_framework.plugins._specs import load_factory; "
              "cls = load_factory(specs[0]); print(specs[0].name, cls.__name__)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["wasmtime", "WasmtimeEngine"]


def test_entry_point_is_declared():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="ispc.plugins")}
    assert names.get("ispc-wasmtime") == "ispc_wasmtime.plugin"


def test_public_api_and_light_import():
    script = ("import sys, ispc_wasmtime as p; assert 'wasmtime' not in sys.modules; "
              "print(sorted(p.__all__))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == str(sorted(["__version__", "ModuleCache", "cache_key"]))


# ---- rules that make ispc-wasmtime and ispc-wasmer accept exactly the same modules ----------

@pytest.mark.parametrize("body, where", [
    ("(global i32 (i32.add (i32.const 40) (i32.const 2)))", "global 0"),
    ('(data (i32.add (i32.const 65530) (i32.const 10)) "abc")', "data segment 0 offset"),
    ("(table 2 funcref) (func $f) (elem (i32.add (i32.const 0) (i32.const 1)) func $f)",
     "element segment 0 offset"),
])
def test_extended_constant_expressions_are_rejected(engine, body, where):
    err = rejected(engine, wat(f"{MEMORY} {body} {RUN}"))
    assert err.code == "extended-const" and err.message.startswith(where)


def test_single_instruction_constant_expressions_still_compile(engine):
    code = wat(f'{MEMORY} (global $g i32 (i32.const 42)) (global i64 (i64.const -1)) '
               f'(global f32 (f32.const 1.5)) (global f64 (f64.const 2.5)) '
               f'(global funcref (ref.func $f)) (table 2 funcref) (func $f) '
               f'(elem (i32.const 0) func $f) (elem funcref (ref.func $f) (ref.null func)) '
               f'(data (i32.const 16) "x") (data "passive") {RUN}')
    engine.compile(code, HOST)


@pytest.mark.parametrize("body, count", [
    ("(table 1 funcref) (table 1 funcref)", 2),
    ("(table 1 funcref) (table 1 externref) (table 1 funcref)", 3),
    ('(import "env" "t" (table 1 funcref)) (table 1 funcref)', 2),
])
def test_more_than_one_table_is_rejected(engine, body, count):
    err = rejected(engine, wat(f"{body} {MEMORY} {RUN}"))
    assert err.code == "too-many-tables" and f"declares {count} tables" in err.message


def test_importing_the_same_function_twice_is_rejected(engine):
    code = wat(f'(import "env" "put" (func (param i32 i32) (result i32))) '
               f'(import "env" "put" (func (param i32 i32) (result i32))) {MEMORY} {RUN}')
    err = rejected(engine, code)
    assert err.code == "duplicate-import" and err.details["function"] == "env.put"


def test_stack_setting_above_the_maximum_is_a_config_error():
    from ispc_framework.plugins import ConfigError
    from ispc_wasmtime.engine import MAX_STACK_BYTES

    WasmtimeEngine(default_stack_bytes=MAX_STACK_BYTES)
    with pytest.raises(ConfigError) as info:
        WasmtimeEngine(default_stack_bytes=MAX_STACK_BYTES + 1)
    assert info.value.details["key"] == "default_stack_bytes"
    assert str(MAX_STACK_BYTES) in info.value.hint


# ---- the disk cache holds native code: only a private directory is used ---------------------

def test_disk_cache_directory_is_created_private(tmp_path):
    import os
    import stat

    target = tmp_path / "cache" / "wasmtime"
    WasmtimeEngine(cache_dir=str(target))
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o770, 0o707, 0o777, 0o722])
def test_disk_cache_directory_writable_by_others_is_refused(tmp_path, mode):
    from ispc_framework.plugins import ConfigError

    target = tmp_path / "shared"
    target.mkdir()
    target.chmod(mode)
    with pytest.raises(ConfigError) as info:
        WasmtimeEngine(cache_dir=str(target))
    assert "cache_dir" in info.value.message and info.value.details["key"] == "cache_dir"


def test_disk_cache_directory_owned_by_another_user_is_refused(tmp_path, monkeypatch):
    import os

    from ispc_framework.plugins import ConfigError

    target = tmp_path / "theirs"
    target.mkdir(mode=0o700)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(target).st_uid + 1)
    with pytest.raises(ConfigError) as info:
        WasmtimeEngine(cache_dir=str(target))
    assert "owned by uid" in info.value.message and info.value.details["key"] == "cache_dir"


def test_failed_disk_cache_write_leaves_no_temp_file(tmp_path, monkeypatch):
    import os

    from ispc_wasmtime import cache as cache_module

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    engine = WasmtimeEngine(cache_dir=str(tmp_path))
    monkeypatch.setattr(cache_module.os, "replace", broken_replace)
    engine.compile(wat(f"{MEMORY} {RUN}"), HOST)   # compiles anyway: the cache is optional
    assert os.listdir(tmp_path) == []


def test_a_module_too_costly_to_compile_is_refused_within_a_budget():
    """7.5 MB of nested blocks took 2.2 GB and seconds to compile in process: above 256 KiB the
    module is compiled in a child with 1 GiB of address space and a deadline."""
    import resource

    from ispc_framework.conformance.wasm_engine import nested_blocks_module
    from ispc_framework.testing import run_direct
    from ispc_wasmtime.bounded_compile import IN_PROCESS_BYTES

    engine = WasmtimeEngine()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ModuleRejected) as info:
        engine.compile(nested_blocks_module(2_500_000), [])
    assert info.value.code == "compile-limit" and "[compile-limit]" in str(info.value)
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) < 256 * 1024   # KB
    # a large module within the budget compiles in the child and runs here
    code = nested_blocks_module(100_000)
    assert len(code) > IN_PROCESS_BYTES
    result = run_direct(engine, engine.compile(code, []), "run", [])
    assert result.ok and result.status == 0
