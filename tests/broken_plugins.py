"""Deliberately broken plugins, each breaking one rule a conformance suite must catch.

They wrap the real first-party plugins (wasmtime, MemoryRepository, groth16, jsonl) and change
one behaviour, so a failure can only come from the rule they break."""

from __future__ import annotations

import random

import attrs

from ispc_framework._engines import EngineOutcome, HostFunction
from ispc_framework._errors import InputMissing
from ispc_framework.plugins import hookimpl
from ispc_framework._repository import MemoryRepository, _MemoryView
from ispc_framework._sinks import JsonlTraceSink


class _EngineWrapper:
    def __init__(self) -> None:
        from ispc_wasmtime.engine import WasmtimeEngine

        self.inner = WasmtimeEngine()
        self.name = f"broken-{type(self).__name__.lower()}"

    def fingerprint(self):
        return self.inner.fingerprint()

    def capabilities(self):
        return self.inner.capabilities()   # still claims every limit

    def compile(self, code, host_functions):
        return self.inner.compile(code, host_functions)

    def execute(self, module, method, env, host_functions):
        return self.inner.execute(module, method, env, host_functions)

    def close(self):
        self.inner.close()


def _with_limits(env, **changes):
    """Run under other limits than the context's: what an engine ignoring them does."""
    class Shadow:
        def __init__(self, ctx):
            self._ctx = ctx
            self.limits = attrs.evolve(ctx.limits, **changes)

        def __getattr__(self, name):
            return getattr(self._ctx, name)

    env.ctx = Shadow(env.ctx)
    return env


class IgnoresFuel(_EngineWrapper):
    def execute(self, module, method, env, host_functions):
        return self.inner.execute(module, method, _with_limits(env, fuel=10 ** 15),
                                  host_functions)


class IgnoresFuelAndTimeout(_EngineWrapper):
    def execute(self, module, method, env, host_functions):
        return self.inner.execute(module, method, _with_limits(env, fuel=10 ** 15,
                                                                 timeout_s=10 ** 6),
                                  host_functions)


class Nondeterministic(_EngineWrapper):
    def execute(self, module, method, env, host_functions):
        outcome = self.inner.execute(module, method, env, host_functions)
        return EngineOutcome(outcome.status, outcome.fuel_used + random.randint(0, 3))


class MisreportsStatus(_EngineWrapper):
    def execute(self, module, method, env, host_functions):
        outcome = self.inner.execute(module, method, env, host_functions)
        return EngineOutcome(outcome.status & 0xFF, outcome.fuel_used)   # truncates the status


class _WritableView(_MemoryView):
    __slots__ = ()

    def store_resource(self, content):   # a write method on an execution's view
        with self._state.lock:
            self._state.blobs[b"\x00" * 32] = content
        return b"\x00" * 32


class ViewWithWriteMethod(MemoryRepository):
    def view(self):
        return _WritableView(self._state)


class NonAtomicApply(MemoryRepository):
    """Spends inputs one by one and stops at the first missing one, keeping the earlier spends."""

    def apply(self, draft, *, timestamp=None):
        with self._state.lock:
            for index, tx_input in enumerate(draft.inputs):
                if tx_input.outpoint not in self._state.utxos:
                    raise InputMissing(f"input {index} does not exist", input_index=index)
                if not tx_input.reference_only:
                    self._state.utxos.pop(tx_input.outpoint)
                    self._state.revision += 1
            return super().apply(attrs.evolve(draft, inputs=()), timestamp=timestamp)


class AcceptsAnything:
    """Proves honestly, verifies nothing."""

    def __init__(self, settings):
        from ispc_groth16.prover import Groth16Prover

        self.inner = Groth16Prover(settings)

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def verify(self, proof, execution_result_hash, *, request=None):
        return None


class FixedProof(AcceptsAnything):
    """Returns its first proof for every request, and verifies honestly."""

    first = None

    def prove(self, request):
        if self.first is None:
            self.first = self.inner.prove(request)
        return self.first

    def verify(self, proof, execution_result_hash, *, request=None):
        return self.inner.verify(proof, execution_result_hash, request=request)


class DropsRecords(JsonlTraceSink):
    """Keeps every other trace only."""

    count = 0

    def write(self, summary, trace):
        self.count += 1
        if self.count % 2:
            super().write(summary, trace)


class UntracedProvider:
    """A hand-written host function that neither charges gas nor leaves a trace record."""

    import_module = "acme.untraced"
    abi_version = 1

    def host_functions(self):
        return (HostFunction(self.import_module, "answer", (), ("i32",), 5, lambda env: 42),)


class TracedProvider(UntracedProvider):
    """The same function written with the public helper: conforms."""

    def host_functions(self):
        from ispc_framework.plugins import traced_host_function

        return (traced_host_function(self.import_module, "answer", (), ("i32",), 5,
                                     lambda env: 42),)


class ReplacesOutcome:
    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        yield
        return EngineOutcome(status=0, fuel_used=0)


class HonestWrapper:
    @hookimpl(wrapper=True)
    def ispc_execution(self, request, context):
        return (yield)



class _OffByOneMemory:
    """Guest memory whose reads come back with the last byte changed (an engine bug in its
    memory binding)."""

    def __init__(self, memory):
        self._memory = memory

    def size(self):
        return self._memory.size()

    def read(self, ptr, length):
        data = bytearray(self._memory.read(ptr, length))
        if data:
            data[-1] ^= 0x01
        return bytes(data)

    def write(self, ptr, data):
        self._memory.write(ptr, data)


class _EnvWithBadMemory:
    def __init__(self, env):
        self.ctx, self.view, self.extra = env.ctx, env.view, env.extra
        self.memory = _OffByOneMemory(env.memory)


class CorruptsMemoryReads(_EngineWrapper):
    """Host functions read guest memory one bit off: the example contracts' return data, drafts
    and trace roots differ from the reference engine's."""

    def execute(self, module, method, env, host_functions):
        wrapped = [attrs.evolve(f, handler=lambda e, *args, _h=f.handler:
                                _h(_EnvWithBadMemory(e), *args)) for f in host_functions]
        return self.inner.execute(module, method, env, wrapped)


class TrustsTestingKeys(AcceptsAnything):
    """Verifies honestly except that it swallows the refusal of a testing-only (single-party)
    key, whatever its settings say."""

    def verify(self, proof, execution_result_hash, *, request=None):
        from ispc_framework.plugins import VerificationFailed

        try:
            return self.inner.verify(proof, execution_result_hash, request=request)
        except VerificationFailed as exc:
            if exc.code != "key-testing-only":
                raise
            return None
