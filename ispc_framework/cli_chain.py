"""``ispc`` commands that touch the chain or run code: init, deploy, chain, utxo, run, infer,
apply, verify, setup. Executions only read; ``init``, ``deploy`` and ``apply`` are the writers."""

from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from typing import Any

import click

from .cli import _console, _emit_json, _State, cli
from .context import ExecutionRequest
from .encoding import from_json, to_json
from .errors import ValidationError
from .model import (ADDRESS_LEN, TENSOR_DTYPES, AssetOutput, NativeCoin, OnnxExecutionResult,
                    ResourceCategory, ResourceOutput, SealedDraft, Tensor, TxOutput,
                    WasmExecutionResult)

_STRUCT_CODES = {"bool": "?", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H",
                 "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q", "float16": "e",
                 "float32": "f", "float64": "d"}
_CATEGORIES = {"contract": ResourceCategory.CONTRACT, "model": ResourceCategory.AI_MODEL,
               "static": ResourceCategory.STATIC}
_MIME = {"contract": "application/wasm", "model": "application/onnx",
         "static": "application/octet-stream"}


def parse_hex(text: str, field: str, length: int | None = None) -> bytes:
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise ValidationError(field, f"{text!r} is not hex") from None
    if length is not None and len(raw) != length:
        raise ValidationError(field, f"expected {length} bytes ({2 * length} hex digits), "
                              f"got {len(raw)}")
    return raw


