"""Which keys a verifier accepts: trusted ones only, holding the pinned circuit, never a
testing-only key unless allowed; and the draft's rules checked whatever the key."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import attrs
import pytest

from ispc_framework.plugins import (KeyNotFound, ProverUnavailable, ValidationError,
                                    VerificationFailed)
from ispc_framework.plugins import SealedDraft, TxInput, ZKStateProof
from ispc_groth16.circuits import CIRCUITS, compile_circuit, get_circuit
from ispc_groth16.draft_encoding import circuit_inputs
from ispc_groth16.keystore import KeyStore, _sha256_file, vk_hash

RESULT = b"\x11" * 32


@pytest.fixture(scope="module")
def keys(testing_keys, tmp_path_factory):
    """A private copy of the testing keys (tests here add and edit key directories)."""
    copy = tmp_path_factory.mktemp("trust") / "keys"
    shutil.copytree(testing_keys, copy)
    return copy


@pytest.fixture(scope="module")
def prover(keys, node_modules):
    from ispc_groth16.prover import Groth16Prover

    with Groth16Prover({"key_dir": str(keys), "node_modules": str(node_modules),
                        "allow_testing_keys": True}) as p:
        yield p


@pytest.fixture(scope="module")
def proof(prover, sample):
    return prover.prove(sample.request())


def _code(call, exc=VerificationFailed):
    with pytest.raises(exc) as err:
        call()
    return err.value


@pytest.fixture(scope="module")
def rogue(keys, node_modules, sample):
    """A key directory for *another* circuit (the small one's r1cs/wasm), dropped into key_dir
    under ispc.draft.v2 with a meta.json claiming a ceremony; and a valid proof made with it
    (in this process: the worker refuses such a key) for a draft that is not in the statement.
    """
    import groth16py

    from ispc_groth16.witness import WitnessCalculator

    small = get_circuit("ispc.draft.v2.small")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        r1cs, wasm = compile_circuit(small, tmp / "build", node_modules=str(node_modules),
                                     cache_dir=keys / "build-cache")
        stage = tmp / "stage"
        stage.mkdir()
        shutil.copyfile(r1cs, stage / "circuit.r1cs")
        shutil.copyfile(wasm, stage / "circuit.wasm")
        pk, vk = groth16py.setup(str(stage / "circuit.r1cs"))
        pk.save(str(stage / "proving_key.groth16py"))
        (stage / "verification_key.json").write_text(vk.to_json())
        h = vk_hash(json.loads(vk.to_json())).hex()
        files = {p.name: _sha256_file(p) for p in sorted(stage.iterdir())}
        (stage / "meta.json").write_text(json.dumps({
            "circuit_id": "ispc.draft.v2", "circuit_version": 2, "mode": "ceremony",
            "testing_only": False, "constraint_count": 2209, "vk_hash": h, "files": files}))
        shutil.move(str(stage), keys / "ispc.draft.v2" / h)
        request = sample.small(result=RESULT)
        wtns = WitnessCalculator(wasm.read_bytes()).wtns(circuit_inputs(request, 2, 2))
        (tmp / "w.wtns").write_bytes(wtns)
        blob = bytes(groth16py.prove_wtns(pk, str(tmp / "w.wtns")))
    public = tuple(WitnessCalculator.signals(wtns)[1:5])
    return h, ZKStateProof(proof=blob, public_inputs=public, verification_key_hash=bytes.fromhex(h),
                           circuit_id="ispc.draft.v2", circuit_version=2, constraint_count=2209)


def test_a_key_in_key_dir_is_not_trusted_by_being_there(prover, rogue, make_prover, keys):
    h, forged = rogue
    err = _code(lambda: prover.verify(forged, RESULT))
    assert err.code == "proof-key-untrusted"
    assert "trusted_vk_hashes" in err.hint and "never from the prover" in err.hint
    # Listing it as trusted does not help either: it holds another circuit than the pinned one.
    listed = make_prover(keys, trusted_vk_hashes=[h])
    assert h in listed.trusted_keys("ispc.draft.v2")
    err = _code(lambda: listed.verify(forged, RESULT))
    assert err.code == "key-circuit-mismatch" and "circom2" in err.hint
    err = _code(lambda: KeyStore(keys).load("ispc.draft.v2", h), KeyNotFound)
    assert err.code == "key-circuit-mismatch"


def test_rogue_current_key_is_refused_at_prove_and_by_the_worker(prover, rogue, keys, sample):
    h, _ = rogue
    marker = keys / "ispc.draft.v2" / "CURRENT"
    honest = marker.read_text()
    marker.write_text(h + "\n")
    try:
        assert _code(lambda: prover.prove(sample.request()), KeyNotFound).code == \
            "key-circuit-mismatch"
        inputs = circuit_inputs(sample.request(), 8, 8)
        err = _code(lambda: prover.worker.request("prove", {
            "key_dir": str(keys), "circuit_id": "ispc.draft.v2", "vk_hash": h,
            "input": {k: [str(x) for x in v] if isinstance(v, list) else str(v)
                      for k, v in inputs.items()}}), KeyNotFound)
        assert err.code == "key-circuit-mismatch"
    finally:
        marker.write_text(honest)


def test_pinned_circuit_hashes(keys, tmp_path, make_prover, proof, sample):
    record = KeyStore(keys).current("ispc.draft.v2")
    circuit = CIRCUITS["ispc.draft.v2"]
    assert record.meta["files"]["circuit.r1cs"] == circuit.r1cs_sha256
    assert record.meta["files"]["circuit.wasm"] == circuit.wasm_sha256
    # The CURRENT key with its circuit.wasm swapped (and meta.json rewritten to match): refused.
    copy = tmp_path / "keys"
    shutil.copytree(keys, copy)
    key = copy / "ispc.draft.v2" / record.vk_hash
    with open(key / "circuit.wasm", "ab") as f:
        f.write(b"\x00\x05\x04evil")  # a custom section: still a valid module
    meta = json.loads((key / "meta.json").read_text())
    meta["files"]["circuit.wasm"] = _sha256_file(key / "circuit.wasm")
    (key / "meta.json").write_text(json.dumps(meta))
    other = make_prover(copy)
    assert _code(lambda: other.verify(proof, RESULT)).code == "key-circuit-mismatch"
    assert _code(lambda: other.prove(sample.request()), KeyNotFound).code == \
        "key-circuit-mismatch"


def test_key_version_is_checked_at_verify(keys, tmp_path, make_prover, proof):
    copy = tmp_path / "keys"
    shutil.copytree(keys, copy)
    meta_file = copy / "ispc.draft.v2" / proof.verification_key_hash.hex() / "meta.json"
    meta = json.loads(meta_file.read_text())
    meta["circuit_version"] = 3
    meta_file.write_text(json.dumps(meta))
    assert _code(lambda: make_prover(copy).verify(proof, RESULT)).code == \
        "key-version-mismatch"


def test_testing_keys_need_an_explicit_opt_in(keys, make_prover, proof, sample):
    strict = make_prover(keys, allow_testing_keys=False)
    err = _code(lambda: strict.prove(sample.request()), KeyNotFound)
    assert err.code == "key-testing-only"
    assert "allow_testing_keys = true" in err.hint and "tests/demos only" in err.hint
    err = _code(lambda: strict.verify(proof, RESULT))
    assert err.code == "key-testing-only" and "allow_testing_keys" in err.hint
    make_prover(keys, allow_testing_keys=True).verify(proof, RESULT)


def test_trusted_vk_hashes_extend_current(prover, proof, keys, tmp_path, node_modules,
                                          make_prover):
    from ispc_groth16.setup import run_setup

    # A new setup moves CURRENT: proofs under the old key are no longer trusted by default...
    copy = tmp_path / "keys"
    shutil.copytree(keys, copy)
    meta = run_setup("ispc.draft.v2", copy, "testing", node_modules=str(node_modules))
    assert meta["vk_hash"] != proof.verification_key_hash.hex()
    assert _code(lambda: make_prover(copy).verify(proof, RESULT)).code == "proof-key-untrusted"
    # ... unless the verifier lists the old key's hash.
    old = proof.verification_key_hash.hex()
    make_prover(copy, trusted_vk_hashes=[old.upper()]).verify(proof, RESULT)
    # A listed hash with no key directory is a missing key, not a pass.
    missing = make_prover(copy, trusted_vk_hashes=["ab" * 32])
    err = _code(lambda: missing.verify(attrs.evolve(proof, verification_key_hash=b"\xab" * 32),
                                       RESULT), KeyNotFound)
    assert err.code == "key-not-found" and "setup you trust" in err.hint
    # No CURRENT and nothing listed: no trusted key at all.
    empty = make_prover(tmp_path / "empty")
    assert _code(lambda: empty.verify(proof, RESULT), KeyNotFound).code == "key-not-found"


def test_verify_with_request_checks_the_rules_whatever_the_key(prover, proof, sample):
    request = sample.request()
    outputs = (sample.asset(7, sample.coin, 1001),) + request.draft.outputs[1:]
    bad = sample.request(draft=SealedDraft(request.draft.inputs, outputs))
    err = _code(lambda: prover.verify(proof, RESULT, request=bad))
    assert err.code == "proof-draft-rules" and "witness-conservation" in err.message
    dup = SealedDraft((TxInput(sample.outpoint(1)), TxInput(sample.outpoint(1))),
                      (sample.asset(7, sample.coin, 200),))
    spent = (sample.asset(1, sample.coin, 100),) * 2
    err = _code(lambda: prover.verify(proof, RESULT, request=sample.request(
        draft=dup, spent_outputs=spent)))
    assert err.code == "proof-draft-rules" and "[duplicate-input]" in err.message


def test_duplicate_inputs_are_not_proved(prover, sample):
    dup = SealedDraft((TxInput(sample.outpoint(1)), TxInput(sample.outpoint(1))),
                      (sample.asset(7, sample.coin, 200),))
    spent = (sample.asset(1, sample.coin, 100),) * 2
    err = _code(lambda: prover.prove(sample.request(draft=dup, spent_outputs=spent)),
                ValidationError)
    assert err.code == "duplicate-input"


def test_setup_refuses_a_compile_that_is_not_the_pinned_circuit(keys, tmp_path, monkeypatch,
                                                                 node_modules):
    from ispc_groth16 import ceremony

    copy = tmp_path / "keys"
    shutil.copytree(keys, copy)  # the compile cache comes along: no recompilation
    before = sorted(p.name for p in (copy / "ispc.draft.v2").iterdir())
    circuit = CIRCUITS["ispc.draft.v2"]
    monkeypatch.setitem(CIRCUITS, "ispc.draft.v2", attrs.evolve(circuit, r1cs_sha256="0" * 64))
    with pytest.raises(ProverUnavailable) as err:
        ceremony.make_keys("ispc.draft.v2", copy, "testing", progress=lambda *a: None,
                           node_modules=str(node_modules))
    assert err.value.code == "circuit-compile-mismatch" and "circom2" in err.value.hint
    assert sorted(p.name for p in (copy / "ispc.draft.v2").iterdir()) == before
