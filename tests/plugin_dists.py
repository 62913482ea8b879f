"""Build small, real plugin distributions and a scratch virtualenv to install them into.

Used by the plugin-system tests and by benchmarks/plugins_discovery.py. The distributions are
built by setuptools from setup.cfg + pyproject.toml like any third-party plugin, installed by pip
into a fresh virtualenv, and discovered there through their ``ispc.plugins`` entry points.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import venv
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# A plugin-system fixture: the whole WasmEngine surface, so doctor (which builds the selected
# engine and checks it against the protocol) accepts it, but it runs no code: compile refuses
# every module. What an engine must really do is the conformance suite's business.
GOOD_MODULE = '''
from ispc_framework.plugins import hookimpl, EngineSpec, ModuleRejected, Setting

@hookimpl
def ispc_register_engines():
    return [EngineSpec(name="{name}", runtime="wasm", factory="{module}:Engine",
                       description="a test engine",
                       capabilities=["toy", "metering", "timeout", "memory-limit"],
                       settings=[Setting("speed", "int", 1, "how fast")])]

class Engine:
    name = "{name}"
    def __init__(self, settings):
        self.settings = settings
    def fingerprint(self):
        return "{name}-1"
    def capabilities(self):
        return frozenset(["toy", "metering", "timeout", "memory-limit"])
    def compile(self, code, host_functions):
        raise ModuleRejected("the {name} engine runs no code (a plugin-system test fixture)")
    def execute(self, module, method, env, host_functions):
        raise ModuleRejected("the {name} engine runs no code (a plugin-system test fixture)")
'''

# An engine object missing most of the protocol: selected, doctor must report it.
INCOMPLETE_MODULE = '''
from ispc_framework.plugins import hookimpl, EngineSpec

@hookimpl
def ispc_register_engines():
    return [EngineSpec(name="{name}", runtime="wasm", factory="{module}:Engine",
                       description="an engine object without compile or execute")]

class Engine:
    name = "{name}"
    def __init__(self, settings):
        pass
    def capabilities(self):
        return frozenset()
'''

BROKEN_MODULE = '''
raise ImportError("this plugin is broken on purpose")
'''

DUP_MODULE = '''
from ispc_framework.plugins import hookimpl, RepositorySpec

@hookimpl
def ispc_register_repositories():
    return [RepositorySpec(name="dup", factory="{module}:Repo", description="conflicting")]
'''

OLD_API_MODULE = '''
from ispc_framework.plugins import hookimpl, TraceSinkSpec

@hookimpl
def ispc_register_trace_sinks():
    return [TraceSinkSpec(name="future", factory="{module}:Sink", api=(2, 3),
                          description="needs a newer core")]
'''

MALFORMED_MODULE = '''
from ispc_framework.plugins import hookimpl, EngineSpec

@hookimpl
def ispc_register_engines():
    return [EngineSpec(name="malformed", runtime="wasm", factory="{module}:E", api=(1,))]
'''

REPLACER_MODULE = '''
from ispc_framework.plugins import hookimpl

@hookimpl(tryfirst=True)
def ispc_execution(request, context):
    return "a fake outcome"
'''


def write_plugin(root: Path, dist: str, module_source: str) -> Path:
    """Write a plugin project (setup.cfg + pyproject.toml + one module) under ``root``."""
    module = dist.replace("-", "_")
    project = root / dist
    (project / module).mkdir(parents=True, exist_ok=True)
    (project / module / "__init__.py").write_text(module_source.format(module=module,
                                                                       name=dist.removeprefix("ispc-")))
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=77,<80.1"]\nbuild-backend = "setuptools.build_meta"\n')
    (project / "setup.cfg").write_text(textwrap.dedent(f"""\
        [metadata]
        name = {dist}
        version = 1.0.0
        description = test plugin {dist}

        [options]
        packages = find:

        [options.entry_points]
        ispc.plugins =
            {dist.removeprefix('ispc-')} = {module}
        """))
    return project


def build_wheels(projects: list[Path], wheelhouse: Path) -> list[Path]:
    wheelhouse.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "--no-build-isolation", "-w", str(wheelhouse), *map(str, projects)],
                   check=True, env={"SETUPTOOLS_ENFORCE_DEPRECATION": "1", "PATH": "/usr/bin:/bin",
                                    "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    return sorted(wheelhouse.glob("*.whl"))


def make_scratch_env(target: Path, wheels: list[Path]) -> Path:
    """A fresh virtualenv holding the core (built from this checkout) and ``wheels``; returns its
    python. The core's dependencies come from the package index like for any operator."""
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    core = build_wheels([REPO], target / "core-wheel")
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    *map(str, core), *map(str, wheels)], check=True)
    return python


def run_ispc(python: Path, *args: str, cwd: Path, env: dict[str, str] | None = None):
    return subprocess.run([str(python.parent / "ispc"), *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=120)
