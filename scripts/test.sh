#!/usr/bin/env bash
# The test suite: lint and the HostABI sync check, everything on Python 3.11 (.venv), then the core
# suite with the wasmer engine and the cross-engine differential tests on Python 3.10 (.venv310),
# and the core suite on Python 3.13 (.venv313). Run scripts/bootstrap.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNX_HOME="${ONNX_HOME:-$(mktemp -d)}"
.venv/bin/ruff check --quiet .
.venv/bin/python -m ispc_framework.hostabi.generate --check
dirs=(tests)
for d in plugins/*/tests; do [ "$d" = plugins/ispc-wasmer/tests ] || dirs+=("$d"); done
.venv/bin/python -m pytest -q "${dirs[@]}" "$@"
if [ -x .venv310/bin/python ]; then
  # Python 3.10: the wasmer engine (its wheels stop at 3.10), the engine differential tests, and
  # the core's own suite on the oldest supported Python.
  py310=(tests plugins/ispc-wasmer/tests)
  .venv310/bin/python -m pytest -q "${py310[@]}" "$@"
fi
if [ -x .venv313/bin/python ]; then
  # Python 3.13, the newest supported: the core suite and the default repository and engine.
  .venv313/bin/python -m pytest -q tests plugins/ispc-sqlite/tests plugins/ispc-wasmtime/tests "$@"
fi
