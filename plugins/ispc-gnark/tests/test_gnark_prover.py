"""GnarkProver end to end: prove, verify, and every way a proof, a public input or a key can be
wrong, with the same trust rules and error codes as ispc-groth16."""

from __future__ import annotations

import json
import shutil

import attrs
import pytest

from ispc_framework.plugins import KeyNotFound, ProofError, VerificationFailed, WitnessError
from ispc_framework.plugins import sha256_file

BN254_FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617


@pytest.fixture(scope="module")
def proved(testing_keys, worker_binary, sample):
    from ispc_gnark.prover import GnarkProver

    prover = GnarkProver({"key_dir": str(testing_keys), "allow_testing_keys": True})
    request = sample.request()
    proof = prover.prove(request)
    yield prover, request, proof
    prover.close()


def test_round_trip(proved):
    prover, request, proof = proved
    assert len(proof.proof) == 256 and len(proof.public_inputs) == 4
    assert proof.circuit_id == "ispc.draft.v2" and proof.constraint_count == 2242
    prover.verify(proof, request.execution_result_hash)
    prover.verify(proof, request.execution_result_hash, request=request)
    info = prover.info()
    assert info["backend"] == "gnark" and info["backend_version"] == "v0.16.0"
    assert info["keys"]["ispc.draft.v2"]["testing_only"] is True


@pytest.mark.parametrize("word", range(8))
def test_every_tampered_proof_coordinate_is_rejected(proved, word):
    prover, request, proof = proved
    blob = bytearray(proof.proof)
    blob[32 * word + 31] ^= 1
    with pytest.raises(VerificationFailed) as info:
        prover.verify(attrs.evolve(proof, proof=bytes(blob)), request.execution_result_hash)
    assert info.value.code in ("proof-malformed", "proof-invalid")


def test_a_valid_point_swap_is_rejected_by_the_pairing(proved):
    prover, request, proof = proved
    blob = proof.proof
    swapped = blob[192:256] + blob[64:192] + blob[0:64]  # A and C exchanged: both on the curve
    with pytest.raises(VerificationFailed) as info:
        prover.verify(attrs.evolve(proof, proof=swapped), request.execution_result_hash)
    assert info.value.code == "proof-invalid"


@pytest.mark.parametrize("index", range(4))
def test_every_tampered_public_input_is_rejected(proved, index):
    prover, request, proof = proved
    public = list(proof.public_inputs)
    public[index] = (public[index] + 1) % BN254_FR
    tampered = attrs.evolve(proof, public_inputs=tuple(public))
    result_hash = request.execution_result_hash
    if index in (1, 2):  # the limbs are checked against the state output first
        result_hash = (int.from_bytes(result_hash, "big") + (1 << 128 if index == 1 else 1)
                       ).to_bytes(32, "big")
    with pytest.raises(VerificationFailed) as info:
        prover.verify(tampered, result_hash)
    assert info.value.code == "proof-invalid"  # the pairing check itself fails
    with pytest.raises(VerificationFailed):
        prover.verify(tampered, request.execution_result_hash, request=request)


def test_a_proof_never_verifies_for_another_draft_or_result(proved, sample):
    prover, request, proof = proved
    with pytest.raises(VerificationFailed) as info:
        prover.verify(proof, b"\x12" * 32)
    assert info.value.code == "proof-public-mismatch"
    other = sample.request(draft=attrs.evolve(request.draft, outputs=request.draft.outputs[:-1]))
    with pytest.raises(VerificationFailed) as info:
        prover.verify(proof, request.execution_result_hash, request=other)
    assert info.value.code == "proof-draft-mismatch"
    with pytest.raises(VerificationFailed) as info:
        prover.verify(proof, request.execution_result_hash,
                      request=sample.request(contract=sample.other_contract))
    assert info.value.code in ("proof-contract-mismatch", "proof-draft-rules")


def test_drafts_that_break_the_rules_are_refused(make_prover, testing_keys, sample):
    prover = make_prover(testing_keys)
    request = sample.request()
    minted_silver = attrs.evolve(request.draft, outputs=(
        *request.draft.outputs, sample.asset(9, sample.silver, 1)))
    with pytest.raises(WitnessError) as info:
        prover.prove(sample.request(draft=minted_silver))
    assert info.value.code == "witness-conservation"


def test_the_worker_itself_refuses_an_unsatisfiable_witness(make_prover, testing_keys, sample):
    """Bypass the plugin's rule check: the circuit's constraints must hold on their own."""
    from ispc_framework.plugins import circuit_inputs

    prover = make_prover(testing_keys)
    record = prover.keys.current("ispc.draft.v2")
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs["out_amount"][0] += 10**6  # more coin out than in, not mintable
    with pytest.raises(WitnessError) as info:
        prover.worker.request("prove", {
            "key_dir": str(testing_keys), "circuit_id": "ispc.draft.v2",
            "vk_hash": record.vk_hash,
            "input": {k: [str(x) for x in v] if isinstance(v, list) else str(v)
                      for k, v in inputs.items()}})
    assert info.value.code == "witness-unsatisfied"
    inputs["out_amount"][0] = 2**64  # out of range even for a mintable token
    with pytest.raises(WitnessError):
        prover.worker.request("prove", {
            "key_dir": str(testing_keys), "circuit_id": "ispc.draft.v2",
            "vk_hash": record.vk_hash,
            "input": {k: [str(x) for x in v] if isinstance(v, list) else str(v)
                      for k, v in inputs.items()}})


