"""``ispc demo``: one end-to-end pass over everything, on the embedded defaults.

It uses only public API (the same calls the CLI commands make), in a scratch directory, so it
doubles as an example of driving ISPC from Python. Each step prints the ``ispc ...`` commands that
do the same by hand (the demo writes its ``ispc.toml`` and its two keys into the scratch directory,
so those commands work there), its timings, and every block it writes with the reason; amounts
carry their unit (native coins, or TOK: units of the token contract).
"""

from __future__ import annotations

import contextlib
import json
import struct
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from ._config import load_config
from ._context import ExecutionRequest
from ._coordinator import Coordinator
from ._errors import ISPCError, NotFound, VerificationFailed
from ._model import (AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                    SealedDraft, Tensor, TxOutput)
from ._repository import genesis_hash_of
from ._signing import devnet_key
from ._timing import collect
from ._transaction import sign_request

__all__ = ["run_demo", "ALICE", "BOB"]

ALICE_KEY = devnet_key("alice")  # the token's hard-coded owner (examples/contracts/c/token.c)
BOB_KEY = devnet_key("bob")
ALICE, BOB = ALICE_KEY.public_key, BOB_KEY.public_key
CHAIN_ID = "ispc-demo"
GENESIS_TIME = 1_700_000_000


@attrs.define
class Step:
    """One numbered step as printed and as ``ispc demo --json`` reports it."""

    title: str
    commands: list[str]
    seconds: float = 0.0
    lines: list[str] = attrs.field(factory=list)
    blocks: list[dict[str, Any]] = attrs.field(factory=list)
    timings: dict[str, float] = attrs.field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "commands": self.commands, "seconds": round(self.seconds, 3),
                "lines": self.lines, "blocks": self.blocks}


#: the demo chain's genesis allocations (signatures are bound to its genesis hash)
ALLOCATIONS = (TxOutput(ALICE, asset=AssetOutput(NativeCoin(), 1000)),)


def _as(key, request: ExecutionRequest, spends=()):
    """``request`` signed by ``key`` for the demo chain, allowing ``spends`` to be spent."""
    return sign_request(request, [key], chain_id=CHAIN_ID,
                        genesis_hash=genesis_hash_of(CHAIN_ID, GENESIS_TIME, ALLOCATIONS),
                        valid_until=2**64 - 1, spends=spends)


def _model_inputs(path: Path, name: str) -> tuple[Tensor, ...]:
    import numpy as np  # the ONNX plugins bring numpy; the core does not need it

    array = np.load(path)
    return (Tensor(name, str(array.dtype), array.shape, array.astype(array.dtype.newbyteorder("<"))
                   .tobytes()),)


def _values(tensor: Tensor) -> list:
    import numpy as np

    data = np.frombuffer(tensor.data, dtype=np.dtype(tensor.dtype).newbyteorder("<"))
    return data.reshape(tensor.shape).tolist()


def _shown(values: Any) -> str:
    """Nested values as text, floats at float32 precision (7 significant digits)."""
    if isinstance(values, list):
        return "[" + ", ".join(_shown(v) for v in values) + "]"
    return f"{values:.7g}" if isinstance(values, float) else str(values)


def _spend(to: bytes, amount: int, outpoint) -> bytes:
    """The token contract's transfer input: recipient, amount, one input outpoint."""
    return to + struct.pack("<Q", amount) + bytes([1]) + outpoint.tx_id + \
        struct.pack("<I", outpoint.index)


def _demo_config(scratch: Path, prover: str) -> Path:
    """Write the demo's ispc.toml (so the printed commands work by hand) and return its path."""
    path = scratch / "ispc.toml"
    path.write_text(
        f'[prover]\nname = "{prover}"\n'
        '[trace]\nsinks = ["jsonl"]\n'
        '[plugin.sqlite]\npath = "chain.db"\n'
        '[plugin.jsonl]\npath = "traces.jsonl"\n'
        f'[plugin.{prover}]\nkey_dir = "keys"\nsetup_mode = "testing"\n'
        "allow_testing_keys = true  # devnet only: single-party testing keys\n")
    return path


