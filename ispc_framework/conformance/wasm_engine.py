"""WebAssembly engine conformance: what any WasmEngine plugin must do, checked only through the
engine protocol (:mod:`ispc_framework._engines`) and the core's types.

In a plugin's tests::

    from ispc_framework.conformance import wasm_engine
    report = wasm_engine.run(MyEngine())
    assert report.ok, report.render()

The suite compiles small embedded modules (:data:`WAT` holds each module's source, :data:`WASM`
its bytes as assembled by ``wasmtime.wat2wasm``; a test re-assembles them), runs their methods
with its own host functions under fresh contexts, and checks outcomes and typed errors.

Capability rule: a check that only makes sense for an engine declaring a capability (see
:data:`CAPABILITIES`, the names ispc-wasmtime and ispc-wasmer use) runs only when
``engine.capabilities()`` declares it. Otherwise it is reported as skipped (never as passed), so
every report lists the same checks and shows what was not demanded. An
engine without "metering" or "timeout" must never be given an infinite loop, and one without
"memory-limit" a grow-until-refused loop: those guests would not terminate there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .._context import ContextManager, ExecutionRequest
from .._engines import EngineOutcome, HostEnv, HostFunction, WasmEngine, check_outcome
from .._errors import (ContractFailed, HostCallFailed, ISPCError, LimitExceeded, ModuleRejected,
                      OutOfGas, StackExhausted, Timeout, Trap)
from .._limits import ExecutionLimits
from .._model import ChainPins
from .._repository import MemoryRepository
from . import Check, Report, run_checks
from .suite import PluginSuite, add_checks

__all__ = ["run", "CAPABILITIES", "CHECKS", "LEVELS", "WAT", "WASM", "WasmEngineSuite",
           "SUITE_VERSION", "nested_blocks_module"]

SUITE_VERSION = "3"

#: Capabilities that switch on checks here, spelled as the engines declare them.
CAPABILITIES = frozenset({"metering", "memory-limit", "timeout", "stack-limit",
                          "nan-canonicalization", "threads", "compile-limits"})

_IMPORTS = "conformance"   # import module of the suite's host functions
_M32 = (1 << 32) - 1

WAT: dict[str, str] = {
    # Every method the capability-free checks call; the imports are the suite's _Host.
    "host": r'''
(module
  (import "conformance" "observe" (func $observe (param i32) (result i32)))
  (import "conformance" "touch_memory" (func $touch_memory (result i32)))
  (import "conformance" "fail" (func $fail (result i32)))
  (import "conformance" "take" (func $take (param i32 i64)))
  (import "conformance" "give32" (func $give32 (result i32)))
  (import "conformance" "give64" (func $give64 (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello")
  (global $counter (mut i32) (i32.const 0))
  (func (export "seven") (result i32) (i32.const 7))
  (func (export "high_status") (result i32) (i32.const 0xFFFFFFFE))
  (func (export "observe") (result i32) (call $observe (i32.const 0)))
  (func (export "poke_memory") (result i32)
    ;; the host reads "hello" at 16 and writes "WORLD" at 32
    (drop (call $touch_memory))
    (i32.load (i32.const 32)))
  (func (export "fail") (result i32)
    (drop (call $fail))
    ;; reached only if the engine let the guest run on after the host error
    (drop (call $observe (i32.const 1)))
    (i32.const 99))
  (func (export "trap") (result i32) (unreachable))
  (func (export "bump") (result i32)
    ;; returns what earlier runs left behind: non-zero if state leaked
    (local $seen i32)
    (local.set $seen (i32.add (global.get $counter) (i32.load (i32.const 64))))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (i32.store (i32.const 64) (i32.add (i32.load (i32.const 64)) (i32.const 1)))
    (local.get $seen))
  (func (export "take") (result i32)
    (call $take (i32.const 0x80000001) (i64.const 0x8000000000000001))
    (i32.const 0))
  (func (export "give") (result i32)
    ;; bit n set: the n-th value the host gave read back wrong
    (i32.or
      (i32.or (i32.ne (call $give32) (i32.const 0xFFFFFFFE))
              (i32.shl (i32.ne (call $give32) (i32.const 0xFFFFFFFE)) (i32.const 1)))
      (i32.or (i32.shl (i64.ne (call $give64) (i64.const 0x8000000000000005)) (i32.const 2))
              (i32.shl (i64.ne (call $give64) (i64.const 0x8000000000000005)) (i32.const 3))))))
''',
    # Guests that only stop if the engine enforces a limit (or, for nan*, is deterministic).
    "limits": r'''
(module
  (memory (export "memory") 1)
  (global $zero32 (mut f32) (f32.const 0))
  (global $zero64 (mut f64) (f64.const 0))
  (func (export "spin") (result i32) (loop $forever (br $forever)) (i32.const 0))
  (func $recurse (export "recurse") (result i32) (i32.add (call $recurse) (i32.const 1)))
  (func (export "grow_past_cap") (result i32) (memory.grow (i32.const 32)))
  ;; grows one page at a time until refused; returns the pages it ended with
  (func (export "grow_to_cap") (result i32)
    (block $refused
      (loop $more
        (br_if $refused (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $more)))
    (memory.size))
  ;; 0/0 from mutable globals, so no compiler can fold it: the raw NaN is the CPU's
  (func (export "nan32") (result i32)
    (i32.reinterpret_f32 (f32.div (global.get $zero32) (global.get $zero32))))
  (func (export "nan64") (result i32)
    ;; the high word of the f64 bits
    (i32.wrap_i64 (i64.shr_u
      (i64.reinterpret_f64 (f64.div (global.get $zero64) (global.get $zero64)))
      (i64.const 32)))))
''',
    "no_memory_export": r'''
(module
  (memory 1)
  (func (export "run") (result i32) (i32.const 0)))
''',
    "unknown_import": r'''
(module
  (import "conformance" "no_such_function" (func (result i32)))
  (memory (export "memory") 1)
  (func (export "run") (result i32) (i32.const 0)))
''',
    "start_function": r'''
(module
  (memory (export "memory") 1)
  (func $init)
  (start $init)
  (func (export "run") (result i32) (i32.const 0)))
''',
}

# wasmtime.wat2wasm(WAT[name]) for each name (tests/test_conformance_wasm.py checks it). Kept as
# bytes so the suite needs no assembler, and a third party's engine sees exactly these modules.
WASM: dict[str, bytes] = {
    "host": bytes.fromhex(
        "0061736d0100000001130460017f017f6000017f60027f7e006000017e028201060b636f6e666f726d616e63"
        "65076f62736572766500000b636f6e666f726d616e63650c746f7563685f6d656d6f727900010b636f6e666f"
        "726d616e6365046661696c00010b636f6e666f726d616e63650474616b6500020b636f6e666f726d616e6365"
        "0667697665333200010b636f6e666f726d616e6365066769766536340003030a090101010101010101010503"
        "0100010606017f0141000b075b0a066d656d6f7279020005736576656e00060b686967685f73746174757300"
        "07076f62736572766500080b706f6b655f6d656d6f72790009046661696c000a0474726170000b0462756d70"
        "000c0474616b65000d0467697665000e0aa40109040041070b0400417e0b0600410010000b0a0010011a4120"
        "2802000b0d0010021a410110001a41e3000b0300000b2701017f230041c0002802006a2100230041016a2400"
        "41c00041c00028020041016a36020020000b1700418180808078428180808080808080807f100341000b3400"
        "1004417e471004417e47410174721005428580808080808080807f524102741005428580808080808080807f"
        "5241037472720b0b0b010041100b0568656c6c6f0052046e616d6501340600076f627365727665010c746f75"
        "63685f6d656d6f727902046661696c030474616b65040667697665333205066769766536340209010c010004"
        "7365656e070a010007636f756e746572"),
    "limits": bytes.fromhex(
        "0061736d010000000105016000017f03070600000000000005030100010615027d0143000000000b7c014400"
        "000000000000000b074907066d656d6f72790200047370696e0000077265637572736500010d67726f775f70"
        "6173745f63617000020b67726f775f746f5f6361700003056e616e33320004056e616e363400050a46060900"
        "03400c000b41000b0700100141016a0b0600412040000b15000240034041014000417f460d010c000b0b3f00"
        "0b08002300230095bc0b0c0023012301a3bd422088a70b0043046e616d65010a01010772656375727365031d"
        "0200010007666f7265766572030200077265667573656401046d6f726507110200067a65726f333201067a65"
        "726f3634"),
    "no_memory_export": bytes.fromhex(
        "0061736d010000000105016000017f0302010005030100010707010372756e00000a0601040041000b"),
    "unknown_import": bytes.fromhex(
        "0061736d010000000105016000017f0220010b636f6e666f726d616e6365106e6f5f737563685f66756e6374"
        "696f6e0000030201000503010001071002066d656d6f727902000372756e00010a0601040041000b"),
    "start_function": bytes.fromhex(
        "0061736d010000000108026000006000017f03030200010503010001071002066d656d6f727902000372756e"
        "00010801000a090202000b040041000b000e046e616d650107010004696e6974"),
}

#: what compiling one hostile module may cost the calling process (a bounded engine compiles
#: large modules elsewhere, or refuses them) and the time it may take
_COMPILE_BUDGET_MB = 512
_COMPILE_BUDGET_S = 40.0


def nested_blocks_module(depth: int) -> bytes:
    """A valid module whose ``run`` nests ``depth`` empty blocks: about 3 bytes of code per
    block, and compile memory and time grow with the nesting (cranelift: ~290 bytes of memory
    per byte of code)."""
    def leb(n: int) -> bytes:
        out = bytearray()
        while True:
            byte, n = n & 0x7F, n >> 7
            out.append(byte | (0x80 if n else 0))
            if not n:
                return bytes(out)

    def section(number: int, payload: bytes) -> bytes:
        return bytes([number]) + leb(len(payload)) + payload

    body = b"\x00" + b"\x02\x40" * depth + b"\x0b" * depth + b"\x41\x00\x0b"
    return (b"\x00asm\x01\x00\x00\x00" + section(1, b"\x01\x60\x00\x01\x7f")
            + section(3, b"\x01\x00") + section(5, b"\x01\x00\x01")
            + section(7, b"\x02\x06memory\x02\x00\x03run\x00\x00")
            + section(10, leb(1) + leb(len(body)) + body))


_REPEATS = 5
_DETERMINISM_METHODS = ("seven", "observe", "poke_memory", "give", "bump")
#: method of WASM["host"] -> (status, fuel_used) as the reference engine (ispc-wasmtime) reports
#: them; tests/test_conformance_wasm.py checks the table against it.
GOLDEN: dict[str, tuple[int, int]] = {
    "seven": (7, 2), "high_status": (0xFFFFFFFE, 2), "poke_memory": (0x4C524F57, 4),
    "bump": (0, 17), "give": (0, 22)}

_PINS = ChainPins(height=7, timestamp=1_700_000_000, block_hash=b"\x22" * 32,
                  chain_id="ispc-conformance")
_RESOURCE = b"\x11" * 32
_MALFORMED = (b"", b"not a wasm module", b"\x00asm\x01\x00\x00\x00\x01\xff",
              WASM["host"][:48])   # empty, no magic, bad section, truncated


def _outcome(fn: Callable[..., Any], *args: Any) -> str:
    """What calling ``fn`` did, as a name to compare and print."""
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - any outcome is reported, not raised
        return type(exc).__name__
    return "no error"


class _Host:
    """The host functions WAT["host"] imports. Every call is recorded with the env it got, so
    checks can see which run's environment a handler was given."""

    def __init__(self, fail_with: Any = None) -> None:
        self.calls: list[tuple[str, HostEnv, tuple[int, ...]]] = []
        self.fail_with = fail_with
        # Unsigned and signed spellings of the same wasm values: both must reach the guest.
        self.give32 = [0xFFFFFFFE, -2]
        self.give64 = [(1 << 63) + 5, 5 - (1 << 63)]
        self.memory_seen: dict[str, Any] = {}

    def functions(self) -> list[HostFunction]:
        def bind(name: str, params: tuple[str, ...], results: tuple[str, ...],
                 handler: Callable[..., Any]) -> HostFunction:
            def recorded(env: HostEnv, *args: int) -> Any:
                self.calls.append((name, env, args))
                return handler(env, *args)
            return HostFunction(_IMPORTS, name, params, results, 1, recorded)

        return [bind("observe", ("i32",), ("i32",), lambda env, tag: env.ctx.request.nonce),
                bind("touch_memory", (), ("i32",), self._touch_memory),
                bind("fail", (), ("i32",), self._fail),
                bind("take", ("i32", "i64"), (), lambda env, a, b: None),
                bind("give32", (), ("i32",), lambda env: self.give32.pop(0)),
                bind("give64", (), ("i64",), lambda env: self.give64.pop(0))]

    def _touch_memory(self, env: HostEnv) -> int:
        memory = env.memory
        if memory is None:
            raise AssertionError("the engine gave a host call no guest memory")
        size = memory.size()
        self.memory_seen.update(size=size, data=memory.read(16, 5),
                                read_past_end=_outcome(memory.read, size - 2, 4),
                                write_past_end=_outcome(memory.write, size - 2, b"1234"))
        memory.write(32, b"WORLD")
        return 0

    def _fail(self, env: HostEnv) -> int:
        if isinstance(self.fail_with, BaseException):
            raise self.fail_with
        return self.fail_with   # a result of the wrong type

    def called(self, name: str) -> list[tuple[HostEnv, tuple[int, ...]]]:
        return [(env, args) for call, env, args in self.calls if call == name]


