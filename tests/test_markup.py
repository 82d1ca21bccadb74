"""Markup a reader never sees in a markdown file (HTML layout tags, MDX statements, template
tags, admonition and tab markers) is never quoted nor glued to the text beside it; the summary
of a <details> block heads the answer under it. Fast, no model, except the Q&A repository test."""

from __future__ import annotations

import pytest

from ingest.chunker import chunk_spans
from rag.pipeline.candidates import quotable_units
from rag.study.extract import extract_questions
from rag.text.spans import split_sections, split_units
from rag.text.syntax import SUMMARY_LEVEL, markdown_heading
from tests.conftest import answer_over

QA = """# SQL Interview Questions

A collection of SQL questions asked in data engineering interviews. Star the repo if it helps!

## Table of Contents

- [Joins](#joins)
- [Window functions](#window-functions)

## Joins

<details>
<summary><b>When would you use a self join?</b></summary>
<p>

A self join compares rows within one table, for example to find each employee's manager.

</p>
</details>

## Window functions

<details><summary>What does ROW_NUMBER() do?</summary>ROW_NUMBER() gives each row of a partition its position in the window's order.</details>

**[⬆ Back to Top](#table-of-contents)**
"""


def quoted(text: str) -> list[str]:
    return [text[q.unit.start : q.unit.end] for q in quotable_units(text, 0, len(text))]


def test_a_details_summary_heads_its_answer_and_is_never_quoted():
    units = quoted(QA)
    assert units == [
        "A collection of SQL questions asked in data engineering interviews.",
        "A self join compares rows within one table, for example to find each employee's manager.",
        "ROW_NUMBER() gives each row of a partition its position in the window's order.",
    ]
    paths = [s.header_path for s in split_sections(QA)]
    assert "SQL Interview Questions > Joins > When would you use a self join?" in paths
    assert "SQL Interview Questions > Window functions > What does ROW_NUMBER() do?" in paths
    leads = {q.text: q.lead for q in quotable_units(QA, 0, len(QA))}
    assert leads["ROW_NUMBER() gives each row of a partition its position in the window's order."] \
        == "What does ROW_NUMBER() do?"


NOTE = """# Joins

Joins come up in every SQL round.

<details>
<summary>When would you use a self join?</summary>

A self join compares rows within one table, for example to find each employee's manager.
</details>

Practise joins on a schema you know well before the interview.

<details><summary>What is an anti join?</summary>It keeps the rows with no match in the other table.</details>
Say which join you mean out loud while you write it.

```html
<details><summary>Sample</summary>Some words.</details>
```
"""


def test_the_text_after_a_details_block_is_under_the_heading_the_block_sits_under():
    sections = split_sections(NOTE)
    assert [s.header_path for s in sections] == [
        "Joins", "Joins > When would you use a self join?", "Joins", "Joins > What is an anti join?", "Joins"]
    leads = {q.text: q.lead for q in quotable_units(NOTE, 0, len(NOTE))}
    assert leads["A self join compares rows within one table, for example to find each employee's manager."] \
        == "When would you use a self join?"
    assert leads["Practise joins on a schema you know well before the interview."].startswith("Joins: ")
    assert leads["It keeps the rows with no match in the other table."] == "What is an anti join?"
    # closed on the answer's own line; a tag inside code closes nothing
    assert leads["Say which join you mean out loud while you write it."].startswith("Joins: ")
    assert [s.header_path for s in split_sections("## Tips\n\n<details><summary>Why?</summary>\n\n"
                                                  "```\n</details>\n```\n\nStill the answer.\n")] == ["Tips > Why?"]
    paths = {NOTE[s.start : s.end].split("\n")[-1]: s.header_path for s in chunk_spans(NOTE, 0, 40, 0)}
    assert paths["Practise joins on a schema you know well before the interview."] == "Joins"


def test_a_summary_is_a_heading_one_level_below_markdown_headings():
    assert markdown_heading("<details><summary><b>Why  index?</b></summary>") == (SUMMARY_LEVEL, "Why index?")
    assert markdown_heading("<summary></summary>") == (SUMMARY_LEVEL, "")
    # an empty summary heads nothing: the line is markup
    assert [u.kind for u in split_units("<details><summary></summary>\n\nText of the block goes here.\n")] \
        == ["markup", "sentence"]


@pytest.mark.parametrize("markup", [
    ":::tip Expert tip",
    ":::",
    '!!! tip "Use the STAR method"',
    "??? note",
    '???+ warning "Careful"',
    '=== "Senior"',
    "<InDocAd />",
    "<div className=\"text--center\">",
    "</details>",
    "import InDocAd from './_components/InDocAd';",
    "{% include newsletter.html %}",
    '{{< youtube id="abc123" >}}',
    "> [!TIP] Window functions",
    "> [!note]-",
    "#interview #sql #data-engineering",
    "#career/interviews",
    "[1]: https://example.com/star-method",
    '[star]: <./behavioral.md> "The STAR method"',
])
def test_a_markup_line_is_not_glued_to_the_text_under_it(markup):
    text = f"# Notes\n\n{markup}\n    Structure every story as Situation, Task, Action and Result.\n"
    assert quoted(text) == ["Structure every story as Situation, Task, Action and Result."]
    assert [u.kind for u in split_units(text)] == ["heading", "markup", "sentence"]


