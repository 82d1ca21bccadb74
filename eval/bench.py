"""`career-rag bench`: a grid over retrieval settings, scored on the evaluation set.

Cells that share chunking and embedding model share one index, cached under
DIR/indexes/, so the grid re-indexes only when chunking or the model changes.
"""

from __future__ import annotations

import itertools
import os
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from eval import harness
from eval import metrics as M
from eval.dataset import DEFAULT_DATASET, load
from rag.settings import PRESETS, Settings, deep_merge, load_settings

# "default" is the late-interaction model (when installed), "cross-encoder" the MS MARCO
# cross-encoder, "sentence" the embedding-only reranker.
RERANKERS = ["none", "sentence", "cross-encoder", "default"]
QUICK = {"chunking": ["default", "small-chunks"], "top_k": [6], "retriever": ["dense", "bm25", "hybrid"],
         "rerank": RERANKERS}
FULL = {"chunking": ["small-chunks", "default", "large-chunks"], "top_k": [4, 6, 10],
        "retriever": ["dense", "bm25", "hybrid"], "rerank": RERANKERS}
HEADLINE = "ndcg@10"


@dataclass
class Cell:
    chunking: str
    top_k: int
    retriever: str
    rerank: str
    model: str

    @property
    def name(self) -> str:
        return f"{self.retriever}/{self.chunking}/k{self.top_k}/rerank-{self.rerank}" + (
            "" if self.model == "all-MiniLM-L6-v2" else f"/{Path(self.model).name}")


def grid(quick: bool, models: list[str], spec: dict | None = None) -> list[Cell]:
    g = spec or (QUICK if quick else FULL)
    return [Cell(c, k, r, rr, m) for m, c, k, r, rr in itertools.product(models, g["chunking"], g["top_k"], g["retriever"], g["rerank"])]


def cell_settings(base: Settings, cell: Cell, index_root: Path) -> Settings:
    chunking = deep_merge(base.chunking.model_dump(), PRESETS[cell.chunking].get("chunking", {}))
    slug = re.sub(r"[^A-Za-z0-9]+", "-", Path(cell.model).name).strip("-")
    overrides = {
        "index": {"dir": str(index_root / f"{slug}-{chunking['size']}-{chunking['overlap']}"), "chroma_url": None},
        "embedding": {"model": cell.model},
        "chunking": chunking,
        "retrieval": {"mode": cell.retriever, "top_k": cell.top_k, "rerank": cell.rerank},
    }
    return load_settings(overrides=deep_merge(json.loads(base.model_dump_json()), overrides))


