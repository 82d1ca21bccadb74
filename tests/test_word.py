"""A Word document is read as its structure: headings, lists as items, tables as rows."""

from __future__ import annotations

import copy
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document

from ingest.loaders import SkipFile, load
from ingest.word import docx_text
from rag.pipeline.candidates import quotable_units


def _notes() -> bytes:
    d = Document()
    d.add_paragraph("Data Engineer Interview Notes", style="Title")
    d.add_heading("What the SQL round tests", level=1)
    d.add_paragraph("SQL proficiency is heavily tested. Expect window functions and query tuning.")
    d.add_paragraph("Joins across three tables", style="List Bullet")
    d.add_paragraph("Window functions such as ROW_NUMBER", style="List Bullet")
    d.add_paragraph("Partition pruning on large fact tables", style="List Bullet 2")
    d.add_paragraph("Deduplicating late events with a watermark", style="List Bullet")
    d.add_paragraph("   ")
    d.add_paragraph().add_run("Pipeline design").bold = True
    d.add_paragraph("Design an hourly batch load with retries.")
    d.add_paragraph("Clarify the requirements", style="List Number")
    d.add_paragraph("Sketch the pipeline", style="List Number")
    table = d.add_table(rows=3, cols=2)
    for i, (a, b) in enumerate([("Round", "What it tests"), ("SQL", "Joins | windows"), ("Design", "Batch vs streaming")]):
        table.cell(i, 0).text, table.cell(i, 1).text = a, b
    d.add_paragraph("Closing thoughts after the table.")
    d.sections[0].header.paragraphs[0].text = "CONFIDENTIAL - page header"
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


NOTES_TEXT = """# Data Engineer Interview Notes

## What the SQL round tests

SQL proficiency is heavily tested. Expect window functions and query tuning.

- Joins across three tables
- Window functions such as ROW_NUMBER
  - Partition pruning on large fact tables
- Deduplicating late events with a watermark

### Pipeline design

Design an hourly batch load with retries.

1. Clarify the requirements
2. Sketch the pipeline

| Round | What it tests |
| --- | --- |
| SQL | Joins / windows |
| Design | Batch vs streaming |

Closing thoughts after the table."""


def test_a_word_document_reads_as_markdown():
    assert docx_text(_notes()) == NOTES_TEXT  # the page header is not part of the text


def _with_word_numbering(style: str) -> bytes:
    """Paragraphs numbered by Word itself (w:numPr on the paragraph, as Word writes lists),
    using the numbering definition the template gives `style`."""
    d = Document()
    num_pr = d.styles[style].element.pPr.numPr
    d.add_paragraph("Steps to prepare:")
    for text in ("Review SQL", "Practise system design"):
        p = d.add_paragraph(text)  # Normal style
        p._p.get_or_add_pPr().append(copy.deepcopy(num_pr))
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


@pytest.mark.parametrize("style, marks", [("List Number", ["1.", "2."]), ("List Bullet", ["-", "-"])])
def test_word_numbering_on_the_paragraph_is_read_by_its_format(style, marks):
    text = docx_text(_with_word_numbering(style))
    assert text == f"Steps to prepare:\n\n{marks[0]} Review SQL\n{marks[1]} Practise system design"


def test_a_merged_cell_is_read_once():
    d = Document()
    table = d.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Compensation by level"
    for j, v in enumerate(["Junior", "$110k", "$5k bonus"]):
        table.cell(1, j).text = v
    out = io.BytesIO()
    d.save(out)
    assert docx_text(out.getvalue()) == "| Compensation by level |\n| --- |\n| Junior | $110k | $5k bonus |"


def test_a_word_file_is_loaded_and_quoted_as_items_and_rows(tmp_path: Path):
    path = tmp_path / "de-notes.docx"
    path.write_bytes(_notes())
    doc = load(path, path.read_bytes())
    assert doc.text == NOTES_TEXT and doc.title == "Data Engineer Interview Notes"
    units = list(quotable_units(doc.text, 0, len(doc.text)))
    items = [q.text for q in units if q.unit.kind == "item"]
    assert items[:4] == ["Joins across three tables", "Window functions such as ROW_NUMBER", "Partition pruning on large fact tables",
                         "Deduplicating late events with a watermark"]
    rows = [q for q in units if q.unit.kind == "row"]
    assert [q.text for q in rows] == ["SQL | Joins / windows", "Design | Batch vs streaming"]
    assert all("What it tests" in q.lead for q in rows)
    assert not any("Pipeline design" == q.text for q in units)  # a heading is never quoted


@pytest.mark.parametrize("name, data, reason", [
    ("notes.docx", b"PK\x03\x04 this is not really a zip", "not a readable Word"),
    ("notes.docx", b"plain text saved with the wrong extension", "not a readable Word"),
    ("notes.doc", b"\xd0\xcf\x11\xe0 old binary Word", "save it as .docx"),
])
def test_a_broken_or_old_word_file_is_skipped_with_the_reason(tmp_path: Path, name, data, reason):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SkipFile, match=reason):
        load(path, data)


def test_a_zip_that_is_not_a_word_document_is_skipped(tmp_path: Path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("hello.txt", "not a document")
    path = tmp_path / "archive.docx"
    with pytest.raises(SkipFile, match="not a readable Word"):
        load(path, buffer.getvalue())


def test_a_word_file_is_ingested_and_answered_with_exact_citations(tmp_path, fake_settings, fake_embedder):
    from ingest import add
    from rag import Engine

    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "de-notes.docx").write_bytes(_notes())
    assert len(add([folder], fake_settings, embedder=fake_embedder).added) == 1
    engine = Engine(fake_settings, embedder=fake_embedder)
    answer = engine.ask("What does the SQL round test?")
    assert not answer.refused and answer.citations
    for c in answer.citations:
        assert answer.doc_texts[c.source][c.start : c.end] == c.text
