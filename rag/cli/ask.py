"""`career-rag ask` and `career-rag retrieve`, and how a cited answer is printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from rag.cli.common import (
    BACKEND_OPT, GGUF_OPT, K_OPT, KIND_OPT, LLM_MODEL_OPT, LLM_URL_OPT, MMR_OPT, RERANK_OPT, RETRIEVER_OPT, ROLE_OPT,
    ChromaOpt, IndexOpt, ModelOpt, PresetOpt, engine_or_exit, err, fail, out, query_settings, rel_path,
)
from rag.text.shown import heading


def ask_cmd(
    question: Optional[str] = typer.Argument(None, help="Your question."),
    batch: Optional[Path] = typer.Option(None, "--batch", help='JSONL file of {"id", "question"} lines.'),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (per line with --batch)."),
    k: Optional[int] = K_OPT,
    retriever: Optional[str] = RETRIEVER_OPT,
    rerank: Optional[str] = RERANK_OPT,
    role: Optional[list[str]] = ROLE_OPT,
    kind: Optional[list[str]] = KIND_OPT,
    mmr: Optional[bool] = MMR_OPT,
    backend: Optional[str] = BACKEND_OPT,
    llm_url: Optional[str] = LLM_URL_OPT,
    llm_model: Optional[str] = LLM_MODEL_OPT,
    gguf: Optional[Path] = GGUF_OPT,
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
    from rag.store.errors import IndexError_

    try:
        answer = engine.ask(question, on_token=token_printer() if streamed else None)
    except ValueError as exc:
        fail(exc, 2)
    except IndexError_ as exc:  # e.g. the Chroma server is down and nothing can stand in for it
        fail(exc)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        if streamed:
            out.print()
        print_answer(answer, show_text=not streamed)


def token_printer():
    """An on_token callback that prints an LLM's answer as it streams."""
    return lambda t: out.print(t, end="", markup=False, highlight=False)


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
    from rag.store.errors import IndexError_

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
                print_answer(answer)


def print_answer(answer, show_text: bool = True) -> None:
    """The answer, its sources by marker, and what no passage supports (notices on stderr)."""
    from rich.markup import escape

    if answer.notice:
        err.print(f"[yellow]{escape(answer.notice)}[/yellow]")
    if answer.resolved_question:
        err.print(f"[dim]Understood as: {escape(answer.resolved_question)}[/dim]")
    if show_text:
        # (unwrapped: the terminal wraps prose as well, and a quoted code block cut at the console's
        # width would no longer run when copied)
        out.print(escape(answer.answer), highlight=False, soft_wrap=True)
    out.print()
    if answer.refused:
        out.print("[bold]Nearest sources:[/bold]")
        for ctx in answer.contexts[:3]:
            c = ctx.chunk  # (chars tell apart two passages of one document)
            section = f" — {escape(heading(c.header_path))}" if c.header_path else ""
            out.print(f"  - {escape(heading(c.title))}{section} ({escape(_where(c.source, c.start, c.end, c.page))})")
        return
    out.print("[bold]Sources:[/bold]")
    seen = set()
    for c in answer.citations:
        if c.marker in seen:
            continue
        seen.add(c.marker)
        flag = "" if c.supported else " [red](not supported by the passage)[/red]"
        page = next((ctx.chunk.page for ctx in answer.contexts if ctx.holds(c)), None)
        out.print(f"  [{c.marker}] {escape(heading(c.title))} — {escape(_where(c.source, c.start, c.end, page))}{flag}")
    for text in answer.unsupported:
        out.print(f"[red]unsupported:[/red] {escape(text)}")


def _where(source: str, start: int, end: int, page: int | None) -> str:
    """Where a passage is: its file and characters, and for a PDF its page (what a reader finds)."""
    return f"{rel_path(source)} chars {start}-{end}" + (f", page {page}" if page else "")


def retrieve_cmd(
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
    # --k sets retrieval.candidates, validated with the other settings (1..500).
    settings = query_settings(preset, index, chroma_url, embedding_model, None, retriever, rerank, role, kind,
                              mmr=mmr, candidates=k or None)
    engine = engine_or_exit(settings)
    from rich.markup import escape

    from rag.store.errors import IndexError_

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
        out.print(f"[bold]{c.rank}.[/bold] {c.score:.4f}  {escape(heading(c.chunk.title))} — {escape(heading(c.chunk.header_path))} ({escape(rel_path(c.chunk.source))})")
