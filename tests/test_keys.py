"""The key directory and `ispc keys`: 0600 files, plain devnet keys that say so, passphrase-
encrypted keys (Argon2id), import/export, and signing with a stored key."""

from __future__ import annotations

import json
import stat

import pytest
from click.testing import CliRunner

from ispc_framework._cli import cli
from ispc_framework._errors import ConfigError, NotFound, ValidationError
from ispc_framework._keys import KeyStore, load_key_file
from ispc_framework._signing import verify


def keys(tmp_path, *args, env=None, code=0):
    result = CliRunner(env={"ISPC_KEY_DIR": str(tmp_path / "k"), **(env or {})}).invoke(
        cli, ["keys", *args])
    assert result.exit_code == code, result.output
    return result.output


def test_new_list_show_export_import(tmp_path):
    out = keys(tmp_path, "new", "alice")
    address = out.split()[1]
    assert len(bytes.fromhex(address)) == 32 and "devnet only" in out
    path = tmp_path / "k" / "alice.key.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert f"alice  {address}  (none (devnet only))" in keys(tmp_path, "list")
    assert json.loads(keys(tmp_path, "show", "alice", "--json"))["address"] == address
    keys(tmp_path, "new", "alice", code=2)                              # [key-exists]
    keys(tmp_path, "export", "alice", str(tmp_path / "a.json"))
    assert stat.S_IMODE((tmp_path / "a.json").stat().st_mode) == 0o600
    keys(tmp_path, "import", "alice2", str(tmp_path / "a.json"))
    store = KeyStore(tmp_path / "k")
    assert store.load("alice").public_key == store.load("alice2").public_key
    key = store.load("alice")
    assert verify(key.public_key, b"m", key.sign(b"m"))
    with pytest.raises(NotFound):
        store.load("nobody")
    with pytest.raises(ValidationError):
        store.path("../escape")
    with pytest.raises(ConfigError):
        store.save("alice", key)


@pytest.mark.slow
def test_passphrase_protected_key(tmp_path):
    env = {"PW": "correct horse"}
    address = keys(tmp_path, "new", "bob", "--passphrase-env", "PW", env=env).split()[1]
    data = json.loads((tmp_path / "k" / "bob.key.json").read_text())
    assert data["protection"] == "argon2id+secretbox" and "seed" not in data
    path = tmp_path / "k" / "bob.key.json"
    assert load_key_file(path, "correct horse").public_key.hex() == address
    for passphrase, code in ((None, "passphrase-needed"), ("wrong", "passphrase-wrong")):
        with pytest.raises(ValidationError) as info:
            load_key_file(path, passphrase)
        assert info.value.code == code
    assert "argon2id" in keys(tmp_path, "list")
