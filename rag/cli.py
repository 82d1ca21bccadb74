"""The `career-rag` command. Heavy imports stay inside commands to keep start-up fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

import rag  # noqa: F401  - applies the offline environment first
from rag.settings import load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers about tech careers, offline.")
err = Console(stderr=True)
out = Console()

IndexOpt = typer.Option(None, "--index", help="Index folder (default: settings index.dir, 'index').")
ChromaOpt = typer.Option(None, "--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
ModelOpt = typer.Option(None, "--embedding-model", help="sentence-transformers name or local folder.")
PresetOpt = typer.Option(None, "--preset", help="A named settings preset (see rag/settings.py).")


def _settings(preset=None, **sections):
    try:
        return load_settings(preset, sections)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def _fail(exc: Exception, code: int = 1):
    err.print(f"[red]Error:[/red] {exc}")
    raise typer.Exit(code)


@app.command()
def ingest(
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
    from rag.embedding import EmbeddingModelError
    from rag.store import IndexError_

    settings = _settings(
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
        _fail(exc)
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
        ("chunks embedded", report.chunks_embedded),
        ("chunks in index", report.chunks_total),
        ("seconds", f"{report.seconds:.1f}"),
    ]:
        table.add_row(label, str(value))
    out.print(table)
    for path, reason in report.skipped:
        out.print(f"[yellow]skipped[/yellow] {path}: {reason}")


def _engine(settings):
    from rag.embedding import EmbeddingModelError
    from rag.engine import Engine
    from rag.store import IndexError_

    try:
        return Engine(settings)
    except (IndexError_, EmbeddingModelError) as exc:
        _fail(exc)


def _query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, role, kind,
                    backend=None, llm_url=None, llm_model=None, gguf=None):
    return _settings(
        preset,
        index={"dir": index, "chroma_url": chroma_url},
        embedding={"model": embedding_model},
        retrieval={"top_k": k, "mode": retriever, "rerank": rerank, "roles": role or None, "kinds": kind or None},
        answer={"backend": backend, "base_url": llm_url, "model": llm_model, "gguf_path": gguf},
    )


K_OPT = typer.Option(None, "--k", help="Passages the answer draws on (top-k).")
RETRIEVER_OPT = typer.Option(None, "--retriever", help="dense | bm25 | hybrid")
RERANK_OPT = typer.Option(None, "--rerank", help="none | default | cross-encoder:NAME_OR_PATH")
ROLE_OPT = typer.Option(None, "--role", help="Only use documents about this role (repeatable).")
KIND_OPT = typer.Option(None, "--kind", help="Only use documents of this kind (repeatable).")


@app.command()
def ask(
    question: Optional[str] = typer.Argument(None, help="Your question."),
    batch: Optional[Path] = typer.Option(None, "--batch", help='JSONL file of {"id", "question"} lines.'),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (per line with --batch)."),
    k: Optional[int] = K_OPT,
    retriever: Optional[str] = RETRIEVER_OPT,
    rerank: Optional[str] = RERANK_OPT,
    role: Optional[list[str]] = ROLE_OPT,
    kind: Optional[list[str]] = KIND_OPT,
    backend: Optional[str] = typer.Option(None, "--backend", help="extractive | ollama | openai | llamacpp"),
    llm_url: Optional[str] = typer.Option(None, "--llm-url", help="Ollama or OpenAI-compatible base URL."),
    llm_model: Optional[str] = typer.Option(None, "--llm-model", help="Model name on that server."),
    gguf: Optional[Path] = typer.Option(None, "--gguf", help="GGUF file for the llamacpp backend."),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Answer a question from the index, citing every sentence."""
    if (question is None) == (batch is None):
        err.print("[red]Error:[/red] give a QUESTION or --batch FILE (not both).")
        raise typer.Exit(2)
    settings = _query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, role, kind,
                               backend, llm_url, llm_model, gguf)
    engine = _engine(settings)
    if batch is not None:
        _ask_batch(engine, batch, as_json)
        return
    streamed = settings.answer.backend != "extractive" and not as_json and out.is_terminal
    on_token = (lambda t: out.print(t, end="", markup=False, highlight=False)) if streamed else None
    try:
        answer = engine.ask(question, on_token=on_token)
    except ValueError as exc:
        _fail(exc, 2)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        if streamed:
            out.print()
        _print_answer(answer, show_text=not streamed)


def _ask_batch(engine, path: Path, as_json: bool) -> None:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}", 2)
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                raise ValueError('each line needs a "question" string')
        except ValueError as exc:
            _fail(f"{path}:{n}: {exc}", 2)
        items.append(item)
    for item in items:
        try:
            answer = engine.ask(item["question"], id=item.get("id"))
            record = answer.to_json()
        except ValueError as exc:
            record = {"id": item.get("id"), "question": item["question"], "error": str(exc)}
        if as_json:
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            out.rule(f"{item.get('id') or ''} {item['question']}")
            if "error" in record:
                err.print(f"[red]Error:[/red] {record['error']}")
            else:
                _print_answer(answer)


