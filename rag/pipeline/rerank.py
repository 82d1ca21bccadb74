"""Rerank stages: reorder the fused candidates before the answerer reads the top-k.

Each reranker writes its score into ``context.signals["rerank"]`` and the contexts are
re-ranked by it; what the first stage said stays in the other signals.
"""

from __future__ import annotations

from typing import Protocol

from rag.pipeline.candidates import SentenceScorer, score_candidates
from rag.pipeline.evidence import Evidence
from rag.types import Context

# Fused rank still counts a little: a tie-breaker that keeps both retrievers' votes.
FUSED_RANK_TIEBREAK = 0.002
# Below the reranking depth a context keeps its fused order under every reranked one.
UNRANKED = -10.0
NO_SENTENCE = -1.0


class Reranker(Protocol):
    def rerank(self, evidence: Evidence, depth: int) -> None:
        """Reorder evidence.contexts (best first) and renumber their ranks."""


def _apply(contexts: list[Context]) -> list[Context]:
    contexts = sorted(contexts, key=lambda c: c.signals["rerank"], reverse=True)
    for i, c in enumerate(contexts, 1):
        c.rank, c.score = i, c.signals["rerank"]
    return contexts


class NoRerank:
    def rerank(self, evidence: Evidence, depth: int) -> None:
        return None


class SentenceRerank:
    """A chunk is as good as its best sentence: the answerer's own sentence score.

    Embedding those sentences is most of an answer's cost, so only the top `depth`
    fused candidates are read; the answerer then reuses the same splits and vectors.
    """

    def __init__(self, scorer: SentenceScorer):
        self.scorer = scorer

    def rerank(self, evidence: Evidence, depth: int) -> None:
        contexts = evidence.contexts
        if not contexts:
            return
        best = best_sentence_scores(evidence, contexts[:depth], self.scorer)
        for ctx in contexts:
            base = best.get(ctx.chunk.chunk_id, NO_SENTENCE) if ctx.rank <= depth else UNRANKED
            ctx.signals["rerank"] = base - FUSED_RANK_TIEBREAK * ctx.rank
        evidence.contexts = _apply(contexts)


def best_sentence_scores(evidence: Evidence, contexts: list[Context], scorer: SentenceScorer) -> dict[str, float]:
    """Chunk id -> the score of its best quotable unit (the answerer reuses the vectors)."""
    cands = evidence.candidates(contexts)
    score_candidates(evidence.question, evidence.q_vec, cands, scorer)
    best: dict[str, float] = {}
    # (a terse list item speaks only through its lead: "Videos" under "Learning resources" put a
    # page's resource list above a bit-manipulation table for "bit-twiddling one-liners")
    for c in (c for c in cands if not c.terse):
        chunk_id = c.context.chunk.chunk_id
        best[chunk_id] = max(best.get(chunk_id, NO_SENTENCE), c.score)
    return best
