"""The error-code registry is the single source of truth for codes, and docs/errors.md follows it.

The raise sites are found by reading the source (ast): every ``code="..."`` passed to a call in
the core or a first-party plugin, and every class-level ``code = "..."``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ispc_framework import _error_codes as error_codes, _errors as errors
from ispc_framework._error_codes import REGISTRY, ErrorCode, render_markdown

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = [ROOT / "ispc_framework", *sorted((ROOT / "plugins").glob("*/ispc_*"))]
TEST_DIRS = [ROOT / "tests", *sorted((ROOT / "plugins").glob("*/tests"))]


def _python_files(dirs):
    for directory in dirs:
        yield from sorted(directory.rglob("*.py"))


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _code_constants() -> dict[str, str]:
    """Module-level ``NAME = "some-code"`` constants, for raise sites that pass ``code=NAME``."""
    found: dict[str, set[str]] = {}
    for path in _python_files(SOURCE_DIRS):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)
                    and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)):
                found.setdefault(node.targets[0].id, set()).add(node.value.value)
    return {name: values.pop() for name, values in found.items() if len(values) == 1}


def _raise_sites():
    """(code, class name, where) for every literal code (or code constant) passed to a call, or
    written into an error reply ``{"type": ..., "code": ...}`` (the prover worker's protocol)."""
    constants = _code_constants()
    for path in _python_files(SOURCE_DIRS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                        yield kw.value.value, _callee(node), where
                    elif (kw.arg == "code" and isinstance(kw.value, ast.Name)
                          and kw.value.id in constants):
                        yield constants[kw.value.id], _callee(node), where
            elif isinstance(node, ast.Dict):
                items = {key.value: value for key, value in zip(node.keys, node.values)
                         if isinstance(key, ast.Constant)}
                code, kind = items.get("code"), items.get("type")
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    yield code.value, kind.value if isinstance(kind, ast.Constant) else "", where


def _class_codes():
    for path in _python_files(SOURCE_DIRS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                            and getattr(stmt.targets[0], "id", None) == "code"
                            and isinstance(stmt.value, ast.Constant)):
                        yield stmt.value.value, node.name, f"{path.relative_to(ROOT)}:{node.lineno}"


SITES = list(_raise_sites())


def test_the_scan_sees_the_raise_sites():
    # Guards the test itself: a scan that found nothing would pass everything below.
    assert len(SITES) > 100
    assert {"duplicate-input", "import-signature", "onnx-malformed"} <= {
        code for code, _, _ in SITES}


def test_every_code_raised_is_registered():
    missing = sorted({f"{code} ({where})" for code, _, where in SITES if code not in REGISTRY})
    assert not missing, "declare these in ispc_framework/_error_codes.py:\n" + "\n".join(missing)


def test_every_class_code_is_registered_with_its_class():
    for code, class_name, where in _class_codes():
        assert code in REGISTRY, where
        assert REGISTRY[code].error.__name__ == class_name, where


def test_each_code_is_raised_as_its_registered_class():
    """One code, one condition: a code is raised as its declared class or a subclass of it."""
    wrong = []
    for code, callee, where in SITES:
        cls = getattr(errors, callee, None)
        if isinstance(cls, type) and issubclass(cls, errors.ISPCError) and code in REGISTRY:
            if not issubclass(cls, REGISTRY[code].error):
                wrong.append(f"{where}: {code} raised as {callee}, "
                             f"registered as {REGISTRY[code].error.__name__}")
    assert not wrong, "\n".join(wrong)


def test_every_registered_code_is_used():
    used = {code for code, _, _ in SITES}
    specific = {c for c, e in REGISTRY.items() if e not in error_codes.CLASS_CODES}
    assert not sorted(specific - used), "registered but raised nowhere: remove or use them"


def test_codes_are_kebab_case_and_documented():
    for code, entry in REGISTRY.items():
        assert code == entry.code and code.replace("-", "").isalnum() and code == code.lower()
        assert entry.message.strip(), f"{code} has no message"
        assert entry.effective_hint.strip(), f"{code} has no hint"


def test_codes_tests_expect_are_registered():
    """A test asserting ``.code == "x"`` for an unregistered x is stale (the code was renamed)."""
    stale = []
    for path in _python_files(TEST_DIRS):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)
                    and node.left.attr == "code" and isinstance(node.ops[0], ast.Eq)
                    and isinstance(node.comparators[0], ast.Constant)
                    and isinstance(node.comparators[0].value, str)):
                code = node.comparators[0].value
                if code not in REGISTRY:
                    stale.append(f"{path.relative_to(ROOT)}:{node.lineno}: {code}")
    assert not stale, "\n".join(stale)


def test_errors_md_is_generated_from_the_registry():
    assert (ROOT / "docs" / "errors.md").read_text(encoding="utf-8") == render_markdown(), \
        "run `python -m ispc_framework._error_codes` and commit docs/errors.md"
    text = render_markdown()
    for code in REGISTRY:
        assert f"`{code}`" in text


def test_the_check_flag_reports_a_stale_page(tmp_path, capsys):
    page = tmp_path / "errors.md"
    assert error_codes.main(["--check", "--out", str(page)]) == 1
    assert error_codes.main(["--out", str(page)]) == 0
    assert error_codes.main(["--check", "--out", str(page)]) == 0
    page.write_text(page.read_text() + "edited\n")
    assert error_codes.main(["--check", "--out", str(page)]) == 1
    assert "stale" in capsys.readouterr().err


def test_a_raise_without_a_hint_gets_the_registered_one():
    entry = REGISTRY["duplicate-input"]
    err = errors.ValidationError("draft.inputs[1]", "listed twice", code="duplicate-input")
    assert err.hint == entry.hint and str(err).endswith(f"Hint: {entry.hint} [duplicate-input]")
    assert errors.ValidationError("f", "m", code="duplicate-input", hint="mine").hint == "mine"
    # An entry without a hint falls back to the raising class's hint.
    assert REGISTRY["context-destroyed"].hint is None
    assert errors.ContextError("x", code="context-destroyed").hint == errors.ContextError.hint
    # Unregistered codes (a third-party plugin's own) keep working with the class hint.
    assert errors.PluginError("x", code="acme-broken").hint == errors.PluginError.hint


def test_a_code_cannot_be_declared_twice():
    twice = (ErrorCode("a-b", errors.ISPCError, "m"), ErrorCode("a-b", errors.ISPCError, "n"))
    with pytest.raises(RuntimeError, match="declared twice"):
        error_codes._index(twice)
