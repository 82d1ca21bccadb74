"""Gold quotes are found in the text the index keeps, for any file career-rag reads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.check_dataset import main as check_dataset
from eval.dataset import DatasetError, load, locate

TEXT = "The \ufb01rst round is SQL.\nWindow functions and query opti-\nmization come up in every\nloop."


@pytest.mark.parametrize("quote, expected", [
    ("The \ufb01rst round is SQL.", "The \ufb01rst round is SQL."),          # byte for byte
    ("The first round is SQL.", "The \ufb01rst round is SQL."),             # a ligature
    ("come up in every loop.", "come up in every\nloop."),                  # a line break
    ("query opti-mization", "query opti-\nmization"),                       # after a hyphen
])
def test_a_quote_is_found_as_laid_out(quote, expected):
    start, end = locate(quote, TEXT)
    assert TEXT[start:end] == expected


@pytest.mark.parametrize("quote", ["The second round is SQL.", "first round is Python"])
def test_a_quote_that_is_not_there_is_not_found(quote):
    assert locate(quote, TEXT) is None


def _pdf(path: Path) -> Path:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    SimpleDocTemplate(str(path)).build([
        Paragraph("Data Engineer Guide", styles["Title"]),
        Paragraph("Data engineering interviews are the most structured of the three roles we cover. SQL proficiency "
                  "is heavily tested, including window functions and query optimization, in at least two rounds.",
                  styles["Normal"]),
    ])
    return path


def test_a_pdf_source_is_read_as_the_index_reads_it(tmp_path: Path):
    _pdf(tmp_path / "guide.pdf")
    quote = "SQL proficiency is heavily tested, including window functions and query optimization, in at least two rounds."
    row = {"id": "p1", "question": "Is SQL tested?", "kind": "factoid", "answerable": True, "paraphrased": False,
           "reference": "Yes, in two rounds.", "evidence": [{"source": "guide.pdf", "quote": quote}], "roles": []}
    dataset = tmp_path / "set.jsonl"
    dataset.write_text(json.dumps(row) + "\n", encoding="utf-8")
    [item] = load(dataset, tmp_path)
    source, start, end = item.spans[0]
    from ingest.loaders import load as load_document

    text = load_document(Path(source), Path(source).read_bytes()).text
    assert text[start:end] == quote
    assert check_dataset([str(dataset), "--root", str(tmp_path), "--no-targets"]) == 0

    dataset.write_text(json.dumps({**row, "evidence": [{"source": "guide.pdf", "quote": "Python is tested."}]}) + "\n",
                       encoding="utf-8")
    with pytest.raises(DatasetError, match="quote not found"):
        load(dataset, tmp_path)
    assert check_dataset([str(dataset), "--root", str(tmp_path), "--no-targets"]) == 1


@pytest.mark.parametrize("quote, expected", [
    ("See [the guide](https://example.com/guide) for **more**.", "See the guide for more."),
    ("L5 (Senior SWE) | $355,000 | $188,000", "L5 (Senior SWE) $355,000 $188,000"),
    ("Use `num & (1 << k)` to test a bit.", "Use num & (1 << k) to test a bit."),
])
def test_a_markdown_quote_as_the_printed_page_shows_it(quote, expected):
    from eval.printed import _markdown, shown

    assert shown(quote, _markdown()) == expected
