"""Markdown read as its app or page shows it: Obsidian wikilinks and tag lines, task boxes,
reference links, images and footnote marks, table rows' HTML, HTML headings and heading
anchors. The citation keeps the exact source text. Fast, no model, except the Obsidian note."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.pipeline.candidates import quotable_units
from rag.text.spans import is_plain_text, split_sections, split_units
from rag.text.syntax import markdown_heading
from tests.conftest import answer_over


def quoted(text: str) -> list[str]:
    return [text[q.unit.start : q.unit.end] for q in quotable_units(text, 0, len(text))]


def test_lines_that_hold_only_a_hard_break_end_a_paragraph_as_blank_ones_do():
    """Pandoc writes a page's empty lines as "\\" and no blank line between paragraphs: it is
    quoted as the same page with blank lines is, and no quote ends in a "\\"."""
    page = ("I now program in Selenium daily.\\\n\\\n\\\nThis transition did not come overnight.\n"
            "It took years.\\\n\\\n### Make the commitment\n")
    assert quoted(page) == quoted(page.replace("\\\n", "\n")) == [
        "I now program in Selenium daily.", "This transition did not come overnight.\nIt took years."]


@pytest.mark.parametrize("raw, shown", [
    # wikilinks
    ("- Window functions such as ROW_NUMBER(), see [[Window functions]].", "Window functions such as ROW_NUMBER(), see Window functions."),
    ("Watch how you reason about [[Joins#Self joins|self joins]].", "Watch how you reason about self joins."),
    ("Related: [[Joins#Self joins]] and [[#Aggregation]].", "Related: Joins > Self joins and Aggregation."),
    ("From [[Offer notes#^a1b2c3]] again.", "From Offer notes again."),
    ("![[query-plan.png]] Read the plan bottom up.", "Read the plan bottom up."),
    ("Type `[[Page]]` to link a note.", "Type `[[Page]]` to link a note."),
    # task boxes, reference links, images, footnote marks, raised ordinals
    ("- [ ] Learn Big-O notation", "Learn Big-O notation"),
    ("* [x] Arrays: implement a resizing vector", "Arrays: implement a resizing vector"),
    ("Read [the STAR guide][2] and [this one][] first.", "Read the STAR guide and this one first."),
    ("Index a grid as `grid[i][j]` or grid[i][j] in prose.", "Index a grid as `grid[i][j]` or grid[i][j] in prose."),
    ("The loop ![diagram](loop.png) runs n times.[^1]", "The loop runs n times."),
    ("[^1]: Measured on the 2024 cohort.", "Measured on the 2024 cohort."),  # a footnote, shown at the foot without its label
    ("I ticked [x] on the form.", "I ticked [x] on the form."),
    ("- Test the k<sup>th</sup> bit, then multiply by 2<sup>k</sup>.", "Test the kth bit, then multiply by 2^k."),
    # a hard line break (a backslash that ends a line)
    ("Maybe you volunteered for a charity? It counts! \\\nSo list it.", "Maybe you volunteered for a charity? It counts! So list it."),
    ("Type `C:\\` then a path.", "Type `C:\\` then a path."),
    # kramdown attribute lists show nothing; a backslash escape stays (the answer renders it)
    ("Use [STAR](https://example.com/star){:target=\"_blank\"} to answer.", "Use [STAR](https://example.com/star) to answer."),
    ("Authority to make decisions. {: .notice--info}", "Authority to make decisions."),
    ("Applications \\[students\\] submit \\-- fast.", "Applications \\[students\\] submit \\-- fast."),
])
def test_a_quote_reads_as_the_page_shows_its_markdown(raw, shown):
    """Wikilinks as Obsidian shows them; task boxes, reference links, images and footnote marks
    as a markdown page does."""
    from rag.text.shown import clean

    assert clean(raw) == shown


@pytest.mark.parametrize("raw, shown", [
    ('<a name="coding"></a> General Coding Interview (Algorithms and Data Structures) :computer:',
     "General Coding Interview (Algorithms and Data Structures)"),
    (":bulb: A Guide to ML Interviews :orange_book: [![Tweet](https://img.shields.io/x.svg?style=social)](https://twitter.com/intent/tweet?text=x)",
     "A Guide to ML Interviews"),
    ("1. General Coding Interview :computer: > Educative.io", "1. General Coding Interview > Educative.io"),
    ("**Tip** > `git rebase` > [the guide](https://example.com/guide)", "Tip > git rebase > the guide"),
    # words that only look like markup stay
    ("snake_case names > Meeting at 10:30:45 > Note: bring ID", "snake_case names > Meeting at 10:30:45 > Note: bring ID"),
    ("Resume > Education", "Resume > Education"),
    ("### 1.2.3 Startups or big companies", "1.2.3 Startups or big companies"),
    ("C# interview notes > #1 tip", "C# interview notes > #1 tip"),
    (":computer:", ":computer:"),  # nothing but markup: shown as written, not blank
])
def test_a_heading_is_shown_without_its_markup(raw, shown):
    """Titles and section paths as a reader names them (display only: the index keeps them)."""
    from rag.text.shown import heading

    assert heading(raw) == shown


@pytest.mark.parametrize("raw, told", [
    ("[Deep Networks for YouTube](https://storage.googleapis.com/pub/45530.pdf)", "Deep Networks for YouTube (storage.googleapis.com)"),
    ("See https://aws.amazon.com/blogs/2019/ now.", "See aws.amazon.com now."),
    ("Read [the guide](#guide) and [notes](./notes/2024.md).", "Read the guide and notes."),
    ("No link here: 3 rounds.", "No link here: 3 rounds."),
])
def test_a_link_tells_its_words_and_site_not_its_path(raw, told):
    from rag.text.shown import without_targets

    assert without_targets(raw) == told


OBSIDIAN = """---
tags: [interview, sql]
---
#interview #sql #data-engineering