class _Demo:
    """The demo's state and one method per step; ``_step`` numbers, times and reports them."""

    def __init__(self, coordinator: Coordinator, scratch: Path, examples: Path,
                 echo: Callable[[str], None]) -> None:
        self.c = coordinator
        self.scratch = scratch
        self.examples = examples
        self.echo = echo
        self.steps: list[Step] = []
        self.token = b""
        self.minted: Any = None

    # ------------------------------------------------------------------ reporting

    @contextlib.contextmanager
    def _step(self, title: str, *commands: str) -> Iterator[Step]:
        step = Step(title, list(commands))
        self.steps.append(step)
        self.echo(f"\n[{len(self.steps)}] {title}")
        for command in commands:
            self.echo(f"    $ {command}")
        started = time.perf_counter()
        with collect() as phases:
            yield step
        step.seconds = time.perf_counter() - started
        step.timings = dict(phases)
        shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in phases.items())
        self.echo(f"    ({step.seconds:.2f} s{': ' + shown if shown else ''})")

    def _say(self, text: str) -> None:
        self.steps[-1].lines.append(text)
        self.echo(f"    {text}")

    def _block(self, applied: Any, why: str) -> None:
        block = applied.block
        self.steps[-1].blocks.append({"height": block.height, "hash": block.block_hash.hex(),
                                      "why": why})
        self._say(f"block {block.height} written: {why}")

    def _deploy(self, path: Path, category: ResourceCategory, mime: str,
                content: bytes | None = None) -> bytes:
        """Store a resource and write the block holding its resource output (owned by alice)."""
        content = path.read_bytes() if content is None else content
        writer = self.c.repository.writer()
        key = writer.store_resource(content)
        applied = writer.apply(SealedDraft((), (TxOutput(ALICE, resource=ResourceOutput(
            key, category, mime, len(content), path.name)),), ()))
        self._block(applied, f"the resource output of {path.name} (every deploy is a block)")
        return key

    def _holdings(self) -> None:
        view = self.c.repository.view()
        for name, owner in (("alice", ALICE), ("bob", BOB)):
            parts = []
            for _, out in view.utxos_of(owner):
                if out.asset is None:
                    continue
                unit = "coins (native)" if isinstance(out.asset.token, NativeCoin) else "TOK"
                parts.append(f"{out.asset.amount} {unit}")
            self._say(f"{name}: {', '.join(sorted(parts)) or 'no assets'}")

    def finish(self, seconds: float) -> dict[str, Any]:
        """Print the summary; return the --json report."""
        from ._encoding import to_json

        head = self.c.repository.view().head()
        blocks = [b for step in self.steps for b in step.blocks]
        self.echo(f"\nchain {head.chain_id!r} at height {head.height}, head "
                  f"{head.block_hash.hex()}: {len(blocks)} blocks written by the steps above, "
                  f"heights {', '.join(str(b['height']) for b in blocks)} (deploys are blocks too)")
        self.echo(f"traces: {self.scratch / 'traces.jsonl'}")
        self.echo("demo finished: every result above was proven and verified before it was "
                  "applied")
        return {"workdir": str(self.scratch), "steps": [s.as_dict() for s in self.steps],
                "head": to_json(head), "seconds": round(seconds, 3)}

    # ------------------------------------------------------------------ steps

    def keys(self, config: Any) -> None:
        name = config.get("prover.name")
        with self._step(f"{name} keys for {config.get('prover.circuit')} (explicit setup; the "
                        "prover never makes keys itself)", "ispc setup"):
            vk_hash = self.c.prover().setup(config.get("prover.circuit"),
                                            progress=lambda text, done, total: self._say(text))
            self._say(f"verification key hash {vk_hash} (testing keys: devnet only)")
        with self._step("accounts: alice and bob (devnet keys; an address is the Ed25519 public "
                        "key)", "ispc keys list"):
            self._say(f"alice {ALICE.hex()}")
            self._say(f"bob   {BOB.hex()}")

    def genesis(self) -> None:
        with self._step("devnet genesis: 1000 native coins for alice",
                        f"ispc init --chain-id {CHAIN_ID} --timestamp {GENESIS_TIME} "
                        "--allocate alice:1000"):
            applied = self.c.repository.writer().create_genesis(CHAIN_ID, GENESIS_TIME,
                                                                ALLOCATIONS)
            self._block(applied, "genesis: alice's 1000 coins (native)")

    def deploy_token(self, wasm: Path) -> None:
        with self._step(f"deploy the token contract ({wasm.name}, C) as a resource output",
                        f"ispc deploy {wasm} --as alice"):
            self.c.wasm_engine().compile(wasm.read_bytes(), self.c.host_functions())
            self.token = self._deploy(wasm, ResourceCategory.CONTRACT, "application/wasm")
            self._say(f"content hash {self.token.hex()} (TOKEN below)")

    def mint(self) -> tuple[Any, Any]:
        """Returns the signed mint request and its (applied) result."""
        mint = _as(ALICE_KEY, ExecutionRequest(self.token, "mint", struct.pack("<Q", 500)))
        with self._step("alice mints 500 TOK (units of the token contract): execute, prove, "
                        "verify, then apply",
                        f"ispc run TOKEN mint --input {struct.pack('<Q', 500).hex()} --as alice "
                        "--out mint.json", "ispc verify mint.json --replay",
                        "ispc apply mint.json"):
            result = self.c.execute(mint)
            again = self.c.execute(mint)
            self._say(f"status {result.status}, gas {result.gas_used}, "
                      f"{len(result.draft.outputs)} output(s), {len(result.draft.events)} event(s)")
            self._say(f"trace root   {result.trace_root.hex()}")
            self._say(f"result hash  {result.execution_result_hash.hex()}")
            proof = result.state_output.zk_proof
            assert proof is not None  # executed with prove=True
            self._say(f"proof        {proof.circuit_id}, {len(proof.proof)} bytes, verified")
            self._say("same request again -> identical result hash: "
                      f"{again.execution_result_hash == result.execution_result_hash}")
            applied = self.c.apply_result(result)
            self.minted = applied.created[0]
            self._block(applied, "the mint's transaction: alice's new 500 TOK output and the "
                                 "run's proven state output")
            self._say(f"replay at its pinned block: {self.c.replay(result) or 'matches'}")
        return mint, result

    def refusals(self, mint: Any) -> None:
        with self._step("a forged signature: bob's request carrying alice's signature is refused",
                        "(no command: `ispc run` always signs with the key it is given)"):
            forged = attrs.evolve(_as(BOB_KEY, ExecutionRequest(self.token, "mint",
                                                                b"\x01" + bytes(7))),
                                  signatures=mint.signatures)
            try:
                self.c.execute(forged)
            except ISPCError as exc:
                self._say(f"refused before running: [{exc.code}]")
        with self._step("theft: bob signs a transfer that spends alice's minted output",
                        f"ispc run TOKEN transfer --input {_spend(BOB, 500, self.minted).hex()} "
                        "--as bob"):
            try:
                self.c.execute(_as(BOB_KEY, ExecutionRequest(self.token, "transfer",
                                                             _spend(BOB, 500, self.minted))))
            except ISPCError as exc:
                self._say(f"refused by the token contract itself: [{exc.code}] (not bob's output)")
            self._thief()

    def _thief(self) -> None:
        thief_wat = self.examples / "contracts" / "wat" / "thief.wat"
        if not thief_wat.is_file():
            return
        import wasmtime  # the default engine's package; only needed to assemble the WAT

        from ._encoding import encode

        thief = self._deploy(thief_wat, ResourceCategory.CONTRACT, "application/wasm",
                             bytes(wasmtime.wat2wasm(thief_wat.read_text())))
        try:
            self.c.execute(_as(BOB_KEY, ExecutionRequest(thief, "steal", encode(self.minted))))
        except ISPCError as exc:
            self._say(f"a contract that ignores ownership ({thief_wat.name}) tries the same: the "
                      f"host refuses the input, status {exc.details.get('status')} "
                      f"(INPUT_NOT_AUTHORIZED) [{exc.code}]; nothing was written")

    def tampering(self, result: Any) -> None:
        with self._step("tampering: the same proof against another result hash must fail",
                        "(no command: `ispc verify` checks a result file's own hash)"):
            forged = bytearray(result.execution_result_hash)
            forged[0] ^= 1
            try:
                self.c.prover().verify(result.state_output.zk_proof, bytes(forged))
                raise VerificationFailed("a tampered public input verified", code="demo-broken")
            except VerificationFailed as exc:
                if exc.code == "demo-broken":
                    raise
                self._say(f"rejected as expected: [{exc.code}]")

    def transfer(self) -> None:
        spend = _spend(BOB, 200, self.minted)
        with self._step("alice transfers 200 TOK to bob, spending the minted output (change back "
                        "to alice)", f"ispc run TOKEN transfer --input {spend.hex()} --as alice "
                        f"--spend {self.minted.tx_id.hex()}:{self.minted.index} --apply",
                        f"ispc balance {BOB.hex()}"):
            # alice's signature allows exactly this output to be spent (spend allowance)
            result = self.c.execute(_as(ALICE_KEY, ExecutionRequest(self.token, "transfer",
                                                                    spend), [self.minted]))
            change = struct.unpack("<Q", result.return_data)[0]
            self._say(f"status {result.status}, change {change} TOK, inputs "
                      f"{len(result.draft.inputs)}, outputs {len(result.draft.outputs)}; proof "
                      "verified")
            self._block(self.c.apply_result(result), "the transfer: 200 TOK to bob, 300 TOK "
                                                     "change to alice")
            self._holdings()
            try:
                self.c.apply_result(result)
            except ISPCError as exc:
                self._say(f"applying the same transfer twice is refused: [{exc.code}] (no block)")

    def model(self, model: Path, engine: str) -> None:
        inputs_file = self.scratch / "iris_inputs.json"
        inputs = _model_inputs(self.examples / "models" / "iris_forest_input.npy", "X")
        inputs_file.write_text(json.dumps({t.name: {"dtype": t.dtype, "shape": list(t.shape),
                                                    "values": _values(t)} for t in inputs}))
        with self._step(f"deploy and run the ONNX model {model.name} ({engine})",
                        f"ispc deploy {model} --as alice",
                        f"ispc infer MODEL --inputs {inputs_file} --as alice --apply"):
            model_hash = self._deploy(model, ResourceCategory.AI_MODEL, "application/onnx")
            result = self.c.execute_model(_as(ALICE_KEY, ExecutionRequest(
                model_hash, "onnx.run", b"", tensors=inputs)))
            for tensor in result.outputs:
                self._say(f"output {tensor.name} {tensor.dtype}{list(tensor.shape)} = "
                          f"{_shown(_values(tensor))}")
            self._say(f"result hash {result.execution_result_hash.hex()} (commits to model, "
                      "inputs, outputs); proof verified")
            self._block(self.c.apply_result(result), "the inference's proven state output")