@pytest.mark.parametrize("signal, slot, value, code", [
    ("out_token", 0, 2, "witness-input"),     # output 0 can only name token 1 (or none)
    ("in_token", 0, 9, "witness-input"),      # no token 9 with eight outputs
    ("mint", 0, 2, "witness-input"),          # not a bit
    ("mint", 2, 0, "witness-unsatisfied"),    # the 7 gold minted "by someone else"
    ("in_amount", 0, 2**64, "witness-unsatisfied"),
])
def test_the_worker_refuses_a_v2_witness_outside_the_packing(make_prover, testing_keys, sample,
                                                              signal, slot, value, code):
    """What keeps the packing injective (indices in range, bits, u64 amounts) and the mint
    exception honest holds in the worker itself, not only in the plugin's pre-checks."""
    from ispc_framework.plugins import circuit_inputs

    prover = make_prover(testing_keys)
    record = prover.keys.current("ispc.draft.v2")
    inputs = circuit_inputs(sample.request(), 8, 8)
    inputs[signal][slot] = value
    with pytest.raises(WitnessError) as info:
        prover.worker.request("prove", {
            "key_dir": str(testing_keys), "circuit_id": "ispc.draft.v2",
            "vk_hash": record.vk_hash,
            "input": {k: [str(x) for x in v] if isinstance(v, list) else str(v)
                      for k, v in inputs.items()}})
    assert info.value.code == code


def test_testing_keys_are_refused_unless_allowed(make_prover, testing_keys, proved, sample):
    _, request, proof = proved
    strict = make_prover(testing_keys, allow_testing_keys=False)
    with pytest.raises(KeyNotFound) as info:
        strict.prove(request)
    assert info.value.code == "key-testing-only"
    with pytest.raises(VerificationFailed) as info:
        strict.verify(proof, request.execution_result_hash)
    assert info.value.code == "key-testing-only"


def test_a_key_not_trusted_is_refused_even_if_it_is_in_key_dir(make_prover, tmp_path, proved,
                                                               testing_keys):
    """Another setup's key (an attacker's) sits in key_dir, but CURRENT names ours."""
    _, request, proof = proved
    key_dir = tmp_path / "keys"
    shutil.copytree(testing_keys, key_dir)
    other = make_prover(key_dir)
    own_hash = other.keys.current_hash("ispc.draft.v2")
    foreign = other.setup("ispc.draft.v2", mode="testing")  # now CURRENT is the new key
    assert foreign != own_hash
    with pytest.raises(VerificationFailed) as info:
        other.verify(proof, request.execution_result_hash)
    assert info.value.code == "proof-key-untrusted"
    trusting = make_prover(key_dir, trusted_vk_hashes=[own_hash])
    trusting.verify(proof, request.execution_result_hash)
    # A proof under the new key, carrying the old key's hash, fails the pairing.
    fresh = other.prove(request)
    with pytest.raises(VerificationFailed) as info:
        trusting.verify(attrs.evolve(fresh, verification_key_hash=bytes.fromhex(own_hash)),
                        request.execution_result_hash)
    assert info.value.code == "proof-invalid"


def _key_dir_copy(testing_keys, tmp_path):
    key_dir = tmp_path / "keys"
    shutil.copytree(testing_keys, key_dir)
    cid = key_dir / "ispc.draft.v2"
    return key_dir, cid / (cid / "CURRENT").read_text().strip()


def test_a_key_for_another_constraint_system_is_refused(make_prover, tmp_path, testing_keys):
    key_dir, path = _key_dir_copy(testing_keys, tmp_path)
    meta = json.loads((path / "meta.json").read_text())
    meta["ccs_sha256"] = "00" * 32
    (path / "meta.json").write_text(json.dumps(meta))
    prover = make_prover(key_dir)
    with pytest.raises(KeyNotFound) as info:
        prover.keys.current("ispc.draft.v2")
    assert info.value.code == "key-circuit-mismatch"


@pytest.mark.parametrize("name", ["proving_key.bin", "verifying_key.bin", "verification_key.json"])
def test_a_modified_key_file_is_refused_by_plugin_and_worker(make_prover, tmp_path, testing_keys,
                                                             sample, name):
    key_dir, path = _key_dir_copy(testing_keys, tmp_path)
    blob = bytearray((path / name).read_bytes())
    blob[len(blob) // 2] ^= 1
    (path / name).write_bytes(bytes(blob))
    prover = make_prover(key_dir)
    with pytest.raises(KeyNotFound) as info:
        prover.prove(sample.request())
    assert info.value.code == "key-corrupt"
    # With meta.json rewritten to match (an attacker who can write key_dir), the worker's own
    # check of the binary key against the directory's hash still refuses a changed key.
    meta = json.loads((path / "meta.json").read_text())
    meta["files"][name] = sha256_file(path / name)
    (path / "meta.json").write_text(json.dumps(meta))
    if name == "proving_key.bin":
        # A changed proving key cannot make a false statement verify; it only yields proofs
        # that fail (the self-check) or a worker error: never a proof.
        with pytest.raises(ProofError):
            prover.prove(sample.request())
        return
    with pytest.raises(KeyNotFound) as info:
        prover.worker.request("prove", {"key_dir": str(key_dir), "circuit_id": "ispc.draft.v2",
                                        "vk_hash": path.name, "input": {}})
    assert info.value.code == "key-corrupt"


def test_the_groth16_key_layout_is_not_a_gnark_key(make_prover, tmp_path, testing_keys):
    key_dir, path = _key_dir_copy(testing_keys, tmp_path)
    meta = json.loads((path / "meta.json").read_text())
    meta["backend"] = "groth16py"
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(KeyNotFound) as info:
        make_prover(key_dir).keys.current("ispc.draft.v2")
    assert info.value.code == "key-circuit-mismatch"


def test_no_keys_is_key_not_found(make_prover, tmp_path, sample):
    prover = make_prover(tmp_path / "none")
    with pytest.raises(KeyNotFound) as info:
        prover.prove(sample.request())
    assert info.value.code == "key-not-found"
