"""The code's shape, checked: import layers (import-linter), no private names imported
across modules, small files, and no catch-all handlers without a stated reason."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rag", "ingest", "ui", "eval")
MAX_LINES = 400


def _sources(packages=PACKAGES):
    for package in packages:
        yield from sorted((ROOT / package).rglob("*.py"))


def test_import_contracts_hold():
    """The layers and the no-cycle rule in pyproject.toml ([tool.importlinter])."""
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout


def _private_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            found += [f"{node.module}.{a.name} (line {node.lineno})" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    return found


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_private_name_is_imported_across_modules(path):
    assert _private_imports(path) == []


def test_private_import_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from rag.pipeline.verify import _lines\nfrom rag.types import Answer\n", encoding="utf-8")
    assert _private_imports(bad) == ["rag.pipeline.verify._lines (line 1)"]


@pytest.mark.parametrize("path", list(_sources(PACKAGES + ("tests",))), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_the_line_limit(path):
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines; split it by concept"


_CATCH_ALL = re.compile(r"^\s*except\s+(?:\(?\s*)?(?:Exception|BaseException)\b")


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_catch_all_handlers_say_why(path):
    """`except Exception` only at a real boundary, marked `# noqa: BLE001 - <why>`."""
    bad = [
        f"line {n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _CATCH_ALL.match(line) and "noqa: BLE001" not in line
    ]
    assert bad == []