class _Session:
    """Drives one engine the way the coordinator does: compile, then one context and one HostEnv
    per execution, through the run object (``ExecutionContext.begin`` before ``execute``, the
    engine's report checked, ``finish`` after it: gas above the budget is refused there)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.contexts = ContextManager()
        # an empty chain's view: the suite's host functions never read the chain
        self.view = MemoryRepository().view()

    def compile(self, name: str, host: _Host | None = None) -> Any:
        return self.engine.compile(WASM[name], (host or _Host()).functions())

    def execute(self, name: str, method: str, host: _Host | None = None, *, nonce: int = 0,
                limits: ExecutionLimits | None = None) -> tuple[EngineOutcome, HostEnv]:
        functions = (host or _Host()).functions()
        module = self.engine.compile(WASM[name], functions)
        request = ExecutionRequest(_RESOURCE, method, nonce=nonce)
        with self.contexts.open(request, _PINS, limits or ExecutionLimits(),
                                engine=self.engine.name,
                                engine_fingerprint=self.engine.fingerprint()) as ctx:
            env = HostEnv(ctx, self.view)
            ctx.begin(method, b"")
            outcome = check_outcome(self.engine.name,
                                    self.engine.execute(module, method, env, functions))
            try:
                ctx.finish(status=outcome.status, engine_fuel=outcome.fuel_used)
            except ContractFailed:
                pass   # these methods answer in their status; the run was sealed all the same
            return outcome, env

    def status(self, name: str, method: str, host: _Host | None = None, **kw: Any) -> int:
        return self.execute(name, method, host, **kw)[0].status

    def error(self, expected: type[ISPCError], name: str, method: str,
              host: _Host | None = None, **kw: Any) -> ISPCError:
        try:
            outcome, _ = self.execute(name, method, host, **kw)
        except expected as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - the wrong error is this check's failure
            raise AssertionError(f"{method}: expected {expected.__name__}, got "
                                 f"{type(exc).__name__}: {exc}") from None
        raise AssertionError(f"{method}: expected {expected.__name__}, the run returned "
                             f"status {outcome.status}")

    def rejected(self, name: str) -> ModuleRejected:
        try:
            self.compile(name)
        except ModuleRejected as exc:
            return exc
        raise AssertionError(f"compile accepted the {name!r} module")


def _bind(engine: Any) -> dict[str, Callable[[], None]]:
    """Every check as a closure over ``engine`` and a fresh session, by check id."""
    session = _Session(engine)
    try:
        declared = engine.capabilities()
    except Exception:  # noqa: BLE001 - the surface check reports it; demand no capability
        declared = frozenset()

    def protocol_surface():
        assert isinstance(engine, WasmEngine), "the object lacks WasmEngine methods"
        assert isinstance(engine.name, str) and engine.name, "name must be a non-empty str"
        fingerprint = engine.fingerprint()
        assert isinstance(fingerprint, str) and fingerprint, "fingerprint() must be a str"
        declared = engine.capabilities()
        assert isinstance(declared, frozenset) and all(isinstance(c, str) for c in declared), \
            f"capabilities() must be a frozenset of str, got {declared!r}"

    def rejects_malformed():
        for code in _MALFORMED:
            try:
                engine.compile(code, _Host().functions())
            except ModuleRejected:
                continue
            except Exception as exc:  # noqa: BLE001
                raise AssertionError(f"compile({code[:12]!r}...) raised {type(exc).__name__}: "
                                     f"{exc}, expected ModuleRejected") from None
            raise AssertionError(f"compile accepted malformed bytes {code[:12]!r}...")

    def rejects_unknown_import():
        error = session.rejected("unknown_import")
        assert "no_such_function" in str(error), \
            f"the message must name the import, got: {error}"

    def rejects_missing_memory():
        session.rejected("no_memory_export")

    def rejects_start_function():
        session.rejected("start_function")

    def runs_a_method():
        outcome, _ = session.execute("host", "seven")
        assert isinstance(outcome, EngineOutcome), f"execute returned {outcome!r}"
        assert outcome.status == 7, f"status {outcome.status}, the method returned 7"
        assert isinstance(outcome.fuel_used, int) and outcome.fuel_used >= 0, outcome
        if "metering" not in declared:
            assert outcome.fuel_used == 0, "fuel_used must be 0 without metering"

    def host_gets_the_run_env():
        host = _Host()
        outcome, env = session.execute("host", "observe", host, nonce=41)
        calls = host.called("observe")
        assert len(calls) == 1, f"expected one host call, got {len(calls)}"
        assert calls[0][0] is env, "the handler did not get the HostEnv passed to execute()"
        assert calls[0][0].view is session.view, "env.view was replaced"
        assert outcome.status == 41, f"the handler's result 41 came back as {outcome.status}"

    def guest_memory_through_env():
        host = _Host()
        status = session.status("host", "poke_memory", host)
        seen = host.memory_seen
        assert seen.get("size") == 65536, f"env.memory.size() {seen.get('size')}, expected 65536"
        assert seen["data"] == b"hello", f"env.memory.read(16, 5) gave {seen['data']!r}"
        for key in ("read_past_end", "write_past_end"):
            assert seen[key] == "MemoryAccessError", \
                f"{key.replace('_', ' ')}: {seen[key]}, expected MemoryAccessError"
        assert status == int.from_bytes(b"WORL", "little"), \
            f"the guest did not see env.memory.write (loaded {status:#x})"

    def host_ispc_errors_pass_through():
        for error in (OutOfGas("conformance: host out of gas", limit="fuel"),
                      LimitExceeded("conformance: too much", code="return-too-large")):
            host = _Host(fail_with=error)
            raised = session.error(type(error), "host", "fail", host)
            assert raised is error, f"{type(error).__name__} was replaced by {raised!r}"
            assert not host.called("observe"), "the guest ran on after the host error"

    def other_host_errors_fail_the_call():
        for failure in (RuntimeError("conformance: host bug"), "not an int"):
            host = _Host(fail_with=failure)
            session.error(HostCallFailed, "host", "fail", host)
            assert not host.called("observe"), "the guest ran on after the host error"

    def unreachable_traps():
        session.error(Trap, "host", "trap")

    def no_state_between_runs():
        first, second = session.status("host", "bump"), session.status("host", "bump")
        assert (first, second) == (0, 0), \
            f"a global or memory write of an earlier run was visible (statuses {first}, {second})"

    def own_context_per_run():
        host = _Host()
        outcomes = [session.execute("host", "observe", host, nonce=n) for n in (1, 2)]
        envs = [env for env, _args in host.called("observe")]
        for n, (outcome, env), seen in zip((1, 2), outcomes, envs):
            assert seen is env and seen.ctx.request.nonce == n, \
                f"run {n}'s host call saw another run's env (nonce {seen.ctx.request.nonce})"
            assert outcome.status == n, f"run {n} returned status {outcome.status}"

    def values_cross_unsigned():
        host = _Host()
        session.execute("host", "take", host)
        args = host.called("take")[0][1]
        assert args == (0x80000001, 0x8000000000000001), \
            f"i32/i64 arguments reached the host as {args}, expected unsigned values"
        wrong = session.status("host", "give", host)
        names = ["i32 0xFFFFFFFE", "i32 -2", "i64 2^63+5", "i64 5-2^63"]
        assert wrong == 0, "results read back wrong in the guest: " + ", ".join(
            name for bit, name in enumerate(names) if wrong >> bit & 1)
        status = session.status("host", "high_status")
        assert status == 0xFFFFFFFE, f"status i32 -2 reported as {status}, expected 0xFFFFFFFE"

    def concurrent_runs_are_isolated():
        host, nonces = _Host(), range(1, 17)
        with ThreadPoolExecutor(max_workers=8) as pool:
            outcomes = list(pool.map(
                lambda n: session.execute("host", "observe", host, nonce=n), nonces))
        for n, (outcome, _env) in zip(nonces, outcomes):
            assert outcome.status == n, f"concurrent run {n} returned {outcome.status}"
        seen = {id(env): env.ctx.request.nonce for env, _args in host.called("observe")}
        assert seen == {id(env): n for n, (_o, env) in zip(nonces, outcomes)}, \
            "a concurrent run's host call saw another run's env"

    def loop_runs_out_of_gas():
        outcome, _ = session.execute("host", "seven")
        assert 0 < outcome.fuel_used <= ExecutionLimits().fuel, \
            f"fuel_used {outcome.fuel_used} for a metered run"
        session.error(OutOfGas, "limits", "spin", limits=ExecutionLimits(fuel=200_000))

    def recursion_exhausts_stack():
        session.error(StackExhausted, "limits", "recurse")

    def grow_refused_at_cap():
        cap = 16 * 65536
        limits = ExecutionLimits(memory_bytes=cap)
        status = session.status("limits", "grow_past_cap", limits=limits)
        assert status == _M32, \
            f"memory.grow past the cap gave status {status:#x}, expected 0xffffffff (i32 -1)"
        pages = session.status("limits", "grow_to_cap", limits=limits)
        assert pages * 65536 == cap, \
            f"growing page by page stopped at {pages} pages, the cap is {cap // 65536}"

    def loop_times_out():
        limits = ExecutionLimits(fuel=10 ** 15, timeout_s=0.3)
        started = time.monotonic()
        session.error(Timeout, "limits", "spin", limits=limits)
        elapsed = time.monotonic() - started
        assert elapsed < 5, f"a 0.3 s timeout took {elapsed:.1f} s to stop the loop"

    def nan_is_canonical():
        for method, bits in (("nan32", 0x7FC00000), ("nan64", 0x7FF80000)):
            status = session.status("limits", method)
            assert status == bits, f"{method}: 0/0 gave {status:#010x}, canonical is {bits:#x}"

    def observed(method: str) -> tuple[Any, ...]:
        """Everything a run of ``method`` shows: status, fuel, host-call arguments, memory."""
        host = _Host()
        outcome, _env = session.execute("host", method, host)
        return (outcome.status, outcome.fuel_used,
                tuple((name, args) for name, _e, args in host.calls),
                tuple(sorted(host.memory_seen.items())))

    def deterministic_repeats():
        for method in _DETERMINISM_METHODS:
            runs = [observed(method) for _ in range(_REPEATS)]
            different = [i for i, run in enumerate(runs) if run != runs[0]]
            assert not different, (f"{method}: run {different[0] + 1} of {_REPEATS} differed "
                                   f"from the first: {runs[different[0]]!r:.160} vs "
                                   f"{runs[0]!r:.160} (the engine is not deterministic)")

    def deterministic_across_threads():
        expected = {method: observed(method) for method in _DETERMINISM_METHODS}
        with ThreadPoolExecutor(max_workers=2) as pool:
            seen = list(pool.map(lambda m: (m, observed(m)), list(_DETERMINISM_METHODS) * 4))
        for method, run in seen:
            assert run == expected[method], (f"{method} from a second thread gave {run!r:.160}, "
                                             f"the main thread {expected[method]!r:.160}")

    def reference_results():
        metered = "metering" in declared
        for method, (status, fuel) in GOLDEN.items():
            outcome, _env = session.execute("host", method)
            assert outcome.status == status, \
                f"{method}: status {outcome.status}, the reference engine returns {status}"
            if metered:
                assert outcome.fuel_used == fuel, (f"{method}: fuel_used {outcome.fuel_used}, "
                                                   f"the reference engine uses {fuel}")

    def golden(kind: str) -> None:
        from . import wasm_examples

        functions = wasm_examples.host_functions()
        cases = {name: case for name, case in wasm_examples.load_golden()["cases"].items()
                 if name.startswith("hostile_") == (kind == "hostile")}
        failed = []
        for name, case in cases.items():
            differences = wasm_examples.replay(engine, case, functions,
                                               metered="metering" in declared)
            if differences:
                failed.append(f"{name}: " + "; ".join(differences[:2]))
        assert not failed, (f"{len(failed)} of {len(cases)} {kind} contracts differ from the "
                            f"reference engine: " + " | ".join(failed[:4]))

    def compile_is_bounded():
        import resource

        code = nested_blocks_module(2_500_000)   # 7.5 MB: under the 8 MiB module cap
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        try:
            engine.compile(code, _Host().functions())
        except ModuleRejected as exc:
            rejected: ModuleRejected | None = exc
        else:
            rejected = None
        elapsed = time.monotonic() - started
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
        assert grown_mb < _COMPILE_BUDGET_MB, \
            (f"compiling {len(code)} bytes of nested blocks grew this process by {grown_mb} MB "
             f"(the budget is {_COMPILE_BUDGET_MB} MB): compilation has no memory bound")
        assert elapsed < _COMPILE_BUDGET_S, \
            (f"compiling {len(code)} bytes of nested blocks took {elapsed:.1f} s (the budget is "
             f"{_COMPILE_BUDGET_S} s): compilation has no time bound")
        assert rejected is None or rejected.code in ("compile-limit", "invalid-module"), \
            f"refused with [{rejected.code}], expected [compile-limit]"

    def example_contracts_match_reference():
        golden("example")

    def hostile_contracts_match_reference():
        golden("hostile")

    return {name: check for name, check in locals().items() if callable(check)
            and name in _IDS}


#: (check id, title, capability it needs or None), in the order they run.
CHECKS: tuple[tuple[str, str, str | None], ...] = (
    ("protocol_surface", "engine object has the WasmEngine surface", None),
    ("rejects_malformed", "compile rejects malformed bytes", None),
    ("rejects_unknown_import", "compile rejects an unknown import, naming it", None),
    ("rejects_missing_memory", "compile rejects a module without a memory export", None),
    ("rejects_start_function", "compile rejects a start function", None),
    ("runs_a_method", "a () -> i32 method's status is returned", None),
    ("host_gets_the_run_env", "host functions get the run's HostEnv", None),
    ("guest_memory_through_env", "guest memory works through env.memory", None),
    ("host_ispc_errors_pass_through", "a host ISPCError passes through unchanged", None),
    ("other_host_errors_fail_the_call", "other host failures become HostCallFailed", None),
    ("unreachable_traps", "unreachable is a Trap", None),
    ("no_state_between_runs", "no global or memory state between runs", None),
    ("own_context_per_run", "each run sees only its own context", None),
    ("values_cross_unsigned", "i32/i64 values cross the boundary unsigned", None),
    ("concurrent_runs_are_isolated", "concurrent runs are isolated", "threads"),
    ("deterministic_repeats", f"the same call {_REPEATS} times gives identical results", None),
    ("deterministic_across_threads", "the same call from two threads gives identical results",
     "threads"),
    ("reference_results", "status (and, when metered, fuel) equal the reference engine's", None),
    ("example_contracts_match_reference",
     "the example contracts give the reference engine's return data, drafts, trace roots and "
     "gas", None),
    ("hostile_contracts_match_reference",
     "the hostile contracts end in the reference engine's typed errors", None),
    ("loop_runs_out_of_gas", "an infinite loop runs out of gas", "metering"),
    ("recursion_exhausts_stack", "unbounded recursion is StackExhausted", "stack-limit"),
    ("grow_refused_at_cap", "memory.grow past the cap returns -1", "memory-limit"),
    ("loop_times_out", "a loop with ample fuel times out", "timeout"),
    ("nan_is_canonical", "NaN results are canonical", "nan-canonicalization"),
    ("compile_is_bounded",
     f"compiling a 7.5 MB module of nested blocks stays under {_COMPILE_BUDGET_MB} MB and "
     f"{_COMPILE_BUDGET_S:g} s", "compile-limits"),
)
_IDS = {check for check, _title, _needs in CHECKS}


def run(engine: Any) -> Report:
    """Run every check against ``engine`` (a WasmEngine plugin object) without pytest; a check
    whose capability is not declared is reported as skipped (``Check.skipped``), never passed."""
    try:
        declared = engine.capabilities()
    except Exception:  # noqa: BLE001 - the surface check reports it; demand no capability
        declared = frozenset()
    bound = _bind(engine)
    ran = run_checks("wasm-engine", [(title, bound[check]) for check, title, needs in CHECKS
                                     if needs is None or needs in declared])
    results = iter(ran.checks)
    return Report(ran.kind, tuple(
        next(results) if needs is None or needs in declared
        else Check(title, False, f"{engine.name} does not declare {needs!r}", skipped=True)
        for _check, title, needs in CHECKS))


class WasmEngineSuite(PluginSuite):
    """The checks of :data:`CHECKS` as pytest tests; subclass it with a ``make_plugin`` fixture."""

    suite = "wasm-engine"
    suite_version = SUITE_VERSION


add_checks(WasmEngineSuite, CHECKS, lambda engine: _bind(engine))

#: Compliance levels an operator can rely on: each needs every listed check to have passed.
LEVELS: dict[str, tuple[str, ...]] = {
    "safe-for-untrusted-code": ("loop_runs_out_of_gas", "recursion_exhausts_stack",
                                "grow_refused_at_cap", "loop_times_out", "nan_is_canonical",
                                "deterministic_repeats", "no_state_between_runs",
                                "hostile_contracts_match_reference", "compile_is_bounded"),
    "reference-results": ("reference_results", "example_contracts_match_reference"),
    "concurrent-runs": ("concurrent_runs_are_isolated", "deterministic_across_threads"),
}
