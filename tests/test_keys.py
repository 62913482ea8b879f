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


# --- R6: key directory hygiene (attacker's review) ------------------------------------------

def test_a_loose_key_dir_or_file_is_refused_and_new_dirs_are_private(tmp_path):
    import os

    loose = tmp_path / "keys"
    loose.mkdir()
    os.chmod(loose, 0o777)
    with pytest.raises(ConfigError) as info:
        KeyStore(loose).new("alice")
    assert info.value.code == "key-dir-insecure" and "chmod 700" in info.value.hint
    assert not list(loose.iterdir())                              # nothing written
    os.chmod(loose, 0o700)
    store = KeyStore(loose)
    key = store.new("alice")
    os.chmod(store.path("alice"), 0o644)                         # e.g. copied with cp
    with pytest.raises(ConfigError) as info:
        store.load("alice")
    assert info.value.code == "key-file-insecure" and "chmod 600" in info.value.hint
    with pytest.raises(ConfigError):
        load_key_file(store.path("alice"))                       # `--key FILE` too
    os.chmod(store.path("alice"), 0o600)
    os.chmod(loose, 0o750)
    with pytest.raises(ConfigError) as info:
        store.load("alice")
    assert info.value.code == "key-dir-insecure"
    os.chmod(loose, 0o700)
    assert store.load("alice").public_key == key.public_key
    nested = tmp_path / "home" / ".ispc" / "keys"                # ~/.ispc made 0700 too
    KeyStore(nested).new("bob")
    for path in (nested, nested.parent):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700


def _resealed(tmp_path, ops, mem):
    import nacl.pwhash
    import nacl.secret
    import nacl.utils

    store = KeyStore(tmp_path / "k")
    store.new("bob", "correct horse")
    data = json.loads(store.path("bob").read_text())
    seed = load_key_file(store.path("bob"), "correct horse").seed
    kdf = nacl.pwhash.argon2id
    salt = nacl.utils.random(kdf.SALTBYTES)
    box_key = kdf.kdf(32, b"correct horse", salt, kdf.OPSLIMIT_MIN, kdf.MEMLIMIT_MIN)
    data.update(salt=salt.hex(), opslimit=ops, memlimit=mem,
                sealed_seed=bytes(nacl.secret.SecretBox(box_key).encrypt(seed)).hex())
    path = tmp_path / "k" / "tampered.key.json"
    path.write_text(json.dumps(data))
    path.chmod(0o600)
    return path


@pytest.mark.slow  # derives a moderate Argon2id key once
@pytest.mark.parametrize("limits", ["min", "huge", "bool"])
def test_kdf_limits_from_the_file_are_bounded(tmp_path, limits):
    import nacl.pwhash

    kdf = nacl.pwhash.argon2id
    ops, mem = {"min": (kdf.OPSLIMIT_MIN, kdf.MEMLIMIT_MIN),
                "huge": (kdf.OPSLIMIT_MODERATE, 2**40),        # would allocate 1 TiB
                "bool": (True, kdf.MEMLIMIT_MODERATE)}[limits]
    path = _resealed(tmp_path, ops, mem)
    with pytest.raises(ValidationError) as info:
        load_key_file(path, "correct horse")
    assert info.value.code == "key-kdf-limits" and info.value.hint
