#!/usr/bin/env bash
# The test suite: everything on Python 3.11 (.venv), then the wasmer engine and the cross-engine
# differential tests on Python 3.10 (.venv310). Run scripts/bootstrap.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNX_HOME="${ONNX_HOME:-$(mktemp -d)}"
dirs=(tests)
for d in plugins/*/tests; do [ "$d" = plugins/ispc-wasmer/tests ] || dirs+=("$d"); done
.venv/bin/python -m pytest -q "${dirs[@]}" "$@"
if [ -x .venv310/bin/python ]; then
  py310=(plugins/ispc-wasmer/tests)
  [ -d tests/wasm ] && py310+=(tests/wasm)
  .venv310/bin/python -m pytest -q "${py310[@]}" "$@"
fi