def test_an_html_comment_is_never_quoted_on_one_line_or_several():
    text = ("# Plan\n\n<!-- TODO: which can be broken down into the following steps\n"
            "Understand the question. Draft an answer. -->\nStudy arrays first, then strings and hash tables.\n\n"
            "<!-- Do check out these links for: what to study with one month left -->\n")
    assert quoted(text) == ["Study arrays first, then strings and hash tables."]
    assert [u.kind for u in split_units(text)] == ["heading", "markup", "sentence", "markup"]


def test_an_mdx_comment_is_never_quoted_on_one_line_or_several():
    text = ("# Plan\n\n{/* TODO: add the Go answer */}\nStudy arrays first, then linked lists.\n\n"
            "{/* Draft, two lines:\nask about the team. */}\nThen strings and hash tables.\n")
    assert quoted(text) == ["Study arrays first, then linked lists.", "Then strings and hash tables."]
    assert [u.kind for u in split_units(text)] == ["heading", "markup", "sentence", "markup", "sentence"]


def test_a_tag_spread_over_lines_is_markup_up_to_its_end():
    text = ('# Cheatsheet\n\n<img alt="Summary of what to do before a coding interview"\n'
            '    title="Summary of what to do" src="x.png" />\n'
            "Check your webcam and audio before the call starts.\n")
    assert [u.kind for u in split_units(text)] == ["heading", "markup", "sentence"]
    assert quoted(text) == ["Check your webcam and audio before the call starts."]


def test_layout_tags_around_a_paragraph_are_not_quoted_but_inline_tags_are():
    text = "# Tips\n\n<p>Practise <b>out loud</b> with a friend before the loop.</p>\n"
    assert quoted(text) == ["Practise <b>out loud</b> with a friend before the loop."]


def test_markup_still_counts_towards_a_chunk_so_chunks_cover_the_text_as_before():
    text = "# A\n\n" + "<head>\n  <meta property=\"og:image\" content=\"https://example.org/a.png\" />\n</head>\n\n" \
        + "Body sentence number one is here. " * 30 + "\n"
    spans = chunk_spans(text, 0, 40, 10)
    assert spans[0].start == 0 and spans[-1].end == len(text.rstrip())
    assert "<meta" in text[spans[0].start : spans[0].end]


@pytest.mark.parametrize("unit, quotable", [
    ("- [Joins](#joins)", False),
    ("3. [Plan your time and tackle topics in order of importance](#plan)", False),
    ("Email us at [contact{at}example.org](mailto:contact@example.org).", False),
    ("If you have tips to share, do reach out to me at contact@example.org.", False),
    ("**Disclaimer: This section was added by the Hello Interview team**", False),
    ("The recruiter said they would reach out to me within a week of the onsite.", True),
    ("**[⬆ Back to Top](#table-of-contents)**", False),
    ("Star the repo if it helps you prepare for interviews!", False),
    ("See [the joins section](#joins) for how an inner join differs from an outer one.", True),
])
def test_page_links_contact_lines_and_calls_to_action_are_not_answers(unit, quotable):
    text = f"# Notes\n\n{unit}\n"
    assert bool(quoted(text)) is quotable


def test_study_mode_reads_a_document_with_summaries():
    # (study mode's own question convention is "### Q: ...?"; a summary heading must not trip it)
    text = "# Guide\n\n## Q: What is a join?\n\nA join combines rows of two tables on a key.\n\n" \
           "<details><summary>Why?</summary>Because data lives in several tables.</details>\n"
    found = extract_questions(text, 0)
    assert [q.question for q in found] == ["What is a join?"]


def test_a_question_and_answer_repository_is_answered_from_the_answer(tmp_path, minilm):
    """Through ingest and the real answer path: the answer quotes the block's answer, exactly,
    and never the summary that asks the question (it used to quote "<details> <summary>…")."""
    answer = answer_over(tmp_path, minilm, "sql.md", QA, "When would I use a self join?")
    assert "self join compares rows within one table" in answer.answer
    assert "<summary>" not in answer.answer and "<details>" not in answer.answer


# -- question-and-answer notes ----------------------------------------------------------
@pytest.mark.parametrize("notes, answer", [
    ("Q: What is a data lake?\nA data lake stores raw data of any shape cheaply.",
     "A data lake stores raw data of any shape cheaply."),
    ("**Q: What does idempotent mean?** A pipeline is idempotent when a rerun changes nothing.",
     "A pipeline is idempotent when a rerun changes nothing."),
    ("**Question 3:** Why partition a large table?\nPartitioning lets queries skip files that cannot match.",
     "Partitioning lets queries skip files that cannot match."),
])
def test_a_labelled_question_is_not_quoted_and_its_answer_is(notes, answer):
    assert quoted(f"# Notes\n\n{notes}\n") == [answer]


