"""``ispc deploy``, ``chain`` and ``utxo``: write resources to the devnet chain and read it
(``ispc init`` is in :mod:`._devnet`)."""

from __future__ import annotations

from pathlib import Path

import click

from .._encoding import to_json
from .._model import (ADDRESS_LEN, ResourceCategory, ResourceOutput,
                     SealedDraft, TxOutput)
from ._app import State, console, emit_json
from ._loaders import address as key_address

_CATEGORIES = {"contract": ResourceCategory.CONTRACT, "model": ResourceCategory.AI_MODEL,
               "static": ResourceCategory.STATIC}
_MIME = {"contract": "application/wasm", "model": "application/onnx",
         "static": "application/octet-stream"}


@click.command("deploy")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", type=click.Choice(sorted(_CATEGORIES)), default=None,
              help="Resource category (default: from the file extension).")
@click.option("--owner", default=None, help="Owner address (64 hex digits) or key name "
              "(default: the --as key, else nobody: all zeros).")
@click.option("--as", "as_name", metavar="KEYNAME", default=None,
              help="Deploy as this key: it owns the deploy output.")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--name", default=None, help="Resource name (default: the file name).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def deploy_cmd(state: State, file: str, kind: str | None, owner: str | None,
               as_name: str | None, key_dir: str | None, name: str | None,
               as_json: bool) -> None:
    """Store a contract, model or file as a resource output; prints its content hash.

    Contracts are compiled against the selected engine and HostABI providers first, and models
    pass the safe loader first, so nothing unusable reaches the chain.

    Example: ispc deploy examples/contracts/build/token_c.wasm --as alice"""
    path = Path(file)
    content = path.read_bytes()
    kind = kind or {".wasm": "contract", ".onnx": "model"}.get(path.suffix, "static")
    coordinator = state.coordinator
    coordinator.repository.view().head()  # no genesis: fail before storing anything
    if kind == "contract":
        coordinator.wasm_engine().compile(content, coordinator.host_functions())
    elif kind == "model":
        coordinator.onnx_engine().prepare(content, coordinator.config.limits)
    writer = coordinator.repository.writer()
    content_hash = writer.store_resource(content)
    resource = ResourceOutput(content_hash, _CATEGORIES[kind], _MIME[kind], len(content),
                              name or path.name)
    owner_address = key_address(owner, "--owner", key_dir) if owner else (
        key_address(as_name, "--as", key_dir) if as_name else bytes(ADDRESS_LEN))
    applied = writer.apply(SealedDraft((), (TxOutput(owner_address, resource=resource),), ()))
    if as_json:
        emit_json({"content_hash": content_hash.hex(), "outpoint": to_json(applied.created[0]),
                    "block": to_json(applied.block)})
    else:
        click.echo(content_hash.hex())


@click.command("chain")
@click.option("--limit", default=10, show_default=True, help="How many recent blocks.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def chain_cmd(state: State, limit: int, as_json: bool) -> None:
    """Show the chain head and recent blocks. Example: ispc chain --limit 3"""
    view = state.coordinator.repository.view()
    head = view.head()
    blocks = view.blocks(limit)
    if as_json:
        emit_json({"head": to_json(head), "blocks": [to_json(b) for b in blocks]})
        return
    click.echo(f"chain {head.chain_id!r}  height {head.height}  hash {head.block_hash.hex()}")
    from rich.table import Table

    table = Table()
    for column in ("height", "timestamp", "hash", "outputs"):
        table.add_column(column)
    for block in blocks:
        table.add_row(str(block.height), str(block.timestamp), block.block_hash.hex()[:16] + "…",
                      str(block.output_count))
    console().print(table)


@click.command("utxo")
@click.argument("address")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def utxo_cmd(state: State, address: str, key_dir: str | None, as_json: bool) -> None:
    """List the unspent outputs owned by ADDRESS (64 hex digits, or a key name): what each holds
    (amount and token with its contract, or the resource) and the locks on it.

    Example: ispc utxo alice"""
    from ._describe import Names, output_row

    owner = key_address(address, "ADDRESS", key_dir)
    view = state.coordinator.repository.view()
    rows = view.utxos_of(owner)
    if as_json:
        emit_json([{"outpoint": to_json(op), "output": to_json(out)} for op, out in rows])
        return
    if not rows:
        click.echo("no unspent outputs")
        return
    from rich.table import Table

    names = Names(view, key_dir)
    table = Table(title=f"unspent outputs of {names(owner)}")
    for column in ("outpoint", "kind", "holds", "locks"):
        table.add_column(column, overflow="fold" if column == "outpoint" else "ellipsis")
    for outpoint, output in rows:
        table.add_row(f"{outpoint.tx_id.hex()}:{outpoint.index}", *output_row(output, names))
    console().print(table)
