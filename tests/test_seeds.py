"""The articles users bring (../shared/seeds) work like the shipped corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.engine import Engine
from tests.conftest import ROOT, make_settings

SEEDS = ROOT.parent / "shared" / "seeds"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not SEEDS.is_dir(), reason=f"no seed articles at {SEEDS}")]


def test_seed_articles_ingest_and_answer(tmp_path, minilm):
    settings = make_settings(tmp_path / "seed-index")
    report = ingest([SEEDS], settings, embedder=minilm)
    assert len(report.added) == len(list(SEEDS.glob("*.txt"))) and not report.skipped
    engine = Engine(settings, embedder=minilm)
    titles = {d.title for d in engine.index.docs().values()}
    assert "Breakdown of Engineering Roles in AI Emerges" in titles
    assert not any(t[:3].isdigit() for t in titles), "plain-text titles come from the first line, not the file name"

    answer = engine.ask("How do AI and ML engineer roles differ?")
    assert not answer.refused and len(answer.citations) >= 2
    for c in answer.citations:
        assert Path(c.source).parent == SEEDS.resolve()
        assert open(c.source, encoding="utf-8").read()[c.start : c.end] == c.text
        assert not c.text.rstrip().endswith("?"), "questions are not quoted as answers"
    assert engine.ask("What is the best sourdough bread recipe?").refused
