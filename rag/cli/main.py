"""The `career-rag` command. Heavy imports stay inside commands to keep start-up fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

import rag  # noqa: F401  - applies the offline environment first
from rag.cli.common import (  # noqa: F401 - shared with eval/cli.py
    K_OPT, KIND_OPT, MMR_OPT, RERANK_OPT, RETRIEVER_OPT, ROLE_OPT, ChromaOpt, IndexOpt, ModelOpt, PresetOpt, engine_or_exit, fail,
    query_settings, settings_or_exit, err, out,
)

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers about tech careers, offline.")

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
    from rag.models.embedding import EmbeddingModelError
    from rag.store.manifest import IndexError_

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
        ("chunks embedded", report.chunks_embedded),
        ("chunks in index", report.chunks_total),
        ("seconds", f"{report.seconds:.1f}"),
    ]:
        table.add_row(label, str(value))
    out.print(table)
    for path, reason in report.skipped:
        out.print(f"[yellow]skipped[/yellow] {path}: {reason}")


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
    mmr: Optional[bool] = MMR_OPT,
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
    settings = query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, role, kind,
                              backend, llm_url, llm_model, gguf, mmr)
    engine = engine_or_exit(settings)
    if batch is not None:
        _ask_batch(engine, batch, as_json)
        return
    streamed = settings.answer.backend != "extractive" and not as_json and out.is_terminal
    on_token = (lambda t: out.print(t, end="", markup=False, highlight=False)) if streamed else None
    from rag.store.manifest import IndexError_

    try:
        answer = engine.ask(question, on_token=on_token)
    except ValueError as exc:
        fail(exc, 2)
    except IndexError_ as exc:  # e.g. the Chroma server is down and nothing can stand in for it
        fail(exc)
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
        fail(f"cannot read {path}: {exc.strerror or exc}", 2)
    items = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("question"), str):
                raise ValueError('each line needs a "question" string')
        except ValueError as exc:
            fail(f"{path}:{n}: {exc}", 2)
        items.append(item)
    from rag.store.manifest import IndexError_

    for item in items:
        try:
            answer = engine.ask(item["question"], id=item.get("id"))
            record = answer.to_json()
        except (ValueError, IndexError_) as exc:
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
    mmr: Optional[bool] = MMR_OPT,
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Show the ranked passages for a question (no answer)."""
    settings = query_settings(preset, index, chroma_url, embedding_model, None, retriever, rerank, role, kind, mmr=mmr)
    if k:
        settings.retrieval.candidates = k
    engine = engine_or_exit(settings)
    from rich.markup import escape

    from rag.store.manifest import IndexError_

    try:
        contexts, notice = engine.retrieve_with_notice(question)
    except IndexError_ as exc:
        fail(exc)
    contexts = contexts[: k or None]
    if notice:
        err.print(f"[yellow]{escape(notice)}[/yellow]")
    if as_json:
        print(json.dumps({"question": question, "contexts": [c.to_json() for c in contexts], "notice": notice},
                         ensure_ascii=False))
        return

    for c in contexts:
        out.print(f"[bold]{c.rank}.[/bold] {c.score:.4f}  {escape(c.chunk.title)} — {escape(c.chunk.header_path)} ({escape(_rel(c.chunk.source))})")


@app.command()
def status(
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    as_json: bool = typer.Option(False, "--json"),
):
    """What the index holds: documents, chunks, embedding model, chunking, size."""
    from rag.store.manifest import Index, IndexError_

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


@app.command()
def ui(
    index: Optional[Path] = IndexOpt,
    port: int = typer.Option(8501, "--port"),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
):
    """Open the Streamlit study chat."""
    import os
    import subprocess

    app_path = Path(__file__).resolve().parents[2] / "ui" / "app.py"
    settings = settings_or_exit(index={"dir": index})
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app_path),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer",
        "--", "--index", str(settings.index.dir),
    ]
    out.print(f"career-rag chat on http://{host}:{port}  (Ctrl+C to stop)")
    raise typer.Exit(subprocess.call(cmd, env=os.environ.copy()))


# The measurement commands live with the stage they belong to.
from eval.cli import bench_cmd, eval_cmd, perf_cmd  # noqa: E402

app.command("eval")(eval_cmd)
app.command("bench")(bench_cmd)
app.command("perf")(perf_cmd)

from rag.cli.study import compare_cmd, practice_cmd  # noqa: E402

app.command("practice")(practice_cmd)
app.command("compare")(compare_cmd)


def main() -> None:  # pragma: no cover - console-script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
