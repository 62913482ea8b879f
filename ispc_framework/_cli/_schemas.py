"""The JSON Schema (draft 2020-12) of each command's ``--json`` output.

docs/schemas/<command>.json and the index in docs/cli.md are generated from this table (``python
-m ispc_framework._cli._schemas`` rewrites them, ``--check`` fails when they are stale); the tests
validate every command's real output against its schema with the ``jsonschema`` library.
Conventions: byte strings are lowercase hex; integers beyond 2^53 are decimal strings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["SCHEMAS", "ERROR", "schema_of", "expected_files", "main"]

HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}
HASH = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
UINT = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"}]}
NULLABLE_HASH = {"anyOf": [HASH, {"type": "null"}]}


def _object(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": sorted(k for k in properties if k not in optional),
            "additionalProperties": False}


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


_BLOCK_INFO = _object({"type": {"const": "BlockInfo"}, "height": UINT, "timestamp": UINT,
                       "block_hash": HASH, "parent_hash": HASH, "transaction_id": HASH,
                       "output_count": UINT})
_TO_JSON_OUTPOINT = {"type": "object", "required": ["type", "tx_id", "index"],
                     "properties": {"type": {"const": "OutPoint"}, "tx_id": HASH, "index": UINT}}
_CHAIN_PINS = _object({"type": {"const": "ChainPins"}, "height": UINT, "timestamp": UINT,
                       "block_hash": HASH, "chain_id": {"type": "string"}})
_MODEL_OBJECT = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}
_TIMINGS = {"type": "object", "additionalProperties": {"type": "number", "minimum": 0},
            "description": "seconds per phase: compile, execute, prove, verify, apply (apply.* for "
                           "the re-execution apply does first)"}
_TENSOR_VALUES = _object({"name": {"type": "string"}, "dtype": {"type": "string"},
                          "shape": _array(UINT), "values": _array({})})
_RESULT_DOCUMENT = _object(
    {"kind": {"enum": ["wasm", "onnx"]}, "result": _MODEL_OBJECT, "transaction": _MODEL_OBJECT,
     "applied": {"anyOf": [_BLOCK_INFO, {"type": "null"}]}, "result_hash": HASH,
     "timings": _TIMINGS, "return_data": HEX, "status": UINT, "gas_used": UINT,
     "outputs": _array(_TENSOR_VALUES)},
    optional=("return_data", "status", "gas_used", "outputs"))
_REPLAY = _object({"matches": {"type": "boolean"}, "differences": _array({"type": "string"})})
_KEY_INFO = _object({"name": {"type": "string"}, "public_key": HASH, "address": HASH,
                     "protection": {"type": "string"}, "note": {"type": "string"}},
                    optional=("note",))
_CHECK = _object({"level": {"enum": ["ok", "warning", "error"]}, "subject": {"type": "string"},
                  "message": {"type": "string"}, "hint": {"type": "string"},
                  "code": {"type": "string"}})
_SETTING = _object({"name": {"type": "string"}, "type": {"type": "string"}, "default": {},
                    "value": {}, "source": {"type": "string"}, "description": {"type": "string"},
                    "secret": {"type": "boolean"}})
_PLUGIN = _object({"plugin": {"type": "string"}, "distribution": {"type": "string"},
                   "version": {"type": "string"}, "kind": {"type": "string"},
                   "name": {"type": "string"}, "status": {"type": "string"},
                   "error": {"type": "string"}, "capabilities": _array({"type": "string"}),
                   "description": {"type": "string"}, "api": _array(UINT),
                   "settings": _array(_SETTING)})
_DEMO_STEP = _object({"title": {"type": "string"}, "commands": _array({"type": "string"}),
                      "seconds": {"type": "number"}, "lines": _array({"type": "string"}),
                      "blocks": _array(_object({"height": UINT, "hash": HASH,
                                                "why": {"type": "string"}}))})

#: What any command prints on stdout with --json when it fails (exit code 1 or 2).
ERROR = _object({"error": {"type": "string"}, "code": {"type": "string"},
                 "message": {"type": "string"}, "hint": {"type": "string"},
                 "details": {"type": "object"}}, optional=("details",))
_OUTPOINT = _object({"tx_id": HASH, "index": UINT})
_LOCK: dict[str, Any] = {"type": "object", "required": ["kind"],
                         "properties": {"kind": {"enum": ["key", "multi-key", "contract", "time",
                                                          "height"]}}}
_TOKEN = _object({"kind": {"enum": ["coin", "fungible", "nft"]},
                  "contract": NULLABLE_HASH, "id": {"anyOf": [HEX, {"type": "null"}]},
                  "label": {"type": "string"}})
_OUTPUT = {"type": "object",
           "required": ["outpoint", "owner", "kind", "locks"],
           "properties": {"outpoint": _OUTPOINT, "owner": HASH,
                          "kind": {"enum": ["asset", "resource", "state"]},
                          "locks": _array(_LOCK), "amount": UINT, "token": _TOKEN,
                          "content_hash": HASH, "category": {"type": "string"},
                          "name": {"type": "string"}, "size": UINT,
                          "mime_type": {"type": "string"}, "state_id": HASH,
                          "version": UINT, "execution_result_hash": HASH},
           "additionalProperties": False}
_EVENT = _object({"height": UINT, "index": UINT, "contract": HASH, "type": {"type": "string"},
                  "data": HEX})
_RESULT_SUMMARY = _object(
    {"kind": {"enum": ["wasm", "onnx"]}, "resource": HASH, "method": {"type": "string"},
     "input": HEX, "signers": _array(HASH), "engine": {"type": "string"},
     "execution_result_hash": HASH, "trace_root": HASH, "pinned_height": UINT,
     "status": UINT, "gas_used": UINT, "return_data": HEX},
    optional=("status", "gas_used", "return_data"))
_BLOCK = _object({
    "height": UINT, "timestamp": UINT, "block_hash": HASH, "parent_hash": HASH,
    "transaction_id": HASH, "signed_transaction_id": NULLABLE_HASH,
    "inputs": _array(_object({"tx_id": HASH, "index": UINT, "reference_only": {"type": "boolean"}})),
    "outputs": _array(_OUTPUT), "events": _array(_EVENT), "storage_writes": UINT,
    "result": {"anyOf": [_RESULT_SUMMARY, {"type": "null"}]}})
_BYTES = _object({"hex": HEX, "text": {"type": ["string", "null"]}})
_TRACE_RECORD = _object(
    {"seq": UINT, "kind": {"enum": ["start", "call", "end"]}, "function": {"type": "string"},
     "status": UINT, "status_name": {"type": "string"}, "gas": UINT, "gas_after": UINT,
     "args": {"anyOf": [_array(UINT), {"type": "null"}]},
     "params": {"anyOf": [{"type": "object", "additionalProperties": {
         "anyOf": [UINT, _array(UINT)]}}, {"type": "null"}]},
     "reads": _array(_BYTES),
     "value": {}, "writes": _array(_BYTES), "text": {"type": ["string", "null"]}},
    optional=("status_name", "params"))
_GENESIS = _object({"block": _BLOCK_INFO, "created": _array(_TO_JSON_OUTPOINT)})
_DEVNET = _object({
    "directory": {"type": "string"}, "config": {"type": "string"},
    "chain_id": {"type": "string"}, "genesis": _BLOCK_INFO, "accounts": _array(_KEY_INFO),
    "allocations": _array({"type": "object"}),
    "prover": _object({"name": {"type": "string"}, "circuit": {"type": "string"},
                       "vk_hash": {"type": "string"}, "key_dir": {"type": "string"},
                       "testing_only": {"const": True}}),
    "traces": {"type": "string"}, "testing_only": {"const": True}})

#: command (as typed after `ispc`) -> schema of its --json document
SCHEMAS: dict[str, dict[str, Any]] = {
    "init": {
        "description": "Without a config in effect: the devnet made (as `devnet init`). With a "
                       "config: the genesis block and its allocations' outpoints.",
        "anyOf": [_DEVNET, _GENESIS]},
    "devnet init": {"description": "The devnet made: where each part is, accounts, prover key.",
                    **_DEVNET},
    "devnet advance": {
        "description": "The head before, the empty blocks made, and the new head's height and "
                       "time.",
        **_object({"from": {"type": "object"}, "blocks": _array(_BLOCK_INFO), "height": UINT,
                   "timestamp": UINT})},
    "setup": {
        "description": "The key made: circuit, mode, verification key hash, where it is stored.",
        **_object({"circuit": {"type": "string"}, "mode": {"enum": ["testing", "ceremony"]},
                   "vk_hash": {"type": "string"}, "testing_only": {"type": "boolean"},
                   "key_dir": {"type": ["string", "null"]}, "elapsed_s": {"type": "number"}})},
    "plugins": {
        "description": "Every installed plugin; each setting with its default, effective value "
                       "and source.",
        **_array(_PLUGIN)},
    "doctor": {"description": "Every check, each ok, warning or error.", **_array(_CHECK)},
    "config show": {
        "description": "Every effective key, installed plugins' settings included, with its "
                       "source (default, file:PATH, env:VAR, env-ref:VAR or cli).",
        "type": "object",
        "additionalProperties": _object({"value": {}, "source": {"type": "string"}})},
    "deploy": {
        "description": "The stored resource: its content hash, resource outpoint and block.",
        **_object({"content_hash": HASH, "outpoint": _TO_JSON_OUTPOINT, "block": _BLOCK_INFO})},
    "chain": {"description": "The head and recent blocks.",
              **_object({"head": _CHAIN_PINS, "blocks": _array(_BLOCK_INFO)})},
    "utxo": {"description": "ADDRESS's unspent outputs (to_json form).",
             **_array(_object({"outpoint": _TO_JSON_OUTPOINT, "output": _MODEL_OBJECT}))},
    "balance": {"description": "ADDRESS's asset totals per token.",
                **_array(_object({"token": _MODEL_OBJECT, "amount": UINT}))},
    "run": {
        "description": "The result: `result` and `transaction` are what --out writes and `apply` "
                       "reads; status, gas, return data and per-phase timings beside them.",
        **_RESULT_DOCUMENT},
    "infer": {"description": "As run; `outputs` are the model's tensors as values.",
              **_RESULT_DOCUMENT},
    "verify": {
        "description": "Verified (a failure is an error document); with --replay its report.",
        **_object({"verified": {"const": True}, "result_hash": HASH, "timings": _TIMINGS,
                   "replay": _REPLAY}, optional=("replay",))},
    "replay": {"description": "What differs between the result and a re-execution.", **_REPLAY},
    "apply": {"description": "The new block, its outputs and per-phase timings.",
              **_object({"block": _BLOCK_INFO, "created": _array(_TO_JSON_OUTPOINT),
                         "timings": _TIMINGS})},
    "batch": {
        "description": "How many calls ran on how many workers, and each call's status, gas and "
                       "result hash, in the order of the requests (--out has the results).",
        **_object({"requests": UINT, "workers": UINT,
                   "results": _array(_object({"status": UINT, "gas_used": UINT,
                                               "execution_result_hash": HASH}))})},
    "query": {"description": "A read-only call's return data, gas and the height it ran at.",
              **_object({"return_data": HEX, "gas_used": UINT, "height": UINT})},
    "state": {
        "description": "Committed storage: every entry, or KEY's value (and proof).",
        **_object({"contract": HASH, "height": UINT, "version": UINT, "root": HASH,
                   "entries": {"type": "object", "additionalProperties": HEX}, "key": HEX,
                   "value": {"anyOf": [HEX, {"type": "null"}]}, "proof": {"type": "object"}},
                  optional=("entries", "key", "value", "proof"))},
    "keys new": {"description": "The new key.", **_KEY_INFO},
    "keys list": {"description": "Every key.", **_array(_KEY_INFO)},
    "keys show": {"description": "One key.", **_KEY_INFO},
    "keys export": {"description": "Where the key was copied.",
                    **_object({"name": {"type": "string"}, "file": {"type": "string"}})},
    "keys import": {"description": "The imported key.", **_KEY_INFO},
    "prover export-verifier": {
        "description": "The verifier source, or where it was written (-o).",
        **_object({"circuit": {"type": "string"}, "format": {"type": "string"},
                   "output": {"type": ["string", "null"]},
                   "source": {"type": ["string", "null"]}})},
    "conformance": {
        "description": "The suite's report (versions, the plugin, counts, levels, every check), "
                       "and the spec-test report with --spec-tests.",
        **_object({"core_version": {"type": "string"}, "suite": {"type": "string"},
                   "suite_version": {"type": "string"}, "ok": {"type": "boolean"},
                   "plugin": _object({"name": {"type": "string"},
                                      "distribution": {"type": "string"},
                                      "version": {"type": "string"},
                                      "declared_capabilities": _array({"type": "string"}),
                                      "object_capabilities": {
                                          "anyOf": [_array({"type": "string"}),
                                                    {"type": "null"}]}}),
                   "counts": {"type": "object",
                              "additionalProperties": {"type": "integer", "minimum": 0}},
                   "levels": {"type": "object"},
                   "errors": _array({"type": "string"}),
                   "checks": _array(_object({"id": {"type": "string"},
                                             "nodeid": {"type": "string"},
                                             "outcome": {"enum": ["passed", "failed", "skipped",
                                                                  "xfailed", "xpassed",
                                                                  "error"]},
                                             "reason": {"type": "string"},
                                             "duration": {"type": "number"}})),
                   "spec_tests": {"type": ["object", "null"]}})},
    "demo": {
        "description": "Every step with its by-hand commands, time, output lines and blocks.",
        **_object({"workdir": {"type": "string"}, "steps": _array(_DEMO_STEP),
                   "head": _CHAIN_PINS, "seconds": {"type": "number"}})},
    "hostabi generate": {
        "description": "Whether the artefacts are (now) in sync.",
        **_object({"ok": {"type": "boolean"}, "check": {"type": "boolean"}})},
    "block": {
        "description": "One block and what it applied; `result` is null for the genesis block, "
                     "deploys and `devnet advance` blocks.",
        **_BLOCK},
    "tx": {"description": "The block holding the transaction (either id): as `block`.",
           **_BLOCK},
    "events": {"description": "Events, oldest first.", **_array(_EVENT)},
    "contracts": {
        "description": "Deployed resources (unspent resource outputs), oldest first.",
        **_array(_object({"content_hash": HASH, "name": {"type": "string"},
                          "kind": {"enum": ["contract", "model", "static"]}, "size": UINT,
                          "mime_type": {"type": "string"}, "owner": HASH, "height": UINT,
                          "outpoint": _OUTPOINT}))},
    "trace": {
        "description": "A result's trace records decoded; `source` says whether they came from a "
                       "trace sink or a re-execution. They hash to `trace_root`.",
        **_object({"trace_root": HASH, "execution_result_hash": HASH,
                   "source": {"type": "string"}, "records": _array(_TRACE_RECORD)})},
}


def schema_of(command: str) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **SCHEMAS[command]}


def file_name(command: str) -> str:
    return command.replace(" ", "-") + ".json"


def render_file(command: str) -> str:
    return json.dumps(schema_of(command), indent=2, sort_keys=True) + "\n"


BEGIN, END = "<!-- schemas:begin (generated: python -m ispc_framework._cli._schemas) -->", \
    "<!-- schemas:end -->"


def render_index() -> str:
    rows = [BEGIN, "", "| command | schema | document |", "|---|---|---|"]
    rows += [f"| `ispc {command} --json` | [schemas/{file_name(command)}](schemas/"
             f"{file_name(command)}) | {SCHEMAS[command].get('description', '')} |"
             for command in SCHEMAS]
    return "\n".join(rows + ["", END])


def _docs() -> Path:
    return Path(__file__).resolve().parents[2] / "docs"


def expected_files() -> dict[Path, str]:
    """docs/cli.md (its schema index) and docs/schemas/*.json as they should be."""
    docs = _docs()
    text = (docs / "cli.md").read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    files = {docs / "cli.md": text[:start] + render_index() + text[end:]}
    files.update({docs / "schemas" / file_name(c): render_file(c) for c in SCHEMAS})
    files[docs / "schemas" / "error.json"] = json.dumps(
        {"$schema": "https://json-schema.org/draft/2020-12/schema", **ERROR}, indent=2,
        sort_keys=True) + "\n"
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Regenerate docs/schemas/ and docs/cli.md's "
                                                 "schema index.")
    parser.add_argument("--check", action="store_true", help="exit 1 if they are stale")
    args = parser.parse_args(argv)
    stale = [path for path, text in expected_files().items()
             if not path.is_file() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path} is stale: run python -m ispc_framework._cli._schemas", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected_files()[path])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
