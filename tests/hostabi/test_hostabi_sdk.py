"""The generated SDKs compile (scripts/check_sdk.sh: clang --target=wasm32 and asc) and the
compiled contracts run on real wasmtime against the real providers, bound generically from their
descriptors: the C helpers' encodings are accepted by the host, and a bad pointer gets a status."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ispc_framework._encoding import decode, encode
from ispc_framework._errors import ModuleRejected
from ispc_framework._hostabi.compose import host_functions_for
from ispc_framework._hostabi.crypto import CryptoProvider
from ispc_framework._hostabi.v1 import V1Provider
from ispc_framework._model import AssetOutput, NativeCoin, SingleKeyLock, TxInput
from ispc_framework._wasm_rules import bind_imports, parse_module

wasmtime = pytest.importorskip("wasmtime")
ROOT = Path(__file__).resolve().parents[2]
ASC = ROOT / "node_modules" / ".bin" / "asc"
pytestmark = pytest.mark.skipif(shutil.which("clang") is None or not ASC.exists(),
                                reason="needs clang/lld (apt) and node_modules/.bin/asc (npm ci)")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("sdk")
    subprocess.run([str(ROOT / "scripts" / "check_sdk.sh")], check=True, capture_output=True,
                   env={**os.environ, "SDK_CHECK_OUT": str(out)})
    return out


class WasmtimeMemory:
    def __init__(self, store, memory):
        self.store, self.memory = store, memory

    def size(self):
        return self.memory.data_len(self.store)

    def read(self, ptr, length):
        return bytes(self.memory.read(self.store, ptr, ptr + length))

    def write(self, ptr, data):
        self.memory.write(self.store, data, ptr)


def run(path, harness, method, init=False):
    """Bind the selected providers' descriptors generically and call ``method``."""
    functions = host_functions_for([V1Provider(), CryptoProvider()])
    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    module = wasmtime.Module.from_file(engine, str(path))
    bind_imports(parse_module(Path(path).read_bytes()), functions)
    offered = {(f.module, f.name): f for f in functions}
    linker = wasmtime.Linker(engine)
    valtype = {"i32": wasmtime.ValType.i32(), "i64": wasmtime.ValType.i64()}
    for item in module.imports:
        function = offered[(item.module, item.name)]
        ty = wasmtime.FuncType([valtype[p] for p in function.params],
                               [valtype[r] for r in function.results])
        linker.define_func(item.module, item.name, ty,
                           lambda *args, _f=function: _f.handler(harness.env, *args))
    instance = linker.instantiate(store, module)
    exports = instance.exports(store)
    harness.env.memory = WasmtimeMemory(store, exports["memory"])
    if init:
        exports["_initialize"](store)
    return exports[method](store)


def test_c_context_and_echo(built, make_harness):
    h = make_harness(call_input=b"echo me")
    assert run(built / "check_c.wasm", h, "echo") == 0
    assert h.ctx.return_data == b"echo me"
    h = make_harness()
    assert run(built / "check_c.wasm", h, "context") == 0
    data = h.ctx.return_data
    assert int.from_bytes(data[:4], "little") == 1
    assert int.from_bytes(data[4:12], "little") == h.ctx.pins.height
    assert int.from_bytes(data[12:20], "little") == h.ctx.pins.timestamp
    assert data[20:52] == h.ctx.request.caller and data[52:84] == h.resource_hash
    assert data[84:116] == h.ctx.transaction_id and data[116:148] == h.ctx.pins.block_hash
    assert data[148:] == b"ispc-test"


def test_c_spend_uses_the_header_encoders(built, make_harness):
    coin = make_harness().coin  # genesis is deterministic: the same outpoint in every harness
    h2 = make_harness(call_input=coin.tx_id + coin.index.to_bytes(4, "little"))
    assert run(built / "check_c.wasm", h2, "spend") == 0
    draft = h2.ctx.draft
    assert draft.inputs == (TxInput(h2.coin),)
    payment, state = draft.outputs
    caller = h2.ctx.request.caller
    assert payment.asset == AssetOutput(NativeCoin(), 7) and payment.locks == (SingleKeyLock(caller),)
    coin_bytes = encode(h2.coin_output)
    assert state.state.execution_result_hash == hashlib.sha256(coin_bytes).digest()
    assert draft.events[0].event_type == "spent" and decode(draft.events[0].data) == h2.coin_output
    assert h2.ctx.return_data == coin_bytes and h2.ctx.logs == ("spent one",)
    functions = [r.function for r in h2.ctx.trace.records]
    assert functions[0] == "ispc.v1.call_input" and functions[-1] == "ispc.v1.set_return_data"
    assert "ispc.crypto.random_bytes" in functions and all(r.status == 0 for r in h2.ctx.trace.records)


def test_c_bad_pointer_gets_a_status_not_a_crash(built, make_harness):
    h = make_harness()
    assert run(built / "check_c.wasm", h, "bad_pointer") == 0
    assert h.ctx.trace.records[-1].status == 3


def test_assemblyscript_declarations_run(built, make_harness):
    h = make_harness(call_input=b"as input")
    assert run(built / "check_as.wasm", h, "digest_input", init=True) == 0
    data = h.ctx.return_data
    assert data[:32] == hashlib.sha256(b"as input").digest()
    assert data[32:64] == h.ctx.request.caller and data[64:] == bytes(8)


def test_deploy_rejects_a_real_module_importing_an_unselected_provider(built):
    code = (built / "check_c.wasm").read_bytes()
    with pytest.raises(ModuleRejected) as info:
        bind_imports(parse_module(code), host_functions_for([V1Provider()]))
    assert "ispc.crypto." in info.value.message and info.value.code == "unknown-import"
