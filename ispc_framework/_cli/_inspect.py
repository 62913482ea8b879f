"""``ispc block``, ``tx``, ``events``, ``contracts`` and ``trace``: looking at the chain.

All read-only, through the repository's chain view (``block_record``, ``find_transaction``,
``events``, ``resource_outputs``). ``trace`` finds a result's host-call records in the configured
JSON-lines trace sink, or else re-executes the signed transaction at its pinned block (as
``ispc replay`` does) and keeps the trace; either way the records are shown only if they hash to
the trace root the result commits to.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import click

from .._encoding import decode, decode_value
from .._errors import ISPCError, NotFound
from .._model import ResourceCategory
from ._app import State, console, emit_json
from ._describe import Names, bytes_text, event_json, output_json, output_row, short
from ._loaders import load_result, parse_hex

_KINDS = {"contract": ResourceCategory.CONTRACT, "model": ResourceCategory.AI_MODEL,
          "static": ResourceCategory.STATIC}


def _table(title: str | None, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
           fold: tuple[str, ...] = ()) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold" if column in fold else "ellipsis")
    for row in rows:
        table.add_row(*(escape(str(cell)) for cell in row))
    console().print(table)


# ----------------------------------------------------------------------------- block and tx

def _result_summary(result: Any) -> dict[str, Any]:
    tx = result.transaction
    summary = {"kind": "onnx" if result.commitment.kind == "onnx" else "wasm",
               "resource": tx.request.resource_hash.hex(), "method": tx.request.method,
               "input": tx.request.input.hex(), "signers": [s.hex() for s in tx.signers],
               "engine": result.engine, "execution_result_hash":
                   result.execution_result_hash.hex(), "trace_root": result.trace_root.hex(),
               "pinned_height": result.pins.height}
    if summary["kind"] == "wasm":
        summary.update(status=result.status, gas_used=result.gas_used,
                       return_data=result.return_data.hex())
    return summary


def _record_json(record: Any) -> dict[str, Any]:
    info, draft = record.info, record.draft
    result = decode(record.result) if record.result is not None else None
    return {"height": info.height, "timestamp": info.timestamp,
            "block_hash": info.block_hash.hex(), "parent_hash": info.parent_hash.hex(),
            "transaction_id": info.transaction_id.hex(),
            "signed_transaction_id": (record.signed_transaction_id.hex()
                                      if record.signed_transaction_id else None),
            "inputs": [{"tx_id": i.outpoint.tx_id.hex(), "index": i.outpoint.index,
                        "reference_only": i.reference_only} for i in draft.inputs],
            "outputs": [{"outpoint": {"tx_id": info.transaction_id.hex(), "index": n},
                         **output_json(o)} for n, o in enumerate(draft.outputs)],
            "events": [event_json(info.height, n, e) for n, e in enumerate(draft.events)],
            "storage_writes": len(draft.state.writes) if draft.state else 0,
            "result": _result_summary(result) if result is not None else None}


def _show_record(record: Any, names: Names) -> None:
    data = _record_json(record)
    info = record.info
    what = "genesis" if info.height == 0 else (
        f"{data['result']['kind']} result of {data['result']['method']!r}"
        if data["result"] else "direct write (deploy or `devnet advance`)")
    click.echo(f"block {info.height}  time {info.timestamp}  {what}")
    click.echo(f"  hash            {info.block_hash.hex()}")
    click.echo(f"  parent          {info.parent_hash.hex()}")
    click.echo(f"  transaction id  {info.transaction_id.hex()}  (outpoints' tx_id)")
    if record.signed_transaction_id:
        click.echo(f"  signed tx id    {record.signed_transaction_id.hex()}  (`ispc verify "
                   f"--tx`, `ispc trace`)")
    result = data["result"]
    if result:
        signers = ", ".join(names(bytes.fromhex(s)) for s in result["signers"]) or "none"
        click.echo(f"  call            {names(bytes.fromhex(result['resource']))} "
                   f"{result['method']}  input {result['input'] or '(none)'}  by {signers}")
        if result["kind"] == "wasm":
            click.echo(f"  outcome         status {result['status']}  gas {result['gas_used']}  "
                       f"return data {result['return_data'] or '(none)'}")
    for tx_input in record.draft.inputs:
        click.echo(f"  {'reads' if tx_input.reference_only else 'spends'}          "
                   f"{tx_input.outpoint.tx_id.hex()}:{tx_input.outpoint.index}")
    if record.draft.outputs:
        _table(None, ("outpoint", "owner", "kind", "holds", "locks"),
               [(f"{short(info.transaction_id)}:{n}", names(o.owner), *output_row(o, names))
                for n, o in enumerate(record.draft.outputs)])
    for event in data["events"]:
        click.echo(f"  event {event['index']}  {event['type']}  "
                   f"{bytes_text(bytes.fromhex(event['data'])) or '(no data)'}")
    if data["storage_writes"]:
        click.echo(f"  storage         {data['storage_writes']} write(s) "
                   f"(`ispc state {short(record.draft.state.contract)}`)")


@click.command("block")
@click.argument("height", type=int, required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def block_cmd(state: State, height: int | None, as_json: bool) -> None:
    """Show block HEIGHT (default: the head): its hashes, the transaction it applied (call,
    signers, status, gas), the inputs it spent, its outputs and events.

    Example: ispc block 2 --json"""
    view = state.coordinator.repository.view()
    height = view.head().height if height is None else height
    record = view.block_record(height) if height >= 0 else None
    if record is None:
        raise NotFound(f"there is no block {height}", code="no-such-height")
    if as_json:
        emit_json(_record_json(record))
    else:
        _show_record(record, Names(view))


@click.command("tx")
@click.argument("transaction_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def tx_cmd(state: State, transaction_id: str, as_json: bool) -> None:
    """Show the transaction TRANSACTION_ID: either id works, the block's transaction id (the
    tx_id of the outpoints it made) or the signed transaction's id. Same output as `ispc block`.

    Example: ispc tx 84615d59e324de3aa961d5d4f21623b5d77c2b1d3f8f3d2a6fb1e5d0f6f7a1b2"""
    wanted = parse_hex(transaction_id, "TRANSACTION_ID", 32)
    view = state.coordinator.repository.view()
    height = view.find_transaction(wanted)
    if height is None:
        raise NotFound(f"transaction {transaction_id} is not on this chain",
                       code="transaction-unknown")
    record = view.block_record(height)
    if as_json:
        emit_json(_record_json(record))
    else:
        _show_record(record, Names(view))


# --------------------------------------------------------------------- events and contracts

@click.command("events")
@click.option("--contract", default=None, help="Only this contract's events (content hash).")
@click.option("--since", type=click.IntRange(min=0), default=0, show_default=True,
              help="From this block height on.")
@click.option("--type", "event_type", default=None, help="Only events of this type.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def events_cmd(state: State, contract: str | None, since: int, event_type: str | None,
               as_json: bool) -> None:
    """List the events of applied transactions, oldest first (data shown as text when it is
    printable, else hex).

    Example: ispc events --contract 9c1d...e2 --since 3 --json"""
    address = parse_hex(contract, "--contract", 32) if contract else None
    view = state.coordinator.repository.view()
    rows = [row for row in view.events(since, address)
            if event_type is None or row[2].event_type == event_type]
    if as_json:
        emit_json([event_json(*row) for row in rows])
        return
    if not rows:
        click.echo("no events")
        return
    names = Names(view)
    _table(None, ("height", "#", "contract", "type", "data"),
           [(h, n, names(e.contract), e.event_type, bytes_text(e.data) or "(none)")
            for h, n, e in rows], fold=("data",))


def _resource_json(height: int, outpoint: Any, output: Any) -> dict[str, Any]:
    resource = output.resource
    return {"content_hash": resource.content_hash.hex(), "name": resource.name,
            "kind": {v: k for k, v in _KINDS.items()}[resource.category],
            "size": resource.size, "mime_type": resource.mime_type,
            "owner": output.owner.hex(), "height": height,
            "outpoint": {"tx_id": outpoint.tx_id.hex(), "index": outpoint.index}}


@click.command("contracts")
@click.option("--kind", type=click.Choice([*_KINDS, "all"]), default="contract",
              show_default=True, help="Which deployed resources.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contracts_cmd(state: State, kind: str, as_json: bool) -> None:
    """List the deployed contracts (or models, files: --kind) with their content hash, name,
    size, owner and the block that deployed them.

    Example: ispc contracts --kind all --json"""
    view = state.coordinator.repository.view()
    rows = view.resource_outputs(None if kind == "all" else _KINDS[kind])
    found = [_resource_json(height, outpoint, output) for height, outpoint, output in rows]
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo(f"no deployed {'resources' if kind == 'all' else kind + 's'}")
        return
    names = Names(view)
    _table(None, ("content hash", "name", "kind", "size", "owner", "block"),
           [(r["content_hash"], r["name"], r["kind"], r["size"],
             names(bytes.fromhex(r["owner"])), r["height"]) for r in found],
           fold=("content hash",))


# ---------------------------------------------------------------------------------- trace

def _result_of(state: State, what: str) -> Any:
    """A result file, or the stored result of an applied transaction (either id)."""
    if Path(what).is_file():
        return load_result(what)
    wanted = parse_hex(what, "RESULT|TX", 32)
    view = state.coordinator.repository.view()
    height = view.find_transaction(wanted)
    record = view.block_record(height) if height is not None else None
    if record is None:
        raise NotFound(f"{what} is neither a result file nor a transaction on this chain",
                       code="transaction-unknown")
    if record.result is None:
        raise NotFound(f"no trace of block {height}: it applied no execution result",
                       code="trace-unavailable")
    return decode(record.result)


def _from_sinks(state: State, result: Any) -> tuple[Any, str] | None:
    """The records a JSON-lines sink kept for ``result`` and that hash to its trace root."""
    from .._sinks import records_from_line
    from .._trace import ExecutionTrace

    config = state.config
    if "jsonl" not in (config.get("trace.sinks") or []):
        return None
    path = Path(config.get("plugin.jsonl.path") or "ispc-traces.jsonl")
    if not path.is_file():
        return None
    wanted = result.execution_result_hash.hex()
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if wanted not in line:
                continue
            try:
                entry = json.loads(line)
                records = list(records_from_line(entry["records"]))
                header = bytes.fromhex(entry["header"])
            except (ValueError, KeyError, TypeError, ISPCError):
                continue
            if entry.get("execution_result_hash") == wanted and \
                    ExecutionTrace.replay_root(header, records) == result.trace_root:
                return records, f"trace sink {path}"
    return None


def _by_replay(state: State, result: Any) -> tuple[Any, str]:
    """Re-execute at the pinned block (no proof) and keep the run's trace."""
    from ..plugins._hookspecs import hookimpl

    class Capture:
        def __init__(self) -> None:
            self.traces: list[Any] = []

        @hookimpl(wrapper=True)
        def ispc_execution(self, request: Any, context: Any) -> Any:
            self.traces.append(context.trace)
            return (yield)

    capture = Capture()
    state.plugins.register(capture, name="ispc-cli-trace-capture")
    differences = state.coordinator.replay(result)
    if differences or not capture.traces or capture.traces[-1].root != result.trace_root:
        raise NotFound("no trace of this result: re-executing it at its pinned block gave "
                       f"another trace ({'; '.join(differences) or 'trace root differs'})",
                       code="trace-unavailable")
    return capture.traces[-1].records, "re-executed at its pinned block"


