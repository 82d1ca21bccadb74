"""Jupyter notebooks are read as markdown: markdown cells as they are, code fenced, outputs
left out; a file that is not a notebook is skipped with the reason. Fast, no model, except
the last test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.loaders import SkipFile, load
from ingest.notebook import NotNotebook, notebook_text
from rag.pipeline.candidates import quotable_units

NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5,
    "metadata": {"kernelspec": {"name": "python3", "language": "python"}, "language_info": {"name": "python"}},
    "cells": [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Window functions for the SQL round\n", "\n",
                                                              "ROW_NUMBER gives each row of a partition its position."]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "source": "df.groupby('team').rank()",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": ["Traceback: KeyError 'team'\n"]}]},
        {"cell_type": "raw", "metadata": {}, "source": "raw text the notebook never renders"},
        {"cell_type": "markdown", "metadata": {}, "source": "- LAG reads the previous row\n- LEAD reads the next row"},
        {"cell_type": "code", "metadata": {}, "source": "print('```')", "outputs": []},
    ],
}


def test_a_notebook_reads_as_markdown_without_outputs():
    assert notebook_text(json.dumps(NOTEBOOK)) == (
        "# Window functions for the SQL round\n\nROW_NUMBER gives each row of a partition its position.\n\n"
        "```python\ndf.groupby('team').rank()\n```\n\n"
        "- LAG reads the previous row\n- LEAD reads the next row\n\n"
        "~~~python\nprint('```')\n~~~\n"
    )


def test_an_nbformat_3_notebook_is_read_too():
    old = {"nbformat": 3, "metadata": {"language": "python"}, "worksheets": [{"cells": [
        {"cell_type": "heading", "level": 2, "source": ["Joins"]},
        {"cell_type": "markdown", "source": ["An inner join keeps the rows that match in both tables."]},
        {"cell_type": "code", "input": ["a.merge(b)"], "language": "python", "outputs": []},
    ]}]}
    assert notebook_text(json.dumps(old)) == \
        "## Joins\n\nAn inner join keeps the rows that match in both tables.\n\n```\na.merge(b)\n```\n"


@pytest.mark.parametrize("text, reason", [
    ("# Notes saved with the wrong extension", "invalid JSON"),
    ("[1, 2, 3]", "no cells"),
    ('{"metadata": {}}', "no cells"),
    ("[" * 100_000 + "]" * 100_000, "invalid JSON"),
])
def test_what_is_not_a_notebook_says_why(text, reason):
    with pytest.raises(NotNotebook, match=reason):
        notebook_text(text)


def test_a_notebook_is_loaded_titled_and_quoted_from_its_markdown(tmp_path: Path):
    path = tmp_path / "sql-round.ipynb"
    path.write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    doc = load(path, path.read_bytes())
    assert doc.title == "Window functions for the SQL round"
    quoted = [q.text for q in quotable_units(doc.text, doc.body_start, len(doc.text))]
    assert quoted == ["ROW_NUMBER gives each row of a partition its position.",
                      "LAG reads the previous row", "LEAD reads the next row"]
    broken = tmp_path / "broken.ipynb"
    broken.write_text('{"cells": [', encoding="utf-8")
    with pytest.raises(SkipFile, match="not a Jupyter notebook"):
        load(broken, broken.read_bytes())


def test_a_notebook_is_ingested_and_answered_with_exact_citations(tmp_path, minilm):
    from ingest import add
    from rag import Engine
    from tests.conftest import make_settings

    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "sql-round.ipynb").write_text(json.dumps(NOTEBOOK), encoding="utf-8")
    settings = make_settings(tmp_path / "index", retrieval={"rerank": "sentence"})
    assert len(add([folder], settings, embedder=minilm).added) == 1
    answer = Engine(settings, embedder=minilm).ask("What does ROW_NUMBER do?")
    assert not answer.refused and "gives each row of a partition its position" in answer.answer
    assert "Traceback" not in answer.answer
    for c in answer.citations:
        assert answer.doc_texts[c.source][c.start : c.end] == c.text
