"""Metrics on tiny cases checked by hand."""

from __future__ import annotations

import math

import pytest

from eval import metrics as M

G = [("a.md", 10, 20)]


@pytest.mark.parametrize(
    "ctx, expected",
    [
        ([("a.md", 0, 9), ("a.md", 15, 30)], [False, True]),  # second overlaps 15-20
        ([("a.md", 20, 30)], [False]),  # touching end is not overlap
        ([("b.md", 10, 20)], [False]),  # other file
    ],
)
def test_relevance(ctx, expected):
    assert M.relevance(ctx, G) == expected


def test_rank_metrics_by_hand():
    rel = [False, True, False, True]
    assert M.hit_at_k(rel, 1) == 0.0 and M.hit_at_k(rel, 2) == 1.0
    assert M.mrr(rel) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3)
    assert M.ndcg_at_k(rel, 10) == pytest.approx(dcg / idcg)
    assert M.ndcg_at_k([False] * 3, 10) == 0.0 and M.mrr([]) == 0.0


def test_recall_counts_gold_spans_not_contexts():
    gold = [("a.md", 0, 10), ("a.md", 100, 110)]
    ctx = [("a.md", 5, 50), ("a.md", 0, 3), ("x.md", 100, 110)]
    assert M.recall_at_k(ctx, gold, 3) == 0.5
    assert M.recall_at_k(ctx, [], 3) == 0.0


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic():
    vals = [1.0] * 30 + [0.0] * 10
    mean, lo, hi = M.bootstrap_ci(vals, seed=1)
    assert mean == 0.75 and lo < 0.75 < hi and 0.55 < lo and hi < 0.9
    assert M.bootstrap_ci(vals, seed=1) == (mean, lo, hi)
    assert M.bootstrap_ci([0.4]) == (0.4, 0.4, 0.4)


def test_percentile():
    assert M.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert M.percentile([5], 0.95) == 5
