"""The client of the py-evm peer (pyevm_peer.py in benchmarks/.venv-pyevm): ERC-20 transfers
measured slice by slice, so they alternate with the figure they are the baseline of.

    with PyEvmPeer() as peer:                      # Skip if setup_pyevm.sh was not run
        samples = alternate({"ispc": one_transfer,
                             "py-evm": lambda: peer.transfer_slice(50, signed=True)}, 9)

``transfer_slice(n)`` returns :class:`~benchmarks._harness.SelfTimed` seconds per transfer, as
py-evm's own process measured them (the transactions are signed before its clock starts), so a
slice is credited with py-evm's work only, not the pipe round trip.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from benchmarks._harness import SelfTimed, Skip

HERE = Path(__file__).resolve().parent
VENV = HERE.parent / ".venv-pyevm"


class PyEvmPeer:
    def __init__(self) -> None:
        python, artefact = VENV / "bin" / "python", VENV / "erc20.json"
        if not (python.is_file() and artefact.is_file()):
            raise Skip("the py-evm peer is not installed: bash benchmarks/peers/setup_pyevm.sh")
        self._proc = subprocess.Popen([str(python), str(HERE / "pyevm_peer.py"), str(artefact)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                      bufsize=1)
        if json.loads(self._proc.stdout.readline() or "{}").get("ready") is not True:
            self.close()
            raise RuntimeError("the py-evm peer did not start")

    def transfer_slice(self, count: int, signed: bool = True) -> SelfTimed:
        """Seconds py-evm took to apply ``count`` ERC-20 transfers, per transfer."""
        self._proc.stdin.write(json.dumps({"transfers": count, "signed": signed}) + "\n")
        self._proc.stdin.flush()
        reply = json.loads(self._proc.stdout.readline())
        return SelfTimed(reply["seconds"] / count)

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> PyEvmPeer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