def tensors_from_json(data: dict[str, Any]) -> tuple[Tensor, ...]:
    """``{"name": {"dtype": "float32", "shape": [1, 4], "values": [...]}}`` -> canonical tensors
    (values flattened in C order, packed little-endian)."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValidationError("--inputs", 'expected {"name": {"dtype": ..., "shape": [...], '
                              '"values": [...]}, ...}')
    tensors = []
    for name, spec in sorted(data.items()):
        dtype = spec.get("dtype")
        if dtype not in TENSOR_DTYPES:
            raise ValidationError(f"inputs.{name}.dtype",
                                  f"{dtype!r} is not one of {sorted(TENSOR_DTYPES)}")
        values = list(_flatten(spec.get("values", [])))
        try:
            data_bytes = struct.pack(f"<{len(values)}{_STRUCT_CODES[dtype]}", *values)
            shape = tuple(spec.get("shape", [len(values)]))
        except (struct.error, TypeError) as exc:
            raise ValidationError(f"inputs.{name}", str(exc)) from None
        tensors.append(Tensor(name, dtype, shape, data_bytes))
    return tuple(tensors)


def tensor_values(tensor: Tensor) -> list:
    count = len(tensor.data) // TENSOR_DTYPES[tensor.dtype]
    return list(struct.unpack(f"<{count}{_STRUCT_CODES[tensor.dtype]}", tensor.data))


def _flatten(values: Any):
    if isinstance(values, list):
        for item in values:
            yield from _flatten(item)
    else:
        yield values


def _coordinator(state: _State):
    from .coordinator import Coordinator

    return Coordinator(state.config, state.plugins)


# --------------------------------------------------------------------------------- chain


@cli.command("init")
@click.option("--chain-id", default="ispc-devnet", show_default=True)
@click.option("--timestamp", type=int, default=None, help="Genesis time (default: now).")
@click.option("--allocate", multiple=True, metavar="ADDRESS:AMOUNT",
              help="Native coins for ADDRESS (64 hex digits) in the genesis block; repeatable.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def init_cmd(state: _State, chain_id: str, timestamp: int | None, allocate: tuple[str, ...],
             as_json: bool) -> None:
    """Create the genesis block of a devnet repository."""
    outputs = []
    for item in allocate:
        address, sep, amount = item.partition(":")
        if not sep or not amount.isdigit():
            raise ValidationError("--allocate", f"{item!r} must look like ADDRESS:AMOUNT")
        outputs.append(TxOutput(parse_hex(address, "--allocate", ADDRESS_LEN),
                                asset=AssetOutput(NativeCoin(), int(amount))))
    repo = _coordinator(state).repository
    applied = repo.writer().create_genesis(chain_id, int(time.time()) if timestamp is None
                                           else timestamp, outputs)
    block = applied.block
    if as_json:
        _emit_json({"block": to_json(block), "created": [to_json(o) for o in applied.created]})
    else:
        click.echo(f"genesis block {block.block_hash.hex()} (chain {chain_id!r}, "
                   f"{len(outputs)} allocation(s))")


@cli.command("deploy")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(sorted(_CATEGORIES)), default=None,
              help="Resource category (default: from the file extension).")
@click.option("--owner", default="00" * ADDRESS_LEN, help="Owner address (64 hex digits).")
@click.option("--name", default=None, help="Resource name (default: the file name).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def deploy_cmd(state: _State, file: str, kind: str | None, owner: str, name: str | None,
               as_json: bool) -> None:
    """Store a contract, model or file as a resource output; prints its content hash.

    Contracts are compiled against the selected engine and HostABI providers first, and models
    pass the safe loader first, so nothing unusable reaches the chain."""
    path = Path(file)
    content = path.read_bytes()
    kind = kind or {".wasm": "contract", ".onnx": "model"}.get(path.suffix, "static")
    coordinator = _coordinator(state)
    coordinator.repository.view().head()  # no genesis: fail before storing anything
    if kind == "contract":
        coordinator.wasm_engine().compile(content, coordinator.host_functions())
    elif kind == "model":
        coordinator.onnx_engine().prepare(content, coordinator.config.limits)
    writer = coordinator.repository.writer()
    content_hash = writer.store_resource(content)
    resource = ResourceOutput(content_hash, _CATEGORIES[kind], _MIME[kind], len(content),
                              name or path.name)
    applied = writer.apply(SealedDraft((), (TxOutput(parse_hex(owner, "--owner", ADDRESS_LEN),
                                                     resource=resource),), ()))
    if as_json:
        _emit_json({"content_hash": content_hash.hex(), "outpoint": to_json(applied.created[0]),
                    "block": to_json(applied.block)})
    else:
        click.echo(content_hash.hex())


@cli.command("chain")
@click.option("--limit", default=10, show_default=True, help="How many recent blocks.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def chain_cmd(state: _State, limit: int, as_json: bool) -> None:
    """Show the chain head and recent blocks."""
    view = _coordinator(state).repository.view()
    head = view.head()
    blocks = view.blocks(limit)
    if as_json:
        _emit_json({"head": to_json(head), "blocks": [to_json(b) for b in blocks]})
        return
    click.echo(f"chain {head.chain_id!r}  height {head.height}  hash {head.block_hash.hex()}")
    from rich.table import Table

    table = Table()
    for column in ("height", "timestamp", "hash", "outputs"):
        table.add_column(column)
    for block in blocks:
        table.add_row(str(block.height), str(block.timestamp), block.block_hash.hex()[:16] + "…",
                      str(block.output_count))
    _console().print(table)


@cli.command("utxo")
@click.argument("address")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def utxo_cmd(state: _State, address: str, as_json: bool) -> None:
    """List the unspent outputs owned by ADDRESS (64 hex digits)."""
    owner = parse_hex(address, "ADDRESS", ADDRESS_LEN)
    rows = _coordinator(state).repository.view().utxos_of(owner)
    if as_json:
        _emit_json([{"outpoint": to_json(op), "output": to_json(out)} for op, out in rows])
        return
    for outpoint, output in rows:
        what = (f"{output.asset.amount} {type(output.asset.token).__name__}" if output.asset
                else output.kind)
        click.echo(f"{outpoint.tx_id.hex()}:{outpoint.index}  {what}")
    if not rows:
        click.echo("no unspent outputs")


# ----------------------------------------------------------------------------- executions


def _deliver(coordinator: Any, kind: str, result: Any, out: str | None, apply_now: bool,
             as_json: bool) -> Any:
    """What `run` and `infer` do with a result: write --out, apply if asked (verifying first),
    print the JSON form with --json. Returns the applied block, or None."""
    from .coordinator import final_transaction

    payload = {"kind": kind, "result": to_json(result),
               "transaction": to_json(final_transaction(result))}
    if out:
        Path(out).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    applied = coordinator.apply_result(result) if apply_now else None
    if as_json:
        _emit_json({**payload, "applied": to_json(applied.block) if applied else None})
    return applied


@cli.command("run")
@click.argument("contract")
@click.argument("method")
@click.option("--input", "input_hex", default="", help="Call input as hex.")
@click.option("--caller", default="00" * ADDRESS_LEN, help="Caller address (64 hex digits).")
@click.option("--nonce", default=0, type=int, help="Distinguishes identical requests.")
@click.option("--no-prove", is_flag=True, help="Skip proving (the result cannot be applied).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the result as JSON here.")
@click.option("--apply", "apply_now", is_flag=True, help="Apply the proven result (devnet).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def run_cmd(state: _State, contract: str, method: str, input_hex: str, caller: str, nonce: int,
            no_prove: bool, out: str | None, apply_now: bool, as_json: bool) -> None:
    """Run METHOD of the deployed CONTRACT (content hash); nothing is written unless --apply."""
    coordinator = _coordinator(state)
    request = ExecutionRequest(parse_hex(contract, "CONTRACT", 32), method,
                               parse_hex(input_hex, "--input"),
                               parse_hex(caller, "--caller", ADDRESS_LEN), nonce=nonce)
    result = coordinator.execute(request, prove=not no_prove)
    applied = _deliver(coordinator, "wasm", result, out, apply_now, as_json)
    if as_json:
        return
    click.echo(f"status {result.status}  gas {result.gas_used}  engine {result.engine}")
    click.echo(f"return data    {result.return_data.hex() or '(none)'}")
    click.echo(f"draft          {len(result.draft.inputs)} input(s), "
               f"{len(result.draft.outputs)} output(s), {len(result.draft.events)} event(s)")
    click.echo(f"trace root     {result.trace_root.hex()}")
    click.echo(f"result hash    {result.execution_result_hash.hex()}")
    proof = result.state_output.zk_proof
    click.echo(f"proof          {'none' if proof is None else proof.circuit_id + ' verified'}")
    if applied:
        click.echo(f"applied        block {applied.block.height} {applied.block.block_hash.hex()}")


@cli.command("infer")
@click.argument("model")
@click.option("--inputs", "inputs_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help='JSON: {"name": {"dtype": "float32", "shape": [1, 4], "values": [...]}}')
@click.option("--caller", default="00" * ADDRESS_LEN)
@click.option("--no-prove", is_flag=True)
@click.option("--out", type=click.Path(dir_okay=False))
@click.option("--apply", "apply_now", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def infer_cmd(state: _State, model: str, inputs_file: str, caller: str, no_prove: bool,
              out: str | None, apply_now: bool, as_json: bool) -> None:
    """Run the deployed ONNX MODEL (content hash) on the inputs; the result commits to all."""
    coordinator = _coordinator(state)
    try:
        data = json.loads(Path(inputs_file).read_text())
    except json.JSONDecodeError as exc:
        raise ValidationError("--inputs", f"not valid JSON: {exc}") from None
    request = ExecutionRequest(parse_hex(model, "MODEL", 32), "onnx.run", b"",
                               parse_hex(caller, "--caller", ADDRESS_LEN),
                               tensors=tensors_from_json(data))
    result = coordinator.execute_model(request, prove=not no_prove)
    applied = _deliver(coordinator, "onnx", result, out, apply_now, as_json)
    if as_json:
        return
    for tensor in result.outputs:
        values = tensor_values(tensor)
        shown = ", ".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in values[:8])
        click.echo(f"{tensor.name} {tensor.dtype}{list(tensor.shape)}: [{shown}"
                   f"{', …' if len(values) > 8 else ''}]")
    click.echo(f"result hash    {result.execution_result_hash.hex()}")
    if applied:
        click.echo(f"applied        block {applied.block.height}")


def _load_result(path: str) -> Any:
    """The result of an `ispc run/infer --out` file; its "transaction" must be the one the
    result implies (it is there for people to read, never trusted on its own)."""
    from .coordinator import final_transaction

    try:
        payload = json.loads(Path(path).read_text())
        result, transaction = from_json(payload["result"]), from_json(payload["transaction"])
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValidationError("RESULT", f"{path} is not an `ispc run --out` file: {exc}") from None
    if not isinstance(result, (WasmExecutionResult, OnnxExecutionResult)) or \
            not isinstance(transaction, SealedDraft):
        raise ValidationError("RESULT", f"{path} is not an `ispc run --out` file: it holds a "
                              f"{type(result).__name__} and a {type(transaction).__name__}")
    if final_transaction(result) != transaction:
        raise ValidationError("RESULT.transaction", "does not match the result it came with",
                              code="transaction-mismatch")
    return result


@cli.command("verify")
@click.argument("result_file", type=click.Path(exists=True, dir_okay=False))
@click.pass_obj
def verify_cmd(state: _State, result_file: str) -> None:
    """Verify a result file's proof against its result hash, draft, spent outputs and contract."""
    result = _load_result(result_file)
    _coordinator(state).verify_result(result)
    click.echo(f"ok: proof verified ({result.state_output.zk_proof.circuit_id}, result hash "
               f"{result.execution_result_hash.hex()[:16]}…)")


