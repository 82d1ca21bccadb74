"""Questions the notes ask and leave unanswered (rag.pipeline.blanks), and the composer's refusal
when one of them is what the question asks (fake scorer, no model)."""

from __future__ import annotations

import pytest

from rag.pipeline.blanks import asked, is_placeholder
from tests.fakes import DistinctKeywordScorer

BANK = ("## Ranking metrics\n\n"
        "**What is precision at k? 👶**\n\nPrecision at k is the share of relevant items in the first k results.\n\n<br/>\n\n"
        "**What is mean average precision at k? ⭐️**\n\nAnswer here\n\n<br/>\n\n"
        "**When do we normalise features? When is it fine not to?**\n\nTODO\n\n"
        "### Missing data\n\n- [TBD: a lecture]\n\n"
        "### Sampling\n\n- Reservoir sampling\n")


@pytest.mark.parametrize("line, blank", [
    ("Answer here", True), ("- [TBD]", True), ("TODO: explain the trade-off", True), ("*Coming soon!*", True),
    ("To do well, practise every day.", False), ("Answer the question the interviewer asked.", False),
    ("TBD means to be decided.", False),
])
def test_a_placeholder_is_a_gap_left_to_fill(line, blank):
    assert is_placeholder(line) is blank


def test_the_questions_and_headings_whose_only_content_is_a_placeholder():
    assert asked(BANK, 0, len(BANK)) == [
        ("Ranking metrics", False),
        ("What is precision at k?", False),
        ("What is mean average precision at k?", True),
        ("When do we normalise features? When is it fine not to?", True),  # two questions on one line are one
        ("Missing data", True),
        ("Sampling", False),
    ]


def test_a_question_whose_answer_lies_past_the_range_is_not_blank():
    end = BANK.index("Answer here")  # the chunk ends between the question and its placeholder
    assert not any(blank for _, blank in asked(BANK, 0, end))


def test_text_without_a_placeholder_is_not_read_for_questions():
    answered = BANK[: BANK.index("**What is mean")]
    assert asked(answered, 0, len(answered)) == []


@pytest.mark.parametrize("question, blank_sim, answer_sim, refused", [
    ("How is mean average precision at k computed?", 0.75, 0.6, True),  # the notes ask it and leave it blank
    ("What does precision at k measure?", 0.4, 0.6, False),            # the answered neighbour matches better
    # the blank is the closest, but not close: it asks a neighbour of the question, not the question
    ("Which ranking metric rewards putting the hits first?", 0.5, 0.45, False),
])
def test_the_composer_refuses_a_question_the_notes_leave_blank(fake_settings, question, blank_sim, answer_sim, refused):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    chunk = ChunkRecord("c1", "/bank.md", 0, 0, len(BANK), None, "Ranking metrics", "Ranking metrics", [], "note", BANK)
    ev = Evidence(question, [Context(1, chunk, 1.0)], {"/bank.md": BANK}.get, lambda q: [1.0] + [0.0] * 4)
    scorer = DistinctKeywordScorer({"mean average precision": blank_sim, "Precision at k is": answer_sim, "normalise": 0.1})
    composed = ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer)
    assert composed.refused is refused
    if refused:
        assert composed.notice == "The documents ask “What is mean average precision at k?” but leave its answer blank."
    else:
        assert composed.notice is None and composed.citations[0].text.startswith("Precision at k is")


def test_the_answer_says_which_question_the_notes_leave_blank(fake_settings, fake_embedder, tmp_path):
    """End to end over a real index: the refusal carries the blank question as its notice, and the
    question the notes do answer is answered."""
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import write

    write(tmp_path / "docs" / "bank.md", "# Ranking questions\n\n" + BANK)
    ingest([tmp_path / "docs"], fake_settings, embedder=fake_embedder)
    engine = Engine(fake_settings, embedder=fake_embedder)
    r = fake_settings.retrieval.model_copy(update={"rerank": "none"})
    a = fake_settings.answer.model_copy(update={"min_evidence": 0.1})
    blank = engine.ask("What is mean average precision at k?", retrieval=r, answer=a)
    assert blank.refused
    assert blank.notice == "The documents ask “What is mean average precision at k?” but leave its answer blank."
    answered = engine.ask("What is precision at k?", retrieval=r, answer=a)
    assert not answered.refused and "share of relevant items" in answered.answer
