"""Study feedback without the real model: cue words, thresholds, answer units, and the
whole feedback path on the deterministic HashEmbedding.

The thresholds themselves are calibrated with the real model in tests/test_study_corpus.py.
"""

from __future__ import annotations

import pytest

from ingest.pipeline import ingest
from rag.study.feedback import answer_units, feedback, is_covered, key_terms, score_points
from rag.study.practice import practice_questions
from rag.types import SourceSpan
from tests.conftest import write
from tests.fakes import HashEmbedding
from tests.test_study import STRICT


@pytest.mark.parametrize("point, question, expected", [
    # the question's words and generic words are no cue; stems are shared with the answer's words
    ("Deduplicating in a staging model protects every downstream table.",
     "How do you remove duplicate rows from an events table?", {"dedupl", "stage", "model", "protect", "downstream"}),
    ("Stakeholders should hear about bad data from the data team before they find it themselves.",
     "Tell me about a time a pipeline you owned broke a downstream report?", {"stakehold", "data", "team", "hear", "bad"}),
    ("Use it when you need it.", "Why?", set()),
])
def test_key_terms(point, question, expected):
    assert key_terms(point, question) == expected


@pytest.mark.parametrize("similarity, lexical, covered", [
    (0.62, 0.0, True),     # close enough whatever the words
    (0.61, 0.34, False),   # close, but too few of the point's words
    (0.42, 0.35, True),    # the point's words and moderately close
    (0.41, 1.0, False),    # every word, but about something else
])
def test_is_covered_thresholds(similarity, lexical, covered):
    assert is_covered(similarity, lexical) is covered


@pytest.mark.parametrize("answer", ["", "   ", "idk", "ROW_NUMBER keeps", "so it is", None])
def test_too_short_or_empty_answers_cover_nothing(answer):
    points = ["ROW_NUMBER partitioned by the key keeps exactly one row per key."]
    assert score_points(_scorer(), "How do you remove duplicates?", points, answer) == [(False, 0.0, 0.0, None)]


def test_an_answer_that_repeats_a_point_covers_it_with_that_sentence():
    points = ["ROW_NUMBER partitioned by the key keeps exactly one row per key.",
              "Deduplicating in a staging model protects every downstream table."]
    answer = "I like SQL a lot. ROW_NUMBER partitioned by the key keeps exactly one row per key."
    (first, second) = score_points(_scorer(), "How do you remove duplicate rows?", points, answer)
    assert first[0] and first[1] == pytest.approx(1.0, abs=1e-5) and first[2] == 1.0
    assert first[3] == points[0]
    assert not second[0] and second[2] == 0.0


def test_answer_units_are_sentences_pairs_and_clauses():
    units = answer_units("First, aggregate per product; then rank with DENSE_RANK. Wrap it in a CTE.")
    assert units[:2] == ["First, aggregate per product; then rank with DENSE_RANK.", "Wrap it in a CTE."]
    assert "First, aggregate per product; then rank with DENSE_RANK. Wrap it in a CTE." in units
    assert {"aggregate per product", "rank with DENSE_RANK."} <= set(units)


def test_feedback_on_the_fake_embedder_cites_points_and_read_up(tmp_path, fake_settings, fake_embedder):
    from rag.engine import Engine

    root = tmp_path / "docs"
    write(root / "de.md", STRICT)
    ingest([root], fake_settings, embedder=fake_embedder)
    engine = Engine(fake_settings, embedder=fake_embedder)
    (q,) = [q for q in practice_questions(engine.index, "data engineer") if q.question.startswith("How do you remove")]
    assert isinstance(q.cited, SourceSpan) and q.cited.text == q.question
    answer = "ROW_NUMBER partitioned by the key keeps exactly one row per key."
    fb = feedback(engine, q, answer)
    assert [p.covered for p in fb.points] == [True, False, False]
    text = (root / "de.md").read_text(encoding="utf-8")
    for p in fb.missed:
        assert p.read_up[0] == p.point and p.evidence is None
        assert all(text[c.start:c.end] == c.text for c in p.read_up if c.source == p.point.source)
    data = fb.to_json()
    assert data["coverage"] == pytest.approx(1 / 3, abs=1e-4) and data["covered"][0]["evidence"] == answer
    assert data["covered"][0]["citation"] == fb.points[0].point.to_json()
    engine.close()


def _scorer():
    from rag.pipeline.candidates import SentenceScorer

    return SentenceScorer(HashEmbedding())
