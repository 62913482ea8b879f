"""The sample third-party plugin (examples/third-party/ispc-acme), built as a real wheel and
installed with the core into a scratch virtualenv, passes every one of its suites through the
installed `ispc conformance` command, with JSON and JUnit reports that match its summary."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from plugin_dists import REPO, build_wheels, make_scratch_env, run_ispc


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("third-party")
    wheels = build_wheels([REPO / "examples" / "third-party" / "ispc-acme"], root / "wheels")
    assert [w.name for w in wheels] == ["ispc_acme-0.1.0-py3-none-any.whl"]
    python = make_scratch_env(root / "venv", wheels)
    # `ispc conformance` runs on pytest: the core's "conformance" extra.
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "pytest>=8"], check=True)
    work = root / "work"
    work.mkdir()
    return python, work


@pytest.mark.slow
@pytest.mark.parametrize("name, suite, checks", [("acme-dir", "trace-sink", 4),
                                                 ("acme.math", "hostabi", 5),
                                                 ("acme-audit", "hooks", 4)])
def test_the_sample_plugin_passes_its_suites(scratch, name, suite, checks):
    python, work = scratch
    result = run_ispc(python, "conformance", name, "--json", "r.json", "--junitxml", "r.xml",
                      cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((work / "r.json").read_text())
    assert report["suite"] == suite and report["plugin"]["distribution"] == "ispc-acme"
    assert report["plugin"]["version"] == "0.1.0" and len(report["checks"]) == checks
    counts = report["counts"]
    assert f"{counts['passed']} passed, {counts['failed']} failed" in result.stdout
    assert counts["failed"] == counts["error"] == 0
    suite_xml = ET.parse(work / "r.xml").getroot().find("testsuite")
    assert int(suite_xml.get("tests")) == checks
    assert int(suite_xml.get("skipped")) == counts["skipped"]
