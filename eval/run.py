"""`career-rag eval`: dataset -> answers -> metrics -> results.jsonl, summary.json, report.md."""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path
from typing import Callable

from eval import harness
from eval.dataset import DEFAULT_DATASET, load
from eval.ragas_metrics import JUDGE, NON_LLM


def evaluate(
    engine,
    dataset: Path = DEFAULT_DATASET,
    out: Path | None = None,
    judge: str | None = None,
    use_ragas: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    root: Path | None = None,
) -> dict:
    """Evidence `source` paths in the dataset are relative to `root` (default: the working directory)."""
    items = load(dataset, root)
    t0 = time.perf_counter()
    rows = harness.run(engine, items, progress=(lambda i, n: progress("answer", i, n)) if progress else None)
    skipped: dict[str, str] = {}
    if use_ragas:
        from eval import ragas_metrics

        if progress:
            progress("ragas", 0, 1)
        skipped = ragas_metrics.score(rows, {i.id: i for i in items}, engine, judge)
        if progress:
            progress("ragas", 1, 1)
    else:
        skipped = {m: "ragas disabled (--no-ragas)" for m in NON_LLM + JUDGE}
    summary = harness.summarize(rows, extra_metrics=NON_LLM + JUDGE)
    summary["skipped"] = skipped
    summary["settings"] = json.loads(engine.settings.model_dump_json())
    summary["dataset"] = {"path": str(dataset), "questions": len(items),
                          "answerable": sum(i.answerable for i in items), "paraphrased": sum(i.paraphrased for i in items)}
    summary["seconds"] = round(time.perf_counter() - t0, 1)
    if out:
        write(out, rows, summary)
    return summary


def write(out: Path, rows: list[dict], summary: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "report.md").write_text(report(rows, summary), encoding="utf-8")


def _fmt(m: dict) -> str:
    if "ci_low" in m:
        return f"{m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]"
    return f"{m['value']}"


def _first_stage(row: dict) -> str:
    """Where retrieval put the gold passage, before reranking."""
    if "first_stage_rank" not in row:
        return ""
    rank = row["first_stage_rank"]
    return f" (first-stage rank {rank})" if rank is not None else " (not among the first-stage candidates)"


def report(rows: list[dict], summary: dict) -> str:
    s = summary["settings"]
    lines = [
        "# career-rag evaluation report",
        "",
        f"Dataset: `{summary['dataset']['path']}` — {summary['dataset']['questions']} questions "
        f"({summary['dataset']['answerable']} answerable, {summary['dataset']['paraphrased']} paraphrased). "
        f"Machine: {platform.machine()}, {summary['seconds']} s.",
        "",
        f"Settings: retriever **{s['retrieval']['mode']}**, top-k {s['retrieval']['top_k']}, "
        f"candidates {s['retrieval']['candidates']}, rerank {s['retrieval']['rerank']}, "
        f"chunks {s['chunking']['size']}/{s['chunking']['overlap']}, embedding `{s['embedding']['model']}`, "
        f"answer backend {s['answer']['backend']}.",
        "",
        "Values are means with bootstrap 95% confidence intervals.",
        "",
        "| metric | value [95% CI] | n |",
        "|---|---|---|",
    ]
    for name, m in summary.items():
        if isinstance(m, dict) and "value" in m:
            lines.append(f"| {name} | {_fmt(m)} | {m.get('n', '')} |")
    if summary.get("skipped"):
        lines += ["", "## Metrics not computed", ""]
        lines += [f"- **{k}**: {v}" for k, v in summary["skipped"].items()]
    misses = [r for r in rows if r["answerable"] and (r["refused"] or not r.get("hit@10"))]
    wrong_answers = [r for r in rows if not r["answerable"] and not r["refused"]]
    if misses or wrong_answers:
        lines += ["", "## Failures", ""]
        for r in misses:
            lines.append(f"- {r['id']} ({r['kind']}): {'refused' if r['refused'] else 'no gold passage in top 10'}"
                         f"{_first_stage(r)} — {r['question']}")
        for r in wrong_answers:
            lines.append(f"- {r['id']} (unanswerable) answered instead of refusing — {r['question']}")
    off = [(r["id"], s) for r in rows for s in r.get("off_topic_sentences", [])]
    if off:
        lines += ["", "## Off-topic answer sentences", ""]
        lines += [f"- {i} ({s['reason']}): {s['text'][:160]}" for i, s in off[:40]]
    return "\n".join(lines) + "\n"
