"""``ispc init``, ``deploy``, ``chain`` and ``utxo``: make and read the devnet chain."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .._encoding import to_json
from .._errors import ValidationError
from .._model import (ADDRESS_LEN, AssetOutput, NativeCoin, ResourceCategory, ResourceOutput,
                     SealedDraft, TxOutput)
from ._app import State, console, emit_json
from ._loaders import parse_hex
from ._loaders import address as key_address

_CATEGORIES = {"contract": ResourceCategory.CONTRACT, "model": ResourceCategory.AI_MODEL,
               "static": ResourceCategory.STATIC}
_MIME = {"contract": "application/wasm", "model": "application/onnx",
         "static": "application/octet-stream"}


@click.command("init")
@click.option("--chain-id", default=None,
              help="Chain id (default: ispc-devnet-<8 random hex digits>, unique per devnet).")
@click.option("--timestamp", type=int, default=None, help="Genesis time (default: now).")
@click.option("--allocate", multiple=True, metavar="ADDRESS:AMOUNT",
              help="Native coins for ADDRESS (64 hex digits, or a key name of the key "
                   "directory) in the genesis block; repeatable.")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def init_cmd(state: State, chain_id: str | None, timestamp: int | None,
             allocate: tuple[str, ...], key_dir: str | None, as_json: bool) -> None:
    """Create the genesis block of a devnet repository. Signatures are bound to its genesis
    hash, so a transaction signed for one devnet never applies on another.

    Example: ispc keys new alice && ispc init --allocate alice:1000"""
    if chain_id is None:
        import secrets

        chain_id = f"ispc-devnet-{secrets.token_hex(4)}"
    outputs = []
    for item in allocate:
        address, sep, amount = item.partition(":")
        if not sep or not amount.isdigit():
            raise ValidationError("--allocate", f"{item!r} must look like ADDRESS:AMOUNT")
        outputs.append(TxOutput(key_address(address, "--allocate", key_dir),
                                asset=AssetOutput(NativeCoin(), int(amount))))
    repo = state.coordinator.repository
    applied = repo.writer().create_genesis(chain_id, int(time.time()) if timestamp is None
                                           else timestamp, outputs)
    block = applied.block
    if as_json:
        emit_json({"block": to_json(block), "created": [to_json(o) for o in applied.created]})
    else:
        click.echo(f"genesis block {block.block_hash.hex()} (chain {chain_id!r}, "
                   f"{len(outputs)} allocation(s))")


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
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def utxo_cmd(state: State, address: str, as_json: bool) -> None:
    """List the unspent outputs owned by ADDRESS (64 hex digits). Example: ispc utxo a1a1...a1"""
    owner = parse_hex(address, "ADDRESS", ADDRESS_LEN)
    rows = state.coordinator.repository.view().utxos_of(owner)
    if as_json:
        emit_json([{"outpoint": to_json(op), "output": to_json(out)} for op, out in rows])
        return
    for outpoint, output in rows:
        what = (f"{output.asset.amount} {type(output.asset.token).__name__}" if output.asset
                else output.kind)
        click.echo(f"{outpoint.tx_id.hex()}:{outpoint.index}  {what}")
    if not rows:
        click.echo("no unspent outputs")
