"""``ispc setup``, ``demo``, ``conformance`` and ``hostabi``: keys, the demo and developer tools."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import click

from .._errors import ValidationError
from ._app import State
from ._output import emit_json, step_progress


TESTING_SETUP_WARNING = ("TESTING ONLY: single-party setup. Whoever ran it knows the toxic "
                         "waste and can forge proofs for this key; proving and verifying with it "
                         "need allow_testing_keys = true.")


@click.command("setup")
@click.argument("circuit", default=None, required=False)
@click.option("--mode", type=click.Choice(["testing", "ceremony"]), default=None,
              help="testing: one party, seconds, forgeable (devnets and tests); ceremony: the "
                   "multi-party-style powers of tau + phase 2 (minutes). Default: the prover's "
                   "setup_mode setting (ceremony unless configured).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def setup_cmd(state: State, circuit: str | None, mode: str | None, as_json: bool) -> None:
    """Make and store the proving and verification keys of CIRCUIT (default: the config's
    prover.circuit) with the selected prover. Provers never make keys at proof time.

    Shows one progress line per step with the elapsed time; the tools' own output (snarkjs) is
    logged at debug level (-vv).

    \b
    Example:
      ispc setup --mode testing
      ispc -vv setup ispc.draft.v2.small --mode ceremony"""
    import logging

    log = logging.getLogger("ispc.setup")
    circuit = circuit or state.config.get("prover.circuit")
    # Any: `mode=` is a setup option of the first-party provers (WorkerProver), beyond the
    # Prover protocol's minimal setup(circuit_id, progress=...)
    prover: Any = state.coordinator.prover()
    mode = mode or getattr(prover, "settings", {}).get("setup_mode", "ceremony")
    if mode == "testing" and not as_json:
        click.echo(f"warning: {TESTING_SETUP_WARNING}", err=True)
    started = time.monotonic()
    steps: list[str] = []
    with step_progress(f"{mode} setup of {circuit}") as bar:
        def progress(text: str, done: int, total: int) -> None:
            log.debug("%s", text)
            step = text.partition(":")[0]
            if not steps or steps[-1] != step:  # the bar moves per step, not per output line
                steps.append(step)
                if not as_json:
                    bar(step, done, total)

        vk_hash = prover.setup(circuit, progress=progress, mode=mode)
    elapsed = time.monotonic() - started
    keys = getattr(prover, "keys", None)
    key_dir = str(keys.root) if keys is not None else None
    if as_json:
        emit_json({"circuit": circuit, "mode": mode, "vk_hash": vk_hash,
                   "testing_only": mode == "testing", "key_dir": key_dir,
                   "elapsed_s": round(elapsed, 3)})
    else:
        click.echo(f"keys for {circuit} stored in {key_dir} ({mode}, {elapsed:.1f} s); "
                   f"verification key hash {vk_hash}")


@click.group("prover")
def prover_group() -> None:
    """The selected prover's keys and artefacts."""


@prover_group.command("export-verifier")
@click.option("--format", "fmt", type=click.Choice(["solidity"]), default="solidity",
              show_default=True)
