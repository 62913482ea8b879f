"""Groth16Prover with the groth16py backend: round trips, cross-verification and tampering."""

from __future__ import annotations

import json
import shutil
import subprocess

import attrs
import pytest

from ispc_framework.plugins import KeyNotFound, ValidationError, VerificationFailed, WitnessError
from ispc_framework.plugins import SealedDraft, ZKStateProof
from ispc_groth16.proof_format import to_snarkjs


@pytest.fixture(scope="module")
def prover(testing_keys, node_modules):
    """One prover (one worker, keys loaded once) for the whole module."""
    from ispc_groth16.prover import Groth16Prover

    with Groth16Prover({"key_dir": str(testing_keys), "node_modules": str(node_modules),
                        "allow_testing_keys": True}) as p:
        yield p


@pytest.fixture(scope="module")
def proof(prover, sample):
    return prover.prove(sample.request())


def _fails(prover, proof, result=b"\x11" * 32, code="proof-invalid", **kw):
    with pytest.raises(VerificationFailed) as err:
        prover.verify(proof, result, **kw)
    assert err.value.code == code, err.value
    return err.value


def test_round_trip_records_key_and_circuit(prover, proof, sample, testing_keys):
    assert isinstance(proof, ZKStateProof)
    assert (proof.scheme, proof.curve, proof.circuit_id) == ("groth16", "bn254", "ispc.draft.v2")
    current = (testing_keys / "ispc.draft.v2" / "CURRENT").read_text().strip()
    assert proof.verification_key_hash.hex() == current
    assert len(proof.proof) == 256 and len(proof.public_inputs) == 4
    assert 2**11 < proof.constraint_count <= 2**12
    prover.verify(proof, b"\x11" * 32)
    prover.verify(proof, b"\x11" * 32, request=sample.request())
    key = prover.info()["keys"]["ispc.draft.v2"]
    assert key["vk_hash"] == current and key["testing_only"] is True