# SQL round notes

Related: [[Data engineer interview]], [[Window functions|window fns]]

## What they test
- Window functions such as `ROW_NUMBER()` and running totals, see [[Window functions]].
- Aggregation with `GROUP BY` and `HAVING`.
- Query tuning: reading an execution plan and adding the right index.

![[query-plan.png]]
"""


def test_an_obsidian_note_is_answered_as_it_renders(tmp_path, minilm):
    """Through ingest and the real answer path: wikilinks read as Obsidian shows them, tag
    lines and embeds are never quoted, and every citation is still the exact source text."""
    answer = answer_over(tmp_path, minilm, "SQL round.md", OBSIDIAN, "What does the SQL round test?")
    assert "running totals, see Window functions." in answer.answer
    assert "[[" not in answer.answer and "#interview" not in answer.answer
    assert any("[[Window functions]]" in c.text for c in answer.citations)


def test_a_table_row_reads_as_the_page_shows_its_cells():
    table = ("# Bit tricks\n\n| Technique | Code |\n| --- | --- |\n"
             "| Set k<sup>th</sup> bit | <code>num &#124;= (1 &lt;&lt; k)</code> |\n"
             "| Test k<sup>th</sup> bit | `num & (1 << k) != 0` |\n")
    assert [q.text for q in quotable_units(table, 0, len(table))] == [
        "Set kth bit | num |= (1 << k)", "Test kth bit | `num & (1 << k) != 0`"]


def test_a_table_without_outer_pipes_reads_as_rows_under_its_header():
    """GitHub's pipe tables may leave out the outer pipes, and a row that names what it links to
    is one of them, not an ad."""
    page = ("The table below sums up my prep.\n\n**Activity** | **Time Spent**\n--- | ---\n"
            "Researching materials | 5 hours\n[Kelly's CISSP videos](https://www.cybrary.it/course/cissp/) | 40 hours\n\n"
            "For a total of **45** hours.\n")
    rows = [q for q in quotable_units(page, 0, len(page)) if q.unit.kind == "row"]
    assert [page[q.unit.start : q.unit.end] for q in rows] == [
        "Researching materials | 5 hours", "[Kelly's CISSP videos](https://www.cybrary.it/course/cissp/) | 40 hours"]
    assert all(q.lead.endswith("**Activity** | **Time Spent**") for q in rows)


@pytest.mark.parametrize("row, ad", [
    ("[Kelly Handerhan's CISSP Videos](https://www.cybrary.it/course/cissp/) | 40 hours", False),
    ("| Java | [`java.util.Queue`](https://docs.oracle.com/javase/10/docs/api/java/util/Queue.html) |", True),
])
def test_a_row_is_no_ad_when_the_cells_after_the_first_say_something(row, ad):
    from rag.pipeline.boilerplate import is_promotional

    assert is_promotional(row, row=True) is ad


@pytest.mark.parametrize("text", [
    "Use a | b to pipe.\nThen --- | --- it.\n",       # no rule under the line
    "A | B | C\n--- | ---\nx | y\n",                 # a rule of other columns than the header's
    "Some code:\n\n```\nx = a | b\n--- | ---\n```\n",  # in a code block
])
def test_pipes_without_a_rule_under_a_header_are_no_table(text):
    assert not [u for u in split_units(text) if u.kind == "row"]


LADDER = """## Broad Indicators
Your time is roughly split in the following proportions.
<table>
<tbody>
  <tr>
    <td rowspan="2">Split of responsibilities</td>
    <td><span style="font-weight:bold">Core</span>: ~50-65%</td>
  </tr>
  <tr>
    <td><span style="font-weight:bold">Management</span>: ~10-15%</td>
  </tr>
  <tr>
    <td>
      Approximate tenure in this role <br>
    </td>
    <td>~2-3 year</td>
