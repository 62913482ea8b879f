"""``ispc demo``: one end-to-end pass over everything, on the embedded defaults.

It uses only public API (the same calls the CLI commands make), in a scratch directory, so it
doubles as an example of driving ISPC from Python.
"""

from __future__ import annotations

import struct
import tempfile
from collections.abc import Callable
from pathlib import Path

import attrs

from ._config import load_config
from ._context import ExecutionRequest
from ._coordinator import Coordinator
from ._errors import ISPCError, NotFound, VerificationFailed
from ._model import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                    SealedDraft, Tensor, TxOutput)
from ._repository import content_hash
from ._signing import devnet_key
from ._transaction import sign_request

__all__ = ["run_demo", "ALICE", "BOB"]

ALICE_KEY = devnet_key("alice")  # the token's hard-coded owner (examples/contracts/c/token.c)
BOB_KEY = devnet_key("bob")
ALICE, BOB = ALICE_KEY.public_key, BOB_KEY.public_key


def _as(key, request: ExecutionRequest):
    """``request`` signed by ``key`` for the demo chain."""
    return sign_request(request, [key], chain_id="ispc-demo", valid_until=2**64 - 1)


def _deploy(coordinator: Coordinator, path: Path, category: ResourceCategory, mime: str,
            content: bytes | None = None) -> bytes:
    content = path.read_bytes() if content is None else content
    writer = coordinator.repository.writer()
    key = writer.store_resource(content)
    writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
        key, category, mime, len(content), path.name)),), ()))
    return key


def _model_inputs(path: Path, name: str) -> tuple[Tensor, ...]:
    import numpy as np  # the ONNX plugins bring numpy; the core does not need it

    array = np.load(path)
    return (Tensor(name, str(array.dtype), array.shape, array.astype(array.dtype.newbyteorder("<"))
                   .tobytes()),)


