#!/usr/bin/env bash
# The first-party plugins through `ispc conformance NAME`, each with JSON and JUnit reports whose
# counts must match the printed summary. Usage: scripts/conformance.sh [PYTHON_VENV] NAME...
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-.venv}"; shift || true
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(wasmtime sqlite jsonl ispc.v1 ispc.crypto ispc.state onnxruntime
                                  onnx-reference groth16)
out="$(mktemp -d)"
# the groth16 testing setup compiles circuits with the repository's circom2 (npm ci)
export ISPC_NODE_MODULES="${ISPC_NODE_MODULES:-$PWD/node_modules}"
for name in "${names[@]}"; do
  extra=()
  case "$name" in   # the ONNX engines also run onnx's backend node tests, one check each
    onnxruntime|onnx-reference) extra=(--backend-tests) ;;
  esac
  (cd "$out" && "$OLDPWD/$venv/bin/ispc" conformance "$name" "${extra[@]}" --json "$name.json" \
      --junitxml "$name.xml" | tee "$name.txt")
  "$venv/bin/python" - "$out/$name" <<'PY'
import json, sys, xml.etree.ElementTree as ET
base = sys.argv[1]
report = json.load(open(base + ".json"))
suite = ET.parse(base + ".xml").getroot().find("testsuite")
counts = report["counts"]
summary = open(base + ".txt").read().strip().splitlines()[-1]
assert f"{counts['passed']} passed, {counts['failed']} failed" in summary, summary
assert int(suite.get("tests")) == len(report["checks"]) == sum(counts.values()), base
assert int(suite.get("skipped")) == counts["skipped"] + counts["xfailed"], base
assert report["ok"], base
PY
done
