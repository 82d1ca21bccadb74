"""The model rerank stage: a learned model reads the question with each passage.

A cross-encoder or a late-interaction (ColBERT) model tells a passage that answers from
one that merely shares words, which is what first-stage retrieval confuses on users' own
documents. It reads the top `depth` fused chunks (title + text, cut to the model's
`max_length`). Both miss heavily paraphrased answers that embeddings still find, so the
model's score is mixed with the best sentence score of the same chunk (the sentence
reranker's signal) and with the first-stage rank, each standardised over the chunks read:

    score = z(model score) + sentence_weight * z(best sentence) - fusion * log2(fused rank)

which measured better than the model alone on all three question sets (eval/README.md).
Chunks below the depth keep their fused order under every reranked one. The models cache
what they can (cross-encoder: per pair; late interaction: per passage).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rag.pipeline.candidates import SentenceScorer
from rag.pipeline.evidence import Evidence
from rag.pipeline.rerank import best_sentence_scores
from rag.types import Context

UNRANKED = -100.0


@dataclass(frozen=True)
class ModelFamily:
    """How a family of reranking models is run and mixed (measured: eval/README.md)."""

    signal: str            # the name of its score in each context's signals
    max_tokens: int        # cross-encoder: question + passage; late interaction: the passage
    sentence_weight: float


# In the order 'default' tries them.
MODEL_FAMILIES = {
    "late-interaction": ModelFamily("late_interaction", 180, 0.5),
    "cross-encoder": ModelFamily("cross_encoder", 160, 1.0),
}


def passage_text(ctx: Context) -> str:
    """What the model reads: the document title, then the chunk. (Adding the section
    path as well measured worse: hit@5 0.790 -> 0.774 on corpus/, 0.860 -> 0.849 on the handbook.)"""
    return f"{ctx.chunk.title}\n{ctx.chunk.text}" if ctx.chunk.title else ctx.chunk.text


def chunk_offset(ctx: Context) -> int:
    """Where the chunk's text starts in passage_text(ctx)."""
    return len(ctx.chunk.title) + 1 if ctx.chunk.title else 0


def standardised(values) -> np.ndarray:
    v = np.asarray(values, dtype=np.float64)
    spread = v.std()
    return (v - v.mean()) / spread if spread > 1e-9 else np.zeros_like(v)


class ModelRerank:
    """`model.predict([(question, passage), ...])` -> one score per pair; `signal` names it in
    each context's signals ("cross_encoder", "late_interaction")."""

    def __init__(self, model, fusion: float = 0.5, scorer: SentenceScorer | None = None, sentence_weight: float = 1.0,
                 signal: str = "cross_encoder"):
        self.model, self.fusion, self.scorer, self.signal = model, fusion, scorer, signal
        self.sentence_weight = sentence_weight if scorer is not None else 0.0  # no scorer: model scores only

    def rerank(self, evidence: Evidence, depth: int) -> None:
        contexts = evidence.contexts
        if not contexts:
            return
        head = [c for c in contexts if c.rank <= depth]
        scores = self.model.predict([(evidence.question, passage_text(c)) for c in head])
        mixed = standardised(scores)
        if self.sentence_weight:
            best = best_sentence_scores(evidence, head, self.scorer)
            mixed = mixed + self.sentence_weight * standardised([best.get(c.chunk.chunk_id, -1.0) for c in head])
        for ctx, score, m in zip(head, scores, mixed):
            ctx.signals[self.signal] = float(score)
            ctx.signals["mixed"] = float(m)
        for ctx in contexts:
            base = ctx.signals.get("mixed", UNRANKED) if ctx.rank <= depth else UNRANKED
            ctx.signals["rerank"] = base - self.fusion * math.log2(ctx.rank)
        contexts = sorted(contexts, key=lambda c: c.signals["rerank"], reverse=True)
        for i, c in enumerate(contexts, 1):
            c.rank, c.score = i, c.signals["rerank"]
        evidence.contexts = contexts
