"""The JSON Schema of every command's ``--json`` output: the contract docs/cli.md publishes.

One schema per command (``COMMANDS``) plus ``error`` (what any command prints on failure with
``--json``). Chain objects appear in their ``to_json`` form (``{"type": "BlockInfo", ...}``,
bytes as lowercase hex); the schemas pin the shape a script relies on (keys, types, hex) and leave
the model objects' inner fields to docs/encoding.md. tests/test_cli_json.py runs every command with
``--json`` and validates its output here; ``python -m ispc_framework._cli._schemas`` regenerates
the schema section of docs/cli.md (``--check`` in the tests).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["COMMANDS", "ERROR", "schema_for"]

HEX = {"type": "string", "pattern": "^([0-9a-f]{2})*$"}
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
INT = {"type": ["integer", "string"], "pattern": "^[0-9]+$"}  # > 2^53 as a decimal string
NULLABLE_HASH = {"anyOf": [HASH, {"type": "null"}]}


def model(name: str, **properties: Any) -> dict[str, Any]:
    """A model object in its ``to_json`` form."""
    return {"type": "object", "required": ["type"],
            "properties": {"type": {"const": name}, **properties}}


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None,
        extra: bool = False) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required),
            "properties": {**required, **(optional or {})}, "additionalProperties": extra}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


BLOCK = model("BlockInfo", height={"type": "integer"}, block_hash=HASH,
              parent_hash=HASH, transaction_id=HASH)
HEAD = model("ChainPins", height={"type": "integer"}, block_hash=HASH,
             chain_id={"type": "string"}, timestamp={"type": "integer"})
OUTPOINT = model("OutPoint", tx_id=HASH, index={"type": "integer"})
TX_OUTPUT = model("TxOutput")
TENSOR_VALUES = obj({"name": {"type": "string"}, "dtype": {"type": "string"},
                     "shape": array({"type": "integer"}),
                     "values": array({"type": ["number", "boolean"]})})
TIMINGS = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0},
           "description": "seconds per phase: compile, execute, prove, verify, apply"}
APPLIED = obj({"block": BLOCK, "created": array(OUTPOINT)}, {"timings": TIMINGS})
RESULT_JSON = obj(
    {"kind": {"enum": ["wasm", "onnx"]}, "result": {"type": "object"},
     "transaction": model("SealedDraft"), "applied": {"anyOf": [BLOCK, {"type": "null"}]},
     "result_hash": HASH, "timings": TIMINGS},
    {"return_data": HEX, "status": {"type": "integer"}, "gas_used": {"type": "integer"},
     "outputs": array(TENSOR_VALUES)})
REPLAY = obj({"matches": {"type": "boolean"}, "differences": array({"type": "string"})})
KEY_INFO = obj({"name": {"type": "string"}, "public_key": HASH, "address": HASH,
                "protection": {"type": "string"}})
CHECK = obj({"level": {"enum": ["ok", "warning", "error"]}, "subject": {"type": "string"},
             "message": {"type": "string"}, "hint": {"type": "string"},
             "code": {"type": "string"}})
SETTING = obj({"name": {"type": "string"}, "type": {"type": "string"}, "default": {},
               "value": {}, "source": {"type": "string"}, "description": {"type": "string"},
               "secret": {"type": "boolean"}})
PLUGIN = obj({"plugin": {"type": "string"}, "distribution": {"type": "string"},
              "version": {"type": "string"}, "kind": {"type": "string"},
              "name": {"type": "string"}, "status": {"type": "string"},
              "error": {"type": "string"}, "capabilities": array({"type": "string"}),
              "description": {"type": "string"}, "api": array({"type": "integer"}),
              "settings": array(SETTING)})
CONFORMANCE_CHECK = obj({"name": {"type": "string"}, "passed": {"type": "boolean"},
                         "detail": {"type": "string"}})
DEMO_STEP = obj({"title": {"type": "string"}, "commands": array({"type": "string"}),
                 "seconds": {"type": "number"}, "lines": array({"type": "string"}),
                 "blocks": array(obj({"height": {"type": "integer"}, "hash": HASH,
                                      "why": {"type": "string"}}))})

ERROR = obj({"error": {"type": "string"}, "code": {"type": "string"},
             "message": {"type": "string"}, "hint": {"type": "string"}},
            {"details": {"type": "object"}})

#: command (as typed after ``ispc``) -> (what it prints, schema)
COMMANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "plugins": ("every installed plugin; settings with default, effective value and source",
                array(PLUGIN)),
    "doctor": ("every check, each ok, warning or error", array(CHECK)),
    "config show": ("every effective key (plugin settings included)",
                    {"type": "object", "additionalProperties": obj(
                        {"value": {}, "source": {"type": "string"}})}),
    "init": ("the genesis block and its outputs", obj({"block": BLOCK, "created": array(OUTPOINT)},
                                                      extra=True)),
    "deploy": ("the stored resource", obj({"content_hash": HASH, "outpoint": OUTPOINT,
                                          "block": BLOCK})),
    "chain": ("the head and recent blocks", obj({"head": HEAD, "blocks": array(BLOCK)})),
    "utxo": ("ADDRESS's unspent outputs", array(obj({"outpoint": OUTPOINT, "output": TX_OUTPUT},
                                                    extra=True))),
    "balance": ("ADDRESS's asset totals per token",
                array(obj({"token": {"type": "object"}, "amount": INT}, extra=True))),
    "run": ("the result (`result` and `transaction` are what --out writes and `apply` reads)",
            RESULT_JSON),
    "infer": ("as run; `outputs` are the model's tensors as values", RESULT_JSON),
    "verify": ("verified (a failure is an error document); with --replay its report",
               obj({"verified": {"const": True}, "result_hash": HASH, "timings": TIMINGS},
                   {"replay": REPLAY})),
    "replay": ("what differs between the result and a re-execution", REPLAY),
    "apply": ("the new block", APPLIED),
    "query": ("a read-only call's return data", obj({"return_data": HEX, "gas_used":
                                                     {"type": "integer"},
                                                     "height": {"type": "integer"}})),
    "state": ("committed storage (entries, or KEY's value and proof)",
              obj({"contract": HASH, "height": {"type": "integer"},
                   "version": {"type": "integer"}, "root": HASH},
                  {"entries": {"type": "object", "additionalProperties": HEX}, "key": HEX,
                   "value": {"anyOf": [HEX, {"type": "null"}]}, "proof": {"type": "object"}})),
    "keys new": ("the new key", KEY_INFO),
    "keys list": ("every key", array(KEY_INFO)),
    "keys show": ("one key", KEY_INFO),
    "keys export": ("where the key was copied", obj({"name": {"type": "string"},
                                                     "file": {"type": "string"}})),
    "keys import": ("the imported key", KEY_INFO),
    "setup": ("the stored keys", obj({"circuit": {"type": "string"},
                                      "vk_hash": {"type": "string"},
                                      "seconds": {"type": "number"}})),
    "prover export-verifier": ("the verifier source (or where it was written)",
                               obj({"circuit": {"type": "string"}, "format": {"type": "string"},
                                    "output": {"type": ["string", "null"]},
                                    "source": {"type": ["string", "null"]}})),
    "conformance": ("the checks, and the spec-test report with --spec-tests",
                    obj({"kind": {"type": "string"}, "ok": {"type": "boolean"},
                         "checks": array(CONFORMANCE_CHECK),
                         "spec_tests": {"type": ["object", "null"]}})),
    "demo": ("every step with its commands, timings, output lines and blocks",
             obj({"workdir": {"type": "string"}, "steps": array(DEMO_STEP),
                  "head": HEAD, "seconds": {"type": "number"}})),
    "hostabi generate": ("whether the artefacts are (now) in sync",
                         obj({"ok": {"type": "boolean"}, "check": {"type": "boolean"}})),
}


def schema_for(command: str) -> dict[str, Any]:
    """The full JSON Schema document of ``command``'s --json output."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"ispc {command} --json", **COMMANDS[command][1]}


DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
_BEGIN = "<!-- BEGIN GENERATED SCHEMAS: python -m ispc_framework._cli._schemas -->"
_END = "<!-- END GENERATED SCHEMAS -->"


def render() -> str:
    parts = [_BEGIN, ""]
    for command, (what, _) in sorted(COMMANDS.items()):
        parts += [f"### `ispc {command} --json`", "", what[0].upper() + what[1:] + ".", "",
                  "```json", json.dumps(schema_for(command), indent=1, sort_keys=True), "```", ""]
    parts += ["### Errors (any command with `--json`)", "", "Exit code 1 or 2; on stdout:", "",
              "```json", json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                                     **ERROR}, indent=1, sort_keys=True), "```", "", _END]
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    text = DOC.read_text()
    head, _, rest = text.partition(_BEGIN)
    _, _, tail = rest.partition(_END)
    updated = head + render() + tail
    if "--check" in argv:
        if updated != text:
            print(f"{DOC} is out of date: run python -m ispc_framework._cli._schemas")
            return 1
        return 0
    DOC.write_text(updated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
