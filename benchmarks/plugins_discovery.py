"""Benchmark: import time of ispc_framework and wall time of `ispc plugins` with ten plugins.

Ten real plugin distributions are built and pip-installed into a scratch virtualenv (the same
builder the tests use). Each figure is the median of N runs of a fresh interpreter, printed with
its ratio against a baseline measured in the same run on the same interpreter:

    import ispc_framework        vs  python -c pass
    ispc plugins --json          vs  ispc --version  (same CLI start-up, no discovery)

Run: .venv/bin/python -m benchmarks --only plugins_discovery [--quick]
     .venv/bin/python benchmarks/plugins_discovery.py [--runs N]

``--quick`` (CI) measures the same figures in this interpreter's own environment (the installed
first-party plugins) instead of building ten plugin distributions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._harness import alternate, figure  # noqa: E402
from plugin_dists import GOOD_MODULE, build_wheels, make_scratch_env, write_plugin  # noqa: E402


def _figures(python: Path, repeats: int, label: str) -> list[dict]:
    ispc = str(python.parent / "ispc")

    def command(*args: str):
        return lambda: subprocess.run(list(args), check=True, capture_output=True)

    samples = alternate({
        "import": command(str(python), "-c", "import ispc_framework"),
        "pass": command(str(python), "-c", "pass"),
        "plugins": command(ispc, "plugins", "--json"),
        "version": command(ispc, "--version"),
    }, repeats)
    return [
        figure("import ispc_framework", samples["import"], "ms", scale=1e3,
               baseline=("python -c pass", samples["pass"])),
        figure(f"ispc plugins --json ({label})", samples["plugins"], "ms", scale=1e3,
               baseline=("ispc --version", samples["version"])),
    ]


def run(quick: bool) -> dict:
    """Figures for ``python -m benchmarks`` (see benchmarks/_harness.py)."""
    if quick:
        return {"figures": _figures(Path(sys.executable), 3, "installed plugins"),
                "notes": ["quick: this environment's plugins, not ten built ones"]}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        projects = [write_plugin(root / "src", f"ispc-bench{i}", GOOD_MODULE) for i in range(10)]
        python = make_scratch_env(root / "venv", build_wheels(projects, root / "wheels"))
        return {"figures": _figures(python, 15, "10 plugins")}


def median_seconds(command: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("building and installing ten plugin distributions ...", flush=True)
        projects = [write_plugin(root / "src", f"ispc-bench{i}", GOOD_MODULE) for i in range(10)]
        python = make_scratch_env(root / "venv", build_wheels(projects, root / "wheels"))
        ispc = str(python.parent / "ispc")
        rows = [
            ("import ispc_framework", [str(python), "-c", "import ispc_framework"],
             "python -c pass", [str(python), "-c", "pass"]),
            ("ispc plugins --json (10 plugins)", [ispc, "plugins", "--json"],
             "ispc --version", [ispc, "--version"]),
        ]
        print(f"{'measure':36} {'median':>9} {'baseline':>9} {'ratio':>6}  baseline")
        for name, command, base_name, base_command in rows:
            base = median_seconds(base_command, args.runs)
            value = median_seconds(command, args.runs)
            print(f"{name:36} {value * 1000:7.1f}ms {base * 1000:7.1f}ms {value / base:5.2f}x  "
                  f"{base_name}")


if __name__ == "__main__":
    main()
