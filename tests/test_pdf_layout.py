"""A PDF page's text gets its blocks back: paragraphs, headings and list items."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load
from ingest.pdf_layout import Line, lines_of, page_blocks, vocabulary, without_running_lines
from rag.text.spans import split_units

FULL = "Data engineering interviews are the most structured of the three roles we cover here, and"


@pytest.mark.parametrize("page, expected", [
    # a wrapped paragraph is one line again; its short last line ends it
    (f"{FULL}\nSQL is tested in every loop we saw this year.\nPay rises with every competing offer you hold.\n"
     f"{FULL}\nthe end.",
     f"{FULL} SQL is tested in every loop we saw this year.\n\nPay rises with every competing offer you hold.\n\n"
     f"{FULL} the end."),
    # a short line without closing punctuation between paragraphs is a heading
    (f"{FULL}\nit ends here.\nWhat to expect\n{FULL}\nit ends.",
     f"{FULL} it ends here.\n\nWhat to expect\n\n{FULL} it ends."),
    # bullet glyphs of PDF fonts (a browser's disc is a NUL), also on a line of their own, become
    # list items, and an item wrapped over two lines is one item
    (f"{FULL}\nthese areas:\n\uf0b7 SQL window functions\n\x7f\nPipeline design and streaming\n\x00 {FULL}\n"
     f"a second line.\n{FULL}\nit ends.",
     f"{FULL} these areas:\n\n• SQL window functions\n• Pipeline design and streaming\n• {FULL} a second line.\n\n"
     f"{FULL} it ends."),
    # a word split to fit is joined; a compound broken at its hyphen keeps it
    (f"{FULL}\nquery optimiza-\ntion matters most.\nSo does optimization.\n{FULL}",
     f"{FULL} query optimization matters most.\n\nSo does optimization.\n\n{FULL}"),
    (f"{FULL}\nfine-\ntuning is the last step.\n{FULL}", f"{FULL} fine-tuning is the last step.\n\n{FULL}"),
    # ligatures are letters
    (f"{FULL}\nthe \ufb01rst round is an o\ufb00er.\n{FULL}", f"{FULL} the first round is an offer.\n\n{FULL}"),
])
def test_page_blocks(page, expected):
    lines = lines_of(page)
    assert page_blocks(lines, vocabulary([lines])) == expected


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
    # headings set in larger type are Markdown headings, ranked by size
    assert units[0] == ("heading", "# Data Engineer Interview Guide") and doc.title == "Data Engineer Interview Guide"
    assert ("heading", "## What to expect") in units
    assert [t for k, t in units if k == "item"] == ["• SQL rounds with window functions over large tables.",
                                                    "• Pipeline design with batch and streaming trade-offs."]
    assert all("What to expect" not in t and "•" not in t for k, t in units if k == "sentence")


def _page(n: int, body: str) -> str:
    return f"Data Engineer Guide — Acme Careers\n{body}\nPage {n} of 4"


TOPICS = ["SQL rounds test window functions.", "Pipeline design covers streaming jobs.",
          "Data modelling covers star schemas.", "Behavioural rounds follow the STAR format."]


@pytest.mark.parametrize("pages, expected", [
    # a header and a numbered footer on every page go; the body stays
    ([_page(n, t) for n, t in enumerate(TOPICS, 1)], TOPICS),
    # two pages are too few to tell a running line from a repeated one; a page count is one anyway
    ([_page(n, t) for n, t in enumerate(TOPICS[:2], 1)],
     [f"Data Engineer Guide — Acme Careers\n{t}" for t in TOPICS[:2]]),
    # a line repeated in the middle of pages is content, not a header
    ([f"{t}\n{t.upper()}\nAsk about the team.\n{t.lower()}\n{t[::-1]}" for t in TOPICS],
     [f"{t}\n{t.upper()}\nAsk about the team.\n{t.lower()}\n{t[::-1]}" for t in TOPICS]),
])
def test_running_headers_and_footers_are_dropped(pages, expected):
    kept = without_running_lines([lines_of(page) for page in pages])
    assert ["\n".join(line.text for line in page) for page in kept] == expected


def test_a_pdf_loses_its_running_header_and_page_numbers(tmp_path: Path):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "guide.pdf"
    c = canvas.Canvas(str(path), pagesize=A4)
    for n, body in enumerate(["SQL rounds test window functions.", "Pipeline design covers streaming.",
                              "Data modelling covers schemas."], 1):
        c.drawString(72, 800, "Acme Careers - Data Engineer Guide")
        c.drawString(72, 700, body)
        c.drawString(72, 40, f"Page {n} of 3")
        c.showPage()
    c.save()
    doc = load(path, path.read_bytes())
    assert "Acme Careers" not in doc.text and "Page " not in doc.text
    assert doc.text[doc.page_starts[1] :].startswith("Pipeline design covers streaming.")


def test_a_malformed_path_does_not_cost_the_page_its_text():
    from ingest.pdf_layout import page_lines

    class Page:  # what pypdf calls back with while it reads a page's content stream
        def extract_text(self, visitor_text, visitor_operand_before):
            visitor_operand_before(b"re", [1, "x"], [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0])
            visitor_operand_before(b"m", [], [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0])
            visitor_operand_before(b"f", [], [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 0, 0])
            visitor_text("SQL rounds test window functions.", [1, 0, 0, 1, 0, 0], [1, 0, 0, 1, 72, 700], None, 12)

    assert page_lines(Page()) == [Line("SQL rounds test window functions.", 700, 12, False)]
