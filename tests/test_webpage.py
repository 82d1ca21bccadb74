"""A saved web page is read as its content: structure kept, page furniture left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.loaders import load
from ingest.webpage import html_text
from rag.pipeline.candidates import quotable_units
from rag.text.spans import split_sections

PAGE = """<!doctype html><html><head><title>Data Engineer Interview Guide | CareerBlog</title>
<script>track()</script></head><body>
<header><a href="/">CareerBlog</a><nav><ul><li><a href="/">Home</a></li><li><a href="/blog">Blog</a></li></ul></nav></header>
<div class="cookie">We use cookies to improve your experience.</div>
<main><article>
<header><h1>Data Engineer Interview Guide</h1></header>
<div class="intro">Data engineering interviews are the most structured of the three. SQL proficiency is
heavily tested, with <b>window functions</b> and query tuning.</div>
<h2>What to expect</h2>
<ul>
  <li>SQL rounds with window functions
    <ul><li>ROW_NUMBER and RANK over partitions</li><li>running totals by customer</li></ul>
  </li>
  <li>Pipeline design: batch versus streaming trade-offs.</li>
</ul>
<ol><li>Clarify the data volume first.</li><li>Sketch the pipeline end to end.</li></ol>
<table><tr><th>Level</th><th>Base salary</th></tr><tr><td>Junior</td><td>$110k</td></tr><tr><td>Senior</td><td>$180k</td></tr></table>
<pre>SELECT rank() OVER (PARTITION BY team ORDER BY pay) FROM staff;</pre>
<p>Practice with real datasets<br>and explain your choices.</p>
</article>
<aside><h3>Related posts</h3><ul><li><a href="/x">10 SQL tricks</a></li></ul></aside>
<div role="navigation"><a href="/next">Next post</a></div>
</main>
<footer><p>© 2025 CareerBlog. All rights reserved.</p><form><input name="email"><button>Subscribe</button></form></footer>
</body></html>"""


@pytest.fixture(scope="module")
def text() -> str:
    return html_text(PAGE)


@pytest.mark.parametrize("furniture", ["track()", "Home", "Blog", "cookies", "Related posts", "10 SQL tricks",
                                       "Next post", "All rights reserved", "Subscribe", "CareerBlog"])
def test_page_furniture_is_left_out(text, furniture):
    assert furniture not in text


def test_the_article_reads_as_markdown(text):
    assert text.startswith("# Data Engineer Interview Guide\n\n")  # the article's own header is its title
    # text sitting directly in a <div>, inline tags flattened
    assert ("Data engineering interviews are the most structured of the three. SQL proficiency is heavily tested, "
            "with window functions and query tuning.") in text
    assert "\n\n## What to expect\n\n" in text
    # each item's own text once, nested items indented under it; ordered lists numbered
    assert ("- SQL rounds with window functions\n  - ROW_NUMBER and RANK over partitions\n"
            "  - running totals by customer\n- Pipeline design: batch versus streaming trade-offs.") in text
    assert "1. Clarify the data volume first.\n2. Sketch the pipeline end to end." in text
    assert "| Level | Base salary |\n| --- | --- |\n| Junior | $110k |\n| Senior | $180k |" in text
    assert "```\nSELECT rank() OVER (PARTITION BY team ORDER BY pay) FROM staff;\n```" in text
    assert "Practice with real datasets and explain your choices." in text


def test_the_title_heads_a_page_without_an_h1():
    page = "<html><head><title>Analytics Engineer Guide</title></head><body><div>Analytics engineers model data.</div></body></html>"
    assert html_text(page) == "# Analytics Engineer Guide\n\nAnalytics engineers model data."


def test_without_main_or_article_the_body_is_read():
    page = "<body><nav>Menu</nav><section><h2>Pay</h2>Juniors earn less. <i>Seniors</i> earn more.</section></body>"
    assert html_text(page) == "## Pay\n\nJuniors earn less. Seniors earn more."


def test_a_page_is_quoted_as_lists_and_table_rows(tmp_path: Path):
    path = tmp_path / "guide.html"
    path.write_text(PAGE, encoding="utf-8")
    doc = load(path, path.read_bytes())
    units = {doc.text[q.unit.start : q.unit.end]: q for q in quotable_units(doc.text, 0, len(doc.text))}
    items = [q for q in units.values() if q.unit.kind == "item"]
    assert {q.text for q in items} >= {"ROW_NUMBER and RANK over partitions", "Clarify the data volume first."}
    rows = [q for q in units.values() if q.unit.kind == "row"]
    assert [q.text for q in rows] == ["Junior | $110k", "Senior | $180k"] and all("Base salary" in q.lead for q in rows)


def test_a_details_block_on_a_page_is_read_as_its_question_and_answer():
    page = ("<body><h2>Joins</h2><details><summary>When would you use a <b>self join</b>?</summary>"
            "<p>A self join compares rows within one table, for example to find each manager.</p></details></body>")
    text = html_text(page)
    assert text == ("## Joins\n\n<summary>When would you use a self join?</summary>\n\n"
                    "A self join compares rows within one table, for example to find each manager.\n\n</details>")
    [answer] = quotable_units(text, 0, len(text))
    assert answer.text.startswith("A self join compares rows") and answer.lead == "When would you use a self join?"


def test_text_after_a_details_block_on_a_page_is_not_under_its_summary():
    page = ("<body><h2>Joins</h2><details><summary>When would you use a self join?</summary>"
            "<p>A self join compares rows within one table.</p></details>"
            "<p>Practise joins on a schema you know before the interview.</p></body>")
    text = html_text(page)
    leads = {q.text: q.lead for q in quotable_units(text, 0, len(text))}
    assert leads["Practise joins on a schema you know before the interview."].startswith("Joins:")
    assert [s.header_path for s in split_sections(text)] == ["Joins > When would you use a self join?", "Joins"]
