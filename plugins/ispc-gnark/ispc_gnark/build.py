"""Find, build and check the Go worker: ``python -m ispc_gnark.build``.

The worker's sources are ``plugins/ispc-gnark/worker`` (go.mod and go.sum pin gnark and
gnark-crypto; modules come from the Go module proxy). A build lands in a cache directory named
by the SHA-256 of those sources, ``$ISPC_GNARK_CACHE`` (default ``~/.cache/ispc-gnark``)
``/<source hash>/ispc-gnark-worker``, and carries that hash (``-ldflags -X main.sourceHash``),
which the worker reports in ``info``: a binary built from other sources is refused as stale, so
editing the Go code without rebuilding can never prove with an old circuit.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ispc_framework.plugins import ProverUnavailable

__all__ = ["WORKER_SOURCES", "source_hash", "cache_root", "binary_path", "find_worker", "build",
           "check_info", "doctor_checks", "BUILD_HINT"]

WORKER_SOURCES = Path(__file__).resolve().parent.parent / "worker"
BINARY_NAME = "ispc-gnark-worker"
BUILD_HINT = ("build it with `python -m ispc_gnark.build` (needs Go >= 1.25 and the Go module "
              "proxy) or run scripts/bootstrap.sh; or set [plugin.gnark] worker_binary")


def _source_files(src: Path) -> list[Path]:
    files = [src / "go.mod", src / "go.sum"]
    files += sorted(p for p in src.rglob("*.go") if not p.name.endswith("_test.go"))
    return files


def source_hash(src: Path = WORKER_SOURCES) -> str:
    """SHA-256 over the worker's Go sources (names and contents); tests are not part of it."""
    h = hashlib.sha256(b"ispc-gnark-worker/1\0")
    for path in _source_files(src):
        h.update(path.relative_to(src).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


def cache_root() -> Path:
    if os.environ.get("ISPC_GNARK_CACHE"):
        return Path(os.environ["ISPC_GNARK_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ispc-gnark"


def binary_path(src: Path = WORKER_SOURCES) -> Path:
    return cache_root() / source_hash(src) / BINARY_NAME


def _sources_present(src: Path) -> bool:
    return (src / "go.mod").is_file() and (src / "go.sum").is_file()


def find_worker(worker_binary: str = "") -> tuple[Path, str | None]:
    """The worker binary to run and the source hash it must report (None: not checked, for a
    configured ``worker_binary`` of an installation without the sources)."""
    if worker_binary:
        path = Path(worker_binary)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise ProverUnavailable(f"[plugin.gnark] worker_binary {path} is not an executable "
                                    "file", code="gnark-worker-unbuilt", hint=BUILD_HINT)
        return path, source_hash() if _sources_present(WORKER_SOURCES) else None
    if not _sources_present(WORKER_SOURCES):
        raise ProverUnavailable(f"the gnark worker's Go sources are not at {WORKER_SOURCES}",
                                code="gnark-worker-unbuilt",
                                hint="install ispc-gnark from a source checkout (pip install -e "
                                     "plugins/ispc-gnark), or set [plugin.gnark] worker_binary")
    expected = source_hash()
    path = cache_root() / expected / BINARY_NAME
    if path.is_file():
        return path, expected
    others = sorted(p for p in cache_root().glob(f"*/{BINARY_NAME}") if p.is_file())
    if others:
        raise ProverUnavailable(
            f"the gnark worker in {cache_root()} was built from other sources than "
            f"{WORKER_SOURCES} (source hash {expected[:16]}... has no build)",
            code="gnark-worker-stale", hint=BUILD_HINT)
    raise ProverUnavailable(f"the gnark worker is not built (no {path})",
                            code="gnark-worker-unbuilt", hint=BUILD_HINT)


def check_info(expected: str | None):
    """A WorkerClient ``check_info`` refusing a worker that reports another source hash."""
    def check(info: dict) -> None:
        if expected is not None and info.get("source_hash") != expected:
            raise ProverUnavailable(
                f"the gnark worker was built from other sources (it reports "
                f"{str(info.get('source_hash'))[:16]}..., the sources hash to "
                f"{expected[:16]}...)", code="gnark-worker-stale", hint=BUILD_HINT)
    return check


def _go() -> str:
    go = shutil.which("go")
    if go is None:
        raise ProverUnavailable("the Go toolchain (`go`) is not on PATH", code="go-missing",
                                hint="install Go >= 1.25 (https://go.dev/dl/), then run "
                                     "`python -m ispc_gnark.build`")
    return go


def build(src: Path = WORKER_SOURCES, *, echo=None) -> Path:
    """``go build`` the worker into the cache (no-op when this source hash is built)."""
    expected = source_hash(src)
    target = cache_root() / expected / BINARY_NAME
    if target.is_file():
        return target
    go = _go()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{BINARY_NAME}.{os.getpid()}")
    if echo:
        echo(f"go build {src} -> {target}")
    done = subprocess.run(
        [go, "build", "-trimpath", "-ldflags", f"-s -w -X main.sourceHash={expected}",
         "-o", str(tmp), "."], cwd=src, stdin=subprocess.DEVNULL, capture_output=True,
        text=True, timeout=1800, env={**os.environ, "GOFLAGS": "-mod=readonly"})
    if done.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ProverUnavailable(f"go build of the gnark worker failed: "
                                f"{(done.stderr or done.stdout).strip()[-2000:]}",
                                code="gnark-worker-build-failed",
                                hint="check `go version` (>= 1.25) and that the Go module proxy "
                                     "is reachable (GOPROXY)")
    os.replace(tmp, target)
    return target


def doctor_checks(settings: dict) -> list[tuple[str, str, str, str]]:
    """``ispc doctor``: is the worker there, built from these sources, and does it answer?"""
    if settings.get("worker_command"):
        return [("ok", "a custom worker_command is configured (not checked)", "", "")]
    rows = []
    if not settings.get("worker_binary"):
        go = shutil.which("go")
        rows.append(("ok", f"Go toolchain: {go}", "", "") if go else (
            "warning", "the Go toolchain (`go`) is not on PATH: the worker cannot be rebuilt",
            "install Go >= 1.25", "go-missing"))
    try:
        path, expected = find_worker(settings.get("worker_binary") or "")
        from ispc_framework.plugins import WorkerClient

        client = WorkerClient([str(path)], start_timeout_s=30, check_info=check_info(expected))
        try:
            info = client.request("info")
        finally:
            client.close()
    except ProverUnavailable as exc:
        return [*rows, ("error", exc.message, exc.hint or "", exc.code)]
    return [*rows, ("ok", f"gnark worker {path} (gnark {info.get('backend_version')}, sources "
                    f"{str(info.get('source_hash'))[:16]}...) answers protocol "
                    f"{info.get('protocol')}", "", "")]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m ispc_gnark.build",
                                     description="Build the gnark worker into the cache and "
                                                 "print its path. Example: python -m "
                                                 "ispc_gnark.build")
    parser.add_argument("--print-path", action="store_true",
                        help="only print where the worker for these sources goes")
    args = parser.parse_args(argv)
    if args.print_path:
        print(binary_path())
        return 0
    try:
        print(build(echo=lambda text: print(text, file=sys.stderr)))
    except ProverUnavailable as exc:
        print(f"error: {exc.message}\nhint: {exc.hint} [{exc.code}]", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
