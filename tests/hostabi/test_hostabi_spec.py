"""The spec as data: it loads and validates, it defines the seventeen primitives plus the calling
convention, and every generated artefact is in sync with it."""

from __future__ import annotations

import copy
import json

import pytest

from ispc_framework._errors import ValidationError
from ispc_framework._hostabi import generate
from ispc_framework._hostabi._bindings_v1 import SIGNATURES, Status
from ispc_framework._hostabi.crypto import CryptoProvider
from ispc_framework._hostabi.spec import load_spec, parse_spec
from ispc_framework._hostabi.v1 import V1Provider

PRIMITIVES = {"block_height", "block_timestamp", "block_hash", "chain_id", "caller",
              "contract_address", "transaction_id", "utxo_lookup", "utxo_exists",
              "resource_lookup", "resource_exists", "tx_add_input", "tx_add_asset_output",
              "tx_add_resource_output", "tx_add_state_output", "emit_event", "log_debug"}
CONVENTION = {"call_input", "set_return_data", "abi_version"}


def test_the_json_spec_and_the_binding_table_are_the_same_spec():
    assert load_spec(generate.SPEC_PATH) == load_spec()


def test_v1_has_the_seventeen_primitives_and_the_calling_convention():
    spec = load_spec()
    names = {fn.name for fn in spec.module("ispc.v1").functions}
    assert names == PRIMITIVES | CONVENTION and len(PRIMITIVES) == 17
    base = [s.value for s in spec.status_codes if s.value < 16]  # extensions use 16 and up
    assert spec.abi_version == 1 and base == list(range(10))


def test_generated_artefacts_are_in_sync():
    assert generate.stale_artefacts() == [], "run python -m ispc_framework._hostabi.generate"


def test_check_mode_detects_a_stale_artefact(tmp_path, capsys):
    root = tmp_path / "repo"
    for path, text in generate.render_all(load_spec(), root).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert generate.main(["--check", "--root", str(root), "--spec", str(generate.SPEC_PATH)]) == 0
    header = root / "sdk" / "c" / "ispc.h"
    header.write_text(header.read_text().replace("ISPC_OK 0", "ISPC_OK 1"))
    assert generate.main(["--check", "--root", str(root), "--spec", str(generate.SPEC_PATH)]) == 1
    assert "sdk/c/ispc.h" in capsys.readouterr().err


def test_descriptors_match_the_spec_signatures():
    for function in V1Provider().host_functions() + CryptoProvider().host_functions():
        params, results, gas, _ = SIGNATURES[(function.module, function.name)]
        assert (function.params, function.results, function.gas) == (params, results, gas)


def test_rules_every_pointer_function_can_report_out_of_bounds():
    for module in load_spec().modules:
        for fn in module.functions:
            kinds = {p.kind for p in fn.params}
            if kinds - {"u32", "u64", "bool"}:
                assert "OUT_OF_BOUNDS" in fn.statuses, fn.name
            if "out_bytes" in kinds:
                assert "BUFFER_TOO_SMALL" in fn.statuses, fn.name
            if kinds & {"bytes", "out_fill"} and any(
                    isinstance(p.max_len, int) for p in fn.params if p.max_len):
                assert "TOO_LARGE" in fn.statuses, fn.name
            assert fn.result != "status" or fn.wasm_results == ("i32",)


def test_status_enum_matches_the_table():
    assert {s.name: s.value for s in load_spec().status_codes} == {s.name: s.value for s in Status}


@pytest.mark.parametrize("breakage", [
    lambda raw: raw["modules"][0]["functions"][1].update(statuses=["OK", "NOPE"]),
    lambda raw: raw["modules"][0]["functions"][1].update(category="magic"),
    lambda raw: raw["modules"][0]["functions"][1]["params"][0].update(kind="pointer"),
    lambda raw: raw["modules"][0]["functions"].append(raw["modules"][0]["functions"][0]),
    lambda raw: raw["status_codes"].append({"name": "OK", "value": 9, "meaning": "dup"}),
    lambda raw: raw["modules"][0]["functions"][0].update(statuses=["OK"]),
])
def test_a_broken_spec_is_rejected_with_a_typed_error(breakage):
    raw = copy.deepcopy(json.loads(generate.SPEC_PATH.read_text()))
    breakage(raw)
    with pytest.raises(ValidationError) as info:
        parse_spec(raw)
    assert info.value.code == "hostabi-spec-invalid" and "generate" in info.value.hint


def test_an_unreadable_spec_file_is_a_typed_error(tmp_path):
    bad = tmp_path / "abi.json"
    bad.write_text("{not json")
    with pytest.raises(ValidationError) as info:
        load_spec(bad)
    assert info.value.code == "hostabi-spec-invalid"
