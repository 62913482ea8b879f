"""The input files and values of the CLI, read into models or refused with a typed error.

Every loader here turns any bad input (not UTF-8, not JSON, nested too deep, an integer too long,
wrong types, values the models refuse) into a ValidationError naming the file or field; a
Hypothesis test feeds them arbitrary bytes and JSON (tests/test_cli_loaders.py).
"""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import click

from .._context import ExecutionRequest
from .._encoding import from_json
from .._errors import ISPCError, ValidationError
from .._model import ADDRESS_LEN
from .._model import (TENSOR_DTYPES, OnnxExecutionResult, SealedDraft, Tensor,
                     WasmExecutionResult)

_STRUCT_CODES = {"bool": "?", "int8": "b", "uint8": "B", "int16": "h", "uint16": "H",
                 "int32": "i", "uint32": "I", "int64": "q", "uint64": "Q", "float16": "e",
                 "float32": "f", "float64": "d"}


def parse_hex(text: str, field: str, length: int | None = None) -> bytes:
    try:
        raw = bytes.fromhex(text.removeprefix("0x"))
    except ValueError:
        raise ValidationError(field, f"{text!r} is not hex") from None
    if length is not None and len(raw) != length:
        raise ValidationError(field, f"expected {length} bytes ({2 * length} hex digits), "
                              f"got {len(raw)}")
    return raw


def read_json(path: str | Path, field: str) -> Any:
    """The JSON value in the file at ``path``, or a ValidationError on ``field`` saying why not."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(field, f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(field, f"{path} is not UTF-8 text (bad byte at offset {exc.start})"
                              ) from None
    _check_text_depth(text, field, path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(field, f"{path} is not valid JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:  # an integer past Python's digit cap; nesting
        raise ValidationError(field, f"{path} is not usable JSON: {exc}") from None
    _check_depth(data, field, path)
    return data


MAX_JSON_DEPTH = 64  # far deeper than any result or inputs file; keeps later recursion bounded


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def _check_text_depth(text: str, field: str, path: str | Path) -> None:
    """Refuse deep nesting before the parser sees it: json's C decoder recurses per level and,
    with a raised recursion limit (some libraries raise it), overflows the C stack and kills the
    process instead of raising RecursionError. Strings are removed first (brackets inside them do
    not nest); both scans run in the regex engine, linear in the file size."""
    depth = 0
    for match in _JSON_BRACKET.finditer(_JSON_STRING.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(field, f"{path} nests deeper than {MAX_JSON_DEPTH} levels")


def _check_depth(data: Any, field: str, path: str | Path) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(field, f"{path} nests deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def load_inputs(path: str | Path) -> tuple[Tensor, ...]:
    """The tensors of an ``ispc infer --inputs`` file."""
    return tensors_from_json(read_json(path, "--inputs"))


def tensors_from_json(data: Any) -> tuple[Tensor, ...]:
    """``{"name": {"dtype": "float32", "shape": [1, 4], "values": [...]}}`` -> canonical tensors
    (values flattened in C order, packed little-endian)."""
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ValidationError("--inputs", 'expected {"name": {"dtype": ..., "shape": [...], '
                              '"values": [...]}, ...}')
    tensors = []
    for name, spec in sorted(data.items()):
        dtype = spec.get("dtype")
        if not isinstance(dtype, str) or dtype not in TENSOR_DTYPES:
            raise ValidationError(f"inputs.{name}.dtype",
                                  f"{dtype!r} is not one of {sorted(TENSOR_DTYPES)}")
        values = list(_flatten(spec.get("values", [])))
        shape = spec.get("shape", [len(values)])
        if not isinstance(shape, list):
            raise ValidationError(f"inputs.{name}.shape", f"expected a list, got {shape!r}")
        try:
            data_bytes = struct.pack(f"<{len(values)}{_STRUCT_CODES[dtype]}", *values)
        except (struct.error, TypeError, OverflowError) as exc:  # a value the dtype cannot hold
            raise ValidationError(f"inputs.{name}.values", str(exc)) from None
        tensors.append(Tensor(name, dtype, tuple(shape), data_bytes))
    return tuple(tensors)


def tensor_values(tensor: Tensor) -> list:
    count = len(tensor.data) // TENSOR_DTYPES[tensor.dtype]
    return list(struct.unpack(f"<{count}{_STRUCT_CODES[tensor.dtype]}", tensor.data))


def _flatten(values: Any):
    if isinstance(values, list):
        for item in values:
            yield from _flatten(item)
    else:
        yield values


def load_result(path: str | Path) -> Any:
    """The result of an ``ispc run/infer --out`` file; its "transaction" must be the one the
    result implies (it is there for people to read, never trusted on its own)."""
    from .._coordinator import final_transaction

    payload = read_json(path, "RESULT")
    if not (isinstance(payload, dict) and isinstance(payload.get("result"), dict)
            and isinstance(payload.get("transaction"), dict)):
        raise ValidationError("RESULT", f"{path} is not an `ispc run --out` file: expected an "
                              'object with "result" and "transaction" objects')
    try:
        result, transaction = from_json(payload["result"]), from_json(payload["transaction"])
    except ISPCError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
        # from_json checks types field by field; what it leaves to the model's own converters
        # can still fail on foreign JSON in these builtin ways.
        raise ValidationError("RESULT", f"{path} is not an `ispc run --out` file: {exc}") from None
    if not isinstance(result, (WasmExecutionResult, OnnxExecutionResult)) or \
            not isinstance(transaction, SealedDraft):
        raise ValidationError("RESULT", f"{path} is not an `ispc run --out` file: it holds a "
                              f"{type(result).__name__} and a {type(transaction).__name__}")
    if final_transaction(result) != transaction:
        raise ValidationError("RESULT.transaction", "does not match the result it came with",
                              code="transaction-mismatch")
    return result


# ------------------------------------------------ signing (--as / --key, docs/authorization.md)

def key_store(key_dir: str | None):
    """The key directory: ``--key-dir``, else the config's ``keys.dir`` (``ispc init`` writes
    it), else $ISPC_KEY_DIR, else ~/.ispc/keys."""
    from .._keys import KeyStore

    return KeyStore(Path(key_dir) if key_dir else _configured_key_dir())


def _configured_key_dir() -> Path | None:
    """``keys.dir`` of the running command's config (the root context's State), if any."""
    context = click.get_current_context(silent=True)
    state = context.find_root().obj if context is not None else None
    config = getattr(state, "config", None)
    configured = config.get("keys.dir") if config is not None else None
    return Path(configured) if configured else None


def _passphrase(env_var: str | None) -> str | None:
    import os

    if env_var is None:
        return None
    value = os.environ.get(env_var)
    if value is None:
        raise ValidationError("--passphrase-env", f"${env_var} is not set")
    return value


def signer(as_name: str | None, key_file: str | None, key_dir: str | None,
            passphrase_env: str | None):
    """The signing key chosen with --as NAME or --key FILE (one is required)."""
    from .._keys import load_key_file

    if key_file:
        return load_key_file(Path(key_file), _passphrase(passphrase_env))
    if as_name:
        return key_store(key_dir).load(as_name, _passphrase(passphrase_env))
    from .._errors import TransactionRejected

    raise TransactionRejected("a request must be signed", code="signature-missing",
                              hint="pass --as KEYNAME (see `ispc keys new`) or --key FILE")


def address(text: str, field: str, key_dir: str | None = None) -> bytes:
    """64 hex digits, or the name of a key in the key directory (its address)."""
    if len(text) == 2 * ADDRESS_LEN:
        return parse_hex(text, field, ADDRESS_LEN)
    store = key_store(key_dir)
    return bytes.fromhex(store.info(text)["address"]) if store.path(text).is_file() else \
        parse_hex(text, field, ADDRESS_LEN)


def input_options(command):
    """``--input HEX`` or ``--input-file FILE`` (raw bytes; ``-`` reads stdin): the call input of
    ``run`` and ``query``. A file passes inputs up to the limit, which on the command line would
    exceed the operating system's argument size."""
    command = click.option("--input-file", type=click.Path(dir_okay=False, allow_dash=True),
                           default=None, help="Call input as the raw bytes of FILE (- for "
                           "stdin), e.g. from `xxd -r -p input.hex input.bin`.")(command)
    return click.option("--input", "input_hex", default="", help="Call input as hex.")(command)


