"""Shared fixtures of the ispc-groth16 tests: keys made once per session, sample drafts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ispc_framework.plugins import (AssetOutput, FungibleToken, NativeCoin, OutPoint, ResourceOutput,
                                  SealedDraft, TxInput, TxOutput)
from ispc_framework.plugins import ProofRequest

REPO = Path(__file__).resolve().parents[3]
CONTRACT = bytes(range(32))
OTHER_CONTRACT = b"\xee" * 32


def _node_modules() -> Path:
    base = Path(os.environ.get("ISPC_NODE_MODULES", REPO / "node_modules"))
    if not (base / ".bin" / "snarkjs").exists() or not (base / ".bin" / "circom2").exists():
        pytest.fail(f"circom2/snarkjs not found in {base}: run `npm ci` in {REPO}")
    return base


@pytest.fixture(scope="session")
def node_modules() -> Path:
    return _node_modules()


@pytest.fixture(scope="session")
def snarkjs(node_modules) -> str:
    return str(node_modules / ".bin" / "snarkjs")


@pytest.fixture(scope="session")
def testing_keys(tmp_path_factory, node_modules) -> Path:
    """A key dir with a testing-only (groth16py single-party) key for ispc.draft.v2."""
    from ispc_groth16.setup import run_setup

    key_dir = tmp_path_factory.mktemp("keys-testing")
    run_setup("ispc.draft.v2", key_dir, "testing", node_modules=str(node_modules))
    return key_dir


@pytest.fixture(scope="session")
def ceremony_keys(tmp_path_factory, node_modules) -> Path:
    """A key dir with a snarkjs ceremony key for ispc.draft.v2.small (a 2^11 powers-of-tau file;
    the circuit needs 2^10).

    The phase-1 file is cached in $ISPC_TEST_CACHE (default ~/.cache/ispc-groth16-tests) so
    only the first run pays for it (~1 minute on 2 cores); phase 2 is made fresh every run.
    """
    from ispc_groth16.ceremony import _local_ptau
    from ispc_groth16.setup import run_setup

    cache = Path(os.environ.get("ISPC_TEST_CACHE",
                                Path.home() / ".cache" / "ispc-groth16-tests"))
    ptau = _local_ptau(11, cache, 1, lambda step, message: None, str(node_modules))
    key_dir = tmp_path_factory.mktemp("keys-ceremony")
    # zkey verify is skipped here only to keep the suite short; `ispc setup` runs it.
    run_setup("ispc.draft.v2.small", key_dir, "ceremony", ptau=str(ptau),
              node_modules=str(node_modules), verify_zkey=False)
    return key_dir


@pytest.fixture
def make_prover(node_modules):
    """Groth16Prover factory; every prover made here is closed after the test."""
    from ispc_groth16.prover import Groth16Prover

    made = []

    def make(key_dir, **settings):
        settings.setdefault("allow_testing_keys", True)  # the fixtures' keys are testing-only
        prover = Groth16Prover({"key_dir": str(key_dir), "node_modules": str(node_modules),
                                **settings})
        made.append(prover)
        return prover

    yield make
    for prover in made:
        prover.close()


def outpoint(n: int) -> OutPoint:
    return OutPoint(bytes([n]) * 32, n)


def asset(owner: int, token, amount: int) -> TxOutput:
    return TxOutput(bytes([owner]) * 32, asset=AssetOutput(token, amount))


GOLD = FungibleToken(CONTRACT, b"gold")        # issued by the executing contract: mintable
SILVER = FungibleToken(OTHER_CONTRACT, b"ag")   # issued elsewhere: conserved


def transfer_request(circuit_id: str = "ispc.draft.v2", result: bytes = b"\x11" * 32,
                     **overrides) -> ProofRequest:
    """A real draft: spends 1000 coin and 50 silver, pays 600 + 390 coin (10 fee), moves 50 silver,
    mints 7 gold, reads one reference input and writes a resource output."""
    resource = TxOutput(b"\x05" * 32, resource=ResourceOutput(b"\x06" * 32, 3, "text/plain", 5,
                                                              "note"))
    draft = SealedDraft(
        inputs=(TxInput(outpoint(1)), TxInput(outpoint(2), reference_only=True),
                TxInput(outpoint(3))),
        outputs=(asset(7, NativeCoin(), 600), asset(8, NativeCoin(), 390), asset(8, SILVER, 50),
                 asset(9, GOLD, 7), resource))
    spent = (asset(1, NativeCoin(), 1000), asset(1, SILVER, 50))
    fields = {"circuit_id": circuit_id, "execution_result_hash": result, "draft": draft,
              "spent_outputs": spent, "contract": CONTRACT}
    fields.update(overrides)
    return ProofRequest(**fields)


@pytest.fixture(scope="session")
def sample():
    """Builders for sample drafts (see transfer_request)."""
    class Sample:
        contract = CONTRACT
        other_contract = OTHER_CONTRACT
        gold, silver, coin = GOLD, SILVER, NativeCoin()
        request = staticmethod(transfer_request)
        small = staticmethod(small_request)
        outpoint = staticmethod(outpoint)
        asset = staticmethod(asset)
    return Sample


def small_request(result: bytes = b"\x22" * 32, **overrides) -> ProofRequest:
    """A draft that fits ispc.draft.v2.small (2 inputs, 2 outputs): pays 600 coin, mints 3 gold."""
    draft = SealedDraft(inputs=(TxInput(outpoint(4)),),
                        outputs=(asset(7, NativeCoin(), 600), asset(9, GOLD, 3)))
    fields = {"circuit_id": "ispc.draft.v2.small", "execution_result_hash": result,
              "draft": draft, "spent_outputs": (asset(1, NativeCoin(), 700),),
              "contract": CONTRACT}
    fields.update(overrides)
    return ProofRequest(**fields)
