"""The ispc.crypto provider, and provider composition."""

from __future__ import annotations

import hashlib
import shutil
import subprocess

import pytest

from ispc_framework._engines import HostEnv
from ispc_framework._errors import ModuleRejected, PluginConflict
from ispc_framework._hostabi import ed25519
from ispc_framework._hostabi._bindings_v1 import Status
from ispc_framework._hostabi.compose import host_functions_for
from ispc_framework._wasm_rules import bind_imports, check_module, parse_module
from ispc_framework._hostabi.crypto import CryptoProvider, RandomStream
from ispc_framework._hostabi.provider import HostABIProvider
from ispc_framework._hostabi.v1 import V1Provider

OOB = 0xFFFF_FFF0
# RFC 8032 section 7.1, TEST 1 (empty message)
RFC_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC_SIGNATURE = bytes.fromhex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e3970"
    "1cf9b46bd25bf5f0595bbe24655141438e7a100b")


def test_sha256(harness):
    data, out = harness.memory.put(b"abc"), harness.memory.alloc(32)
    assert harness.call("ispc.crypto.sha256", data, 3, out) == Status.OK
    assert harness.memory.read(out, 32) == hashlib.sha256(b"abc").digest()
    assert harness.call("ispc.crypto.sha256", data, 2**20 + 1, out) == Status.TOO_LARGE
    assert harness.call("ispc.crypto.sha256", data, 3, OOB) == Status.OUT_OF_BOUNDS
    record = harness.last_record()
    assert record.function == "ispc.crypto.sha256" and record.status == Status.OUT_OF_BOUNDS


def test_ed25519_matches_rfc8032():
    assert ed25519.public_key(RFC_SECRET) == RFC_PUBLIC
    assert ed25519.sign(RFC_SECRET, b"") == RFC_SIGNATURE
    assert ed25519.verify(RFC_PUBLIC, b"", RFC_SIGNATURE)
    s = int.from_bytes(RFC_SIGNATURE[32:], "little") + ed25519._L  # malleated S >= L
    assert not ed25519.verify(RFC_PUBLIC, b"", RFC_SIGNATURE[:32] + s.to_bytes(32, "little"))
    assert not ed25519.verify(b"\xff" * 32, b"", RFC_SIGNATURE)  # y >= p is not canonical


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_ed25519_agrees_with_openssl(tmp_path):
    key, msg, sig = tmp_path / "k.pem", tmp_path / "m", tmp_path / "s"
    msg.write_bytes(b"ISPC differential test message")
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True)
    subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(key), "-rawin", "-in", str(msg),
                    "-out", str(sig)], check=True)
    der = subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    public, signature = der[-32:], sig.read_bytes()
    assert ed25519.verify(public, msg.read_bytes(), signature)
    assert not ed25519.verify(public, msg.read_bytes() + b"!", signature)


def test_ed25519_verify_host_function(harness):
    msg = b"pay 5"
    signature = ed25519.sign(RFC_SECRET, msg)
    key_ptr, msg_ptr = harness.memory.put(RFC_PUBLIC), harness.memory.put(msg)
    sig_ptr = harness.memory.put(signature)
    assert harness.call("ispc.crypto.ed25519_verify", key_ptr, msg_ptr, 5, sig_ptr) == Status.OK
    assert harness.call("ispc.crypto.ed25519_verify", key_ptr, msg_ptr, 4, sig_ptr) == \
        Status.VERIFY_FAILED
    assert harness.call("ispc.crypto.ed25519_verify", key_ptr, msg_ptr, 65537, sig_ptr) == \
        Status.TOO_LARGE
    assert harness.call("ispc.crypto.ed25519_verify", key_ptr, msg_ptr, 5,
                        harness.memory.size() - 63) == Status.OUT_OF_BOUNDS


def test_random_stream_is_seeded_from_the_transaction_and_continues(make_harness):
    first, again = make_harness(), make_harness()
    other = make_harness(call_input=b"another request")

    def draw(h, count):
        out = h.memory.alloc(count)
        assert h.call("ispc.crypto.random_bytes", out, count) == Status.OK
        return h.memory.read(out, count)

    a = draw(first, 40) + draw(first, 40)
    assert a == draw(again, 80)  # same request, same pins: same bytes, however they are split
    assert draw(other, 80) != a
    assert a == RandomStream(first.ctx.transaction_id).take(80)
    assert first.call("ispc.crypto.random_bytes", OOB, 16) == Status.OUT_OF_BOUNDS
    assert first.call("ispc.crypto.random_bytes", 1024, 65537) == Status.TOO_LARGE


def test_random_stream_does_not_leak_between_runs_sharing_an_env(harness):
    """Even if an engine wrongly reused a HostEnv for a new context, the stream restarts."""
    out = harness.memory.alloc(16)
    harness.call("ispc.crypto.random_bytes", out, 16)
    first = harness.memory.read(out, 16)
    ctx = harness.manager.create(harness.ctx.request, harness.ctx.pins)
    env = HostEnv(ctx, harness.view, harness.memory)
    env.extra = harness.env.extra
    harness.functions["ispc.crypto.random_bytes"].handler(env, out, 16)
    assert harness.memory.read(out, 16) == first


def test_providers_compose_and_conflicts_are_named():
    v1, crypto = V1Provider(), CryptoProvider()
    assert isinstance(v1, HostABIProvider) and isinstance(crypto, HostABIProvider)
    functions = host_functions_for([v1, crypto])
    assert len(functions) == 23 and {f.module for f in functions} == {"ispc.v1", "ispc.crypto"}
    with pytest.raises(PluginConflict) as info:
        host_functions_for([v1, V1Provider()])
    assert "ispc.v1.abi_version" in str(info.value) and info.value.hint


def _module(*imports: str) -> bytes:
    import wasmtime

    return wasmtime.wat2wasm("(module " + " ".join(imports) + ' (memory (export "memory") 1))')


def test_a_module_importing_an_unselected_function_is_rejected_by_name():
    only_v1 = host_functions_for([V1Provider()])
    module = _module('(import "ispc.v1" "caller" (func (param i32) (result i32)))',
                     '(import "ispc.crypto" "sha256" (func (param i32 i32 i32) (result i32)))')
    with pytest.raises(ModuleRejected) as info:
        bind_imports(parse_module(module), only_v1)
    assert info.value.code == "unknown-import" and "ispc.crypto.sha256" in info.value.message
    bind_imports(parse_module(module), host_functions_for([V1Provider(), CryptoProvider()]))
    with pytest.raises(ModuleRejected) as info:
        bind_imports(parse_module(_module(
            '(import "ispc.v1" "caller" (func (param i64) (result i32)))')), only_v1)
    assert info.value.code == "import-signature"
    with pytest.raises(ModuleRejected) as info:
        check_module(_module('(import "env" "mem" (memory 1))'), only_v1)
    assert info.value.code == "disallowed-import"


def test_registration_specs_build_working_providers():
    from ispc_framework._hostabi.registration import specs
    from ispc_framework.plugins._specs import load_factory
    built = {spec.name: load_factory(spec)({}) for spec in specs()}
    assert set(built) == {"ispc.v1", "ispc.crypto", "ispc.state"}
    for spec in specs():
        provider = built[spec.name]
        assert (provider.import_module, provider.abi_version) == (spec.import_module, 1)
        assert all(f.module == spec.import_module for f in provider.host_functions())
