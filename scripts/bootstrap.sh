#!/usr/bin/env bash
# Installs everything ISPC needs on a fresh Debian machine, from this repository's own files:
# system toolchains (apt), Node toolchains (npm, package-lock.json), a Python 3.11 virtualenv
# (.venv) with the core and every plugin, a Python 3.10 virtualenv (.venv310) for wasmer, a
# Python 3.13 one (.venv313), the gnark prover's Go worker (go build, modules from the Go module
# proxy), and the example contracts built from source. Safe to run again; it skips what is
# already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export SETUPTOOLS_ENFORCE_DEPRECATION=1  # deprecated setup.cfg keys fail the build early
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n==> %s\n' "$*"; }

# The newest installed pyenv CPython of a minor version (e.g. 3.10 -> .../versions/3.10.13/bin/
# python), or nothing. `pyenv latest` knows the installed versions; `pyenv versions --bare` is the
# fallback for older pyenv releases.
pyenv_python() {
  command -v pyenv >/dev/null 2>&1 || return 0
  local version
  version=$(pyenv latest "$1" 2>/dev/null) || version=""
  if [ -z "$version" ]; then
    version=$(pyenv versions --bare 2>/dev/null | grep -E "^$1\.[0-9]+$" | sort -t. -k3,3n | tail -1)
  fi
  [ -n "$version" ] && [ -x "$(pyenv root)/versions/$version/bin/python" ] &&
    echo "$(pyenv root)/versions/$version/bin/python"
  return 0
}

need_apt=()
for tool in clang wasm-ld wat2wasm wasm-opt; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
if ((${#need_apt[@]})); then
  step "apt: clang lld wabt binaryen (missing: ${need_apt[*]})"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang lld wabt binaryen >/dev/null
fi

step "npm: assemblyscript, circom2, circomlib, snarkjs (package-lock.json)"
npm ci --no-audit --no-fund --loglevel=error

PY311=${PYTHON:-python3.11}
command -v "$PY311" >/dev/null 2>&1 || PY311=python3
PLUGINS_311=(ispc-sqlite ispc-wasmtime ispc-wasmer ispc-onnxruntime ispc-onnx-reference ispc-groth16
             ispc-gnark)

step "Python $($PY311 --version 2>&1 | cut -d' ' -f2): .venv with the core and plugins"
[ -x .venv/bin/python ] || "$PY311" -m venv .venv
.venv/bin/python -m pip install -q --upgrade "pip>=25.1"
args=(-e .)
for p in "${PLUGINS_311[@]}"; do [ -d "plugins/$p" ] && args+=(-e "plugins/$p"); done
.venv/bin/python -m pip install -q "${args[@]}"
.venv/bin/python -m pip install -q --group test --group evm --group examples

if command -v go >/dev/null 2>&1; then
  step "Go $(go version | cut -d' ' -f3): the gnark prover's worker (go build, Go module proxy)"
  .venv/bin/python -m ispc_gnark.build
else
  echo "warning: no Go toolchain; the gnark prover's worker is not built (ispc doctor says so)" >&2
fi

PY310=$(pyenv_python 3.10)
if [ -n "$PY310" ]; then
  step "Python 3.10: .venv310 for wasmer (wheels stop at CPython 3.10)"
  [ -x .venv310/bin/python ] || "$PY310" -m venv .venv310
  .venv310/bin/python -m pip install -q --upgrade "pip>=25.1"
  args=(-e .)
  # every plugin that supports 3.10 (onnxruntime 1.31 has no 3.10 wheels), so the core's own
  # tests run on the oldest supported Python too
  for p in ispc-wasmtime ispc-wasmer ispc-sqlite ispc-groth16 ispc-onnx-reference ispc-gnark; do
    [ -d "plugins/$p" ] && args+=(-e "plugins/$p")
  done
  .venv310/bin/python -m pip install -q "${args[@]}" "wasmer==1.1.0" "wasmer-compiler-cranelift==1.1.0"
  .venv310/bin/python -m pip install -q --group test
else
  echo "warning: no CPython 3.10 under pyenv; the wasmer engine and its tests are skipped" >&2
fi

PY313=$(pyenv_python 3.13)
if [ -n "$PY313" ]; then
  step "Python 3.13: .venv313, the newest supported Python, for the core suite"
  [ -x .venv313/bin/python ] || "$PY313" -m venv .venv313
  .venv313/bin/python -m pip install -q --upgrade "pip>=25.1"
  .venv313/bin/python -m pip install -q -e . -e plugins/ispc-sqlite -e plugins/ispc-wasmtime \
    -e plugins/ispc-wasmer -e plugins/ispc-groth16 -e plugins/ispc-gnark
  .venv313/bin/python -m pip install -q --group test
fi

if [ -x examples/contracts/build.sh ] || [ -f examples/contracts/build.sh ]; then
  step "example contracts (C and AssemblyScript, from source)"
  bash examples/contracts/build.sh
fi

step "done: .venv/bin/ispc is ready"
