"""`career-rag practice` and `career-rag compare`: study mode in the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rag.cli.common import (
    ChromaOpt, IndexOpt, ModelOpt, PresetOpt, engine_or_exit, err, fail, out, rel_path, settings_or_exit,
)
from rag.text.shown import heading


def _index_or_exit(settings):
    from rag.store.errors import IndexError_
    from rag.store.manifest import Index

    try:
        return Index(settings)
    except IndexError_ as exc:
        fail(exc)


def _cite(c) -> str:
    return f"{rel_path(c.source)} chars {c.start}-{c.end}"


def practice_cmd(
    role: Optional[str] = typer.Option(None, "--role", help='The role to practise for, e.g. "data engineer".'),
    round_: Optional[str] = typer.Option(None, "--round", help="Only this round: sql, coding, ml-system-design, ..."),
    question_id: Optional[str] = typer.Option(None, "--question-id", help="The question to show or to answer."),
    answer: Optional[str] = typer.Option(None, "--answer", help="Your answer ('-' reads it from stdin): prints feedback."),
    show_points: bool = typer.Option(False, "--show-points", help="Show the key points and model answer too."),
    list_: bool = typer.Option(False, "--list", help="List the questions for the role instead of picking one."),
    show_history: bool = typer.Option(False, "--history", help="Show this profile's practice history."),
    profile: str = typer.Option("default", "--profile", help="Whose progress to read and record."),
    progress_dir: Optional[Path] = typer.Option(None, "--progress-dir", help="Folder of progress files (default ~/.career-rag)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Practise interview questions from the corpus, with cited key points and feedback."""
    from rag.study.practice import get_question, normalise_role, practice_questions
    from rag.study.progress import Progress

    progress = Progress(profile, progress_dir)
    if show_history:
        _print_history(progress, as_json)
        return
    settings = settings_or_exit(preset, index={"dir": index, "chroma_url": chroma_url}, embedding={"model": embedding_model})
    ix = _index_or_exit(settings)
    try:
        role_name = normalise_role(role) if role else None
        questions = practice_questions(ix, role_name, round_) if role_name or list_ else []
    except ValueError as exc:
        fail(exc, 2)
    if list_:
        _print_list(questions, as_json)
        return
    if answer is not None:
        _answer(settings, ix, progress, question_id, answer, role_name, as_json)
        return
    if question_id:
        q = get_question(ix, question_id)
        if q is None:
            fail(f"no question with id {question_id!r} in {ix.dir}", 2)
    else:
        if not role_name:
            fail('give --role (e.g. --role "data engineer"), --question-id, --list or --history', 2)
        if not questions:
            fail(f"the index has no practice questions for {role_name!r}{f' in round {round_!r}' if round_ else ''}", 1)
        from rag.study.practice import next_question

        q = next_question(questions, progress.summary())
    progress.record_seen(q, role_name)
    if as_json:
        print(json.dumps(q.to_json(show_points) | {"of": len(questions)}, ensure_ascii=False))
        return
    _print_question(q, show_points)


def _answer(settings, ix, progress, question_id, answer, role_name, as_json) -> None:
    from rag.study.feedback import feedback
    from rag.study.practice import get_question

    if answer == "-":
        answer = sys.stdin.read()
    qid = question_id or progress.last_seen(role_name)
    if not qid:
        fail("which question? give --question-id ID (shown with each question)", 2)
    q = get_question(ix, qid)
    if q is None:
        fail(f"no question with id {qid!r} in {ix.dir}", 2)
    ix.close()
    engine = engine_or_exit(settings)
    fb = feedback(engine, q, answer)
    progress.record_attempt(fb, role_name)
    if as_json:
        print(json.dumps(fb.to_json(), ensure_ascii=False))
        return
    from rich.markup import escape

    if not question_id:
        err.print(f"[dim]Answering question {q.id}: {escape(q.question)}[/dim]")
    out.print(f"[bold]Covered {len(fb.covered)} of {len(fb.points)} key points[/bold]")
    for p in fb.covered:
        out.print(f"  [green]✓[/green] {escape(p.point.text)}  [dim]({escape(_cite(p.point))})[/dim]")
    for p in fb.missed:
        out.print(f"  [red]✗[/red] {escape(p.point.text)}")
        for c in p.read_up:
            out.print(f"      read: {escape(heading(c.title))} — {escape(_cite(c))}")


