#!/usr/bin/env bash
# The test suite: lint, the generated-file sync checks and the gnark worker's Go tests, then everything
# on Python 3.11 (.venv) on two cores (pytest-xdist), then on Python 3.10 (.venv310: the wasmer
# engine, the cross-engine differential tests and the core suite on the oldest supported Python)
# and on Python 3.13 (.venv313: the core suite, the default repository and engine). Tests marked
# slow run once, in the 3.11 phase (wasmer's spec-suite run, marked wasm_spec, and the wasmer
# variants of slow tests, marked slow_wasmer, in the 3.10 one). Extra arguments go to every pytest call.
# Run scripts/bootstrap.sh once first.
set -euo pipefail
cd "$(dirname "$0")/.."
export ONNX_HOME="${ONNX_HOME:-$(mktemp -d)}"
workers=(-n "${ISPC_TEST_WORKERS:-2}" --dist loadfile)  # loadfile: a module's tests share fixtures and order
.venv/bin/ruff check --quiet .
# static types ([tool.mypy] in pyproject.toml: strict on the public API); cache in .mypy_cache
.venv/bin/mypy
.venv/bin/python -m ispc_framework._hostabi.generate --check
.venv/bin/python -m ispc_framework._error_codes --check
.venv/bin/python -m ispc_framework._cli._schemas --check
if command -v go >/dev/null 2>&1; then
  # the gnark worker's own tests: Poseidon against go-iden3-crypto and circomlibjs' known
  # answer, the gadget against the native hash, the circuit's rules
  (cd plugins/ispc-gnark/worker && go vet ./... && go test ./...)
fi
dirs=(tests)
for d in plugins/*/tests; do [ "$d" = plugins/ispc-wasmer/tests ] || dirs+=("$d"); done
.venv/bin/python -m pytest -q "${workers[@]}" "${dirs[@]}" "$@"
# Every first-party plugin passes its suite from the installed `ispc conformance NAME`.
scripts/conformance.sh .venv
if [ -x .venv310/bin/python ]; then
  # "wasm_spec": wasmer's run of the WebAssembly spec suite is slow but runs only here.
  .venv310/bin/python -m pytest -q "${workers[@]}" -m "not slow or wasm_spec or slow_wasmer" tests \
    plugins/ispc-wasmer/tests "$@"
  scripts/conformance.sh .venv310 wasmer
fi
if [ -x .venv313/bin/python ]; then
  .venv313/bin/python -m pytest -q "${workers[@]}" -m "not slow" tests plugins/ispc-sqlite/tests \
    plugins/ispc-wasmtime/tests "$@"
fi
