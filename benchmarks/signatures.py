"""Signature checking per transaction and its share of a token transfer.

Measured in one run, alternating: ``check_signatures`` of a one-signer transaction (libsodium
through PyNaCl: encode the body, hash it, verify one Ed25519 signature) against one complete
``Coordinator.execute`` of the example token's ``transfer`` (wasmtime, MemoryRepository,
unproven: proving would dwarf both), which includes that same check; and one raw verify
through each Ed25519 binding (``_signing`` uses the fastest with libsodium's rule). Checks and
transfers run on fresh transaction objects decoded before their slice is timed: a
transaction memoises its body and id, which must not carry from one check to the next.

    .venv/bin/python benchmarks/signatures.py
    .venv/bin/python -m benchmarks --only signatures [--quick]

``run`` also reports transfers/s in memory with and without the signature check (the latter is
the execute time minus the check time, slice by slice: ISPC cannot run an unsigned transaction).
"""

from __future__ import annotations

import struct
import time
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import SelfTimed, alternate, figure, rates  # noqa: E402
from benchmarks.repository_transfers import execute_slice, fresh_transactions  # noqa: E402
from ispc_framework._encoding import decode, encode  # noqa: E402
from ispc_framework import Coordinator, MemoryRepository, load_config
from ispc_framework._context import ExecutionRequest
from ispc_framework._coordinator import final_transaction
from ispc_framework._model import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                                  SealedDraft, TxOutput)
from ispc_framework._signing import devnet_key, verify
from ispc_framework._transaction import check_signatures, sign_request

TOKEN = Path(__file__).resolve().parents[1] / "examples/contracts/build/token_c.wasm"
ROUNDS, CHECKS_PER_ROUND, RUNS_PER_ROUND = 15, 200, 20


def setup():
    alice, bob = devnet_key("alice"), devnet_key("bob")
    repository = MemoryRepository()
    coordinator = Coordinator(load_config(search_cwd=False, environ={}), repository=repository)
    writer = repository.writer()
    writer.create_genesis("bench", 1000, [TxOutput(alice.public_key,
                                                   asset=AssetOutput(NativeCoin(), 1))])
    code = TOKEN.read_bytes()
    token = writer.store_resource(code)
    writer.apply(SealedDraft((), (TxOutput(alice.public_key, resource=ResourceOutput(
        token, ResourceCategory.CONTRACT, "application/wasm", len(code), "token")),), ()))

    genesis = repository.view().block_hash(0)

    def sign(request, spends=()):
        return sign_request(request, [alice], chain_id="bench", genesis_hash=genesis,
                            valid_until=2**64 - 1, spends=spends)

    minted = coordinator.execute(sign(ExecutionRequest(token, "mint", struct.pack("<Q", 500))),
                                 prove=False)
    coin = writer.apply(final_transaction(minted)).created[0]
    transfer = sign(ExecutionRequest(token, "transfer", bob.public_key + struct.pack("<Q", 200)
                                     + bytes([1]) + coin.tx_id + struct.pack("<I", coin.index)),
                    [coin])
    return coordinator, transfer, genesis


def _fresh_checks(transfer, genesis, count: int) -> SelfTimed:
    """Seconds per ``check_signatures`` of ``count`` fresh objects of ``transfer`` (decoded from
    its bytes before timing, so no memoised body carries from one check to the next)."""
    data = encode(transfer)
    fresh = [decode(data) for _ in range(count)]
    began = time.perf_counter()
    for transaction in fresh:
        check_signatures(transaction, genesis)
    return SelfTimed((time.perf_counter() - began) / count)


def _bindings(key, message: bytes, signature: bytes) -> dict:
    """One Ed25519 verify through each binding this module compares (``_signing``'s docstring
    has the choice): libsodium's crypto_sign_open (what ``verify`` calls), PyNaCl's VerifyKey,
    and pyca/cryptography's OpenSSL Ed25519 if it is installed (it is not a dependency)."""
    import nacl.signing

    public = key.public_key
    contenders = {"raw": lambda: verify(public, message, signature),
                  "VerifyKey": lambda: nacl.signing.VerifyKey(public).verify(message, signature)}
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return contenders
    contenders["cryptography"] = lambda: Ed25519PublicKey.from_public_bytes(public).verify(
        signature, message)
    return contenders


def run(quick: bool) -> dict:
    """Figures for ``python -m benchmarks`` (see benchmarks/_harness.py)."""
    coordinator, transfer, genesis = setup()
    try:
        coordinator.execute(transfer, prove=False)  # warm: compile, caches
        key, message = devnet_key("alice"), bytes(32)
        signature = key.sign(message)
        checks, runs = (50, 5) if quick else (CHECKS_PER_ROUND, RUNS_PER_ROUND)
        bindings = _bindings(key, message, signature)
        samples = alternate({
            "check": lambda: _fresh_checks(transfer, genesis, checks),
            "execute": lambda: SelfTimed(execute_slice(coordinator,
                                                       fresh_transactions(transfer, runs))),
            **bindings,
        }, 3 if quick else ROUNDS, number={name: checks for name in bindings})
    finally:
        coordinator.close()
    unsigned = [run - check for run, check in zip(samples["execute"], samples["check"])]
    raw = ("one Ed25519 verify: libsodium crypto_sign_open (ours)", samples["raw"])
    figures = [
        figure("signature check per transaction (1 signer, fresh object)", samples["check"],
               "us", scale=1e6, baseline=raw),
        figure("Ed25519 verify through nacl.signing.VerifyKey", samples["VerifyKey"], "us",
               scale=1e6, baseline=raw),
    ]
    if "cryptography" in samples:
        figures.append(figure("Ed25519 verify through cryptography (OpenSSL)",
                              samples["cryptography"], "us", scale=1e6, baseline=raw))
    figures.append(figure("transfers/s in memory, signed (execute, unproven)",
                          rates(samples["execute"]), "transfers/s", better="higher",
                          baseline=("the same without the signature check", rates(unsigned))))
    return {"figures": figures}


def main() -> None:
    from benchmarks.repository_transfers import print_figures

    print_figures(run("--quick" in sys.argv))


if __name__ == "__main__":
    main()
