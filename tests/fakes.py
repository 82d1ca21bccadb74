"""Deterministic test doubles (the real components have their own tests)."""

from __future__ import annotations

import hashlib
import math
import re

import numpy as np
from llama_index.core.embeddings import BaseEmbedding
from pydantic import PrivateAttr

_WORD = re.compile(r"[a-z0-9]+")


class HashEmbedding(BaseEmbedding):
    """Bag-of-words hashed into `dim` buckets and normalised: similar words, similar vectors."""

    dim: int = 64
    _calls: list = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "HashEmbedding"

    @property
    def calls(self) -> list[int]:
        """Batch sizes of every embedding call, to prove work was (not) done."""
        return self._calls

    def _vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for word in _WORD.findall(text.lower()):
            h = int(hashlib.md5(word.encode()).hexdigest(), 16)
            vec[h % self.dim] += 1.0 if (h >> 64) % 2 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    def _get_text_embedding(self, text: str) -> list[float]:
        self._calls.append(1)
        return self._vector(text)

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        self._calls.append(len(texts))
        return [self._vector(t) for t in texts]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)


class KeywordScorer:
    """Sentence vectors by keyword: cos to the question vector (1, 0) is the keyword's weight."""

    def __init__(self, weights: dict[str, float]):
        self.weights = weights

    def vectors(self, texts):
        out = []
        for t in texts:
            w = next((v for k, v in self.weights.items() if k in t), 0.0)
            out.append([w, (1 - w * w) ** 0.5])
        return np.array(out, dtype=np.float32)


class SpanModel:
    """Scores a span by the keyword it holds (late interaction's span_scores, without the model)."""

    def __init__(self, weights: dict[str, float]):
        self.weights, self.calls = weights, []

    def span_scores(self, question, passage, spans):
        self.calls.append(passage)
        return [next((v for k, v in self.weights.items() if k in passage[a:b]), 0.0) for a, b in spans]


class DistinctKeywordScorer(KeywordScorer):
    """As KeywordScorer, but texts of different keywords are never near-duplicates of each other."""

    def vectors(self, texts):
        keys = list(self.weights)
        out = np.zeros((len(texts), len(keys) + 2), dtype=np.float32)
        for row, t in zip(out, texts):
            k = next((i for i, key in enumerate(keys) if key in t), len(keys))
            w = self.weights[keys[k]] if k < len(keys) else 0.0
            row[0], row[k + 1] = w, (1 - w * w) ** 0.5
        return out