</tbody>
</table>
"""


def test_an_html_table_row_of_simple_cells_reads_as_a_table_row():
    units = quotable_units(LADDER, 0, len(LADDER))
    rows = [q for q in units if q.unit.kind == "row"]
    assert [q.text for q in rows] == ["Split of responsibilities | Core: ~50-65%", "Management: ~10-15%",
                                      "Approximate tenure in this role | ~2-3 year"]  # (its "</tr>" left out)
    assert len({q.group for q in rows}) == 1 and all("roughly split" in q.lead for q in rows)
    assert LADDER[rows[0].unit.start:rows[0].unit.end].startswith("<tr>")  # the span is the row as written


def test_an_html_table_reads_its_th_row_as_the_header_and_a_chunk_starting_mid_table_knows_it():
    table = ("# Loop\n\n<table>\n<tr><th>Time</th><th>Interviewer</th></tr>\n"
             "<tr><td>10.00</td><td>Joan, Software Engineer</td></tr>\n<tr><td>11.30</td><td>Ali, Manager</td></tr>\n</table>\n")
    start = table.index("<tr><td>11.30")
    rows = quotable_units(table, start, len(table))
    assert [q.text for q in rows] == ["11.30 | Ali, Manager"] and rows[0].lead.endswith("Time | Interviewer")


def test_an_html_cell_holding_a_list_is_read_as_the_text_it_holds():
    table = ("# Pros\n\n<table>\n<tr>\n<td>Pros</td>\n<td>\n<ul>\n<li>Mentorship from senior engineers on the team</li>\n"
             "<li>A clear path to promotion every year</li>\n</ul>\n</td>\n</tr>\n</table>\n")
    assert all(q.unit.kind != "row" for q in quotable_units(table, 0, len(table)))


README = """<h1 align="center">Frontend Interview Questions</h1>

<p align="center">Questions I was asked in frontend interviews, with my answers.</p>

<h3>What is a closure?</h3>

A closure is a function that keeps access to the variables of the scope it was created in.

<h3 id="hoisting">What is <code>hoisting</code>?</h3>
Hoisting moves declarations to the top of their scope before the code runs.

