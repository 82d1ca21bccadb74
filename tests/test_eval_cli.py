"""`career-rag eval`: the no-judge path end to end, and the judge path against a real
llama.cpp server (a 135M model: the plumbing and JSON handling are under test, not its
judgement)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from eval.dataset import DatasetError, load
from eval.ragas_metrics import JUDGE, NON_LLM
from eval.run import evaluate
from tests.conftest import ROOT, write
from tests.llm_server import llama_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

MINI = [
    {"id": "a", "question": "What does a data engineer interview test?", "kind": "list", "answerable": True,
     "reference": "SQL, Python coding, data modeling and pipeline design.",
     "evidence": [{"source": "corpus/compare/choosing-a-data-or-ai-career.md",
                   "quote": "A data engineer interview tests SQL, Python coding, data modeling, and pipeline design such as handling late data."}]},
    {"id": "b", "question": "What does a data engineer interview test at Lufthansa?", "kind": "unanswerable", "answerable": False,
     "reference": "", "evidence": []},
]


@pytest.fixture
def mini_dataset(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)  # evidence sources are relative to the working directory
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in MINI) + "\n")
    return path


def test_eval_without_judge_writes_the_three_files(engine, mini_dataset, tmp_path):
    out = tmp_path / "out"
    summary = evaluate(engine, mini_dataset, out)
    assert {p.name for p in out.iterdir()} == {"results.jsonl", "summary.json", "report.md"}
    on_disk = json.loads((out / "summary.json").read_text())
    for name in ("hit@5", "mrr", "ndcg@10", "refusal_correct", *NON_LLM):
        assert set(on_disk[name]) >= {"value", "ci_low", "ci_high"}, name
    assert on_disk["hit@5"]["value"] == 1.0 and on_disk["refusal_correct"]["value"] == 1.0
    assert on_disk["id_context_recall"]["value"] == 1.0
    assert all("no judge" in on_disk["skipped"][m] for m in JUDGE)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b"] and rows[1]["refused"]
    assert rows[1]["notice"] == "The sources never mention: Lufthansa." and rows[0]["notice"] is None  # why it refused
    # the reranker read the gold passage: retrieval put it within the rerank depth
    assert rows[0]["first_stage_rank"] <= engine.settings.retrieval.rerank_depth and rows[0]["reach"] == 1.0
    assert on_disk["reach"]["n"] == 1 and "reach" not in rows[1]
    assert "Metrics not computed" in (out / "report.md").read_text()
    assert summary["dataset"]["questions"] == 2


def test_dataset_errors_are_clear(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    bad = write(tmp_path / "bad.jsonl", json.dumps({**MINI[0], "evidence": [{"source": MINI[0]["evidence"][0]["source"], "quote": "not in the file"}]}))
    with pytest.raises(DatasetError, match="quote not found"):
        load(bad)
    with pytest.raises(DatasetError, match="not JSON"):
        load(write(tmp_path / "junk.jsonl", "{oops"))
    assert len(load(ROOT / "eval" / "dataset.jsonl")) >= 60


@pytest.mark.llm
def test_eval_with_judge_against_real_server(engine, mini_dataset, tmp_path, llama_server):
    summary = evaluate(engine, mini_dataset, tmp_path / "judged", judge=f"{llama_server}#local")
    skipped = summary["skipped"]
    assert not any("no judge" in str(v) for v in skipped.values())
    rows = [json.loads(line) for line in (tmp_path / "judged" / "results.jsonl").read_text().splitlines()]
    answered = rows[0]
    for metric in JUDGE:
        # Each judge metric ran: it produced a score in [0, 1] or is reported as failed.
        value = answered.get(metric)
        assert (value is not None and 0.0 <= value <= 1.0) or metric in skipped or f"{metric}:partial" in skipped
    assert any(answered.get(m) is not None for m in JUDGE), f"no judge metric produced a value: {skipped}"


def test_eval_cli_on_another_corpus(tmp_path):
    corpus = tmp_path / "notes"
    write(corpus / "sql.md", "---\ntitle: SQL notes\n---\n# SQL notes\n\nWindow functions compute values over a partition of rows.\n")
    dataset = tmp_path / "d.jsonl"
    dataset.write_text(json.dumps({"id": "w", "question": "What do window functions compute?", "answerable": True,
                                   "reference": "Values over a partition.",
                                   "evidence": [{"source": str(corpus / "sql.md"), "quote": "Window functions compute values over a partition of rows."}]}) + "\n")
    cli = Path(sys.executable).parent / "career-rag"
    proc = subprocess.run([str(cli), "eval", "--corpus", str(corpus), "--dataset", str(dataset), "--index", str(tmp_path / "ix"),
                           "--out", str(tmp_path / "out"), "--no-ragas"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["hit@1"]["value"] == 1.0