def _status_name(status: int) -> str:
    from .._hostabi._bindings_v1 import Status

    try:
        return Status(status).name
    except ValueError:
        return str(status)


@functools.cache
def _builtin_spec() -> Any:
    from .._hostabi.spec import load_spec

    return load_spec()


def _named_args(function: str, args: list[Any]) -> dict[str, Any] | None:
    """``args`` (the record's flat wasm arguments) by the HostABI spec's parameter names: a
    parameter of one wasm value gives that value, a wider one (``bytes``: pointer, length) the
    list of its values. None for a function the built-in spec does not describe."""
    module, _, name = function.rpartition(".")
    try:
        params = _builtin_spec().module(module).function(name).params
    except KeyError:
        return None
    named, at = {}, 0
    for param in params:
        width = len(param.wasm_types)
        values = args[at:at + width]
        named[param.name] = values[0] if width == 1 else values
        at += width
    return named if at == len(args) else None


def _show_bytes(value: bytes) -> dict[str, Any]:
    text = bytes_text(value)
    return {"hex": value.hex(), "text": None if text == value.hex() else text}


def record_json(record: Any) -> dict[str, Any]:
    """One trace record decoded: what was called, with which arguments and guest bytes, what it
    returned and wrote, its status and gas (docs/cli.md, ``trace``)."""
    out: dict[str, Any] = {"seq": record.seq, "kind": record.kind, "function": record.function,
                           "status": record.status, "gas": record.gas_after - record.gas_before,
                           "gas_after": record.gas_after, "args": None, "reads": [],
                           "value": None, "writes": [], "text": None}
    if record.kind == "call":
        try:
            args, reads = decode_value(record.args)
            value, writes = decode_value(record.result)[:2]
        except (ISPCError, ValueError, TypeError):  # a record layout this CLI does not know
            out["reads"] = [_show_bytes(record.args)]
            return out
        out.update(status_name=_status_name(record.status), args=list(args),
                   params=_named_args(record.function, list(args)),
                   reads=[_show_bytes(r) for r in reads],
                   value=value.hex() if isinstance(value, bytes) else value,
                   writes=[_show_bytes(w) for w in writes])
        if record.function.endswith("log_debug") and reads:
            out["text"] = bytes(reads[0]).decode("utf-8", "replace")
    elif record.kind == "start":
        out["reads"] = [_show_bytes(record.args)]  # the call input
    else:
        out["writes"] = [_show_bytes(record.result or b"")]  # return data / encoded outputs
    return out