def _print_answer(answer, show_text: bool = True) -> None:
    from rich.markup import escape

    if answer.notice:
        err.print(f"[yellow]{escape(answer.notice)}[/yellow]")
    if answer.resolved_question:
        err.print(f"[dim]Understood as: {escape(answer.resolved_question)}[/dim]")
    if show_text:
        out.print(escape(answer.answer), highlight=False)
    out.print()
    if answer.refused:
        out.print("[bold]Nearest sources:[/bold]")
        for ctx in answer.contexts[:3]:
            out.print(f"  - {escape(ctx.chunk.title)} — {escape(ctx.chunk.header_path)} ({escape(_rel(ctx.chunk.source))})")
        return
    out.print("[bold]Sources:[/bold]")
    seen = set()
    for c in answer.citations:
        if c.marker in seen:
            continue
        seen.add(c.marker)
        flag = "" if c.supported else " [red](not supported by the passage)[/red]"
        out.print(f"  [{c.marker}] {escape(c.title)} — {escape(_rel(c.source))} chars {c.start}-{c.end}{flag}")
    for text in answer.unsupported:
        out.print(f"[red]unsupported:[/red] {escape(text)}")


def _rel(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path


@app.command()
def retrieve(
    question: str = typer.Argument(..., help="Your question."),
    as_json: bool = typer.Option(False, "--json", help="Print the ranked contexts as JSON."),
    k: Optional[int] = typer.Option(None, "--k", help="How many contexts to return (default: candidates)."),
    retriever: Optional[str] = RETRIEVER_OPT,
    rerank: Optional[str] = RERANK_OPT,
    role: Optional[list[str]] = ROLE_OPT,
    kind: Optional[list[str]] = KIND_OPT,
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Show the ranked passages for a question (no answer)."""
    settings = _query_settings(preset, index, chroma_url, embedding_model, None, retriever, rerank, role, kind)
    if k:
        settings.retrieval.candidates = k
    engine = _engine(settings)
    contexts = engine.retrieve(question)[: k or None]
    if as_json:
        print(json.dumps({"question": question, "contexts": [c.to_json() for c in contexts]}, ensure_ascii=False))
        return
    from rich.markup import escape

    for c in contexts:
        out.print(f"[bold]{c.rank}.[/bold] {c.score:.4f}  {escape(c.chunk.title)} — {escape(c.chunk.header_path)} ({escape(_rel(c.chunk.source))})")


@app.command()
def status(
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    as_json: bool = typer.Option(False, "--json"),
):
    """What the index holds: documents, chunks, embedding model, chunking, size."""
    from rag.store import Index, IndexError_

    settings = _settings(index={"dir": index, "chroma_url": chroma_url})
    try:
        ix = Index(settings)
    except IndexError_ as exc:
        _fail(exc)
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


@app.command("eval")
def eval_cmd(
    out_dir: Path = typer.Option(Path("results/eval"), "--out", help="Folder for results.jsonl, summary.json, report.md."),
    dataset: Optional[Path] = typer.Option(None, "--dataset", help="JSONL dataset (default: eval/dataset.jsonl)."),
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="Ingest this folder first (into --index, incrementally)."),
    judge: Optional[str] = typer.Option(None, "--judge", help="Judge LLM: OpenAI-compatible URL[#MODEL] or ollama:MODEL."),
    no_ragas: bool = typer.Option(False, "--no-ragas", help="Only career-rag's own metrics (fast)."),
    k: Optional[int] = K_OPT,
    retriever: Optional[str] = RETRIEVER_OPT,
    rerank: Optional[str] = RERANK_OPT,
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Measure retrieval, citations, refusals and Ragas metrics on a question set."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from eval.dataset import DEFAULT_DATASET, DatasetError
    from eval.run import evaluate

    settings = _query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, None, None)
    if corpus is not None:
        from ingest.pipeline import ingest as run_ingest

        report = run_ingest([corpus], settings)
        err.print(f"ingested {corpus}: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged")
    engine = _engine(settings)
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err)
    tasks: dict[str, int] = {}
    labels = {"answer": "Answering questions", "ragas": "Ragas metrics"}

    def progress(phase, done, total):
        if phase not in tasks:
            tasks[phase] = bar.add_task(labels[phase], total=total)
        bar.update(tasks[phase], completed=done, total=total)

    try:
        with bar:
            summary = evaluate(engine, dataset or DEFAULT_DATASET, out_dir, judge, not no_ragas, progress)
    except DatasetError as exc:
        _fail(exc, 2)
    for name, m in summary.items():
        if isinstance(m, dict) and "value" in m:
            ci = f"  [{m['ci_low']:.3f}, {m['ci_high']:.3f}]" if "ci_low" in m else ""
            out.print(f"{name:28s} {m['value']}{ci}")
    for name, why in summary["skipped"].items():
        out.print(f"[dim]skipped {name}: {why}[/dim]")
    out.print(f"Wrote {out_dir}/results.jsonl, summary.json, report.md")


def main() -> None:  # pragma: no cover - console-script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
