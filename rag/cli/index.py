"""`career-rag ingest` and `career-rag status`: building the index and looking into it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rag.cli.common import ChromaOpt, IndexOpt, ModelOpt, PresetOpt, err, fail, out, settings_or_exit


def ingest_cmd(
    paths: list[Path] = typer.Argument(None, help="Files or folders to ingest (default: corpus/)."),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    chunk_size: Optional[int] = typer.Option(None, help="Chunk size in tokens."),
    chunk_overlap: Optional[int] = typer.Option(None, help="Overlap between chunks in tokens."),
    max_file_mb: Optional[float] = typer.Option(None, help="Skip files larger than this."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Drop the index and build it again."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    preset: Optional[str] = PresetOpt,
):
    """Chunk, embed and store documents; only changed files are re-embedded."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ingest.pipeline import ingest as run_ingest
    from rag.models.embedding import EmbeddingModelError
    from rag.store.errors import IndexError_

    settings = settings_or_exit(
        preset,
        index={"dir": index, "chroma_url": chroma_url},
        embedding={"model": embedding_model},
        chunking={"size": chunk_size, "overlap": chunk_overlap},
        ingest={"max_file_mb": max_file_mb},
    )
    paths = paths or [Path("corpus")]
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err, transient=False, disable=as_json and not err.is_terminal,
    )
    tasks: dict[str, int] = {}
    labels = {"embed": "Embedding chunks", "bm25": "Building BM25 index"}

    def progress(phase: str, done: int, total: int) -> None:
        if phase not in tasks:
            tasks[phase] = bar.add_task(labels.get(phase, phase), total=total)
        bar.update(tasks[phase], completed=done, total=total)

    try:
        with bar:
            report = run_ingest(paths, settings, rebuild=rebuild, progress=progress)
    except (IndexError_, EmbeddingModelError) as exc:
        fail(exc)
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return
    _print_report(report, settings)


def _print_report(report, settings) -> None:
    from rich.table import Table

    table = Table(title=f"Ingest summary — index {settings.index.dir}", show_header=False)
    for label, value in [
        ("added", len(report.added)),
        ("updated", len(report.updated)),
        ("deleted", len(report.deleted)),
        ("unchanged", len(report.unchanged)),
        ("skipped", len(report.skipped)),
        ("warnings", len(report.warnings)),
        ("chunks embedded", report.chunks_embedded),
        ("chunks in index", report.chunks_total),
        ("seconds", f"{report.seconds:.1f}"),
    ]:
        table.add_row(label, str(value))
    out.print(table)
    for path, reason in report.skipped:
        out.print(f"[yellow]skipped[/yellow] {path}: {reason}")
    for path, warning in report.warnings:
        out.print(f"[yellow]warning[/yellow] {path}: {warning}")


def status_cmd(
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    as_json: bool = typer.Option(False, "--json"),
):
    """What the index holds: documents, chunks, embedding model, chunking, size."""
    from rag.store.errors import IndexError_
    from rag.store.manifest import Index

    settings = settings_or_exit(index={"dir": index, "chroma_url": chroma_url})
    try:
        ix = Index(settings)
    except IndexError_ as exc:
        fail(exc)
    docs = ix.docs()
    info = {
        "index": str(ix.dir),
        "documents": len(docs),
        "chunks": ix.n_chunks(),
        "embedding_model": ix.get_meta("embedding_model"),
        "embedding_dim": ix.get_meta("embedding_dim"),
        "chunking": ix.get_meta("chunking"),
        "size_mb": round(ix.size_bytes() / 1e6, 2),
    }
    if as_json:
        print(json.dumps(info | {"docs": [vars(d) for d in docs.values()]}, indent=2))
        return
    for key, value in info.items():
        out.print(f"[bold]{key}[/bold]: {value}")
