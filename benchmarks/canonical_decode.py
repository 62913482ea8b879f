"""What the canonical-decoding check costs (docs/encoding.md, "One value, one encoding").

``decode`` refuses bytes that a model's converter would normalise by comparing, per converted
field, the value it passed with the value the model kept (identity in the usual case). Measured
in one run, alternating: ``decode`` of representative encodings against the same ``decode`` with
that check switched off (``_encoding._CONVERTED`` listing no fields for any class), so the ratio is the
check's share of decoding.

    .venv/bin/python benchmarks/canonical_decode.py
    .venv/bin/python -m benchmarks --only canonical_decode [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import compare  # noqa: E402
from ispc_framework import _encoding  # noqa: E402
from ispc_framework import _model as m  # noqa: E402
from ispc_framework._context import ExecutionRequest  # noqa: E402
from ispc_framework._transaction import SignedTransaction  # noqa: E402

HASH = bytes(range(32))


def samples() -> dict[str, bytes]:
    resource = m.ResourceOutput(HASH, m.ResourceCategory.STATIC, "text/plain", 3, "n",
                                metadata={"a": "1", "b": "2", "c": "3"})
    output = m.TxOutput(HASH, resource=resource)
    coin = m.TxOutput(HASH, asset=m.AssetOutput(m.NativeCoin(), 5))
    tensor = m.Tensor("x", "uint8", (2,), b"\x01\x02")
    request = ExecutionRequest(HASH, "run", b"in", HASH, (tensor, m.Tensor("y", "uint8", (), b"\x03")))
    transaction = SignedTransaction(request, "devnet", 9, (b"\x01" * 32,), (b"\x02" * 64,),
                                    (m.OutPoint(HASH, 0),))
    draft = m.SealedDraft((m.TxInput(m.OutPoint(HASH, 1)),), (coin, coin), ())
    return {"OutPoint": _encoding.encode(m.OutPoint(HASH, 7)),
            "TxOutput+resource": _encoding.encode(output),
            "SignedTransaction": _encoding.encode(transaction),
            "SealedDraft": _encoding.encode(draft)}


def _decoder(data: bytes, checked: bool, number: int):
    _encoding.decode(data)  # fills the per-class caches

    def run() -> None:
        original = _encoding._CONVERTED
        if not checked:  # every class answers "no converted fields"
            _encoding._CONVERTED = {cls: () for cls in original}
        try:
            for _ in range(number):
                _encoding.decode(data)
        finally:
            _encoding._CONVERTED = original
    return run


def run(quick: bool) -> dict:
    number, repeats = (200, 5) if quick else (200, 101)
    figures = []
    for name, data in samples().items():
        figures.append(compare(
            f"decode {name} (canonical check)", _decoder(data, True, number),
            f"decode {name} (no check)", _decoder(data, False, number),
            repeats=repeats, scale=1e6 / number))
    return {"figures": figures, "notes": [f"{number} decodes per slice"]}


if __name__ == "__main__":
    for item in run(quick="--quick" in sys.argv)["figures"]:
        print(f"{item['name']}: {item['value']:.2f} us, baseline {item['baseline']['value']:.2f} "
              f"us, ratio {item['ratio']:.3f}")