def run(
    base: Settings,
    out: Path,
    corpus: Path = Path("corpus"),
    dataset: Path = DEFAULT_DATASET,
    quick: bool = True,
    models: list[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    spec: dict | None = None,
) -> list[dict]:
    from ingest.pipeline import ingest
    from rag.models.embedding import embedder_for
    from rag.engine import Engine
    from rag.store.manifest import Index

    items = load(dataset)
    cells = grid(quick, models or [base.embedding.model], spec)
    out.mkdir(parents=True, exist_ok=True)
    index_root = out / "indexes"
    rows: list[dict] = []
    engines: dict[str, tuple] = {}
    for n, cell in enumerate(cells, 1):
        settings = cell_settings(base, cell, index_root)
        key = str(settings.index.dir)
        if key not in engines:
            embedder = embedder_for(settings.embedding)
            t0 = time.perf_counter()
            ingested = ingest([corpus], settings, embedder=embedder)
            index = Index(settings)
            if ingested.chunks_embedded:
                index.set_meta(build_seconds=f"{time.perf_counter() - t0:.3f}")
            # A cached, up-to-date index reports the time it took when it was built.
            build_s = float(index.get_meta("build_seconds") or 0.0)
            engines[key] = (Engine(settings, embedder=embedder, index=index), build_s, index.size_bytes(), index.n_chunks())
        engine, build_s, size, n_chunks = engines[key]
        engine.settings = settings
        engine.reset_caches()  # each cell pays its own embedding work: latencies stay comparable
        results = harness.run(engine, items, retrieval=settings.retrieval)
        rows.append(_row(cell, results, build_s, size, n_chunks))
        if progress:
            progress("grid", n, len(cells))
    mark_best(rows)
    for r in rows:
        r["load_avg_end"] = round(os.getloadavg()[0], 2)  # latency columns mean little on a busy machine
    (out / "grid.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    charts(rows, out)
    (out / "report.md").write_text(report(rows, len(items), quick), encoding="utf-8")
    return rows


def _row(cell: Cell, results: list[dict], build_s: float, size: int, n_chunks: int) -> dict:
    row: dict = {"setting": cell.name, "retriever": cell.retriever, "chunking": cell.chunking, "top_k": cell.top_k,
                 "rerank": cell.rerank, "embedding_model": cell.model, "n_chunks": n_chunks}
    summary = harness.summarize(results)
    for name in ("hit@1", "hit@5", "hit@10", "mrr", "ndcg@10", "recall@10", "citation_precision", "evidence_precision",
                 "refusal_correct", "false_refusal", "refusal_recall"):
        if name in summary:
            row[name] = summary[name]["value"]
            row[name + "_ci"] = [summary[name]["ci_low"], summary[name]["ci_high"]]
    latencies = [r["latency_ms"] for r in results]
    row["p50_ms"] = round(M.percentile(latencies, 0.5), 1)
    row["p95_ms"] = round(M.percentile(latencies, 0.95), 1)
    row["index_build_s"] = round(build_s, 1)
    row["index_mb"] = round(size / 1e6, 2)
    return row


def mark_best(rows: list[dict]) -> None:
    """Best = highest nDCG@10; cheapest = lowest p50 latency whose nDCG@10 CI reaches the best."""
    if not rows:
        return
    best = max(rows, key=lambda r: (r.get(HEADLINE, 0), r.get("refusal_correct", 0)))
    within = [r for r in rows if r.get(HEADLINE + "_ci", [0, 0])[1] >= best.get(HEADLINE, 0)]
    cheapest = min(within or [best], key=lambda r: r["p50_ms"])
    for r in rows:
        r["best"] = r is best
        r["cheapest_within_ci"] = r is cheapest


def charts(rows: list[dict], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for retriever in sorted({r["retriever"] for r in rows}):
        for rerank in sorted({r["rerank"] for r in rows}):
            pts = sorted((r["n_chunks"], r[HEADLINE], r["chunking"]) for r in rows
                         if r["retriever"] == retriever and r["rerank"] == rerank and HEADLINE in r)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=f"{retriever}, rerank {rerank}")
    ax.set_xlabel("chunks in index (smaller chunks -> more chunks)")
    ax.set_ylabel(HEADLINE)
    ax.set_title(f"{HEADLINE} by chunking and retriever")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(out / "metric_vs_chunking.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in rows:
        ax.scatter(r["p50_ms"], r.get(HEADLINE, 0), s=60 if r.get("best") else 30,
                   marker="*" if r.get("best") else ("D" if r.get("cheapest_within_ci") else "o"))
        ax.annotate(r["setting"], (r["p50_ms"], r.get(HEADLINE, 0)), fontsize=6, alpha=0.8)
    ax.set_xlabel("p50 latency per question (ms, retrieval + answer)")
    ax.set_ylabel(HEADLINE)
    ax.set_title("Quality vs latency (* best, \u25c6 cheapest within CI)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    paths.append(out / "quality_vs_latency.png")
    fig.savefig(paths[-1], dpi=110)
    plt.close(fig)
    return paths


def report(rows: list[dict], n_questions: int, quick: bool) -> str:
    cols = ["setting", "hit@1", "hit@5", "mrr", "ndcg@10", "citation_precision", "refusal_correct", "p50_ms", "p95_ms",
            "index_build_s", "index_mb"]
    lines = [
        "# career-rag retrieval benchmark",
        "",
        f"{'Quick' if quick else 'Full'} grid, {len(rows)} settings, {n_questions} questions each "
        "(eval/dataset.jsonl). Retrieval metrics over answerable questions; refusal accuracy over all.",
        "",
        f"Latencies are wall-clock on this machine (load average {rows[0].get('load_avg_end', '?') if rows else '?'} "
        "at the end of the run): compare them within one run only.",
        "",
        "| " + " | ".join(cols) + " |",
        "|" + "---|" * len(cols),
    ]
    for r in sorted(rows, key=lambda r: -r.get(HEADLINE, 0)):
        mark = " **(best)**" if r.get("best") else (" *(cheapest within CI)*" if r.get("cheapest_within_ci") else "")
        vals = [f"{r['setting']}{mark}"] + [_fmt(r.get(c)) for c in cols[1:]]
        lines.append("| " + " | ".join(vals) + " |")
    best = next((r for r in rows if r.get("best")), None)
    cheap = next((r for r in rows if r.get("cheapest_within_ci")), None)
    if best:
        ci = best.get(HEADLINE + "_ci", ["?", "?"])
        lines += ["", f"Best: **{best['setting']}** ({HEADLINE} {best[HEADLINE]:.3f}, 95% CI {ci[0]:.3f}-{ci[1]:.3f}).",
                  f"Cheapest within its CI: **{cheap['setting']}** (p50 {cheap['p50_ms']} ms).",
                  "", "![metric vs chunking](metric_vs_chunking.png)", "", "![quality vs latency](quality_vs_latency.png)"]
    return "\n".join(lines) + "\n"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3f}" if v <= 1.0 else f"{v:.1f}"
    return "" if v is None else str(v)
