"""The real `career-rag ingest` process, real MiniLM, real embedded Chroma."""

from __future__ import annotations

import json
import os
import re
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


@pytest.mark.slow
def test_cli_indexes_a_file_with_broken_front_matter_and_warns(tmp_path):
    corpus = tmp_path / "notes"
    write(corpus / "loop.md", '---\ntitle: Mastering the loop\nkeywords: "data, data-science""\n---\n'
                              "# Interview loop\n\nThe onsite loop has four rounds of one hour each.\n")
    index = tmp_path / "index"
    shown = run("ingest", corpus, "--index", index)
    said = " ".join(shown.stdout.split())  # (rich wraps long lines)
    assert "warning" in said and "front matter is not valid YAML (while scanning a quoted scalar); indexed without its front matter" in said
    summary = json.loads(run("ingest", corpus, "--index", index, "--json", "--rebuild").stdout)
    assert [Path(p).name for p in summary["added"]] == ["loop.md"] and not summary["skipped"]
    assert [(Path(w["path"]).name, w["warning"].endswith("indexed without its front matter")) for w in summary["warnings"]] \
        == [("loop.md", True)]
    answer = json.loads(run("ask", "How many rounds does the onsite loop have?", "--index", index, "--json").stdout)
    assert "four rounds" in answer["answer"]


def test_cli_reports_bad_settings_and_missing_index(tmp_path):
    bad = run("ingest", tmp_path, "--index", tmp_path / "i", "--chunk-size", "50", "--chunk-overlap", "60", check=False)
    assert bad.returncode == 2 and "overlap" in bad.stderr
    missing = run("status", "--index", tmp_path / "nothing", check=False)
    assert missing.returncode == 1 and "career-rag ingest" in missing.stderr


@pytest.mark.slow
def test_cli_answers_from_a_word_file_with_the_fast_preset_and_names_near_misses(tmp_path):
    from tests.test_word import NOTES_TEXT, _notes

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "de-notes.docx").write_bytes(_notes())
    index = tmp_path / "index"
    summary = json.loads(run("ingest", notes, "--index", index, "--json").stdout)
    assert [Path(p).name for p in summary["added"]] == ["de-notes.docx"]

    answer = json.loads(run("ask", "What does the SQL round test?", "--index", index, "--preset", "fast", "--json").stdout)
    assert not answer["refused"] and "heavily tested" in answer["answer"]
    for c in answer["citations"]:
        assert NOTES_TEXT[c["start"] : c["end"]] == c["text"]

    refused = subprocess.run([str(CLI), "ask", "How much equity does a Google L5 get?", "--index", str(index)],
                             capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "500"})
    nearest = [line for line in refused.stdout.split("Nearest sources:")[1].splitlines() if line.strip()]
    assert nearest and all(re.search(r"^  - .+ \(\S*de-notes\.docx chars \d+-\d+\)$", n) for n in nearest), nearest
    assert len(set(nearest)) == len(nearest)  # two passages of one document are told apart
