"""The py-evm peer: ERC-20 transfers in py-evm, one slice per request, for alternating slices.

Runs inside benchmarks/.venv-pyevm (benchmarks/peers/setup_pyevm.sh), never in the project's
environment. Protocol: one JSON request per line on stdin, ``{"transfers": N, "signed": bool}``;
one reply per line on stdout, ``{"seconds": S, "transfers": N}``. A slice applies N ERC-20
``transfer`` calls (each to a new recipient, so every one writes a fresh storage slot, as an
ISPC transfer creates a new output) to a py-evm chain in memory. ``signed``: real secp256k1
transactions signed beforehand (outside the timed region), so py-evm recovers each sender while
applying, as ISPC verifies each Ed25519 signature; "unsigned": the same transactions with their
sender recovered beforehand (py-evm caches it), so applying them does no signature work. Each
transfer is ``VM.apply_transaction`` (validation against the header, the state transition, the
receipt, the state changes locked in): the state transition an ISPC execution is compared with,
without building blocks (MiningChain.apply_transaction also rebuilds the pending block's tries on
every transaction, which ISPC's execute has no counterpart of). secp256k1 runs in coincurve
(libsecp256k1), which eth-keys uses when it is installed, as a production py-evm would.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from eth import constants
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks import CancunVM
from eth_keys import keys
from eth_utils import to_wei

GAS = 100_000
GAS_LIMIT = 30_000_000


class Peer:
    def __init__(self, artefact: dict) -> None:
        self.key = keys.PrivateKey(b"\x01" * 32)
        self.sender = self.key.public_key.to_canonical_address()
        chain_class = MiningChain.configure(__name__="IspcBenchChain",
                                            vm_configuration=((constants.GENESIS_BLOCK_NUMBER,
                                                               CancunVM),), chain_id=1337)
        genesis = {"difficulty": 0, "gas_limit": GAS_LIMIT, "timestamp": 1,
                   "coinbase": constants.ZERO_ADDRESS, "extra_data": b"",
                   "nonce": b"\x00" * 8}
        state = {self.sender: {"balance": to_wei(10**9, "ether"), "nonce": 0, "code": b"",
                               "storage": {}}}
        self.chain = chain_class.from_genesis(AtomicDB(), genesis, state)
        self.nonce = 0
        self.recipient = 0
        code = bytes.fromhex(artefact["bytecode"]) + (10**30).to_bytes(32, "big")
        _, receipt, computation = self.chain.apply_transaction(self._signed(b"", code))
        computation.raise_if_error()
        from eth._utils.address import generate_contract_address
        self.token = generate_contract_address(self.sender, 0)
        self.selector = bytes.fromhex(artefact["methods"]["transfer(address,uint256)"])
        self._mine()
        self.vm = self.chain.get_vm()  # one VM on the head: its state carries the transfers

    def _unsigned(self, to: bytes, data: bytes):
        vm = self.chain.get_vm()
        tx = vm.create_unsigned_transaction(nonce=self.nonce, gas_price=10**10, gas=GAS if to
                                            else 3_000_000, to=to, value=0, data=data)
        self.nonce += 1
        return tx

    def _signed(self, to: bytes, data: bytes):
        return self._unsigned(to, data).as_signed_transaction(self.key, chain_id=1337)

    def _mine(self) -> None:
        self.chain.mine_block()

    def transfers(self, count: int, signed: bool) -> list:
        txs = []
        for _ in range(count):
            self.recipient += 1
            data = (self.selector + self.recipient.to_bytes(32, "big")
                    + (1).to_bytes(32, "big"))
            tx = self._unsigned(self.token, data).as_signed_transaction(self.key, chain_id=1337)
            if not signed:
                assert tx.sender == self.sender  # recovered now, untimed (a cached property)
            txs.append(tx)
        return txs

    def slice(self, count: int, signed: bool) -> float:
        txs = self.transfers(count, signed)
        vm, header = self.vm, self.vm.get_header()
        started = time.perf_counter()
        for tx in txs:
            _, computation = vm.apply_transaction(header, tx)
            if computation.is_error:
                raise RuntimeError(f"transfer failed: {computation.error}")
        return time.perf_counter() - started


def main() -> int:
    artefact = json.loads(Path(sys.argv[1]).read_text())
    peer = Peer(artefact)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        seconds = peer.slice(int(request["transfers"]), bool(request["signed"]))
        print(json.dumps({"seconds": seconds, "transfers": request["transfers"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
