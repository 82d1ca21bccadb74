"""Marker parsing and LLM-answer verification (no model: a deterministic embedder)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from rag.pipeline.candidates import SentenceScorer
from rag.pipeline.verify import answer_sentences, supports, uncited_sentences, verify
from rag.types import Context
from rag.types import ChunkRecord
from tests.fakes import HashEmbedding

DOC = "# Data Engineer\n\nData engineers build batch pipelines with Airflow. Interviews test SQL window functions.\n"


def _ctx(rank=1):
    start = DOC.index("Data engineers")
    end = len(DOC) - 1
    chunk = ChunkRecord("c1", "/d.md", 0, start, end, None, "Data Engineer", "Data Engineer", ["data engineer"], "role-guide", DOC[start:end])
    return Context(rank, chunk, 1.0)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("One [1]. Two [2].", ["One [1].", "Two [2]."]),
        ("One. [1] Two. [2]", ["One. [1]", "Two. [2]"]),
        ("- item one [1]\n- item two. [2]", ["- item one [1]", "- item two. [2]"]),
        ("Alone.\n[3]", ["Alone.", "[3]"]),
        # an item is one quote when its markers close it; an item citing sentence by sentence is split
        ("- Ask about a challenge. What did you do? [2]\n- One [1]. Two [2].",
         ["- Ask about a challenge. What did you do? [2]", "- One [1].", "Two [2]."]),
        ("Prose first. Then cited [1].", ["Prose first.", "Then cited [1]."]),
    ],
)
def test_answer_sentences_keep_markers(text, expected):
    assert [text[s:e] for s, e in answer_sentences(text)] == expected


def test_verify_drops_dangling_markers_and_checks_support():
    scorer = SentenceScorer(HashEmbedding())
    answer = "Data engineers build batch pipelines with Airflow [1]. Interviews test SQL window functions [7]. Pilots fly planes [1]."
    cleaned, citations = verify(answer, [_ctx()], {"/d.md": DOC}, scorer)
    assert "[7]" not in cleaned and "[1]" in cleaned
    # one citation per (sentence, valid marker), in answer order
    assert [c.marker for c in citations] == [1, 1]
    first, pilots = citations
    assert first.supported and first.text == "Data engineers build batch pipelines with Airflow."
    assert not pilots.supported  # "Pilots fly planes" is not what passage [1] says
    for c in citations:
        assert DOC[c.start : c.end] == c.text
    assert uncited_sentences(cleaned) == ["Interviews test SQL window functions ."]


def test_the_brackets_of_code_are_not_markers():
    """An LLM's answer with code: "[7]" in `grid[7]` indexes, and dropping it as a dangling marker
    broke the code; a code block is one sentence, cited by the marker below it."""
    scorer = SentenceScorer(HashEmbedding())
    answer = ("Data engineers build batch pipelines with Airflow [1].\n\n"
              "```py\nfirst = grid[0]\nlast = grid[7]\n```\n[1]\n\nIndex it with `row[2]`, not [9].")
    cleaned, citations = verify(answer, [_ctx()], {"/d.md": DOC}, scorer)
    assert "last = grid[7]" in cleaned and "`row[2]`" in cleaned and "[9]" not in cleaned
    assert [c.marker for c in citations] == [1, 1]
    assert uncited_sentences(cleaned) == ["Index it with `row[2]`, not ."]


CODE_DOC = "# Grids\n\nCopy a grid in one line.\n\n```py\ncopied = [row[:] for row in grid]\n```\n"


@pytest.mark.parametrize("code, supported", [
    ("copied = [row[:]\n          for row in grid]", True),   # as written, whitespace aside
    ("copied = copy.deepcopy(grid)", False),                  # code the passage does not hold
])
def test_an_llm_code_block_is_supported_by_the_block_that_holds_it(code, supported):
    scorer = SentenceScorer(HashEmbedding())
    chunk = ChunkRecord("c1", "/g.md", 0, 0, len(CODE_DOC), None, "Grids", "Grids", [], "note", CODE_DOC)
    answer = f"Copy it like this: [1]\n\n```python\n{code}\n```\n[1]"
    _, citations = verify(answer, [Context(1, chunk, 1.0)], {"/g.md": CODE_DOC}, scorer)
    block = citations[-1]
    assert block.supported is supported
    if supported:
        assert block.text == CODE_DOC[block.start : block.end] == "```py\ncopied = [row[:] for row in grid]\n```"


@pytest.mark.parametrize("sentence, supported", [
    ("This is how I did it. [1]", True),     # word for word, though it has no content word
    ("This is how I did. [1]", False),       # not the quote, and too far from the span
    ("did it. [1]", False),                  # too short to stand as a quote by itself
])
def test_a_sentence_the_cited_span_holds_word_for_word_is_supported(sentence, supported):
    class FarApart:  # every sentence reads far from every span: only the quote test can support it
        def vectors(self, texts):
            return np.array([[1.0, 0.0]] + [[0.0, 1.0]] * (len(texts) - 1), dtype=np.float32)

    span = ("Hello, my name is Uriel, a developer who moved from enterprise software into video games "
            "after 9 years. This is how I did it.")
    assert supports(FarApart(), sentence, [span]) is supported


@given(st.text(alphabet=st.sampled_from(list("ab .[]1234\n-`")), max_size=80))
def test_marker_parser_never_crashes(text):
    scorer = SentenceScorer(HashEmbedding())
    spans = answer_sentences(text)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    verify(text, [_ctx()], {"/d.md": DOC}, scorer)
