"""`career-rag eval`, `career-rag bench` and `career-rag perf`: the measurement commands.

The work is done by eval/ (run, bench, perf); these commands only turn flags into
settings and print the results.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from rag.cli.common import (
    ChromaOpt, IndexOpt, K_OPT, ModelOpt, PresetOpt, RERANK_OPT, RETRIEVER_OPT, engine_or_exit, fail, query_settings,
    settings_or_exit, err, out,
)


def _progress_bar(labels: dict[str, str]):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err)
    tasks: dict[str, int] = {}

    def progress(phase, done, total):
        if phase not in tasks:
            tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    return bar, progress


def eval_cmd(
    out_dir: Path = typer.Option(Path("results/eval"), "--out", help="Folder for results.jsonl, summary.json, report.md."),
    dataset: Optional[Path] = typer.Option(None, "--dataset", help="JSONL dataset (default: eval/dataset.jsonl)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Ingest this folder first (into --index, incrementally)."),
    judge: Optional[str] = typer.Option(None, "--judge", help="Judge LLM: OpenAI-compatible URL[#MODEL] or ollama:MODEL."),
    no_ragas: bool = typer.Option(False, "--no-ragas", help="Only career-rag's own metrics (fast)."),
    sets: Optional[list[str]] = typer.Option(
        None, "--set", help="Named question set(s) from eval/sets.toml, each over its own corpus and index "
                            "(repeatable; 'all' for every set). Writes OUT/NAME/... and OUT/sets.md."),
    root: Optional[Path] = typer.Option(None, "--root", help="Folder the dataset's evidence paths are relative to (default: cwd)."),
    k: Optional[int] = K_OPT,
    retriever: Optional[str] = RETRIEVER_OPT,
    rerank: Optional[str] = RERANK_OPT,
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Measure retrieval, citations, refusals and Ragas metrics on a question set."""
    from eval.dataset import DEFAULT_DATASET, DatasetError
    from eval.run import evaluate

    settings = query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, None, None)
    if sets:
        _eval_sets(settings, sets, out_dir, judge, not no_ragas)
        return
    if corpus is not None:
        from ingest.pipeline import ingest as run_ingest

        report = run_ingest([corpus], settings)
        err.print(f"ingested {corpus}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged")
    engine = engine_or_exit(settings)
    bar, progress = _progress_bar({"answer": "Answering questions", "ragas": "Ragas metrics"})
    try:
        with bar:
            summary = evaluate(engine, dataset or DEFAULT_DATASET, out_dir, judge, not no_ragas, progress, root=root)
    except DatasetError as exc:
        fail(exc, 2)
    for name, m in summary.items():
        if isinstance(m, dict) and "value" in m:
            ci = f"  [{m['ci_low']:.3f}, {m['ci_high']:.3f}]" if "ci_low" in m else ""
            out.print(f"{name:28s} {m['value']}{ci}")
    for name, why in summary["skipped"].items():
        out.print(f"[dim]skipped {name}: {why}[/dim]")
    out.print(f"Wrote {out_dir}/results.jsonl, summary.json, report.md")


def _eval_sets(settings, names: list[str], out_dir: Path, judge, use_ragas: bool) -> None:
    import os

    from eval.dataset import DatasetError
    from eval.run import evaluate
    from eval.sets import run_sets
    from ingest.pipeline import ingest as run_ingest

    cache = Path(os.environ.get("CAREER_RAG_CACHE") or Path.home() / ".cache" / "career-rag") / "eval-index"
    bar, progress = _progress_bar({"answer": "Answering questions", "ragas": "Ragas metrics"})
    try:
        with bar:
            run_sets(settings, names, out_dir, cache, evaluate, run_ingest, engine_or_exit, progress,
                     judge=judge, use_ragas=use_ragas)
    except (DatasetError, ValueError) as exc:
        fail(exc, 2)
    out.print((out_dir / "sets.md").read_text(encoding="utf-8"))
    out.print(f"Wrote {out_dir}/sets.md, sets.json and one folder per set")


def bench_cmd(
    out_dir: Path = typer.Option(Path("results/bench"), "--out", help="Folder for report.md, grid.json and PNG charts."),
    quick: bool = typer.Option(False, "--quick", help="A small grid that runs in a few minutes."),
    corpus: Path = typer.Option(Path("corpus"), "--corpus", help="Corpus to index for every chunking setting."),
    dataset: Optional[Path] = typer.Option(None, "--dataset", help="JSONL dataset (default: eval/dataset.jsonl)."),
    model: Optional[list[str]] = typer.Option(None, "--model", help="Embedding model(s) to compare (repeatable)."),
    preset: Optional[str] = PresetOpt,
):
    """Benchmark retrieval settings (chunking x top-k x retriever x rerank x model)."""
    from eval import bench
    from eval.dataset import DEFAULT_DATASET, DatasetError

    base = settings_or_exit(preset)
    bar, progress = _progress_bar({"grid": "Benchmark grid"})
    try:
        with bar:
            rows = bench.run(base, out_dir, corpus, dataset or DEFAULT_DATASET, quick, model or None, progress)
    except DatasetError as exc:
        fail(exc, 2)
    for r in rows:
        flag = " <- best" if r.get("best") else (" <- cheapest within CI" if r.get("cheapest_within_ci") else "")
        out.print(f"{r['setting']:45s} nDCG@10 {r.get('ndcg@10', 0):.3f}  MRR {r.get('mrr', 0):.3f}  p50 {r['p50_ms']:.0f} ms{flag}")
    out.print(f"Wrote {out_dir}/report.md, grid.json, metric_vs_chunking.png, quality_vs_latency.png")


def perf_cmd(
    out_dir: Path = typer.Option(Path("results/perf"), "--out", help="Folder for perf.json and perf.md."),
    size: int = typer.Option(5000, "--size", help="Chunks in the synthetic corpus (100000 for the full run)."),
    questions: int = typer.Option(200, "--questions", help="Questions for the latency percentiles."),
    corpus: Path = typer.Option(Path("corpus"), "--corpus", help="Where the synthetic corpus takes its sections from."),
    ingest_sample: int = typer.Option(5000, "--ingest-sample", help="Chunks the three-way ingest comparison runs on."),
    preset: Optional[str] = PresetOpt,
):
    """Measure ingest throughput, re-ingest, latency, cold start and memory."""
    from eval import perf

    base = settings_or_exit(preset)
    result = perf.run(base, out_dir, size, corpus, questions, ingest_sample=ingest_sample,
                      progress=lambda msg: err.print(f"[dim]perf: {msg}[/dim]"))
    out.print(perf.table(result))
    out.print(f"Wrote {out_dir}/perf.json and perf.md")
