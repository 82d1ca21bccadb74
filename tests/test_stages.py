"""The answer stages as small objects: rerankers on fake models (no real model); the refusal checks are
in tests/test_refusal.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rag.pipeline.cross_rank import ModelRerank
from rag.pipeline.evidence import Evidence
from rag.types import ChunkRecord, Context


class KeywordCrossEncoder:
    """Scores a passage by how often it says the keyword; records what it was asked."""

    def __init__(self, keyword: str):
        self.keyword, self.calls = keyword, []

    def predict(self, pairs):
        self.calls.append(list(pairs))
        return np.array([3.0 * p.lower().count(self.keyword) - 1.0 for _, p in pairs], dtype=np.float32)


def _contexts(texts: list[str]) -> list[Context]:
    out = []
    for i, t in enumerate(texts, 1):
        chunk = ChunkRecord(f"c{i}", "/doc.md", i, 0, len(t), None, "", "Doc", [], "note", t)
        out.append(Context(rank=i, chunk=chunk, score=1.0 / i))
    return out


def _evidence(texts: list[str]) -> Evidence:
    return Evidence("what is tested?", _contexts(texts), lambda s: "", lambda q: [1.0])


def test_cross_encoder_rerank_puts_the_answering_passage_first():
    ev = _evidence(["nothing here", "still nothing", "SQL SQL is tested", "SQL once"])
    model = KeywordCrossEncoder("sql")
    ModelRerank(model, fusion=0.5).rerank(ev, depth=4)
    assert [c.chunk.chunk_id for c in ev.contexts][:2] == ["c3", "c4"]
    assert [c.rank for c in ev.contexts] == [1, 2, 3, 4]
    assert ev.contexts[0].signals["cross_encoder"] == pytest.approx(5.0)
    logits = np.array([-1.0, -1.0, 5.0, 2.0])  # standardised over the four chunks read
    assert ev.contexts[0].signals["rerank"] == pytest.approx((5.0 - logits.mean()) / logits.std() - 0.5 * math.log2(3))


def test_fusion_keeps_the_first_stage_vote():
    ev = _evidence(["SQL here", "nothing", "nothing", "nothing", "nothing", "nothing", "nothing", "SQL SQL"])
    ModelRerank(KeywordCrossEncoder("sql"), fusion=1.0).rerank(ev, depth=8)
    # z-scores of the logits (2, -1 x6, 5): rank 1 scores 0.90 - 0, rank 8 scores 2.33 - 1.0 * 3
    assert ev.contexts[0].chunk.chunk_id == "c1"


class FixedScorer:
    """A sentence scorer whose vectors put the sentences naming `word` next to the question."""

    def __init__(self, word: str):
        self.word = word

    def vectors(self, texts):
        return np.array([[1.0, 0.0] if self.word in t.lower() else [0.0, 1.0] for t in texts], dtype=np.float32)


def test_the_sentence_score_rescues_a_paraphrase_the_cross_encoder_misses():
    head = "# Guide\n\n"
    texts = ["SQL trivia is fun to read about.", "Nothing to see in this part.",
             "Window functions over partitions come up in every round.", "Nothing to see here either."]
    docs = {f"/d{i}.md": head + t for i, t in enumerate(texts, 1)}

    def evidence() -> Evidence:
        contexts = [Context(i, ChunkRecord(f"c{i}", f"/d{i}.md", 0, len(head), len(head) + len(t), None, "", "Guide", [],
                                           "note", t), 1.0) for i, t in enumerate(texts, 1)]
        return Evidence("what is tested?", contexts, docs.get, lambda q: [1.0, 0.0])

    ev = evidence()
    ModelRerank(KeywordCrossEncoder("sql"), fusion=0.0).rerank(ev, depth=4)
    assert ev.contexts[0].chunk.chunk_id == "c1"
    ev = evidence()
    ModelRerank(KeywordCrossEncoder("sql"), fusion=0.0, scorer=FixedScorer("window"), sentence_weight=2.0
                       ).rerank(ev, depth=4)
    assert ev.contexts[0].chunk.chunk_id == "c3"
    assert ev.contexts[0].signals["cross_encoder"] == pytest.approx(-1.0)


def test_only_the_depth_is_read_and_the_rest_keeps_its_order():
    ev = _evidence(["a", "b", "SQL", "SQL SQL SQL", "SQL SQL SQL SQL"])
    model = KeywordCrossEncoder("sql")
    ModelRerank(model, fusion=0.0).rerank(ev, depth=3)
    assert len(model.calls[0]) == 3
    assert [c.chunk.chunk_id for c in ev.contexts] == ["c3", "c1", "c2", "c4", "c5"]



def test_engine_takes_an_injected_reranker(fake_settings, fake_embedder, tmp_path):
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import doc, write

    write(tmp_path / "docs" / "a.md", doc("Guide", "## Pay\n\nData engineers earn a base salary and a bonus.\n\n"
                                                   "## SQL\n\nWindow functions are tested in the SQL round."))
    ingest([tmp_path / "docs"], fake_settings, embedder=fake_embedder)
    model = KeywordCrossEncoder("window")
    engine = Engine(fake_settings, embedder=fake_embedder,
                    rerankers={"kw": ModelRerank(model, fusion=0.0)})
    r = fake_settings.retrieval.model_copy(update={"rerank": "kw"})
    contexts = engine.retrieve("what is tested in the interview", r)
    assert model.calls and "Window functions" in contexts[0].chunk.text
    with pytest.raises(ValueError, match="unknown reranker"):
        engine.retrieve("x", r.model_copy(update={"rerank": "bogus"}))



@pytest.fixture
def small_engine(fake_settings, fake_embedder, tmp_path):
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import doc, write

    write(tmp_path / "docs" / "a.md", doc("Guide", "## SQL\n\nWindow functions are tested in the SQL round."))
    ingest([tmp_path / "docs"], fake_settings, embedder=fake_embedder)
    return Engine(fake_settings, embedder=fake_embedder)


@pytest.mark.parametrize("missing, expected", [
    ((), "late-interaction:answerai-colbert-small-v1"),
    (("late-interaction",), "cross-encoder:ms-marco-MiniLM-L-12-v2"),
    (("late-interaction", "cross-encoder"), "sentence"),
])
def test_default_reranker_falls_back_in_order(missing, expected, small_engine, fake_settings, monkeypatch, caplog):
    """'default' takes the late-interaction model, else the cross-encoder, else sentence scores;
    a reranker named explicitly fails loudly instead."""
    import rag.engine
    from rag.models.packaged import PackagedModelError

    real = rag.engine.Engine._model_stages

    def model_stages(self, family, *args):
        if family in missing:
            raise PackagedModelError(f"{family} not installed")
        return real(self, family, *args)

    monkeypatch.setattr(rag.engine.Engine, "_model_stages", model_stages)
    engine = small_engine
    assert engine.stages(fake_settings.retrieval).name == expected
    assert all(f"no {family} model" in caplog.text for family in missing)
    for family in missing:
        with pytest.raises(PackagedModelError):
            engine.stages(fake_settings.retrieval.model_copy(update={"rerank": family}))


def test_a_named_family_takes_its_measured_mix(small_engine, fake_settings):
    engine = small_engine
    late = engine.stages(fake_settings.retrieval.model_copy(update={"rerank": "late-interaction"})).reranker
    ce = engine.stages(fake_settings.retrieval.model_copy(update={"rerank": "cross-encoder", "sentence_weight": 0.0})).reranker
    assert (late.signal, late.sentence_weight, late.model.max_length) == ("late_interaction", 0.5, 180)
    assert (ce.signal, ce.sentence_weight, ce.model.max_length) == ("cross_encoder", 0.0, 160)