<h1><img src="logo.png" alt=""></h1>
"""


def test_html_headings_head_their_sections_as_markdown_ones_do():
    """As GitHub READMEs write titles and questions: never quoted, never glued to the answer
    under them, and the title of what follows."""
    assert [(u.kind, README[u.start : u.end]) for u in split_units(README) if u.kind != "sentence"] == [
        ("heading", '<h1 align="center">Frontend Interview Questions</h1>'),
        ("heading", "<h3>What is a closure?</h3>"),
        ("heading", '<h3 id="hoisting">What is <code>hoisting</code>?</h3>'),
        ("markup", '<h1><img src="logo.png" alt=""></h1>'),  # a heading with no words shows none
    ]
    assert [s.header_path for s in split_sections(README)][:3] == [
        "Frontend Interview Questions", "Frontend Interview Questions > What is a closure?",
        "Frontend Interview Questions > What is hoisting?"]
    assert quoted(README)[1:] == [
        "A closure is a function that keeps access to the variables of the scope it was created in.",
        "Hoisting moves declarations to the top of their scope before the code runs."]
    assert not is_plain_text(README)


def test_a_readme_is_titled_by_its_html_heading(tmp_path):
    from ingest.loaders import guess_title

    assert guess_title(README, 0, tmp_path / "README.md") == "Frontend Interview Questions"
    assert guess_title("## Plan your time {#plan}\n\nText.\n", 0, tmp_path / "x.md") == "Plan your time"


@pytest.mark.parametrize("text, name, title", [
    # every lesson of a course repository opens with the same section name: the file names it
    ("### Introduction\n\nIf you kicked butt, you'll get an offer.\n", "handling_an_offer.md", "handling an offer"),
    ("## Overview\n\nThe loop has four rounds.\n", "system-design.md", "system design"),
    # ... unless the file's name is as generic
    ("# Introduction\n\nThe loop has four rounds.\n", "README.md", "Introduction"),
    # a lower-level heading on the first line is the title, as written (citations show it without marks)
    ("### 1.2.3 Startups or big companies\n\nThis is a question I often hear.\n", "1.2.3-startups.md",
     "### 1.2.3 Startups or big companies"),
    ("Breakdown of Engineering Roles\n\nAn analysis distinguishes three roles in the AI industry.\n", "a.txt",
     "Breakdown of Engineering Roles"),
])
def test_a_document_is_titled_by_what_names_it(text, name, title, tmp_path):
    from ingest.loaders import guess_title

    assert guess_title(text, 0, tmp_path / name) == title


@pytest.mark.parametrize("line, title", [
    ("<h2>Behavioral <em>rounds</em></h2>", "Behavioral rounds"),
    ('<a name="sql"></a><h4 id="sql">SQL</h4>', "SQL"),
    ("### 1. Pick a good language {#pick-programming-language}", "1. Pick a good language"),
    ("## Offers {.tabset}", "Offers"),
    ("## Use {} for sets", "Use {} for sets"),
])
def test_a_headings_title_is_what_the_page_shows(line, title):
    assert markdown_heading(line)[1] == title


@pytest.mark.parametrize("line", ["[1]: is the number I was given.", "[TODO]: ask about equity"])
def test_a_bracketed_label_that_is_no_link_target_is_text(line):
    assert [u.kind for u in split_units(f"{line}\n")] == ["sentence"]


@pytest.mark.parametrize("line", ["#1 tip: ask questions.", "#python is what I use.", "# Python"])
def test_a_line_that_only_opens_with_a_hash_is_not_a_tag_line(line):
    assert "markup" not in [u.kind for u in split_units(f"{line}\n")]


def test_the_cli_names_sources_without_heading_markup(monkeypatch):
    from rich.console import Console

    import rag.cli.ask as ask
    from rag.types import Answer, ChunkRecord, Citation, Context

    raw = '<a name="coding"></a> General Coding :computer:'
    text = "Practise on Leetcode daily."
    cit = Citation("coding.md", raw, 0, len(text), text, marker=1)
    chunk = ChunkRecord("c1", "coding.md", 0, 0, len(text), None, f"{raw} > **Leetcode**", raw, [], "note", text)
    shown = Console(record=True, width=200)
    monkeypatch.setattr(ask, "out", shown)
    ask.print_answer(Answer("q", f"{text} [1]", False, [cit], [Context(1, chunk, 0.9)], "extractive", {}))
    ask.print_answer(Answer("q", "Not covered.", True, [], [Context(1, chunk, 0.9)], "extractive", {}))
    lines = shown.export_text()
    assert "[1] General Coding — coding.md" in lines and "- General Coding — General Coding > Leetcode (coding.md" in lines
    assert "<a name" not in lines and ":computer:" not in lines


@pytest.mark.parametrize("page, shown_as", [(3, "guide.pdf chars 10-38, page 3"), (None, "guide.pdf chars 10-38")])
def test_the_cli_names_the_page_of_a_pdf_source(monkeypatch, page, shown_as):
    from rich.console import Console

    import rag.cli.ask as ask
    from rag.types import Answer, ChunkRecord, Citation, Context

    text = "SQL is tested in every loop."
    cit = Citation("guide.pdf", "Guide", 10, 10 + len(text), text, marker=1)
    chunk = ChunkRecord("c1", "guide.pdf", 0, 0, 60, page, "", "Guide", [], "note", "x" * 60)
    shown = Console(record=True, width=200)
    monkeypatch.setattr(ask, "out", shown)
    ask.print_answer(Answer("q", f"{text} [1]", False, [cit], [Context(1, chunk, 0.9)], "extractive", {}))
    ask.print_answer(Answer("q", "Not covered.", True, [], [Context(1, replace(chunk, start=10, end=38), 0.9)],
                            "extractive", {}))
    lines = shown.export_text()
    assert f"[1] Guide — {shown_as}\n" in lines and f"- Guide ({shown_as})" in lines
