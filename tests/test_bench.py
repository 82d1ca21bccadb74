"""`career-rag bench` on a tiny corpus and grid: report, grid.json and charts."""

from __future__ import annotations

import json

import pytest

from eval import bench
from rag.settings import load_settings
from tests.conftest import doc, write

pytestmark = pytest.mark.slow


def test_bench_writes_report_grid_and_charts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "corpus"
    write(corpus / "de.md", doc("Data Engineer", "Data engineer interviews test SQL window functions and data modeling."))
    write(corpus / "ml.md", doc("ML Engineer", "ML engineer interviews test model training and serving.", roles=("ml engineer",)))
    dataset = tmp_path / "d.jsonl"
    dataset.write_text("\n".join(json.dumps(x) for x in [
        {"id": "1", "question": "What do data engineer interviews test?", "answerable": True, "reference": "SQL.",
         "evidence": [{"source": "corpus/de.md", "quote": "Data engineer interviews test SQL window functions and data modeling."}]},
        {"id": "2", "question": "How do I become an airline pilot?", "answerable": False, "kind": "unanswerable"},
    ]) + "\n")
    spec = {"chunking": ["default"], "top_k": [3], "retriever": ["dense", "bm25"], "rerank": ["none"]}
    out = tmp_path / "out"
    rows = bench.run(load_settings(), out, corpus, dataset, spec=spec)
    assert {p.name for p in out.iterdir()} >= {"report.md", "grid.json", "metric_vs_chunking.png", "quality_vs_latency.png"}
    grid = json.loads((out / "grid.json").read_text())
    assert [r["setting"] for r in grid] == [r["setting"] for r in rows] == ["dense/default/k3/rerank-none", "bm25/default/k3/rerank-none"]
    for r in grid:
        assert r["hit@1"] == 1.0 and r["refusal_correct"] == 1.0
        assert r["p50_ms"] > 0 and r["index_mb"] > 0 and r["n_chunks"] == 2
    # one shared index: both cells report the time it took to build it (rounded to 0.1 s)
    assert isinstance(grid[0]["index_build_s"], float) and grid[0]["index_build_s"] == grid[1]["index_build_s"]
    assert sum(r["best"] for r in grid) == 1 and sum(r["cheapest_within_ci"] for r in grid) == 1
    assert "(best)" in (out / "report.md").read_text()
    assert len(list((out / "indexes").iterdir())) == 1, "both cells share one index"
    assert (out / "metric_vs_chunking.png").read_bytes()[:4] == b"\x89PNG"
