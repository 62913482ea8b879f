"""``ispc run``, ``infer``, ``verify`` and ``apply``: execute, then check or apply a result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from .._context import ExecutionRequest
from .._encoding import to_json
from ._app import State, emit_json
from ._loaders import (call_input, input_options, load_inputs, load_result, parse_hex, sign,
                       signing_options, tensor_values)
from ._output import tensor_json, timed, timings_json, working


def _deliver(coordinator: Any, kind: str, result: Any, out: str | None, apply_now: bool,
             as_json: bool, timings: dict[str, float]) -> Any:
    """What `run` and `infer` do with a result: write --out, apply if asked (verifying first),
    print the JSON form with --json. Returns the applied block, or None."""
    from .._coordinator import final_transaction

    payload = {"kind": kind, "result": to_json(result),
               "transaction": to_json(final_transaction(result))}
    if out:
        Path(out).write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n")
    with timed() as applying, working("verifying and applying"):
        applied = coordinator.apply_result(result) if apply_now else None
    timings.update({f"apply.{k}" if k != "apply" else k: v for k, v in applying.items()})
    if as_json:
        readable: dict[str, Any] = {"result_hash": result.execution_result_hash.hex(),
                                    "timings": timings_json(timings)}
        if kind == "wasm":
            readable.update(return_data=result.return_data.hex(), status=result.status,
                            gas_used=result.gas_used)
        else:
            readable["outputs"] = [tensor_json(t) for t in result.outputs]
        emit_json({**payload, **readable, "applied": to_json(applied.block) if applied else None})
    return applied


def _show_timings(state: State, timings: dict[str, float]) -> None:
    """Per-phase timings on stderr under -v (they are also logged as each phase ends)."""
    if state.verbose and timings:
        click.echo("timings        " + ", ".join(f"{name} {seconds:.3f} s" for name, seconds
                                                 in timings.items()), err=True)


def _warm_prover(coordinator: Any, circuit_id: str | None = None, proving: bool = True) -> None:
    """Start the prover's worker (and, to prove, its key loading) in the background while this
    command does its own work: a proven run would otherwise wait for them after executing."""
    try:
        prover = coordinator.prover()
        warm = getattr(prover, "warm_up", None)
        if warm is not None:
            warm(circuit_id or coordinator.config.get("prover.circuit"), proving=proving)
    except Exception:  # noqa: BLE001 - the command reports it where it always did
        return


@click.command("run")
@click.argument("contract")
@click.argument("method")
@input_options
@signing_options
@click.option("--nonce", default=0, type=int, help="Distinguishes identical requests.")
@click.option("--no-prove", is_flag=True, help="Skip proving (the result cannot be applied).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the result as JSON here.")
@click.option("--apply", "apply_now", is_flag=True, help="Apply the proven result (devnet).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def run_cmd(state: State, contract: str, method: str, input_hex: str, input_file: str | None,
            as_name, key_file, key_dir, passphrase_env, valid_for: int, spends: tuple[str, ...],
            nonce: int, no_prove: bool, out: str | None, apply_now: bool, as_json: bool) -> None:
    """Run METHOD of the deployed CONTRACT (content hash), signed by --as KEYNAME (the
    contract's caller); nothing is written unless --apply. The contract may spend only those of
    your outputs you name with --spend. With -v, per-phase timings.

    \b
    Example: ispc run TOKEN mint --input 0900000000000000 --as alice --out mint.json
             ispc run TOKEN transfer --input-file transfer.bin --as alice --apply --json"""
    coordinator = state.coordinator
    if not no_prove:
        _warm_prover(coordinator)
    request = ExecutionRequest(parse_hex(contract, "CONTRACT", 32), method,
                               call_input(input_hex, input_file, state.config.limits.max_input_bytes),
                               nonce=nonce)
    transaction = sign(coordinator, request, as_name, key_file, key_dir, passphrase_env,
                       valid_for, spends)
    with timed() as timings, working("executing" if no_prove else "executing and proving"):
        result = coordinator.execute(transaction, prove=not no_prove)
    applied = _deliver(coordinator, "wasm", result, out, apply_now, as_json, timings)
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
    _show_timings(state, timings)


@click.command("infer")
@click.argument("model")
@click.option("--inputs", "inputs_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help='JSON: {"name": {"dtype": "float32", "shape": [1, 4], "values": [...]}}')
@signing_options
@click.option("--nonce", default=0, type=int, help="Distinguishes identical requests.")
@click.option("--no-prove", is_flag=True)
@click.option("--out", type=click.Path(dir_okay=False))
@click.option("--apply", "apply_now", is_flag=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def infer_cmd(state: State, model: str, inputs_file: str, as_name, key_file, key_dir,
              passphrase_env, valid_for: int, spends: tuple[str, ...], nonce: int,
              no_prove: bool, out: str | None, apply_now: bool, as_json: bool) -> None:
    """Run the deployed ONNX MODEL (content hash) on the inputs; the result commits to all.
    Outputs print as values (with --json too: name, dtype, shape, values).

    Example: ispc infer MODEL --inputs x.json --as alice --json"""
    coordinator = state.coordinator
    if not no_prove:
        _warm_prover(coordinator)
    tensors = load_inputs(inputs_file)
    request = ExecutionRequest(parse_hex(model, "MODEL", 32), "onnx.run", b"",
                               tensors=tensors, nonce=nonce)
    transaction = sign(coordinator, request, as_name, key_file, key_dir, passphrase_env,
                       valid_for, spends)
    with timed() as timings, working("running" if no_prove else "running and proving"):
        result = coordinator.execute_model(transaction, prove=not no_prove)
    applied = _deliver(coordinator, "onnx", result, out, apply_now, as_json, timings)
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
    _show_timings(state, timings)


def _result_from(coordinator: Any, result_file: str | None, tx_id: str | None) -> Any:
    from .._encoding import decode
    from .._errors import NotFound, ValidationError

    if (result_file is None) == (tx_id is None):
        raise ValidationError("RESULT", "give a result file or --tx ID (not both)")
    if result_file is not None:
        return load_result(result_file)
    assert tx_id is not None  # exactly one of the two was given
    found = coordinator.repository.view().applied_transaction(parse_hex(tx_id, "--tx", 32))
    if found is None:
        raise NotFound(f"transaction {tx_id} is not on this chain", code="transaction-unknown")
    return decode(found[1])


def _replay_report(coordinator: Any, result: Any, as_json: bool,
                   verified: dict[str, Any] | None = None) -> None:
    with working("re-executing"):
        differences = coordinator.replay(result)
    report = {"matches": not differences, "differences": differences}
    if as_json:
        emit_json(report if verified is None else {**verified, "replay": report})
    elif differences:
        for line in differences:
            click.echo(f"differs: {line}")
    else:
        click.echo("replay matches: return data, draft, trace root and result hash are what the "
                   "signed transaction produces at its pinned block")
    if differences:
        raise SystemExit(1)


@click.command("verify")
@click.argument("result_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--tx", "tx_id", default=None, help="Verify the result of an applied transaction.")
@click.option("--replay", "also_replay", is_flag=True,
              help="Also re-execute it at its pinned block and compare (see `ispc replay`).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def verify_cmd(state: State, result_file: str | None, tx_id: str | None, also_replay: bool,
               as_json: bool) -> None:
    """Verify a result: its commitment, signatures, locks and proof (a result file, or --tx ID
    for one the chain holds). Example: ispc verify mint.json --replay"""
    coordinator = state.coordinator
    # Start the prover's worker before reading the result (the configured circuit: for a
    # verifier the warm-up only starts the worker, whichever circuit the proof names).
    _warm_prover(coordinator, proving=False)
    result = _result_from(coordinator, result_file, tx_id)
    with timed() as timings, working("verifying"):
        coordinator.verify_result(result)
    verified = {"verified": True, "result_hash": result.execution_result_hash.hex(),
                "timings": timings_json(timings)}
    if not as_json:
        click.echo(f"ok: proof verified ({result.state_output.zk_proof.circuit_id}, result hash "
                   f"{result.execution_result_hash.hex()[:16]}…)")
        _show_timings(state, timings)
    if also_replay:
        _replay_report(coordinator, result, as_json, verified)
    elif as_json:
        emit_json(verified)


@click.command("replay")
@click.argument("result_file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--tx", "tx_id", default=None, help="Replay an applied transaction by its id.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def replay_cmd(state: State, result_file: str | None, tx_id: str | None, as_json: bool) -> None:
    """Re-execute a result's signed transaction at its pinned block and print what differs
    (exit 1 if anything does). Example: ispc replay --tx 3f2a…"""
    coordinator = state.coordinator
    _replay_report(coordinator, _result_from(coordinator, result_file, tx_id), as_json)


@click.command("apply")
@click.argument("result_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def apply_cmd(state: State, result_file: str, as_json: bool) -> None:
    """Verify a result file's proof and apply its transaction as a new block (devnet).

    Example: ispc apply mint.json --json"""
    result = load_result(result_file)
    with timed() as timings, working("verifying and applying"):
        applied = state.coordinator.apply_result(result)
    if as_json:
        emit_json({"block": to_json(applied.block), "timings": timings_json(timings),
                    "created": [to_json(o) for o in applied.created]})
    else:
        click.echo(f"applied block {applied.block.height} {applied.block.block_hash.hex()} "
                   f"({len(applied.created)} output(s))")
        _show_timings(state, timings)
