"""A key directory: one JSON file per named Ed25519 key, created 0600 in a 0700 directory.

A key is kept either encrypted with a passphrase (libsodium's Argon2id ``pwhash`` at its
"moderate" limits derives a key for a ``SecretBox``) or, for a devnet only, as a plain seed; a
plain file says ``"protection": "none (devnet only)"`` and ``ispc keys`` prints so. The default
directory is ``$ISPC_KEY_DIR``, else ``~/.ispc/keys``.

Hygiene (as OpenSSH does with ``~/.ssh``): every directory the store creates (``~/.ispc`` too) is
made 0700; an existing key directory, or a key file, that its group or others may read or write
is refused with a typed error (``key-dir-insecure``/``key-file-insecure``, hint: the ``chmod``)
instead of being used as is. The Argon2id limits of an encrypted file are read from the file,
which may come from anyone (``ispc keys import``, ``--key FILE``), so they must lie within
libsodium's "interactive" and "sensitive" limits (``key-kdf-limits``): a weakened file is not
accepted and a file cannot make us allocate more than 1 GiB.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import nacl.exceptions
import nacl.pwhash
import nacl.secret
import nacl.utils

from ._errors import ConfigError, NotFound, ValidationError
from ._signing import SigningKey

__all__ = ["KeyStore", "default_key_dir", "load_key_file"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KDF = nacl.pwhash.argon2id
PLAIN = "none (devnet only)"
#: what an encrypted file may ask of Argon2id (module docstring)
OPSLIMIT_RANGE = (_KDF.OPSLIMIT_INTERACTIVE, _KDF.OPSLIMIT_SENSITIVE)
MEMLIMIT_RANGE = (_KDF.MEMLIMIT_INTERACTIVE, _KDF.MEMLIMIT_SENSITIVE)
_POSIX = os.name == "posix"


def _check_private(path: Path, what: str) -> None:
    """Refuse a key file or directory its group or others may access (POSIX only)."""
    if not _POSIX:
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if not mode & 0o077:
        return
    if what == "dir":
        raise ConfigError(f"{path} has mode {mode:o}: a key directory must not be accessible to "
                          f"its group or others", code="key-dir-insecure",
                          hint=f"chmod 700 {path}")
    raise ConfigError(f"{path} has mode {mode:o}: a key file must not be accessible to its "
                      f"group or others", code="key-file-insecure", hint=f"chmod 600 {path}")


def _make_private_dir(directory: Path) -> None:
    """Create ``directory`` and its missing parents 0700 (``mkdir(parents=True)`` gives the
    parents the umask's mode), then refuse it if it existed with a looser mode."""
    missing = []
    for path in (directory, *directory.parents):
        if path.exists():
            break
        missing.append(path)
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass
    _check_private(directory, "dir")


def _kdf_limits(data: dict, path: Path) -> tuple[int, int]:
    ops, mem = data["opslimit"], data["memlimit"]
    for value, (low, high), name in ((ops, OPSLIMIT_RANGE, "opslimit"),
                                     (mem, MEMLIMIT_RANGE, "memlimit")):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValidationError("key file", f"{path}: Argon2id {name} {value!r} is outside "
                                  f"[{low}, {high}]", code="key-kdf-limits")
    return ops, mem


def default_key_dir() -> Path:
    return Path(os.environ.get("ISPC_KEY_DIR") or Path.home() / ".ispc" / "keys")


def _encode(key: SigningKey, name: str, passphrase: str | None) -> dict:
    data = {"name": name, "public_key": key.public_key.hex(), "scheme": "ed25519"}
    if passphrase is None:
        return {**data, "protection": PLAIN, "seed": key.seed.hex()}
    salt = nacl.utils.random(_KDF.SALTBYTES)
    ops, mem = _KDF.OPSLIMIT_MODERATE, _KDF.MEMLIMIT_MODERATE
    box_key = _KDF.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(), salt, ops, mem)
    sealed = nacl.secret.SecretBox(box_key).encrypt(key.seed)
    return {**data, "protection": "argon2id+secretbox", "salt": salt.hex(), "opslimit": ops,
            "memlimit": mem, "sealed_seed": bytes(sealed).hex()}


def load_key_file(path: Path, passphrase: str | None = None) -> SigningKey:
    """Read a key file written by :class:`KeyStore` (or ``ispc keys export``)."""
    path = Path(path)
    if path.is_file():
        _check_private(path, "file")
    try:
        data = json.loads(path.read_text())
        if data.get("protection") == PLAIN:
            key = SigningKey(bytes.fromhex(data["seed"]))
        else:
            if passphrase is None:
                raise ValidationError("--passphrase-env", f"{path} is encrypted; give its "
                                      "passphrase", code="passphrase-needed")
            ops, mem = _kdf_limits(data, path)
            box_key = _KDF.kdf(nacl.secret.SecretBox.KEY_SIZE, passphrase.encode(),
                               bytes.fromhex(data["salt"]), ops, mem)
            try:
                seed = nacl.secret.SecretBox(box_key).decrypt(bytes.fromhex(data["sealed_seed"]))
            except nacl.exceptions.CryptoError:
                raise ValidationError("--passphrase-env", "wrong passphrase",
                                      code="passphrase-wrong") from None
            key = SigningKey(seed)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError("key file", f"{path} is not an ispc key file: {exc}") from None
    if key.public_key.hex() != data.get("public_key"):
        raise ValidationError("key file", f"{path}: the seed does not match its public key")
    return key


class KeyStore:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory else default_key_dir()

    def path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValidationError("NAME", f"{name!r}: use letters, digits, '.', '_' or '-'")
        return self.directory / f"{name}.key.json"

    def save(self, name: str, key: SigningKey, passphrase: str | None = None, *,
             note: str | None = None) -> Path:
        """Store ``key`` as NAME; ``note`` is shown with it by ``ispc keys`` (``ispc init``
        marks its well-known testing keys so)."""
        path = self.path(name)
        _make_private_dir(self.directory)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(f"a key named {name!r} already exists ({path})",
                              code="key-exists", hint="choose another name") from None
        with os.fdopen(fd, "w") as out:
            json.dump({**_encode(key, name, passphrase), **({"note": note} if note else {})},
                      out, indent=2)
        return path

    def new(self, name: str, passphrase: str | None = None) -> SigningKey:
        key = SigningKey.generate()
        self.save(name, key, passphrase)
        return key

    def load(self, name: str, passphrase: str | None = None) -> SigningKey:
        path = self.path(name)
        if not path.is_file():
            raise NotFound(f"no key named {name!r} in {self.directory}", code="key-missing",
                           hint="`ispc keys list` shows the keys; `ispc keys new NAME` makes one")
        _check_private(self.directory, "dir")
        return load_key_file(path, passphrase)

    def info(self, name: str) -> dict:
        data = json.loads(self.path(name).read_text())
        info = {"name": name, "public_key": data["public_key"], "address": data["public_key"],
                "protection": data["protection"]}
        return {**info, "note": data["note"]} if isinstance(data.get("note"), str) else info

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name[:-len(".key.json")] for p in self.directory.glob("*.key.json"))
