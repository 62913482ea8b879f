"""Test helpers for exported Solidity verifiers: compile with solc-js (npm ``solc``, pinned in
package.json) and run in py-evm through eth-tester (the ``evm`` dependency group)."""

from __future__ import annotations

import json
import subprocess

__all__ = ["compile_solidity", "Chain"]

_COMPILE = """
const solc = require(process.argv[1] + '/solc');
const fs = require('fs');
const input = {language: 'Solidity', sources: {'Verifier.sol': {content: fs.readFileSync(0, 'utf8')}},
  settings: {optimizer: {enabled: true, runs: 200},
             outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object', 'evm.methodIdentifiers']}}}};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (out.errors || []).filter(e => e.severity === 'error');
if (errors.length) { console.error(JSON.stringify(errors)); process.exit(1); }
const c = out.contracts['Verifier.sol'][process.argv[2]];
console.log(JSON.stringify({bytecode: c.evm.bytecode.object, methods: c.evm.methodIdentifiers}));
"""


def compile_solidity(source: str, contract: str, node_modules) -> dict:
    """``{"bytecode": hex, "methods": {signature: selector hex}}`` of ``contract``."""
    done = subprocess.run(["node", "-e", _COMPILE, str(node_modules), contract], input=source,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise AssertionError(f"solc failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)


class Chain:
    """One in-memory py-evm chain with a contract deployed."""

    def __init__(self, bytecode: str) -> None:
        from eth_tester import EthereumTester, PyEVMBackend

        self.t = EthereumTester(PyEVMBackend())
        self.sender = self.t.get_accounts()[0]
        tx = self.t.send_transaction({"from": self.sender, "data": "0x" + bytecode,
                                      "gas": 8_000_000})
        self.address = self.t.get_transaction_receipt(tx)["contract_address"]

    def call(self, data: bytes) -> bytes | None:
        """The call's return data, or None if it reverts."""
        from eth_tester.exceptions import TransactionFailed

        try:
            out = self.t.call({"from": self.sender, "to": self.address,
                               "data": "0x" + data.hex(), "gas": 2_000_000})
        except TransactionFailed:
            return None
        return bytes.fromhex(out[2:]) if isinstance(out, str) else bytes(out)