def _prepare(workdir: Path | None, overrides: tuple[str, ...], prover: str | None
             ) -> tuple[Path, Path, Any]:
    """The scratch directory with the demo's ispc.toml and the alice and bob key files, and the
    loaded config (that file and --set only: no ./ispc.toml, no ISPC_* variables)."""
    scratch = Path(tempfile.mkdtemp(prefix="ispc-demo-")) if workdir is None else workdir
    scratch.mkdir(parents=True, exist_ok=True)
    parsed = {k.strip(): v.strip() for k, _, v in (item.partition("=") for item in overrides)}
    config_path = _demo_config(scratch, prover or parsed.get("prover.name") or "groth16")
    config = load_config(config_path, overrides=parsed, environ={})
    from ._keys import KeyStore

    accounts = KeyStore(scratch / "accounts")
    for name, key in (("alice", ALICE_KEY), ("bob", BOB_KEY)):
        if not accounts.path(name).is_file():
            accounts.save(name, key)
    return scratch, config_path, config


def run_demo(workdir: Path | None, examples: Path, overrides: tuple[str, ...],
             echo: Callable[[str], None], prover: str | None = None) -> dict[str, Any]:
    """Run the demo, printing through ``echo``; returns what ``ispc demo --json`` prints."""
    token_wasm = examples / "contracts" / "build" / "token_c.wasm"
    model = examples / "models" / "iris_forest.onnx"
    if not token_wasm.is_file():
        raise NotFound(f"{token_wasm} is missing", code="demo-examples-missing",
                       hint="run from the repository root after scripts/bootstrap.sh, or pass "
                            "--examples PATH")
    scratch, config_path, config = _prepare(workdir, overrides, prover)
    coordinator = Coordinator(config)
    demo = _Demo(coordinator, scratch, examples, echo)
    started = time.perf_counter()
    try:
        echo(f"ISPC demo in {scratch}  (engine {config.get('engine.wasm.name')}, repository "
             f"{config.get('repository.name')}, prover {config.get('prover.name')})")
        echo(f"by hand: export ISPC_CONFIG={config_path} ISPC_KEY_DIR={scratch / 'accounts'}; "
             "TOKEN and MODEL are the content hashes printed below")
        demo.keys(config)
        demo.genesis()
        demo.deploy_token(token_wasm)
        mint, minted = demo.mint()
        demo.refusals(mint)
        demo.tampering(minted)
        demo.transfer()
        if model.is_file():
            demo.model(model, config.get("engine.onnx.name"))
        return demo.finish(time.perf_counter() - started)
    finally:
        coordinator.close()
