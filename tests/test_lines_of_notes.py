"""Plain-text notes written one statement per line: what a reader sees as separate lines is
quoted as separate statements, while a wrapped paragraph stays one sentence. Fast, no model.
(Lines opened by a typed arrow: tests/test_unmarked_items.py.)"""

from __future__ import annotations

import pytest

from rag.text.spans import split_units

LONG = ("The interviewer skipped the introduction and went straight to a design question about a "
        "rate limiter for an API gateway.")
NOTES = f"""Onsite notes
{LONG}
I sketched the token bucket first
He asked how it behaves when many servers share one limit, so we moved the counters into Redis.
Could not cover all edge cases
Code quality
"""


def said(text: str, plain: bool | None = None) -> list[str]:
    return [text[u.start : u.end] for u in split_units(text, plain_headings=plain)]


def test_a_short_line_without_punctuation_is_a_statement_of_its_own():
    units = said(NOTES)
    assert "I sketched the token bucket first" in units
    assert "Could not cover all edge cases" in units
    assert "Code quality" in units
    assert LONG in units  # a long line still runs on only as far as its sentence does


def test_markdown_reads_the_same_lines_as_one_paragraph():
    units = said(NOTES, plain=False)
    assert "I sketched the token bucket first" not in units
    assert any(u.startswith("I sketched the token bucket first\nHe asked") for u in units)


# Wrapped at about 90 columns by a text box: the lines that run on are all near that width,
# and the next line opens with a capital ("Arrays", "To").
REPORT = """First round was an online test of four coding questions which included
Arrays, strings and graph questions on a shared editor for ninety minutes in total.

Second round was a technical interview on a code pair tool that lasted about an hour,
Java concepts and a string manipulation question solved with a hash map in the end.

Questions related to the projects and the technologies used, and my approach
To a sudoku solver, plus a few HR questions about my strengths and weaknesses.
"""


@pytest.mark.parametrize("wrapped", ["which included\nArrays, strings", "my approach\nTo a sudoku solver"])
def test_a_wrapped_line_that_meets_a_capital_stays_in_its_sentence(wrapped):
    assert any(wrapped in u for u in said(REPORT))


def test_a_wrapped_paragraph_has_no_breaks_of_its_own():
    text = ("Most of the loop was spent on distributed systems, and the second interviewer asked\n"
            "Kafka questions for almost half an hour before a short behavioural round on\n"
            "Friday afternoon.\n")
    assert said(text) == [text.strip()]