@click.option("--circuit", default="ispc.draft.v2", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write here instead of stdout.")
@click.option("--json", "as_json", is_flag=True, help="Print the source inside a JSON object.")
@click.pass_obj
def prover_export_verifier(state: State, fmt: str, circuit: str, output: str | None,
                           as_json: bool) -> None:
    """Write an on-chain verifier contract for CIRCUIT's current key.

    Example: ispc --set prover.name=gnark prover export-verifier -o Verifier.sol"""
    prover = state.coordinator.prover()
    if not hasattr(prover, "export_verifier"):
        raise ValidationError("prover", f"the selected prover ({type(prover).__name__}) cannot "
                              "export verifiers")
    source = prover.export_verifier(circuit, fmt)
    if as_json:
        if output:
            Path(output).write_text(source)
        emit_json({"circuit": circuit, "format": fmt, "output": output,
                   "source": None if output else source})
    elif output:
        Path(output).write_text(source)
        click.echo(f"{fmt} verifier for {circuit} written to {output}", err=True)
    else:
        click.echo(source, nl=False)


@click.command("demo")
@click.option("--dir", "workdir", type=click.Path(file_okay=False), default=None,
              help="Where the demo chain, keys and traces go (default: a new temporary directory).")
@click.option("--examples", type=click.Path(file_okay=False, exists=True), default="examples",
              show_default=True, help="The repository's examples/ directory (built contracts, models).")
@click.option("--prover", "prover_name", default=None,
              help="Prover plugin to prove with (default: the config's, groth16), e.g. gnark.")
@click.option("--json", "as_json", is_flag=True,
              help="Print only a JSON report of every step (commands, timings, lines, blocks).")
@click.pass_obj
def demo_cmd(state: State, workdir: str | None, examples: str, prover_name: str | None,
             as_json: bool) -> None:
    """End-to-end demo on the embedded defaults: chain, keys, contract, model, proofs, blocks.
    Each step shows the `ispc ...` commands that do it by hand, its timings, and the blocks it
    writes.

    Example: ispc demo --prover gnark"""
    from .._demo import run_demo

    report = run_demo(Path(workdir) if workdir else None, Path(examples), state.overrides,
                      (lambda line: None) if as_json else click.echo, prover=prover_name)
    if as_json:
        emit_json(report)


_SUITE_ALIASES = {"wasm-engine", "onnx-engine", "hostabi", "prover", "trace-sink", "repository",
                  "hooks"}


@click.command("conformance")
@click.argument("names", nargs=-1, required=True, metavar="NAME")
@click.option("--kind", "suite", type=click.Choice(sorted(_SUITE_ALIASES)), default=None,
              help="Which suite, where NAME names plugins of several kinds.")
@click.option("--known-issues", type=click.Path(dir_okay=False, exists=True), default=None,
              help="TOML file of known issues run as strict xfails (default: the plugin's own "
                   "conformance_known_issues.toml).")
@click.option("--junitxml", "junit_path", type=click.Path(dir_okay=False), default=None,
              help="Write a JUnit XML report here (with --spec-tests: the spec-test report).")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True),
              default=None, is_flag=False, flag_value="-",
              help="Print the report as JSON (schema in docs/cli.md; the checks go to stderr); "
                   "--json PATH writes it to PATH (with --spec-tests: the spec-test report).")
@click.option("--timeout", "timeout_s", type=click.FloatRange(min=1), default=None,
              help="Seconds one check (default 60, provers 300) or one spec script (default "
                   "300) may take before its process is killed.")
@click.option("-k", "select_expr", default=None,
              help="Run only checks matching this pytest -k expression.")
@click.option("--spec-tests", "spec_dir", type=click.Path(file_okay=False, exists=True),
              default=None, help="wasm-engine only: also run the WebAssembly spec test suite's "
              ".wast scripts in DIR (a checkout of github.com/WebAssembly/testsuite).")
@click.option("--backend-tests", is_flag=True,
              help="onnx-engine only: also run onnx's backend node tests, one check each.")
@click.option("--file", "spec_files", multiple=True, metavar="NAME",
              help="Run only this .wast script of the suite (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Spec scripts run at a time, each in its own worker process.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Keep the wast2json conversions here (default: a temporary directory).")
