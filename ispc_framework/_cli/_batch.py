"""``ispc batch``: run many contract calls from a file, on several worker processes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .._context import ExecutionRequest
from .._encoding import to_json
from .._errors import ValidationError
from ._app import State, emit_json
from ._loaders import parse_hex, sign, signing_options


def _requests(path: str) -> list[ExecutionRequest]:
    """One JSON object per line: {"contract": HEX, "method": NAME, "input": HEX, "nonce": N}."""
    requests = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationError(where, f"not JSON: {exc.msg}") from None
        if not isinstance(item, dict) or not {"contract", "method"} <= set(item) \
                or not set(item) <= {"contract", "method", "input", "nonce"}:
            raise ValidationError(where, 'expected {"contract": HEX, "method": NAME, '
                                  '"input": HEX, "nonce": N} (input and nonce optional)')
        nonce = item.get("nonce", 0)
        if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce < 2**64:
            raise ValidationError(f"{where}.nonce", f"expected an integer in [0, 2^64), got "
                                  f"{nonce!r}")
        if not isinstance(item["method"], str) or not isinstance(item.get("input", ""), str) \
                or not isinstance(item["contract"], str):
            raise ValidationError(where, "contract, method and input must be strings")
        requests.append(ExecutionRequest(parse_hex(item["contract"], f"{where}.contract", 32),
                                         item["method"],
                                         parse_hex(item.get("input", ""), f"{where}.input"),
                                         nonce=nonce))
    return requests


@click.command("batch")
@click.argument("requests_file", type=click.Path(exists=True, dir_okay=False))
@signing_options
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Worker processes (one execution at a time each; use the number of cores).")
@click.option("--start-method", type=click.Choice(["fork", "spawn", "forkserver"]), default=None,
              help="How workers are started (default: the platform's).")
@click.option("--no-prove", is_flag=True, help="Skip proving (the results cannot be applied).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Write one JSON result per line here, in the order of the requests.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def batch_cmd(state: State, requests_file: str, as_name, key_file, key_dir, passphrase_env,
              valid_for: int, spends: tuple[str, ...], workers: int, start_method: str | None, no_prove: bool,
              out: str | None, as_json: bool) -> None:
    """Run every contract call of REQUESTS_FILE (JSON lines), signed by --as KEYNAME, against
    the current head; nothing is written to the chain. With --workers N the calls run on N
    processes (the repository must be a file, like the default SQLite one).

    Example: ispc batch calls.jsonl --as alice --workers 2 --no-prove --out results.jsonl

    where each line of calls.jsonl is {"contract": "<hash>", "method": "transfer",
    "input": "<hex>", "nonce": 1}. Every call may spend the outputs named with --spend."""
    requests = _requests(requests_file)
    coordinator = state.coordinator
    transactions = [sign(coordinator, request, as_name, key_file, key_dir, passphrase_env,
                         valid_for, spends) for request in requests]
    results = _run(state, transactions, workers, start_method, not no_prove, as_json)
    lines = [json.dumps({"kind": "wasm", "result": to_json(r)}, sort_keys=True) for r in results]
    if out:
        Path(out).write_text("".join(line + "\n" for line in lines))
    summary = {"requests": len(results), "workers": workers,
               "results": [{"status": r.status, "gas_used": r.gas_used,
                            "execution_result_hash": r.execution_result_hash.hex()}
                           for r in results]}
    if as_json:
        emit_json(summary)
        return
    for index, result in enumerate(results):
        click.echo(f"{index:>5}  status {result.status}  gas {result.gas_used}  result "
                   f"{result.execution_result_hash.hex()}")
    click.echo(f"{len(results)} call(s) on {workers} worker(s)"
               + (f"; results in {out}" if out else ""))


def _run(state: State, transactions: list, workers: int, start_method: str | None, prove: bool,
         quiet: bool) -> list[Any]:
    label = f"running {len(transactions)} call(s)"
    if workers == 1:
        runs = (state.coordinator.execute(tx, prove=prove) for tx in transactions)
        return _with_progress(runs, len(transactions), label, quiet)
    from .._pool import ExecutionPool

    with ExecutionPool(state.config, workers, start_method=start_method) as pool:
        return _with_progress(pool.imap(transactions, prove=prove, kind="wasm"),
                              len(transactions), label, quiet)


def _with_progress(results, total: int, label: str, quiet: bool) -> list[Any]:
    if quiet or total < 2:
        return list(results)
    with click.progressbar(results, length=total, label=label, file=sys.stderr) as bar:
        return list(bar)