@click.command("trace")
@click.argument("what", metavar="RESULT|TX")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def trace_cmd(state: State, what: str, as_json: bool) -> None:
    """Show the host-call trace of a result (an `ispc run --out` file) or of an applied
    transaction (either id): each call's function, arguments, the guest bytes it read and
    wrote, its status and gas; log_debug messages as text. The records are checked against the
    trace root the result commits to.

    Example: ispc trace mint.json"""
    result = _result_of(state, what)
    found = _from_sinks(state, result) or _by_replay(state, result)
    records, source = found
    rows = [record_json(r) for r in records]
    if as_json:
        emit_json({"trace_root": result.trace_root.hex(), "source": source,
                   "execution_result_hash": result.execution_result_hash.hex(),
                   "records": rows})
        return
    click.echo(f"trace {result.trace_root.hex()}  ({len(rows)} records, from {source}; "
               f"matches the result's trace root)")
    table_rows = []
    for row in rows:
        if row["text"] is not None:
            detail = f"log: {row['text']}"
        else:
            named = row.get("params")
            parts = ([" ".join(f"{k}={'+'.join(map(str, v)) if isinstance(v, list) else v}"
                               for k, v in named.items())] if named
                     else [f"args {row['args']}"] if row["args"] else [])
            parts += [f"read {b['text'] if b['text'] is not None else b['hex'] or '-'}"
                      for b in row["reads"]]
            parts += [f"wrote {b['text'] if b['text'] is not None else b['hex'] or '-'}"
                      for b in row["writes"]]
            if row["value"] is not None:
                parts.append(f"= {row['value']}")
            detail = "  ".join(parts)
        table_rows.append((row["seq"], row["kind"], row["function"],
                           row.get("status_name", row["status"]), row["gas"], detail))
    _table(None, ("#", "kind", "function", "status", "gas", "details"), table_rows,
           fold=("function", "details"))
