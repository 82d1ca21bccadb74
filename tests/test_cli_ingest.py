"""The real `career-rag ingest` process, real MiniLM, real embedded Chroma."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CORPUS, doc, write

CLI = Path(sys.executable).parent / "career-rag"


def run(*args, check=True):
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.mark.slow
def test_cli_ingest_then_unchanged_then_edit(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS / "roles", corpus)
    index = tmp_path / "index"
    first = run("ingest", corpus, "--index", index)
    assert "added" in first.stdout and "chunks in index" in first.stdout
    assert "Embedding chunks" in first.stderr  # the progress bar
    summary = json.loads(run("ingest", corpus, "--index", index, "--json").stdout)
    n = len(list(corpus.glob("*.md")))
    assert summary["unchanged"] == n and summary["chunks_embedded"] == 0 and not summary["added"]

    write(corpus / "data-engineer.md", doc("Data Engineer", "Data engineers now mostly write dbt models."))
    (corpus / "data-analyst.md").unlink()
    summary = json.loads(run("ingest", corpus, "--index", index, "--json").stdout)
    assert [Path(p).name for p in summary["updated"]] == ["data-engineer.md"]
    assert [Path(p).name for p in summary["deleted"]] == ["data-analyst.md"]
    assert summary["unchanged"] == n - 2

    status = json.loads(run("status", "--index", index, "--json").stdout)
    assert status["documents"] == n - 1 and status["embedding_model"] == "all-MiniLM-L6-v2"


def test_cli_reports_bad_settings_and_missing_index(tmp_path):
    bad = run("ingest", tmp_path, "--index", tmp_path / "i", "--chunk-size", "50", "--chunk-overlap", "60", check=False)
    assert bad.returncode == 2 and "overlap" in bad.stderr
    missing = run("status", "--index", tmp_path / "nothing", check=False)
    assert missing.returncode == 1 and "career-rag ingest" in missing.stderr
