"""A web page saved as PDF by a real browser (Debian's chromium, `--print-to-pdf`, its print
stamps on) reads back as the page: headings, paragraphs, list items, code, words."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from eval.dataset import load as load_dataset
from ingest.loaders import load
from rag.text.spans import split_units
from tests.test_ui_browser import CHROMIUM, FLAGS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"Debian chromium is not installed at {CHROMIUM} (run scripts/browser-deps.sh)"),
]

LONG = ("Data engineering interviews are the most structured of the three roles we cover here, and the first "
        "round is almost always a SQL screen with window functions and an efficient join over a large table. ")
PAGE = f"""<!doctype html><html><head><meta charset="utf-8"><title>Data engineer guide</title>
<style>body {{ font-family: serif; font-size: 12pt; max-width: 40em; margin: 2em auto; }}</style></head><body>
<h1>Data engineer interview guide</h1>
<p>{LONG * 3}</p>
<h2>What the loop tests</h2>
<p>Legend: 👶 easy ⭐️ medium. Expect these rounds:</p>
<ul><li>SQL with window functions over a large fact table, written without a cheat sheet, in under half an hour.</li>
<li>Pipeline design with late data.</li><li><a href="https://example.com/modeling">Data modeling</a></li></ul>
<pre><code>SELECT user_id,
       SUM(amount) OVER (PARTITION BY user_id ORDER BY day) AS running_total
FROM payments;</code></pre>
<p>{LONG * 14}</p>
<p>Behavioural rounds follow the STAR format.</p>
</body></html>"""


@pytest.fixture(scope="module")
def printed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("print")
    page, pdf = folder / "guide.html", folder / "guide.pdf"
    page.write_text(PAGE, encoding="utf-8")
    subprocess.run([str(CHROMIUM), *FLAGS, f"--print-to-pdf={pdf}", page.as_uri()], check=True, timeout=120,
                   capture_output=True)
    return pdf


def test_a_browser_printed_page_reads_as_the_page(printed: Path):
    doc = load(printed, printed.read_bytes())
    text = doc.text
    assert len(doc.page_starts) >= 2, "the page must run over a page break to test it"
    units = [(u.kind, text[u.start : u.end]) for u in split_units(text)]
    # headings in larger type are Markdown headings; the title is the first
    assert units[0] == ("heading", "# Data engineer interview guide") and doc.title == "Data engineer interview guide"
    assert ("heading", "## What the loop tests") in units
    # list items whose discs are drawn, not printed, are items, each whole on one line
    items = [t for k, t in units if k == "item"]
    assert items[:3] == ["• SQL with window functions over a large fact table, written without a cheat sheet, in under half an hour.",
                         "• Pipeline design with late data.", "• Data modeling"]
    # code is fenced, line by line
    assert "```\nSELECT user_id,\n" in text and "FROM payments;\n```" in text
    # a wrapped paragraph is one line, and a sentence over a page break is one sentence
    sentences = [t for k, t in units if k == "sentence"]
    assert sentences.count(LONG.strip()) == 17
    assert "Behavioural rounds follow the STAR format." in sentences
    # no ligature glyphs, no NUL for an emoji, no print stamps (date, file address, page count)
    assert not any(ch in text for ch in "\ufb00\ufb01\ufb02\ufb03\ufb04\x00")
    assert "first round" in text and "efficient" in text
    assert "file://" not in text and not re.search(r"\d+/\d+", text)


def test_a_question_set_printed_to_pdf(tmp_path: Path):
    from eval.printed import print_corpus, printed_questions

    corpus = tmp_path / "notes"
    (corpus / "roles").mkdir(parents=True)
    (corpus / "roles" / "de.md").write_text(
        "---\ntitle: Data engineer guide\n---\n\nThe first round is a **SQL** screen, see [the bank](https://example.com).\n",
        encoding="utf-8")
    rows = [{"id": "a", "question": "What is the first round?", "kind": "factoid", "answerable": True,
             "evidence": [{"source": "notes/roles/de.md", "quote": "The first round is a **SQL** screen"}]},
            {"id": "b", "question": "What does it pay?", "kind": "factoid", "answerable": True,
             "evidence": [{"source": "notes/roles/de.md", "quote": "It pays well."}]}]
    dataset = tmp_path / "set.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "printed"
    assert list(print_corpus(corpus, out).values()) == [out / "pdf" / "roles" / "de.pdf"]
    assert printed_questions(dataset, tmp_path, corpus, out) == ["b"]
    [row] = [json.loads(line) for line in (out / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert row["evidence"] == [{"source": "roles/de.pdf", "quote": "The first round is a SQL screen"}]
    [item] = load_dataset(out / "questions.jsonl", out / "pdf")
    assert item.spans and item.spans[0][0].endswith("de.pdf")