@click.pass_obj
def conformance_cmd(state: State, names: tuple[str, ...], suite: str | None,
                    known_issues: str | None, junit_path: str | None, json_path: str | None,
                    timeout_s: float | None, select_expr: str | None, spec_dir: str | None,
                    backend_tests: bool, spec_files: tuple[str, ...], jobs: int,
                    cache_dir: str | None) -> None:
    """Run the conformance suite for the installed plugin NAME (exit 1 if a check fails).

    The suite follows from the plugin's kind; every check is printed as it finishes and runs in
    its own process under --timeout. `ispc conformance KIND NAME` (e.g. `ispc conformance
    wasm-engine wasmtime`) still works. Docs: docs/conformance.md, docs/plugin-authors.md.

    \b
    Examples:
      ispc conformance wasmtime --junitxml wasmtime.xml --json wasmtime.json
      ispc conformance wasm-engine wasmtime --spec-tests ../wasm-testsuite --json spec.json
      ispc conformance onnxruntime --backend-tests --json onnxruntime.json
    """
    from ..conformance.installed import run_installed

    if len(names) == 2 and names[0] in _SUITE_ALIASES:
        suite, names = suite or names[0], names[1:]
    if len(names) != 1:
        raise click.UsageError("give one plugin NAME (or KIND NAME)")
    if spec_dir is None and spec_files:
        raise ValidationError("--spec-tests", "--file needs --spec-tests DIR")
    if spec_dir is not None and suite not in (None, "wasm-engine"):
        raise ValidationError("--spec-tests", "the spec test suite is for wasm engines only")
    with_spec = spec_dir is not None
    to_stdout = json_path == "-"
    echo = (lambda line: click.echo(line, err=True)) if to_stdout else click.echo
    report = run_installed(state.plugins, state.config, names[0], suite=suite,
                           known_issues=known_issues,
                           junitxml=None if with_spec else junit_path,
                           json_path=None if with_spec or to_stdout else json_path,
                           timeout_s=None if timeout_s is None or with_spec else timeout_s,
                           echo=echo, select_expr=select_expr, backend_tests=backend_tests)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    for level, info in report.levels.items():
        state_text = "met" if info["met"] else "NOT met: " + ", ".join(
            f"{check} {outcome}" for check, outcome in info["not_passed"].items())
        echo(f"level {level}: {state_text}")
    echo(report.summary())
    ok = report.ok
    spec_report = None
    if with_spec:
        if report.suite != "wasm-engine":
            raise ValidationError("--spec-tests", "the spec test suite is for wasm engines only")
        from ..conformance.installed import find_plugin

        _record, spec = find_plugin(state.plugins, names[0], "wasm-engine")
        settings = state.config.plugin_settings(spec)
        assert spec_dir is not None
        spec_report = _spec_tests(spec, settings, state, Path(spec_dir), spec_files,
                                  None if to_stdout else json_path, junit_path, timeout_s or 300,
                                  jobs, cache_dir, quiet=to_stdout)
        ok = spec_report.ok and ok
    if to_stdout:
        emit_json({**report.as_dict(), "ok": ok,
                   "spec_tests": spec_report.to_json() if spec_report is not None else None})
    if not ok:
        raise SystemExit(1)


def _spec_tests(spec, settings, state: State, suite: Path, files: tuple[str, ...],
                json_path: str | None, junit_path: str | None, timeout_s: float, jobs: int,
                cache_dir: str | None, quiet: bool = False):
    """The spec-test part of ``ispc conformance wasm-engine``: a thin wrapper around
    :func:`ispc_framework.conformance.wasm_spec.run_spec_tests`. Per-script lines go to stdout,
    or to stderr when stdout carries the JSON report (``quiet``)."""
    from ..conformance import wasm_spec

    def progress(result) -> None:
        click.echo(result.render(), err=quiet)
        for line in result.failures()[:20]:
            click.echo(f"    {line}", err=quiet)

    click.echo(f"WebAssembly spec tests from {suite} (one worker process per script):", err=quiet)
    report = wasm_spec.run_spec_tests(
        spec.factory, settings, suite, engine_name=spec.name, files=files or None,
        limits=state.config.limits, timeout_s=timeout_s, jobs=jobs,
        cache_dir=Path(cache_dir) if cache_dir else None, progress=progress)
    if json_path:
        Path(json_path).write_text(json.dumps(report.to_json(), indent=1) + "\n")
    if junit_path:
        Path(junit_path).write_bytes(report.to_junit_xml())
    click.echo(report.render_totals(), err=quiet)
    return report


@click.group("hostabi")
def hostabi_group() -> None:
    """The HostABI spec and the artefacts generated from it."""


@hostabi_group.command("generate")
@click.option("--check", is_flag=True, help="Only check the artefacts are in sync (exit 1 if not).")
@click.option("--json", "as_json", is_flag=True)
def hostabi_generate(check: bool, as_json: bool) -> None:
    """Regenerate sdk/c/ispc.h, sdk/assemblyscript/ispc.ts, the Python binding table and
    docs/hostabi.md from hostabi_spec/abi_v1.json (run from a source checkout).

    Example: ispc hostabi generate --check"""
    from .._hostabi.generate import main as generate

    import contextlib
    import sys

    with contextlib.redirect_stdout(sys.stderr) if as_json else contextlib.nullcontext():
        code = generate(["--check"] if check else [])
    if as_json:
        emit_json({"ok": code == 0, "check": check})
    raise SystemExit(code)