def test_groth16py_proof_verifies_with_snarkjs(proof, testing_keys, snarkjs, tmp_path):
    key = testing_keys / "ispc.draft.v2" / proof.verification_key_hash.hex()
    shutil.copyfile(key / "verification_key.json", tmp_path / "vk.json")
    (tmp_path / "public.json").write_text(json.dumps([str(x) for x in proof.public_inputs]))
    (tmp_path / "proof.json").write_text(json.dumps(to_snarkjs(proof.proof)))
    done = subprocess.run([snarkjs, "groth16", "verify", "vk.json", "public.json", "proof.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "OK!" in done.stdout
    # The same check fails for a changed public input: snarkjs is a real second opinion.
    (tmp_path / "public.json").write_text(json.dumps(
        [str(proof.public_inputs[0] + 1)] + [str(x) for x in proof.public_inputs[1:]]))
    done = subprocess.run([snarkjs, "groth16", "verify", "vk.json", "public.json", "proof.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert "OK!" not in done.stdout


@pytest.mark.parametrize("index", [0, 3])
def test_changed_public_input_fails(prover, proof, index):
    inputs = list(proof.public_inputs)
    inputs[index] += 1
    _fails(prover, attrs.evolve(proof, public_inputs=tuple(inputs)))


def test_proof_moved_to_another_state_output_fails(prover, proof):
    err = _fails(prover, proof, result=b"\x12" * 32, code="proof-public-mismatch")
    assert "different state output" in err.message
    # Rewriting the proof's limbs to the other output's hash does not help either.
    other = b"\x12" * 32
    moved = attrs.evolve(proof, public_inputs=(proof.public_inputs[0],
                                               int.from_bytes(other[:16], "big"),
                                               int.from_bytes(other[16:], "big"),
                                               proof.public_inputs[3]))
    _fails(prover, moved, result=other)


@pytest.mark.parametrize("position", [5, 40, 100, 200, 255])
def test_flipped_proof_byte_fails(prover, proof, position):
    blob = bytearray(proof.proof)
    blob[position] ^= 0x01
    with pytest.raises(VerificationFailed) as err:
        prover.verify(attrs.evolve(proof, proof=bytes(blob)), b"\x11" * 32)
    assert err.value.code in ("proof-invalid", "proof-malformed")


def test_truncated_proof_is_malformed(prover, proof):
    _fails(prover, attrs.evolve(proof, proof=proof.proof[:-1]), code="proof-malformed")


def test_wrong_verification_key_fails(prover, proof, testing_keys, node_modules, make_prover,
                                      tmp_path):
    from ispc_groth16.setup import run_setup

    # A second, independent setup of the same circuit: the proof must not verify under it.
    other_dir = tmp_path / "keys"
    shutil.copytree(testing_keys, other_dir)
    steps = []
    meta = run_setup("ispc.draft.v2", other_dir, "testing", node_modules=str(node_modules),
                     progress=lambda step, done, total: steps.append((step, done, total)))
    assert meta["vk_hash"] != proof.verification_key_hash.hex()
    assert meta["testing_only"] is True and meta["mode"] == "testing"
    assert steps[0][0].startswith("TESTING ONLY") and steps[-1][0].startswith("done:")
    assert steps[-1][1] == steps[-1][2] > 0  # done == total at the end
    other = make_prover(other_dir)
    # The original key is still in key_dir and named by the proof, but no longer CURRENT:
    # being there does not make it trusted.
    _fails(other, proof, code="proof-key-untrusted")
    make_prover(other_dir, trusted_vk_hashes=[proof.verification_key_hash.hex()]).verify(
        proof, b"\x11" * 32)
    _fails(other, attrs.evolve(proof, verification_key_hash=bytes.fromhex(meta["vk_hash"])))
    _fails(other, attrs.evolve(proof, verification_key_hash=b"\x00" * 32),
           code="proof-key-untrusted")
    with pytest.raises(KeyNotFound):
        make_prover(other_dir, trusted_vk_hashes=["00" * 32]).verify(
            attrs.evolve(proof, verification_key_hash=b"\x00" * 32), b"\x11" * 32)


def test_modified_key_file_is_rejected(prover, proof, testing_keys, tmp_path, make_prover):
    copy = tmp_path / "keys"
    shutil.copytree(testing_keys, copy)
    key = copy / "ispc.draft.v2" / proof.verification_key_hash.hex()
    vk = json.loads((key / "verification_key.json").read_text())
    vk["IC"][0][0] = str(int(vk["IC"][0][0]) + 1)
    (key / "verification_key.json").write_text(json.dumps(vk))
    with pytest.raises(KeyNotFound) as err:
        make_prover(copy).verify(proof, b"\x11" * 32)
    assert err.value.code == "key-corrupt"


def test_verify_against_the_draft(prover, proof, sample):
    request = sample.request()
    other_draft = SealedDraft(request.draft.inputs, request.draft.outputs[:-1])
    _fails(prover, proof, request=sample.request(draft=other_draft), code="proof-draft-mismatch")
    # Another contract (gold, not minted here, stays out: the rules would refuse it first).
    no_mint = SealedDraft(request.draft.inputs, request.draft.outputs[:3]
                          + request.draft.outputs[4:])
    _fails(prover, proof, request=sample.request(contract=sample.other_contract, draft=no_mint),
           code="proof-contract-mismatch")
    # A draft that breaks the rules is refused as such, whatever the proof.
    _fails(prover, proof, request=sample.request(contract=sample.other_contract),
           code="proof-draft-rules")


def test_a_request_for_another_circuit_is_refused_as_such(prover, proof, sample):
    """The request's circuit id picks the statement recomputed: it must be the proof's."""
    for other in ("ispc.draft.v1", "ispc.draft.v2.small"):
        _fails(prover, proof, request=sample.request(circuit_id=other),
               code="proof-circuit-mismatch")


def test_conservation_break_fails_before_proving(prover, sample):
    request = sample.request()
    outputs = (sample.asset(7, sample.coin, 1001),) + request.draft.outputs[1:]
    with pytest.raises(WitnessError) as err:
        prover.prove(sample.request(draft=SealedDraft(request.draft.inputs, outputs)))
    assert err.value.code == "witness-conservation"


def test_no_keys_no_proof(make_prover, tmp_path, sample):
    prover = make_prover(tmp_path / "empty")
    with pytest.raises(KeyNotFound) as err:
        prover.prove(sample.request())
    assert err.value.code == "key-not-found" and "ispc setup" in err.value.hint
    assert not (tmp_path / "empty").exists()  # nothing was generated at proof time
    with pytest.raises(ValidationError):
        prover.prove(sample.request(circuit_id="no.such.circuit"))


def test_proofs_differ_but_both_verify(prover, sample):
    a, b = prover.prove(sample.request()), prover.prove(sample.request())
    assert a.proof != b.proof and a.public_inputs == b.public_inputs  # Groth16 is randomised
    prover.verify(b, b"\x11" * 32)


def test_failed_setup_leaves_nothing_behind(testing_keys, node_modules, tmp_path):
    from ispc_framework.plugins import ProverUnavailable
    from ispc_groth16.setup import run_setup

    keys = tmp_path / "keys"
    shutil.copytree(testing_keys, keys)  # includes the compile cache: no recompilation
    before = sorted(p.name for p in (keys / "ispc.draft.v2").iterdir())
    current = (keys / "ispc.draft.v2" / "CURRENT").read_text()
    garbage = tmp_path / "bad.ptau"
    garbage.write_bytes(b"not a powers of tau file" * 10)
    with pytest.raises(ProverUnavailable) as err:
        run_setup("ispc.draft.v2", keys, "ceremony", ptau=str(garbage),
                  node_modules=str(node_modules))
    assert err.value.code == "setup-failed"
    assert sorted(p.name for p in (keys / "ispc.draft.v2").iterdir()) == before
    assert (keys / "ispc.draft.v2" / "CURRENT").read_text() == current
    with pytest.raises(ValidationError):
        run_setup("ispc.draft.v2", keys, "yolo")


def test_out_of_range_witness_fails_in_the_worker_with_a_typed_error(prover, sample):
    # The model cannot even hold an amount >= 2^64, so send the worker such a witness directly:
    # the circuit's range check fails at witness generation and the typed error crosses over.
    from ispc_groth16.draft_encoding import circuit_inputs

    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["in_amount"][0] += 2**64
    inputs["out_amount"][0] += 2**64
    record = prover.keys.current("ispc.draft.v2")
    with pytest.raises(WitnessError) as err:
        prover.worker.request("prove", {
            "key_dir": str(prover.keys.root), "circuit_id": "ispc.draft.v2",
            "vk_hash": record.vk_hash,
            "input": {k: [str(x) for x in v] if isinstance(v, list) else str(v)
                      for k, v in inputs.items()}})
    assert err.value.code == "witness-unsatisfied"
    assert prover.prove(sample.request()).circuit_id == "ispc.draft.v2"  # worker still serving


@pytest.mark.parametrize("position", [40, 200])
def test_tampered_proof_for_another_draft_reports_the_draft(prover, proof, sample, position):
    """The pairing check runs in the worker while the draft's commitment is recomputed here;
    the draft's verdict is the one reported, and the prover keeps working afterwards."""
    request = sample.request()
    blob = bytearray(proof.proof)
    blob[position] ^= 0x01
    other_draft = SealedDraft(request.draft.inputs, request.draft.outputs[:-1])
    _fails(prover, attrs.evolve(proof, proof=bytes(blob)),
           request=sample.request(draft=other_draft), code="proof-draft-mismatch")
    with pytest.raises(VerificationFailed) as err:  # the right draft: the pairing fails
        prover.verify(attrs.evolve(proof, proof=bytes(blob)), b"\x11" * 32, request=request)
    assert err.value.code in ("proof-invalid", "proof-malformed")
    prover.verify(proof, b"\x11" * 32, request=request)


def test_warm_up_starts_the_worker_with_the_key_loaded(make_prover, testing_keys, sample):
    prover = make_prover(testing_keys)
    prover.warm_up("ispc.draft.v2").join(timeout=300)
    pid = prover.worker.pid
    assert pid is not None and prover.worker.restarts == 0
    proof = prover.prove(sample.request())
    prover.verify(proof, b"\x11" * 32, request=sample.request())
    assert prover.worker.pid == pid  # the same warm worker proved


def test_warm_up_decides_nothing(make_prover, tmp_path, sample):
    """Without keys the warm-up starts nothing and raises nothing; the proof reports it."""
    prover = make_prover(tmp_path / "empty")
    prover.warm_up("ispc.draft.v2").join(timeout=60)
    assert prover.worker.pid is None
    with pytest.raises(KeyNotFound) as err:
        prover.prove(sample.request())
    assert err.value.code == "key-not-found"
