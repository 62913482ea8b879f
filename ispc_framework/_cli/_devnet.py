"""``ispc init``, ``ispc devnet init`` and ``ispc devnet advance``: a devnet in one command, and
its clock moved forward for time-lock tests.

The quick start builds everything (testing accounts, testing prover keys, the genesis block, the
config) in a staging directory inside the target and renames the pieces into place only when all
of them exist, so a failure (no circom2, a prover that cannot start) leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from .._encoding import to_json
from .._errors import ConfigError, ValidationError
from .._model import (AssetOutput, HeightLock, LockingCondition, NativeCoin, SealedDraft,
                      SingleKeyLock, TimeLock, TxOutput)
from ._app import State, emit_json
from ._loaders import address as key_address

#: what a devnet directory holds; `ispc init` refuses a directory holding any of them
CONFIG_FILE, CHAIN_DB, ACCOUNTS, PROVER_KEYS, TRACES = (
    "ispc.toml", "chain.db", "accounts", "prover-keys", "traces.jsonl")
DEVNET_FILES = (CONFIG_FILE, CHAIN_DB, ACCOUNTS, PROVER_KEYS, TRACES)
TESTING_ACCOUNTS = ("alice", "bob")
TESTING_KEY_NOTE = ("TESTING KEY: a well-known public seed (ispc devnet_key), anyone can sign "
                    "as it; devnet only")
DEFAULT_ALLOCATION = 1000


ALLOCATE_FORM = "ADDRESS:AMOUNT[:height=H][:time=T]"


def _genesis_output(item: str, key_dir: str | None) -> TxOutput:
    """One ``--allocate`` item: native coins for ADDRESS, spendable when its owner signs; with
    ``height=H`` / ``time=T`` only from pinned height H / timestamp T on (a HeightLock / TimeLock
    around SingleKeyLock(ADDRESS): the address read as the owner's Ed25519 key)."""
    address, _, rest = item.partition(":")
    amount, *conditions = rest.split(":")
    if not address or not amount.isdigit():
        raise ValidationError("--allocate", f"{item!r} must look like {ALLOCATE_FORM}")
    owner = key_address(address, "--allocate", key_dir)
    after: dict[str, int] = {}
    for condition in conditions:
        name, sep, value = condition.partition("=")
        if name not in ("height", "time") or not sep or not value.isdigit() or name in after:
            raise ValidationError("--allocate", f"{item!r}: {condition!r} is not height=H or "
                                  f"time=T (each at most once; the form is {ALLOCATE_FORM})")
        after[name] = int(value)
    if not after:
        return TxOutput(owner, asset=AssetOutput(NativeCoin(), int(amount)))
    lock: LockingCondition = SingleKeyLock(owner)
    if "height" in after:
        lock = HeightLock(after["height"], lock)
    if "time" in after:
        lock = TimeLock(after["time"], lock)
    return TxOutput(owner, asset=AssetOutput(NativeCoin(), int(amount)), locks=(lock,))


def _genesis_outputs(allocate: tuple[str, ...], key_dir: str | None) -> list[TxOutput]:
    return [_genesis_output(item, key_dir) for item in allocate]


def _new_chain_id() -> str:
    """A fresh devnet's id: unique, so two devnets never share one (signatures also cover the
    genesis hash, so even equal ids would not let a transaction replay across them)."""
    return f"ispc-devnet-{secrets.token_hex(4)}"


def _config_in_effect(state: State) -> bool:
    return bool(state.config_path or os.environ.get("ISPC_CONFIG")
                or Path(CONFIG_FILE).is_file())


_genesis_options = [
    click.option("--chain-id", default=None,
                 help="Chain id (default: ispc-devnet-<8 random hex digits>, unique per devnet; "
                      "signatures are bound to the genesis hash either way)."),
    click.option("--timestamp", type=int, default=None, help="Genesis time (default: now)."),
    click.option("--allocate", multiple=True, metavar=ALLOCATE_FORM,
                 help="Native coins for ADDRESS (64 hex digits, or a key name of the key "
                      "directory) in the genesis block; repeatable. height=H / time=T: "
                      "spendable only from block height H / timestamp T on (time-locked to "
                      "ADDRESS's key)."),
    click.option("--json", "as_json", is_flag=True),
]


def genesis_options(command):
    for option in reversed(_genesis_options):
        command = option(command)
    return command


@click.command("init")
@genesis_options
@click.option("--key-dir", type=click.Path(file_okay=False), default=None,
              help="Key directory for --allocate names (genesis-only mode).")
@click.pass_obj
def init_cmd(state: State, chain_id: str | None, timestamp: int | None, allocate: tuple[str, ...],
             as_json: bool, key_dir: str | None) -> None:
    """Make a devnet here in one command, or the genesis block of the configured chain.

    Without a config file in effect (no --config, no $ISPC_CONFIG, no ./ispc.toml) this is
    `ispc devnet init .`: testing accounts, testing prover keys, a genesis block and an
    ispc.toml, all TESTING ONLY. With a config it only creates the genesis block of the
    configured repository.

    \b
    Example: ispc init && ispc balance alice
    Example: ispc --config ispc.toml init --allocate alice:1000"""
    chain_id = chain_id or _new_chain_id()
    if not _config_in_effect(state):
        _quick_start(state, Path("."), chain_id, timestamp, allocate, as_json)
        return
    outputs = _genesis_outputs(allocate, key_dir)
    applied = state.coordinator.repository.writer().create_genesis(
        chain_id, int(time.time()) if timestamp is None else timestamp, outputs)
    block = applied.block
    if as_json:
        emit_json({"block": to_json(block), "created": [to_json(o) for o in applied.created]})
    else:
        click.echo(f"genesis block {block.block_hash.hex()} (chain {chain_id!r}, "
                   f"{len(outputs)} allocation(s))")


@click.group("devnet")
def devnet_group() -> None:
    """A local development chain: make one, move its clock."""


@devnet_group.command("init")
@click.argument("directory", default=".", type=click.Path(file_okay=False))
@genesis_options
@click.pass_obj
def devnet_init(state: State, directory: str, chain_id: str | None, timestamp: int | None,
                allocate: tuple[str, ...], as_json: bool) -> None:
    """Make a working devnet in DIRECTORY (default: here; made if missing): ispc.toml, testing
    accounts alice and bob with 1000 coins each, single-party testing prover keys, the genesis
    block and a trace file. Everything in it is TESTING ONLY. Nothing is left behind on failure.

    \b
    Example:
      ispc devnet init mynet && cd mynet && ispc keys list"""
    _quick_start(state, Path(directory), chain_id or _new_chain_id(), timestamp, allocate, as_json)


def _quick_start(state: State, directory: Path, chain_id: str, timestamp: int | None,
                 allocate: tuple[str, ...], as_json: bool) -> None:
    from .._config import load_config
    from .._coordinator import Coordinator
    from .._keys import KeyStore
    from .._signing import devnet_key

    directory = directory.resolve()
    present = [name for name in DEVNET_FILES if (directory / name).exists()]
    if present:
        raise ConfigError(f"{directory} already holds {', '.join(present)}",
                          code="devnet-exists", key=str(directory))
    made_directory = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".ispc-init-", dir=directory))
    try:
        accounts = KeyStore(staging / ACCOUNTS)
        for name in TESTING_ACCOUNTS:
            accounts.save(name, devnet_key(name), note=TESTING_KEY_NOTE)
        chosen = dict(item.partition("=")[::2] for item in state.overrides)
        prover_name = chosen.get("prover.name", "").strip() or "groth16"
        settings = _devnet_settings(staging, prover_name)
        config = load_config(overrides={**{k.strip(): v.strip() for k, v in chosen.items()},
                                        **settings}, search_cwd=False)
        coordinator = Coordinator(config)
        try:
            circuit = config.get("prover.circuit")
            vk_hash = _testing_setup(coordinator.prover(), circuit, as_json)
            genesis = [TxOutput(devnet_key(name).public_key,
                                asset=AssetOutput(NativeCoin(), DEFAULT_ALLOCATION))
                       for name in TESTING_ACCOUNTS]
            genesis += _genesis_outputs(allocate, str(staging / ACCOUNTS))
            applied = coordinator.repository.writer().create_genesis(
                chain_id, int(time.time()) if timestamp is None else timestamp, genesis)
        finally:
            coordinator.close()
        (staging / TRACES).touch()
        (staging / CONFIG_FILE).write_text(_config_text(directory, prover_name, circuit))
        _move_into_place(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if made_directory:
            shutil.rmtree(directory, ignore_errors=True)
        raise
    staging.rmdir()
    _report(directory, chain_id, applied, prover_name, circuit, vk_hash, as_json)


def _devnet_settings(root: Path, prover: str) -> dict[str, str]:
    return {"prover.name": prover, "plugin.sqlite.path": str(root / CHAIN_DB),
            f"plugin.{prover}.key_dir": str(root / PROVER_KEYS),
            f"plugin.{prover}.setup_mode": "testing",
            f"plugin.{prover}.allow_testing_keys": "true",
            "trace.sinks": '["jsonl"]', "plugin.jsonl.path": str(root / TRACES),
            "keys.dir": str(root / ACCOUNTS)}


def _testing_setup(prover: Any, circuit: str, as_json: bool) -> str:
    from ._output import step_progress

    if as_json:
        return prover.setup(circuit, progress=None, mode="testing")
    with step_progress(f"testing keys for {circuit}") as progress:
        last: list[str] = []

        def on_step(text: str, done: int, total: int) -> None:
            step = text.partition(":")[0]
            if not last or last[-1] != step:  # one line per step, not per tool output line
                last.append(step)
                progress(step, done, total)

        return prover.setup(circuit, progress=on_step, mode="testing")


def _config_text(directory: Path, prover: str, circuit: str) -> str:
    def path(name: str) -> str:
        return json.dumps(str(directory / name))  # a JSON string is a TOML basic string

    return f"""\
# A devnet made by `ispc init`: TESTING ONLY.
# - The prover keys in {PROVER_KEYS}/ come from a single-party setup: whoever ran it can forge
#   proofs, so they are accepted only because allow_testing_keys = true.
# - The accounts in {ACCOUNTS}/ ({", ".join(TESTING_ACCOUNTS)}) are well-known public keys:
#   anyone can sign as them.
# Never use this directory where proofs or signatures must be trusted.

[prover]
name = "{prover}"
circuit = "{circuit}"

[plugin.{prover}]
key_dir = {path(PROVER_KEYS)}
setup_mode = "testing"
allow_testing_keys = true

[repository]
name = "sqlite"

[plugin.sqlite]
path = {path(CHAIN_DB)}

[trace]
sinks = ["jsonl"]

[plugin.jsonl]
path = {path(TRACES)}

[keys]
dir = {path(ACCOUNTS)}
"""


def _move_into_place(staging: Path, directory: Path) -> None:
    """Rename every staged piece into ``directory``; undo the renames done so far on failure."""
    moved: list[tuple[Path, Path]] = []
    try:
        for item in sorted(staging.iterdir()):
            target = directory / item.name
            if target.exists():
                raise ConfigError(f"{directory} already holds {item.name}",
                                  code="devnet-exists", key=str(directory))
            os.replace(item, target)
            moved.append((target, item))
    except BaseException:
        for target, item in reversed(moved):
            os.replace(target, item)
        raise


def _report(directory: Path, chain_id: str, applied: Any, prover: str, circuit: str,
            vk_hash: str, as_json: bool) -> None:
    from .._keys import KeyStore

    accounts = KeyStore(directory / ACCOUNTS)
    rows = [accounts.info(name) for name in accounts.names()]
    if as_json:
        emit_json({"directory": str(directory), "config": str(directory / CONFIG_FILE),
                   "chain_id": chain_id, "genesis": to_json(applied.block),
                   "accounts": rows, "allocations": [to_json(o) for o in applied.created],
                   "prover": {"name": prover, "circuit": circuit, "vk_hash": vk_hash,
                              "key_dir": str(directory / PROVER_KEYS), "testing_only": True},
                   "traces": str(directory / TRACES), "testing_only": True})
        return
    block = applied.block
    click.echo(f"devnet ready in {directory}  (TESTING ONLY)")
    click.echo(f"  config       {CONFIG_FILE}  (setup_mode = \"testing\", "
               f"allow_testing_keys = true)")
    click.echo(f"  chain        {CHAIN_DB}  chain {chain_id!r}, genesis "
               f"{block.block_hash.hex()[:16]}… at time {block.timestamp}")
    for row in rows:
        click.echo(f"  account      {row['name']:<6} {row['address']}")
    click.echo(f"               {TESTING_KEY_NOTE}; {DEFAULT_ALLOCATION} coins each")
    click.echo(f"  prover keys  {PROVER_KEYS}/  {circuit} vk {vk_hash[:16]}…  (single-party "
               f"testing setup: whoever ran it can forge proofs)")
    click.echo(f"  traces       {TRACES}")
    click.echo("next (in this directory):")
    click.echo("  ispc deploy token_c.wasm --as alice")
    click.echo("  ispc run CONTRACT mint --input 0a00000000000000 --as alice --apply")
    click.echo("  ispc events; ispc block 2; ispc utxo alice")


@devnet_group.command("advance")
@click.option("--blocks", type=click.IntRange(min=1), default=None,
              help="Empty blocks to add (default 1).")
@click.option("--seconds", type=click.IntRange(min=0), default=None,
              help="Move the block time this far past the head (spread over the blocks).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def devnet_advance(state: State, blocks: int | None, seconds: int | None, as_json: bool) -> None:
    """Add empty blocks (default one), moving the devnet's height and time forward, to test
    HeightLock and TimeLock outputs. Without --seconds each block is one second after the
    previous one; with it the last block is S seconds after the head.

    \b
    Example:
      ispc devnet advance --blocks 10
      ispc devnet advance --seconds 3600 --json"""
    count = blocks or 1
    repository = state.coordinator.repository
    start = repository.view().head()
    writer = repository.writer()
    made = []
    for k in range(1, count + 1):
        when = None if seconds is None else start.timestamp + (seconds * k) // count
        made.append(writer.apply(SealedDraft(), timestamp=when).block)
    head = made[-1]
    if as_json:
        emit_json({"from": to_json(start), "blocks": [to_json(b) for b in made],
                   "height": head.height, "timestamp": head.timestamp})
    else:
        click.echo(f"advanced {count} block(s): height {start.height} -> {head.height}, "
                   f"time {start.timestamp} -> {head.timestamp} "
                   f"(+{head.timestamp - start.timestamp} s)")
