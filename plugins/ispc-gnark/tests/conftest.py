"""Shared fixtures of the ispc-gnark tests: the built worker, keys made once per session, drafts."""

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
GOLD = FungibleToken(CONTRACT, b"gold")        # issued by the executing contract: mintable
SILVER = FungibleToken(OTHER_CONTRACT, b"ag")   # issued elsewhere: conserved


@pytest.fixture(scope="session")
def worker_binary() -> Path:
    """The worker for these sources, built once (scripts/bootstrap.sh normally has built it)."""
    from ispc_gnark.build import build

    return build()


@pytest.fixture(scope="session")
def node_modules() -> Path:
    base = Path(os.environ.get("ISPC_NODE_MODULES", REPO / "node_modules"))
    if not (base / ".bin" / "snarkjs").exists() or not (base / ".bin" / "circom2").exists():
        pytest.fail(f"circom2/snarkjs not found in {base}: run `npm ci` in {REPO}")
    return base


def _setup(key_dir: Path, circuit_id: str, mode: str) -> str:
    from ispc_gnark.prover import GnarkProver

    with GnarkProver({"key_dir": str(key_dir), "setup_mode": mode}) as prover:
        return prover.setup(circuit_id)


@pytest.fixture(scope="session")
def testing_keys(tmp_path_factory, worker_binary) -> Path:
    """A key dir with a testing-only (single-party) gnark key for ispc.draft.v2."""
    key_dir = tmp_path_factory.mktemp("gnark-keys-testing")
    _setup(key_dir, "ispc.draft.v2", "testing")
    return key_dir


@pytest.fixture(scope="session")
def small_testing_keys(tmp_path_factory, worker_binary) -> Path:
    key_dir = tmp_path_factory.mktemp("gnark-keys-small")
    _setup(key_dir, "ispc.draft.v2.small", "testing")
    return key_dir


@pytest.fixture
def make_prover(worker_binary):
    """GnarkProver factory; every prover made here is closed after the test."""
    from ispc_gnark.prover import GnarkProver

    made = []

    def make(key_dir, **settings):
        settings.setdefault("allow_testing_keys", True)  # the fixtures' keys are testing-only
        prover = GnarkProver({"key_dir": str(key_dir), **settings})
        made.append(prover)
        return prover

    yield make
    for prover in made:
        prover.close()


def outpoint(n: int) -> OutPoint:
    return OutPoint(bytes([n]) * 32, n)


def asset(owner: int, token, amount: int) -> TxOutput:
    return TxOutput(bytes([owner]) * 32, asset=AssetOutput(token, amount))


def transfer_request(circuit_id: str = "ispc.draft.v2", result: bytes = b"\x11" * 32,
                     **overrides) -> ProofRequest:
    """Spends 1000 coin and 50 silver, pays 600 + 390 coin (10 fee), moves 50 silver, mints 7
    gold, reads one reference input and writes a resource output."""
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


def small_request(result: bytes = b"\x22" * 32, **overrides) -> ProofRequest:
    """Fits ispc.draft.v2.small (2 inputs, 2 outputs): pays 600 coin, mints 3 gold."""
    draft = SealedDraft(inputs=(TxInput(outpoint(4)),),
                        outputs=(asset(7, NativeCoin(), 600), asset(9, GOLD, 3)))
    fields = {"circuit_id": "ispc.draft.v2.small", "execution_result_hash": result,
              "draft": draft, "spent_outputs": (asset(1, NativeCoin(), 700),),
              "contract": CONTRACT}
    fields.update(overrides)
    return ProofRequest(**fields)


@pytest.fixture(scope="session")
def sample():
    class Sample:
        contract, other_contract = CONTRACT, OTHER_CONTRACT
        gold, silver, coin = GOLD, SILVER, NativeCoin()
        request = staticmethod(transfer_request)
        small = staticmethod(small_request)
        outpoint = staticmethod(outpoint)
        asset = staticmethod(asset)
    return Sample
