"""The snarkjs ceremony path and the snarkjs backend, cross-checked against groth16py."""

from __future__ import annotations

import json

import attrs
import pytest

from ispc_framework.plugins import KeyNotFound, VerificationFailed
from ispc_groth16.keystore import KeyStore


@pytest.fixture(scope="module")
def snarkjs_prover(ceremony_keys, node_modules):
    from ispc_groth16.prover import Groth16Prover

    with Groth16Prover({"key_dir": str(ceremony_keys), "backend": "snarkjs",
                        "node_modules": str(node_modules)}) as prover:
        yield prover


@pytest.fixture(scope="module")
def groth16py_prover(ceremony_keys, node_modules):
    from ispc_groth16.prover import Groth16Prover

    with Groth16Prover({"key_dir": str(ceremony_keys), "node_modules": str(node_modules)}) as p:
        yield p


def test_ceremony_key_metadata(ceremony_keys):
    record = KeyStore(ceremony_keys).current("ispc.draft.v2.small")
    meta = record.meta
    assert meta["mode"] == "ceremony" and meta["testing_only"] is False
    assert meta["ptau_power"] == 10 and meta["phase2_contributions"] == 1  # 729 constraints
    assert {"circuit.zkey", "proving_key.groth16py", "verification_key.json", "circuit.r1cs",
            "circuit.wasm"} <= set(meta["files"])
    vk = json.loads(record.file("verification_key.json").read_text())
    assert vk["nPublic"] == 4


def test_snarkjs_proof_verified_by_groth16py(snarkjs_prover, groth16py_prover, sample):
    proof = snarkjs_prover.prove(sample.small())  # self-checked with snarkjs verify
    assert snarkjs_prover.worker.info["backend"] == "snarkjs"
    groth16py_prover.verify(proof, b"\x22" * 32, request=sample.small())
    moved = attrs.evolve(proof, public_inputs=(proof.public_inputs[0] + 1,
                                               *proof.public_inputs[1:]))
    with pytest.raises(VerificationFailed):
        groth16py_prover.verify(moved, b"\x22" * 32)


def test_groth16py_proof_with_ceremony_key_verified_by_snarkjs(snarkjs_prover, groth16py_prover,
                                                               sample):
    proof = groth16py_prover.prove(sample.small())
    snarkjs_prover.verify(proof, b"\x22" * 32)
    blob = bytearray(proof.proof)
    blob[70] ^= 0x04
    with pytest.raises(VerificationFailed):
        snarkjs_prover.verify(attrs.evolve(proof, proof=bytes(blob)), b"\x22" * 32)
    inputs = list(proof.public_inputs)
    inputs[3] += 1  # another contract
    with pytest.raises(VerificationFailed):
        snarkjs_prover.verify(attrs.evolve(proof, public_inputs=tuple(inputs)), b"\x22" * 32)


def test_snarkjs_backend_needs_a_ceremony_key(testing_keys, make_prover, sample):
    prover = make_prover(testing_keys, backend="snarkjs")
    with pytest.raises(KeyNotFound) as err:
        prover.prove(sample.request())
    assert err.value.code == "key-no-zkey" and "ceremony" in err.value.hint


@pytest.mark.parametrize("name", ["circuit.zkey", "proving_key.groth16py"])
def test_a_tampered_ceremony_key_file_is_refused_before_the_fast_load(ceremony_keys, tmp_path,
                                                                      make_prover, sample, name):
    """The worker reads a ceremony key from its .zkey (import_zkey, the fast path); a changed
    .zkey, or a changed groth16py copy the fast path does not even read, is key-corrupt in this
    process and in the worker's own `load`, never loaded."""
    import shutil

    from ispc_framework.plugins import ISPCError

    copy = tmp_path / "keys"
    shutil.copytree(ceremony_keys, copy)
    record = KeyStore(copy).current("ispc.draft.v2.small")
    blob = bytearray(record.file(name).read_bytes())
    blob[len(blob) // 2] ^= 0x01
    record.file(name).write_bytes(bytes(blob))
    prover = make_prover(copy, allow_testing_keys=False)
    with pytest.raises(KeyNotFound) as err:
        prover.prove(sample.small())
    assert err.value.code == "key-corrupt"
    with pytest.raises(ISPCError) as err:  # the worker checks the files itself
        prover.worker.request("load", {"key_dir": str(copy), "circuit_id": "ispc.draft.v2.small",
                                       "vk_hash": record.vk_hash})
    assert err.value.code == "key-corrupt"