def test_a_sentence_ends_inside_closing_emphasis():
    from rag.text.sentences import split_sentences

    text = "**Do not jump into coding.** Ask two or three clarifying questions first."
    assert [text[s:e] for s, e in split_sentences(text)] == ["**Do not jump into coding.**",
                                                             "Ask two or three clarifying questions first."]


def test_a_question_item_with_its_answer_indented_under_it_titles_the_answer():
    text = ("# Kafka\n\n1. **What is a consumer group?**\n\n"
            "   A consumer group shares the partitions of a topic among its members.\n\n"
            "2. **Why does ordering hold only within a partition?**\n\n"
            "   Each partition is an ordered log read on its own.\n")
    units = quotable_units(text, 0, len(text))
    assert [q.text for q in units] == ["A consumer group shares the partitions of a topic among its members.",
                                       "Each partition is an ordered log read on its own."]
    assert units[0].lead == "Kafka: 1. **What is a consumer group?**"


def test_a_list_of_questions_is_still_quoted_as_a_list():
    # (what an interviewer may ask is the answer to "which questions come up?")
    text = ("# Behavioural\n\nExpect these questions:\n\n- Why do you want to work here?\n"
            "- What is your biggest weakness?\n\nPrepare a story for each one of them.\n")
    assert quoted(text) == ["- Why do you want to work here?", "- What is your biggest weakness?",
                            "Prepare a story for each one of them."]


def test_a_blockquote_reads_without_its_markers_on_every_line():
    from rag.text.shown import clean

    assert clean("- Use earphones in a quiet room.\n  > Avoid speakers: the echo costs time.") \
        == "Use earphones in a quiet room. Avoid speakers: the echo costs time."
    assert clean("> [!NOTE] is how an alert starts\n> and a > sign inside a line stays") \
        == "[!NOTE] is how an alert starts and a > sign inside a line stays"


@pytest.mark.parametrize("raw, shown", [
    ("Leaning hire | Communication was clear.<br/>However, hints were needed.",
     "Leaning hire | Communication was clear. However, hints were needed."),
    ("- Nested loops take O(n<sup>2</sup>) time.", "Nested loops take O(n^2) time."),
    ("- What do you know about &lt;role&gt; and why?", "What do you know about <role> and why?"),
    ("Practise <b>out loud</b> with a friend.", "Practise out loud with a friend."),
    ("Ask them why they want to work at <company> in <city>.", "Ask them why they want to work at <company> in <city>."),
    ("Wrap each answer in a `<details>` block, &amp; keep `&lt;` as written.",
     "Wrap each answer in a `<details>` block, & keep `&lt;` as written."),
])
def test_a_quote_reads_as_the_page_shows_its_html(raw, shown):
    from rag.text.shown import clean

    assert clean(raw) == shown


def test_each_footnote_is_a_paragraph_of_its_own_quoted_without_its_label():
    text = ("# My first interview\n\nI did the HackerRank test[^1] and then FizzBuzz.[^2]\n\n"
            "[^1]: HackerRank is a company focused on programming challenges.\n"
            "[^2]: FizzBuzz is a coding challenge that many applicants struggle with.\n")
    units = quotable_units(text, 0, len(text))
    assert [q.text for q in units][-2:] == ["HackerRank is a company focused on programming challenges.",
                                            "FizzBuzz is a coding challenge that many applicants struggle with."]
    assert text[units[-1].unit.start:units[-1].unit.end].startswith("[^2]: FizzBuzz")  # the span is exact


FENCED = ("## Graphs\n\nA template for depth-first search:\n\n```py\ndef dfs(node):\n    seen.add(node)\n"
          "    for n in node.edges:\n        dfs(n)\n```\n\nThe key difference between the algorithms lies in the data "
          "structure: BFS uses a queue while DFS uses a stack.\n\n~~~\nplain fence\n~~~\n")


@pytest.mark.parametrize("start_at", ["    seen.add", "```\n\nThe key", "The key", "plain fence"])
def test_a_range_that_starts_inside_a_code_block_reads_its_closing_fence_as_closing(start_at):
    """A chunk cut from a long code block starts inside it: the text after the block is prose."""
    start = FENCED.index(start_at)
    units = split_units(FENCED, start, len(FENCED))
    prose = [FENCED[u.start : u.end] for u in units if u.kind == "sentence"]
    if start_at == "plain fence":
        assert [u.kind for u in units] == ["code"]
    else:
        assert prose == ["The key difference between the algorithms lies in the data structure: BFS uses a queue while "
                         "DFS uses a stack."]
        assert FENCED[units[-1].start : units[-1].end] == "~~~\nplain fence\n~~~"
