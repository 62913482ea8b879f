"""CPU time per token transfer of two checkouts of this project, side by side.

    .venv/bin/python benchmarks/transfers_ab.py BEFORE_DIR AFTER_DIR [ROUNDS] [PER_SLICE]

Each checkout runs in its own interpreter (this venv's Python, the checkout first on
``PYTHONPATH``, then its ``plugins/*`` directories), builds the token chain of
repository_transfers.py on the in-memory and on the default setup, and then executes slices of
fresh transfers (decoded from their bytes before the slice, as there) on request. Slices
alternate between the checkouts, the order flipping every round, and each child reports the
process CPU time of its slice: on a machine shared with other work this moves much less than
wall time. Prints the median and the minimum per transfer of each checkout and their ratio.
Not a ``python -m benchmarks`` module (it needs a second checkout): a tool for before/after
figures of one change (docs/performance.md).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import sys, tempfile, time
from pathlib import Path
from benchmarks.repository_transfers import (default_coordinator, fresh_transactions,
                                             memory_coordinator, token_chain)
setups = {"memory": memory_coordinator(), "default": default_coordinator(Path(tempfile.mkdtemp()))}
transfers = {name: token_chain(c) for name, c in setups.items()}
for name, c in setups.items():
    c.execute(transfers[name], prove=False)
print("ready", flush=True)
for line in sys.stdin:
    name, count = line.split()
    fresh = fresh_transactions(transfers[name], int(count))
    began = time.process_time()
    for transaction in fresh:
        setups[name].execute(transaction, prove=False)
    print((time.process_time() - began) / len(fresh), flush=True)
"""


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    trees = {"before": Path(sys.argv[1]).resolve(), "after": Path(sys.argv[2]).resolve()}
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    per_slice = int(sys.argv[4]) if len(sys.argv) > 4 else 40
    children = {}
    for name, root in trees.items():
        # The checkout's own plugins too (the installed ones are editable installs of one
        # checkout): a change to a plugin is measured, not the installed copy.
        paths = [str(root), *(str(p) for p in sorted((root / "plugins").glob("*/")))]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
        children[name] = subprocess.Popen([sys.executable, "-c", CHILD], cwd=root, env=env,
                                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          text=True)
        if children[name].stdout.readline().strip() != "ready":
            sys.exit(f"the {name} checkout failed to start")
    samples: dict[tuple[str, str], list[float]] = {}
    for round_ in range(rounds):
        for setup in ("memory", "default"):
            for name in (trees if round_ % 2 == 0 else reversed(list(trees))):
                children[name].stdin.write(f"{setup} {per_slice}\n")
                children[name].stdin.flush()
                samples.setdefault((name, setup), []).append(
                    float(children[name].stdout.readline()))
    for child in children.values():
        child.stdin.close()
        child.wait()
    for setup in ("memory", "default"):
        before, after = samples[("before", setup)], samples[("after", setup)]
        for label, pick in (("median", statistics.median), ("min", min)):
            b, a = pick(before), pick(after)
            print(f"{setup:8} {label:6} before {b * 1e6:6.0f} us CPU  after {a * 1e6:6.0f} us CPU"
                  f"  before/after {b / a:.2f}x")


if __name__ == "__main__":
    main()
