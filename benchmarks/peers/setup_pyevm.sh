#!/usr/bin/env bash
# The py-evm peer of `python -m benchmarks`: its own virtualenv (benchmarks/.venv-pyevm), never a
# dependency of the project. Installs py-evm (PyPI has only betas of 0.12) and compiles the peer's
# ERC-20 token (benchmarks/peers/erc20.sol) with solc-js (npm `solc`, pinned in package.json).
# Safe to run again. Usage: bash benchmarks/peers/setup_pyevm.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=benchmarks/.venv-pyevm
PY=${1:-${PYTHON:-}}
if [ -z "$PY" ]; then  # the interpreter the project's .venv was made from, else python3.11
  if [ -x .venv/bin/python ]; then
    PY=$(.venv/bin/python -c 'import sys, os; print(os.path.join(sys.base_prefix, "bin", "python3"))')
  else
    PY=python3.11
  fi
fi
[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
# coincurve: eth-keys' libsecp256k1 backend (without it, signature recovery is pure Python)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "py-evm==0.12.1b1" \
  "coincurve==21.0.0"
[ -d node_modules/solc ] || npm ci --no-audit --no-fund --loglevel=error
node -e '
const solc = require(process.cwd() + "/node_modules/solc");
const fs = require("fs");
const input = {language: "Solidity",
  sources: {"erc20.sol": {content: fs.readFileSync("benchmarks/peers/erc20.sol", "utf8")}},
  settings: {optimizer: {enabled: true, runs: 200},
             outputSelection: {"*": {"*": ["evm.bytecode.object", "evm.methodIdentifiers"]}}}};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter(e => e.severity === "error");
if (errors.length) { console.error(JSON.stringify(errors)); process.exit(1); }
const c = out.contracts["erc20.sol"]["Token"];
fs.writeFileSync(process.argv[1], JSON.stringify({bytecode: c.evm.bytecode.object,
  methods: c.evm.methodIdentifiers, solc: solc.version()}));
' "$VENV/erc20.json"
echo "py-evm peer ready: $VENV ($("$VENV/bin/python" -c 'import importlib.metadata as m; print("py-evm", m.version("py-evm"))'))"