@cli.command("apply")
@click.argument("result_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def apply_cmd(state: _State, result_file: str, as_json: bool) -> None:
    """Verify a result file's proof and apply its transaction as a new block (devnet)."""
    applied = _coordinator(state).apply_result(_load_result(result_file))
    if as_json:
        _emit_json({"block": to_json(applied.block),
                    "created": [to_json(o) for o in applied.created]})
    else:
        click.echo(f"applied block {applied.block.height} {applied.block.block_hash.hex()} "
                   f"({len(applied.created)} output(s))")


@cli.command("setup")
@click.argument("circuit", default="ispc.draft.v1")
@click.pass_obj
def setup_cmd(state: _State, circuit: str) -> None:
    """Make and store the proving and verification keys of CIRCUIT with the selected prover.

    How (a multi-party ceremony or a fast single-party testing setup) is the prover's setting,
    e.g. --set plugin.groth16.setup_mode=testing. Provers never make keys at proof time."""
    from rich.markup import escape

    console = _console()
    started = time.monotonic()

    def progress(step: str, done: int, total: int) -> None:
        where = f"[{done}/{total}] " if total else ""
        console.print(f"{time.monotonic() - started:7.1f}s {where}{escape(step)}")

    vk_hash = _coordinator(state).prover().setup(circuit, progress=progress)
    click.echo(f"keys for {circuit} stored; verification key hash {vk_hash}")


@cli.group("prover")
def prover_group() -> None:
    """The selected prover's keys and artefacts."""


@prover_group.command("export-verifier")
@click.option("--format", "fmt", type=click.Choice(["solidity"]), default="solidity",
              show_default=True)
@click.option("--circuit", default="ispc.draft.v1", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write here instead of stdout.")
@click.pass_obj
def prover_export_verifier(state: _State, fmt: str, circuit: str, output: str | None) -> None:
    """Write an on-chain verifier contract for CIRCUIT's current key.

    Example: ispc --set prover.name=gnark prover export-verifier -o Verifier.sol"""
    prover = _coordinator(state).prover()
    if not hasattr(prover, "export_verifier"):
        raise ValidationError("prover", f"the selected prover ({type(prover).__name__}) cannot "
                              "export verifiers")
    source = prover.export_verifier(circuit, fmt)
    if output:
        Path(output).write_text(source)
        click.echo(f"{fmt} verifier for {circuit} written to {output}", err=True)
    else:
        click.echo(source, nl=False)


@cli.command("demo")
@click.option("--dir", "workdir", type=click.Path(file_okay=False), default=None,
              help="Where the demo chain, keys and traces go (default: a new temporary directory).")
@click.option("--examples", type=click.Path(file_okay=False, exists=True), default="examples",
              show_default=True, help="The repository's examples/ directory (built contracts, models).")
@click.option("--prover", "prover_name", default=None,
              help="Prover plugin to prove with (default: the config's, groth16), e.g. gnark.")
@click.pass_obj
def demo_cmd(state: _State, workdir: str | None, examples: str, prover_name: str | None) -> None:
    """End-to-end demo on the embedded defaults: chain, keys, contract, model, proofs, blocks.

    Example: ispc demo --prover gnark"""
    from .demo import run_demo

    run_demo(Path(workdir) if workdir else None, Path(examples), state.overrides, click.echo,
             prover=prover_name)


@cli.command("conformance")
@click.argument("kind", type=click.Choice(["repository", "wasm-engine"]))
@click.argument("name")
@click.option("--spec-tests", "spec_dir", type=click.Path(file_okay=False, exists=True),
              default=None, help="wasm-engine only: also run the WebAssembly spec test suite's "
              ".wast scripts in DIR (a checkout of github.com/WebAssembly/testsuite).")
@click.option("--file", "spec_files", multiple=True, metavar="NAME",
              help="Run only this .wast script of the suite (repeatable).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), default=None,
              help="Write the spec-test report as JSON to PATH.")
@click.option("--junitxml", "junit_path", type=click.Path(dir_okay=False), default=None,
              help="Write the spec-test report as JUnit XML to PATH.")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=300,
              show_default=True, help="Seconds one script may take before its worker is killed.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Scripts run at a time, each in its own worker process.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Keep the wast2json conversions here (default: a temporary directory).")
@click.pass_obj
def conformance_cmd(state: _State, kind: str, name: str, spec_dir: str | None,
                    spec_files: tuple[str, ...], json_path: str | None, junit_path: str | None,
                    timeout_s: float, jobs: int, cache_dir: str | None) -> None:
    """Run the core's conformance checks against an installed plugin (exit 1 on a failure).

    Repositories get a fresh instance per check, settings of type "path" pointing into a scratch
    directory. ONNX engines use the onnx backend node tests instead (docs/conformance.md).

    \b
    Example:
      ispc conformance wasm-engine wasmtime --spec-tests ../wasm-testsuite --json spec.json
    """
    import itertools
    import tempfile

    from .conformance import repository, wasm_engine

    if spec_dir is None and (spec_files or json_path or junit_path):
        raise ValidationError("--spec-tests", "--file, --json and --junitxml need --spec-tests DIR")
    if spec_dir is not None and kind != "wasm-engine":
        raise ValidationError("--spec-tests", "the spec test suite is for wasm engines only")
    plugin_kind, runtime = ("repository", None) if kind == "repository" else ("engine", "wasm")
    spec = state.plugins.select(plugin_kind, name, runtime)
    settings = state.config.plugin_settings(spec)
    if kind == "wasm-engine":
        report = wasm_engine.run(state.plugins.create(spec, settings))
    else:
        path_keys = [s.name for s in spec.settings if s.type == "path"]
        counter = itertools.count()
        with tempfile.TemporaryDirectory(prefix="ispc-conformance-") as scratch:
            def fresh():
                fresh_settings = dict(settings)
                for key in path_keys:
                    fresh_settings[key] = str(Path(scratch) / f"{key}-{next(counter)}")
                return state.plugins.create(spec, fresh_settings)

            report = repository.run(fresh)
    click.echo(report.render())
    ok = report.ok
    if spec_dir is not None:
        ok = _spec_tests(spec, settings, state, Path(spec_dir), spec_files, json_path,
                         junit_path, timeout_s, jobs, cache_dir) and ok
    if not ok:
        raise SystemExit(1)


def _spec_tests(spec, settings, state: _State, suite: Path, files: tuple[str, ...],
                json_path: str | None, junit_path: str | None, timeout_s: float, jobs: int,
                cache_dir: str | None) -> bool:
    """The spec-test part of ``ispc conformance wasm-engine``: a thin wrapper around
    :func:`ispc_framework.conformance.wasm_spec.run_spec_tests`."""
    from .conformance import wasm_spec

    def progress(result) -> None:
        click.echo(result.render())
        for line in result.failures()[:20]:
            click.echo(f"    {line}")

    click.echo(f"WebAssembly spec tests from {suite} (one worker process per script):")
    report = wasm_spec.run_spec_tests(
        spec.factory, settings, suite, engine_name=spec.name, files=files or None,
        limits=state.config.limits, timeout_s=timeout_s, jobs=jobs,
        cache_dir=Path(cache_dir) if cache_dir else None, progress=progress)
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_json(), indent=1) + "\n")
    if junit_path:
        Path(junit_path).write_bytes(report.to_junit_xml())
    click.echo(report.render_totals())
    return report.ok


@cli.group("hostabi")
def hostabi_group() -> None:
    """The HostABI spec and the artefacts generated from it."""


@hostabi_group.command("generate")
@click.option("--check", is_flag=True, help="Only check the artefacts are in sync (exit 1 if not).")
def hostabi_generate(check: bool) -> None:
    """Regenerate sdk/c/ispc.h, sdk/assemblyscript/ispc.ts, the Python binding table and
    docs/hostabi.md from hostabi_spec/abi_v1.json (run from a source checkout)."""
    from .hostabi.generate import main as generate

    raise SystemExit(generate(["--check"] if check else []))
