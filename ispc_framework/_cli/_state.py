"""``ispc query``, ``ispc state`` and ``ispc balance``: read-only commands over contract storage
and balances. Thin click functions: the work is ``Coordinator.query`` and the chain view's
``state_*`` and ``utxos_of`` methods."""

from __future__ import annotations

from typing import Any

import click

from .._context import ExecutionRequest
from .._encoding import to_json
from .._model import ADDRESS_LEN
from .._state import prove, verify_proof
from ._app import State, emit_json
from ._loaders import call_input, input_options, parse_hex


def _show(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    printable = text.isprintable() and "\ufffd" not in text
    return f"{value.hex()}  ({text!r})" if printable and value else value.hex() or "(empty)"


def _key(key: str, as_text: bool) -> bytes:
    return key.encode("utf-8") if as_text else parse_hex(key, "KEY")


@click.command("query")
@click.argument("contract")
@click.argument("method")
@input_options
@click.option("--caller", default="00" * ADDRESS_LEN, help="Caller address (64 hex digits).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def query_cmd(state: State, contract: str, method: str, input_hex: str, input_file: str | None,
              caller: str, as_json: bool) -> None:
    """Run METHOD of CONTRACT read-only against the head: no signature, proof or draft; a method
    that writes anything is an error [query-wrote].

    Example: ispc query 3f2a...9c get"""
    request = ExecutionRequest(parse_hex(contract, "CONTRACT", 32), method,
                               call_input(input_hex, input_file,
                                          state.config.limits.max_input_bytes),
                               parse_hex(caller, "--caller", ADDRESS_LEN))
    result = state.coordinator.query(request)
    if as_json:
        emit_json({"return_data": result.return_data.hex(), "gas_used": result.gas_used,
                    "height": result.pins.height})
        return
    click.echo(f"return data  {result.return_data.hex() or '(none)'}")
    click.echo(f"gas          {result.gas_used}  (at height {result.pins.height})")


@click.command("state")
@click.argument("contract")
@click.argument("key", required=False)
@click.option("--text", "as_text", is_flag=True, help="KEY is UTF-8 text, not hex.")
@click.option("--height", type=int, default=None, help="Read at this past height.")
@click.option("--proof", "with_proof", is_flag=True,
              help="Print an inclusion or absence proof of KEY against the storage root.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def state_cmd(state: State, contract: str, key: str | None, as_text: bool, height: int | None,
              with_proof: bool, as_json: bool) -> None:
    """Show the committed storage of CONTRACT (every key, or KEY), its version and root.

    Example: ispc state 3f2a...9c count --text --proof"""
    address = parse_hex(contract, "CONTRACT", 32)
    view = state.coordinator.repository.view()
    at = view.head().height if height is None else height
    version, root = view.state_version(address, at)
    items = view.state_items(address, at)
    out: dict[str, Any] = {"contract": address.hex(), "height": at, "version": version,
                           "root": root.hex()}
    if key is None:
        out["entries"] = {k.hex(): v.hex() for k, v in sorted(items.items())}
    else:
        wanted = _key(key, as_text)
        out["key"], value = wanted.hex(), items.get(wanted)
        out["value"] = None if value is None else value.hex()
        if with_proof:
            proof = prove(items, wanted)
            assert verify_proof(proof, root)  # our own proof against our own root
            out["proof"] = proof.to_json()
    if as_json:
        emit_json(out)
        return
    click.echo(f"contract {address.hex()}  height {at}  version {version}  root {root.hex()}")
    if key is None:
        for k, v in sorted(items.items()):
            click.echo(f"  {_show(k)} = {_show(v)}")
        if not items:
            click.echo("  (no entries)")
    else:
        click.echo(f"  {_show(wanted)} = {'(absent)' if value is None else _show(value)}")
        if with_proof:
            click.echo(f"  proof: {len(out['proof']['siblings'])} sibling(s), checks against "
                       f"the root")


@click.command("balance")
@click.argument("address")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def balance_cmd(state: State, address: str, key_dir: str | None, as_json: bool) -> None:
    """Sum ADDRESS's unspent asset outputs per token (what the balance host function returns);
    ADDRESS is 64 hex digits or a key name.

    Example: ispc balance alice"""
    from ._describe import Names, token_text
    from ._loaders import address as key_address

    owner = key_address(address, "ADDRESS", key_dir)
    view = state.coordinator.repository.view()
    totals: dict[Any, int] = {}
    for _, output in view.utxos_of(owner):
        if output.asset is not None:
            totals[output.asset.token] = totals.get(output.asset.token, 0) + output.asset.amount
    rows = [{"token": to_json(token), "amount": amount} for token, amount in totals.items()]
    if as_json:
        emit_json(rows)
        return
    names = Names(view, key_dir)
    for token, amount in totals.items():
        click.echo(f"{amount:>20}  {token_text(token, names)}")
    if not totals:
        click.echo("no assets")
