"""Run every benchmark, write one JSON file and print one table.

    .venv/bin/python -m benchmarks [--quick] [--only NAME[,NAME]] [--output bench.json]
    .venv/bin/python -m benchmarks --list

Every ``benchmarks/<name>.py`` that defines ``run(quick: bool) -> dict`` is a benchmark module
(the interface and the JSON schema are in ``benchmarks/_harness.py``). Each runs in its own fresh
interpreter, so one module's imports, threads or crash cannot change another's figures, and a
module that is missing, skips or fails is recorded as such while the others still run.
``--quick`` is the CI mode: small sizes and few repeats, nothing asserted about times.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import pkgutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

from benchmarks._harness import SCHEMA, Skip

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# A module gets this long (quick mode: half; one-time key setups count) before it is stopped
# and recorded as an error.
MODULE_TIMEOUT_S = 1800


def discover() -> list[str]:
    """Names of the modules in benchmarks/ that define ``run`` (checked in the child)."""
    return sorted(info.name for info in pkgutil.iter_modules([str(HERE)])
                  if not info.name.startswith("_") and not info.ispkg)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for dist in ("ispc-framework", "wasmtime", "onnxruntime", "groth16py", "cryptography"):
        try:
            from importlib.metadata import version
            versions[dist] = version(dist)
        except Exception:  # noqa: BLE001 - a missing distribution is simply not listed
            pass
    return {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": cpu, "cores": os.cpu_count(), "loadavg": list(os.getloadavg()),
            "versions": versions}


def normalise(result: dict) -> list[dict]:
    """The module's figures in the ispc.bench.v1 shape (benchmarks/_harness.py). A mapping
    ``{name: {"value": v, "ratio": r}}`` with a module-level ``unit`` and ``baseline`` name is
    accepted too; anything else is an error naming what is missing."""
    figures = result.get("figures", [])
    if isinstance(figures, dict):
        unit, base_name = str(result.get("unit", "")), result.get("baseline")
        figures = [{"name": name, "unit": unit, "repeats": result.get("rounds", 1),
                    "better": "lower", "target": None, "met": None,
                    "baseline": None if not base_name else {
                        "name": str(base_name),
                        "value": fig["value"] / fig["ratio"] if fig.get("ratio") else None},
                    **fig} for name, fig in figures.items()]
    out = []
    for fig in figures:
        missing = {"name", "unit", "value"} - set(fig)
        if missing:
            raise TypeError(f"figure {fig!r} lacks {sorted(missing)} (see benchmarks/_harness.py)")
        out.append({"repeats": 1, "better": "lower", "baseline": None, "ratio": None,
                    "target": None, "met": None, **fig})
    return out


def run_child(name: str, quick: bool, output: Path) -> None:
    """Inside the fresh interpreter: import one module, run it, write its record."""
    record: dict = {"status": "ok", "figures": [], "notes": []}
    started = time.perf_counter()
    try:
        module = importlib.import_module(f"benchmarks.{name}")
        if not callable(getattr(module, "run", None)):
            record = {"status": "skipped", "figures": [], "notes": ["no run(quick) function"]}
        else:
            result = module.run(quick)
            record["figures"] = normalise(result)
            record["notes"] = [str(n) for n in result.get("notes", [])]
    except Skip as skip:
        record = {"status": "skipped", "figures": [], "notes": [str(skip)]}
    except BaseException as exc:  # noqa: BLE001 - recorded, the parent carries on
        record = {"status": "error", "figures": [], "notes": [],
                  "error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc(limit=8)}
    record["seconds"] = time.perf_counter() - started
    output.write_text(json.dumps(record))


def run_module(name: str, quick: bool) -> dict:
    timeout = MODULE_TIMEOUT_S / 2 if quick else MODULE_TIMEOUT_S
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "record.json"
        command = [sys.executable, "-m", "benchmarks", "--child", name, "--child-output",
                   str(out)] + (["--quick"] if quick else [])
        started = time.perf_counter()
        try:
            proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                                  timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "error", "figures": [], "notes": [],
                    "error": f"timed out after {timeout:.0f} s",
                    "seconds": time.perf_counter() - started}
        if out.exists():
            return json.loads(out.read_text())
        return {"status": "error", "figures": [], "notes": [],
                "error": f"exited {proc.returncode} without a record: {proc.stderr[-2000:]}",
                "seconds": time.perf_counter() - started}


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table(report: dict) -> str:
    lines = [f"{'module':18} {'figure':52} {'median':>14} {'baseline':>14} {'ratio':>7}  target"]
    for name, record in report["modules"].items():
        if record["status"] != "ok":
            why = record.get("error") or "; ".join(record.get("notes", []))
            lines.append(f"{name:18} [{record['status']}] {why[:100]}")
            continue
        for fig in record["figures"]:
            base = fig.get("baseline")
            base_text = f"{fmt(base['value'])} {fig['unit']}" if base else "-"
            ratio = f"{fig['ratio']:.2f}x" if fig.get("ratio") is not None else "-"
            target = ""
            if fig.get("target"):
                t = fig["target"]
                unit = "x" if t["of"] == "ratio" else f" {fig['unit']}"
                mark = {True: "met", False: "NOT met", None: "?"}[fig.get("met")]
                target = f"{t['op']} {fmt(t['value'])}{unit} {mark}"
            lines.append(f"{name:18} {fig['name'][:52]:52} {fmt(fig['value']) + ' ' + fig['unit']:>14} "
                         f"{base_text:>14} {ratio:>7}  {target}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.splitlines()[0],
        epilog="example: .venv/bin/python -m benchmarks --quick --output /tmp/bench.json")
    parser.add_argument("--quick", action="store_true", help="CI mode: small and fast")
    parser.add_argument("--only", default="", help="comma-separated module names")
    parser.add_argument("--output", default="bench.json", help="JSON file to write")
    parser.add_argument("--list", action="store_true", help="list the modules and exit")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.quick, Path(args.child_output))
        return 0
    names = discover()
    if args.list:
        print("\n".join(names))
        return 0
    if args.only:
        wanted = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"unknown module(s) {', '.join(unknown)}; available: {', '.join(names)}")
        names = wanted
    report = {"schema": SCHEMA, "quick": args.quick,
              "started": datetime.datetime.now(datetime.timezone.utc).isoformat(),
              "machine": machine(), "modules": {}}
    for index, name in enumerate(names, 1):
        print(f"[{index}/{len(names)}] {name} ...", file=sys.stderr, flush=True)
        report["modules"][name] = run_module(name, args.quick)
        Path(args.output).write_text(json.dumps(report, indent=1))  # partial results survive
    report["machine"]["loadavg_end"] = list(os.getloadavg())
    Path(args.output).write_text(json.dumps(report, indent=1))
    print(table(report))
    print(f"\nwritten to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
