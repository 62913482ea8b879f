"""Cost of one host call through the HostABI wrapper (gas, bounds-checked memory, decoding,
trace record), against the bare work of the same call measured in the same run.

    PYTHONPATH=. python benchmarks/hostabi_calls.py
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "hostabi"))
from conftest import Harness  # noqa: E402  (the tests' real chain + bytearray memory)

from ispc_framework._encoding import decode, encode  # noqa: E402
from ispc_framework._limits import ExecutionLimits  # noqa: E402
from ispc_framework._model import AssetOutput, NativeCoin, TxOutput  # noqa: E402

N = 20_000


def per_call_us(fn, number=N):
    return min(timeit.repeat(fn, number=number, repeat=3)) / number * 1e6


def main() -> None:
    limits = ExecutionLimits(fuel=10**15, max_trace_records=10**7, max_trace_bytes=2**40,
                             max_outputs=10**7, max_draft_bytes=2**40)
    h = Harness(limits)
    caller_out = h.memory.alloc(32)
    op_ptr, op_len = h.outpoint()
    out, len_ptr, index = h.memory.alloc(512), h.memory.alloc(4), h.memory.alloc(4)
    owner, token, locks = h.memory.put(bytes(32)), h.memory.put(b"\x81\x14"), h.memory.put(b"\x80")
    fns = h.functions
    op_bytes = encode(h.coin)
    draft = h.ctx.draft
    rows = [
        ("block_height", lambda: h.ctx.pins.height,
         lambda: fns["ispc.v1.block_height"].handler(h.env)),
        ("caller", lambda: h.memory.write(caller_out, h.ctx.request.caller),
         lambda: fns["ispc.v1.caller"].handler(h.env, caller_out)),
        ("utxo_lookup", lambda: encode(h.view.utxo(decode(op_bytes))),
         lambda: fns["ispc.v1.utxo_lookup"].handler(h.env, op_ptr, op_len, out, 512, len_ptr)),
        ("tx_add_asset_output",
         lambda: draft.add_output(TxOutput(bytes(32), (), asset=AssetOutput(NativeCoin(), 5))),
         lambda: fns["ispc.v1.tx_add_asset_output"].handler(h.env, owner, 5, token, 2, locks, 1,
                                                            index)),
    ]
    print(f"{'function':<22}{'bare work us':>14}{'host call us':>14}{'ratio':>8}")
    for name, bare, wrapped in rows:
        number = N // 4 if name.startswith("tx_") else N
        base, call = per_call_us(bare, number), per_call_us(wrapped, number)
        print(f"{name:<22}{base:>14.2f}{call:>14.2f}{call / base:>8.1f}")
    h.close()


if __name__ == "__main__":
    main()
