"""A PDF page's text gets its blocks back: paragraphs, headings and list items."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load
from ingest.pdf_layout import page_blocks
from rag.text.spans import split_units

FULL = "Data engineering interviews are the most structured of the three roles we cover here, and"


@pytest.mark.parametrize("page, expected", [
    # a wrapped paragraph stays one block; its short last line ends it
    (f"{FULL}\nSQL is tested in every loop we saw this year.\nPay rises with every competing offer you hold.\n"
     f"{FULL}\nthe end.",
     f"{FULL}\nSQL is tested in every loop we saw this year.\n\nPay rises with every competing offer you hold.\n\n"
     f"{FULL}\nthe end."),
    # a short line without closing punctuation between paragraphs is a heading
    (f"{FULL}\nit ends here.\nWhat to expect\n{FULL}\nit ends.",
     f"{FULL}\nit ends here.\n\nWhat to expect\n\n{FULL}\nit ends."),
    # bullet glyphs of PDF fonts, also on a line of their own, become list items
    (f"{FULL}\nthese areas:\n\uf0b7 SQL window functions\n\x7f\nPipeline design and streaming\n{FULL}\nit ends.",
     f"{FULL}\nthese areas:\n\n• SQL window functions\n• Pipeline design and streaming\n{FULL}\nit ends."),
    # a word hyphenated across lines is joined
    (f"{FULL}\nquery optimiza-\ntion matters most.\n{FULL}", f"{FULL}\nquery optimization matters most.\n\n{FULL}"),
])
def test_page_blocks(page, expected):
    assert page_blocks(page) == expected


def test_a_short_page_is_left_as_it_is():
    assert page_blocks("Page one talks about SQL interviews.") == "Page one talks about SQL interviews."


def test_a_pdf_reads_as_headings_paragraphs_and_items(tmp_path: Path):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import ListFlowable, ListItem, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    path = tmp_path / "guide.pdf"
    SimpleDocTemplate(str(path), pagesize=A4).build([
        Paragraph("Data Engineer Interview Guide", styles["Title"]),
        Paragraph("Data engineering interviews are the most structured of the three roles we cover in this guide. "
                  "SQL proficiency is heavily tested, including window functions and query optimization, and you "
                  "should expect at least two rounds on it.", styles["Normal"]),
        Paragraph("What to expect", styles["Heading2"]),
        ListFlowable([ListItem(Paragraph("SQL rounds with window functions over large tables.", styles["Normal"])),
                      ListItem(Paragraph("Pipeline design with batch and streaming trade-offs.", styles["Normal"]))],
                     bulletType="bullet"),
        Paragraph("Practice with real datasets and explain your choices out loud while you work through the "
                  "problem with the interviewer.", styles["Normal"]),
    ])
    doc = load(path, path.read_bytes())
    units = [(u.kind, " ".join(doc.text[u.start : u.end].split())) for u in split_units(doc.text)]
    assert ("heading", "What to expect") in units
    assert [t for k, t in units if k == "item"] == ["• SQL rounds with window functions over large tables.",
                                                    "• Pipeline design with batch and streaming trade-offs."]
    assert all("What to expect" not in t and "•" not in t for k, t in units if k == "sentence")