def call_input(input_hex: str, input_file: str | None, limit: int) -> bytes:
    """The call input from --input or --input-file (not both); a file is read only up to
    ``limit`` (``limits.max_input_bytes``) plus one byte, so a huge file is refused cheaply."""
    if input_file is None:
        return parse_hex(input_hex, "--input")
    if input_hex:
        raise ValidationError("--input-file", "give --input HEX or --input-file FILE, not both")
    try:
        if input_file == "-":
            import sys

            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(input_file, "rb") as handle:
                data = handle.read(limit + 1)
    except OSError as exc:
        raise ValidationError("--input-file", f"cannot read {input_file}: "
                              f"{exc.strerror or exc}") from None
    if len(data) > limit:
        from .._errors import LimitExceeded

        raise LimitExceeded(f"call input is over {limit} bytes, the cap is {limit} "
                            f"(limits.max_input_bytes; {input_file})", code="input-too-large",
                            field="--input-file")
    return data


def signing_options(command):
    for option in reversed([
            click.option("--as", "as_name", metavar="KEYNAME", help="Sign as this key of the key "
                         "directory (`ispc keys list`)."),
            click.option("--key", "key_file", type=click.Path(exists=True, dir_okay=False),
                         help="Sign with this key file instead."),
            click.option("--key-dir", type=click.Path(file_okay=False), default=None,
                         help="Key directory (default: $ISPC_KEY_DIR, else ~/.ispc/keys)."),
            click.option("--passphrase-env", metavar="VAR", default=None,
                         help="Environment variable holding the key's passphrase."),
            click.option("--valid-for", default=100, show_default=True, type=int,
                         help="Blocks after the current head during which it may run."),
            click.option("--spend", "spends", multiple=True, metavar="TXID:INDEX",
                         help="Allow the contract to spend this output of yours (as `ispc utxo` "
                              "lists it); repeatable. Nothing else of yours can be spent.")]):
        command = option(command)
    return command


def parse_outpoint(text: str, field: str):
    """TXID:INDEX (64 hex digits, a colon, a decimal index), as `ispc utxo` prints it."""
    from .._model import OutPoint

    tx_id, sep, index = text.partition(":")
    if not sep or not index.isdigit():
        raise ValidationError(field, f"{text!r} must look like TXID:INDEX")
    return OutPoint(parse_hex(tx_id, field, 32), int(index))


def sign(coordinator: Any, request: ExecutionRequest, as_name, key_file, key_dir,
          passphrase_env, valid_for: int, spends: tuple[str, ...] = ()):
    from .._coordinator import genesis_of
    from .._transaction import sign_request

    key = signer(as_name, key_file, key_dir, passphrase_env)
    view = coordinator.repository.view()
    head = view.head()
    return sign_request(request, [key], chain_id=head.chain_id, genesis_hash=genesis_of(view),
                        valid_until=head.height + max(valid_for, 0),
                        spends=[parse_outpoint(item, "--spend") for item in spends])
