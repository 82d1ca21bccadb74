"""Retrieval, citation and refusal metrics, plus bootstrap confidence intervals.

Pure functions over plain data so they can be checked by hand (tests/test_metrics.py).
"""

from __future__ import annotations

import math
import random
from typing import Sequence

Span = tuple[str, int, int]  # (source, start, end)


def overlaps(a: Span, b: Span) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def relevance(contexts: Sequence[Span], gold: Sequence[Span]) -> list[bool]:
    """Whether each ranked context overlaps any gold evidence span."""
    return [any(overlaps(c, g) for g in gold) for c in contexts]


def hit_at_k(rel: Sequence[bool], k: int) -> float:
    return 1.0 if any(rel[:k]) else 0.0


def recall_at_k(contexts: Sequence[Span], gold: Sequence[Span], k: int) -> float:
    """Share of gold spans touched by at least one of the top-k contexts."""
    if not gold:
        return 0.0
    top = contexts[:k]
    return sum(1 for g in gold if any(overlaps(c, g) for c in top)) / len(gold)


def mrr(rel: Sequence[bool]) -> float:
    for i, r in enumerate(rel, 1):
        if r:
            return 1.0 / i
    return 0.0


def ndcg_at_k(rel: Sequence[bool], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 1) for i, r in enumerate(rel[:k], 1) if r)
    ideal_hits = min(sum(1 for r in rel if r), k)
    if ideal_hits == 0:
        return 0.0
    idcg = sum(1.0 / math.log2(i + 1) for i in range(1, ideal_hits + 1))
    return dcg / idcg


def bootstrap_ci(values: Sequence[float], n_resamples: int = 2000, alpha: float = 0.05, seed: int = 0) -> tuple[float, float, float]:
    """Mean and a percentile bootstrap (1 - alpha) interval; deterministic for a seed."""
    vals = [float(v) for v in values]
    if not vals:
        return (float("nan"), float("nan"), float("nan"))
    mean = sum(vals) / len(vals)
    if len(vals) == 1:
        return (mean, mean, mean)
    rng = random.Random(seed)
    n = len(vals)
    means = sorted(sum(vals[rng.randrange(n)] for _ in range(n)) / n for _ in range(n_resamples))
    lo = means[int((alpha / 2) * n_resamples)]
    hi = means[min(n_resamples - 1, int((1 - alpha / 2) * n_resamples))]
    return (mean, lo, hi)


def percentile(values: Sequence[float], q: float) -> float:
    vals = sorted(values)
    if not vals:
        return float("nan")
    pos = (len(vals) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)