def _print_question(q, show_points: bool) -> None:
    from rich.markup import escape

    rnd = q.round or "general"
    out.print(f"[bold]{escape(q.question)}[/bold]")
    out.print(f"[dim]id {q.id} · round {escape(rnd)}{' (from the section)' if q.round_inferred else ''} · "
              f"{escape(heading(q.title))} — {escape(_cite(q.cited))}[/dim]")
    if show_points:
        out.print("\n[bold]Key points:[/bold]")
        for i, p in enumerate(q.key_points, 1):
            out.print(f"  {i}. {escape(p.text)}  [dim]({escape(_cite(p))})[/dim]")
    else:
        out.print(f"\n{len(q.key_points)} key points hidden (--show-points to see them).")
    out.print(f'\nAnswer with: career-rag practice --question-id {q.id} --answer "..."')


def _print_list(questions, as_json: bool) -> None:
    if as_json:
        print(json.dumps([q.to_json(show_points=False) for q in questions], ensure_ascii=False))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{len(questions)} practice questions")
    for col in ("id", "round", "question", "source"):
        table.add_column(col)
    for q in questions:
        table.add_row(q.id, q.round or "general", escape(q.question), escape(heading(q.title)))
    out.print(table)


def _print_history(progress, as_json: bool) -> None:
    rows = progress.history()
    if as_json:
        print(json.dumps({"profile": progress.profile, "path": str(progress.path), "questions": rows}, ensure_ascii=False))
        return
    if not rows:
        out.print(f"No practice yet for profile {progress.profile!r}.")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Practice history — {progress.profile}")
    for col in ("id", "question", "seen", "attempts", "last", "revisit"):
        table.add_column(col)
    for r in rows:
        last = "-" if r["last_coverage"] is None else f"{r['last_coverage']:.0%}"
        table.add_row(r["qid"], escape(r["question"]), str(r["seen"]), str(r["attempts"]), last, "yes" if r["revisit"] else "")
    out.print(table)


def compare_cmd(
    roles: list[str] = typer.Argument(..., help='Two or more roles, e.g. "ai engineer" "ml engineer" "data engineer".'),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON rows of cited cells."),
    index: Optional[Path] = IndexOpt,
    chroma_url: Optional[str] = ChromaOpt,
    embedding_model: Optional[str] = ModelOpt,
    preset: Optional[str] = PresetOpt,
):
    """Compare roles side by side (focus, day-to-day, interviews, skills, pay); every cell cited."""
    from rag.study.compare import compare, role_label

    settings = settings_or_exit(preset, index={"dir": index, "chroma_url": chroma_url}, embedding={"model": embedding_model})
    engine = engine_or_exit(settings)
    try:
        table = compare(engine, roles)
    except ValueError as exc:
        fail(exc, 2)
    if as_json:
        print(json.dumps(table.to_json(), ensure_ascii=False))
        return
    from rich.markup import escape
    from rich.table import Table

    markers: dict[tuple, int] = {}
    grid = Table(title="Role comparison", show_lines=True)
    grid.add_column("")
    for role in table.roles:
        grid.add_column(escape(role_label(role)))
    for row in table.rows:
        cells = []
        for cell in row.cells:
            if not cell.covered:
                cells.append(f"[dim]{escape(cell.text)}[/dim]")
                continue
            c = cell.citations[0]
            n = markers.setdefault((c.source, c.start, c.end), len(markers) + 1)
            cells.append(f"{escape(cell.text)} \\[{n}]")
        grid.add_row(f"[bold]{escape(row.label)}[/bold]", *cells)
    out.print(grid)
    out.print("[bold]Sources:[/bold]")
    by_marker = {n: key for key, n in markers.items()}
    titles = {(c.source, c.start, c.end): c.title for r in table.rows for cell in r.cells for c in cell.citations}
    for n in sorted(by_marker):
        source, start, end = by_marker[n]
        out.print(f"  \\[{n}] {escape(heading(titles[by_marker[n]]))} — {escape(rel_path(source))} chars {start}-{end}")