def run_demo(workdir: Path | None, examples: Path, overrides: tuple[str, ...],
             echo: Callable[[str], None], prover: str | None = None) -> None:
    token_wasm = examples / "contracts" / "build" / "token_c.wasm"
    model = examples / "models" / "iris_forest.onnx"
    if not token_wasm.is_file():
        raise NotFound(f"{token_wasm} is missing", code="demo-examples-missing",
                       hint="run from the repository root after scripts/bootstrap.sh, or pass "
                            "--examples PATH")
    scratch = Path(tempfile.mkdtemp(prefix="ispc-demo-")) if workdir is None else workdir
    scratch.mkdir(parents=True, exist_ok=True)
    chosen = dict(item.partition("=")[::2] for item in overrides).get("prover.name", "").strip()
    name = prover or chosen or "groth16"
    settings = {"plugin.sqlite.path": str(scratch / "chain.db"),
                "prover.name": name,
                f"plugin.{name}.key_dir": str(scratch / "keys"),
                f"plugin.{name}.setup_mode": "testing",
                f"plugin.{name}.allow_testing_keys": "true",
                "trace.sinks": '["jsonl"]', "plugin.jsonl.path": str(scratch / "traces.jsonl")}
    for item in overrides:
        key, _, value = item.partition("=")
        settings[key.strip()] = value.strip()
    # The embedded defaults only: no ./ispc.toml, no ISPC_* variables, just --set overrides.
    config = load_config(overrides=settings, environ={}, search_cwd=False)
    coordinator = Coordinator(config)
    step = iter(range(1, 100))

    def say(text: str) -> None:
        echo(f"\n[{next(step)}] {text}")

    try:
        echo(f"ISPC demo in {scratch}  (engine {config.get('engine.wasm.name')}, "
             f"repository {config.get('repository.name')}, prover {config.get('prover.name')})")

        say("Groth16 keys for ispc.draft.v1 (explicit setup; the prover never makes keys itself)")
        vk_hash = coordinator.prover().setup(
            config.get("prover.circuit"), progress=lambda text, done, total: echo(f"    {text}"))
        echo(f"    verification key hash {vk_hash}")

        say("keys: alice and bob (devnet keys; an address is the Ed25519 public key)")
        echo(f"    alice {ALICE.hex()}\n    bob   {BOB.hex()}")

        say("devnet genesis: 1000 native coins for alice")
        writer = coordinator.repository.writer()
        writer.create_genesis("ispc-demo", 1_700_000_000,
                              [TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 1000))])

        say(f"deploy the token contract ({token_wasm.name}, C) as a resource output")
        coordinator.wasm_engine().compile(token_wasm.read_bytes(), coordinator.host_functions())
        token = _deploy(coordinator, token_wasm, ResourceCategory.CONTRACT, "application/wasm")
        echo(f"    content hash {token.hex()}")

        say("alice mints 500 TOK: execute, prove, verify (nothing is written yet)")
        mint = _as(ALICE_KEY, ExecutionRequest(token, "mint", struct.pack("<Q", 500)))
        result = coordinator.execute(mint)
        again = coordinator.execute(mint)
        echo(f"    status {result.status}, gas {result.gas_used}, "
             f"{len(result.draft.outputs)} output(s), {len(result.draft.events)} event(s)")
        echo(f"    trace root   {result.trace_root.hex()}")
        echo(f"    result hash  {result.execution_result_hash.hex()}")
        echo(f"    proof        {result.state_output.zk_proof.circuit_id}, "
             f"{len(result.state_output.zk_proof.proof)} bytes, verified")
        echo(f"    same request again -> identical result hash: "
             f"{again.execution_result_hash == result.execution_result_hash}")
        applied = coordinator.apply_result(result)
        minted = applied.created[0]
        echo(f"    applied as block {applied.block.height}")
        echo(f"    replay at its pinned block: {coordinator.replay(result) or 'matches'}")

        say("a forged signature: bob's request carrying alice's signature is refused")
        forged_tx = attrs.evolve(_as(BOB_KEY, ExecutionRequest(token, "mint", b"\x01" + bytes(7))),
                                 signatures=mint.signatures)
        try:
            coordinator.execute(forged_tx)
        except ISPCError as exc:
            echo(f"    refused before running: [{exc.code}]")

        say("theft: bob signs a transfer that spends alice's minted output")
        theft = BOB + struct.pack("<Q", 500) + bytes([1]) + minted.tx_id + \
            struct.pack("<I", minted.index)
        try:
            coordinator.execute(_as(BOB_KEY, ExecutionRequest(token, "transfer", theft)))
        except ISPCError as exc:
            echo(f"    refused by the token contract itself: [{exc.code}] (not bob's output)")
        thief_wat = examples / "contracts" / "wat" / "thief.wat"
        if thief_wat.is_file():
            import wasmtime  # the default engine's package; only needed to assemble the WAT

            code = wasmtime.wat2wasm(thief_wat.read_text())
            thief = _deploy(coordinator, thief_wat, ResourceCategory.CONTRACT, "application/wasm",
                            code)
            from ._encoding import encode

            try:
                coordinator.execute(_as(BOB_KEY, ExecutionRequest(thief, "steal",
                                                                  encode(minted))))
            except ISPCError as exc:
                echo(f"    a contract that ignores ownership ({thief_wat.name}) tries the same: "
                     f"the host refuses the input, status {exc.details.get('status')} "
                     f"(INPUT_NOT_AUTHORIZED) [{exc.code}]; nothing was written")

        say("tampering: the same proof against another result hash must fail")
        forged = bytearray(result.execution_result_hash)
        forged[0] ^= 1
        try:
            coordinator.prover().verify(result.state_output.zk_proof, bytes(forged))
            raise VerificationFailed("a tampered public input verified", code="demo-broken")
        except VerificationFailed as exc:
            if exc.code == "demo-broken":
                raise
            echo(f"    rejected as expected: [{exc.code}]")

        say("alice transfers 200 TOK to bob, spending the minted output (change back to alice)")
        transfer_input = BOB + struct.pack("<Q", 200) + bytes([1]) + minted.tx_id + \
            struct.pack("<I", minted.index)
        result = coordinator.execute(_as(ALICE_KEY, ExecutionRequest(token, "transfer",
                                                                      transfer_input)))
        change = struct.unpack("<Q", result.return_data)[0]
        echo(f"    status {result.status}, change {change}, inputs {len(result.draft.inputs)}, "
             f"outputs {len(result.draft.outputs)}; proof verified")
        applied = coordinator.apply_result(result)
        echo(f"    applied as block {applied.block.height}")
        view = coordinator.repository.view()
        for name, owner in (("alice", ALICE), ("bob", BOB)):
            holdings = [out.asset.amount for _, out in view.utxos_of(owner) if out.asset]
            echo(f"    {name}: asset outputs {sorted(holdings)}")
        try:
            coordinator.apply_result(result)
        except ISPCError as exc:
            echo(f"    applying the same transfer twice is refused: [{exc.code}]")

        if model.is_file():
            say(f"deploy and run the ONNX model {model.name} ({config.get('engine.onnx.name')})")
            model_hash = _deploy(coordinator, model, ResourceCategory.AI_MODEL, "application/onnx")
            inputs = _model_inputs(examples / "models" / "iris_forest_input.npy", "X")
            result = coordinator.execute_model(_as(ALICE_KEY, ExecutionRequest(
                model_hash, "onnx.run", b"", tensors=inputs)))
            for tensor in result.outputs:
                echo(f"    output {tensor.name} {tensor.dtype}{list(tensor.shape)}")
            echo(f"    result hash {result.execution_result_hash.hex()} (commits to model, inputs, "
                 f"outputs); proof verified")
            applied = coordinator.apply_result(result)
            echo(f"    applied as block {applied.block.height}")

        head = coordinator.repository.view().head()
        echo(f"\nchain {head.chain_id!r} at height {head.height}, head {head.block_hash.hex()}")
        echo(f"traces: {scratch / 'traces.jsonl'}; content hash of the token: "
             f"{content_hash(token_wasm.read_bytes()).hex()[:16]}…")
        echo("demo finished: every result above was proven and verified before it was applied")
    finally:
        coordinator.close()

