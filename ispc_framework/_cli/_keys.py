"""``ispc keys`` (a key directory of Ed25519 keys) and the signing options of ``run``, ``infer``
and ``deploy`` (``--as KEYNAME`` / ``--key FILE``): docs/authorization.md."""

from __future__ import annotations

from pathlib import Path

import click

from ._app import emit_json
from ._loaders import _passphrase, key_store

@click.group("keys")
def keys_group() -> None:
    """Ed25519 keys in a key directory (0600 files); an address is the public key."""


@keys_group.command("new")
@click.argument("name")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--passphrase-env", metavar="VAR", default=None,
              help="Encrypt with the passphrase in $VAR (Argon2id); without it the key is a "
                   "plain devnet key.")
@click.option("--json", "as_json", is_flag=True)
def keys_new(name: str, key_dir: str | None, passphrase_env: str | None, as_json: bool) -> None:
    """Make a new key. Example: ispc keys new alice"""
    store = key_store(key_dir)
    store.new(name, _passphrase(passphrase_env))
    if as_json:
        emit_json(store.info(name))
    else:
        click.echo(f"{name}  {store.info(name)['address']}")
    if passphrase_env is None:
        click.echo("warning: stored unencrypted (devnet only); use --passphrase-env VAR",
                   err=True)


@keys_group.command("list")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
def keys_list(key_dir: str | None, as_json: bool) -> None:
    """List the keys. Example: ispc keys list --json"""
    store = key_store(key_dir)
    rows = [store.info(name) for name in store.names()]
    if as_json:
        emit_json(rows)
        return
    for row in rows:  # plain lines, not a table: an address must stay whole to be copied
        note = f"  {row['note']}" if row.get("note") else ""
        click.echo(f"{row['name']}  {row['address']}  ({row['protection']}){note}")
    if not rows:
        click.echo(f"no keys in {store.directory}")


@keys_group.command("show")
@click.argument("name")
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
def keys_show(name: str, key_dir: str | None, as_json: bool) -> None:
    """Show a key's address (public key) and protection. Example: ispc keys show alice"""
    info = key_store(key_dir).info(name)
    if as_json:
        emit_json(info)
    else:
        click.echo(f"address     {info['address']}\nprotection  {info['protection']}")
        if info.get("note"):
            click.echo(f"note        {info['note']}")


@keys_group.command("export")
@click.argument("name")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--json", "as_json", is_flag=True)
def keys_export(name: str, file: str, key_dir: str | None, as_json: bool) -> None:
    """Copy a key file (as stored: encrypted or plain) to FILE, mode 0600.

    Example: ispc keys export alice alice.key.json"""
    import os

    data = key_store(key_dir).path(name).read_bytes()
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    if as_json:
        emit_json({"name": name, "file": file})
    else:
        click.echo(f"exported {name} to {file}")


@keys_group.command("import")
@click.argument("name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--key-dir", type=click.Path(file_okay=False), default=None)
@click.option("--passphrase-env", metavar="VAR", default=None)
@click.option("--json", "as_json", is_flag=True)
def keys_import(name: str, file: str, key_dir: str | None, passphrase_env: str | None,
                as_json: bool) -> None:
    """Import a key file (checked by loading it) under NAME.

    Example: ispc keys import alice alice.key.json"""
    from .._keys import load_key_file

    passphrase = _passphrase(passphrase_env)
    key = load_key_file(Path(file), passphrase)
    store = key_store(key_dir)
    store.save(name, key, passphrase)
    if as_json:
        emit_json(store.info(name))
    else:
        click.echo(f"{name}  {key.public_key.hex()}")
