"""`career-rag chat`: an interactive session in the terminal, with follow-up questions.

Each answer is printed as `career-rag ask` prints it. The questions asked so far (as the
engine understood them) are the history the next one is resolved against, so "and for ML
engineers?" follows the previous question. Ctrl-D, "exit" or "quit" ends the session.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from rag.cli.ask import print_answer, token_printer
from rag.cli.common import (
    BACKEND_OPT, GGUF_OPT, K_OPT, KIND_OPT, LLM_MODEL_OPT, LLM_URL_OPT, MMR_OPT, RERANK_OPT, RETRIEVER_OPT, ROLE_OPT,
    ChromaOpt, IndexOpt, ModelOpt, PresetOpt, engine_or_exit, err, out, query_settings,
)

log = logging.getLogger(__name__)

PROMPT = "you> "
QUIT_WORDS = frozenset({"exit", "quit"})


def chat_cmd(
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
    """Chat in the terminal: cited answers, follow-up questions, Ctrl-D to quit."""
    settings = query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, role, kind,
                              backend, llm_url, llm_model, gguf, mmr)
    engine = engine_or_exit(settings)
    streamed = settings.answer.backend != "extractive" and out.is_terminal
    if sys.stdin.isatty():
        try:
            import readline  # noqa: F401  - line editing and up-arrow recall for input()
        except ImportError:  # not on every platform
            pass
        err.print("[dim]Ask a question; follow-ups refer to the previous one. Ctrl-D or 'exit' ends.[/dim]")
    history: list[str] = []
    try:
        while True:
            try:
                line = input(PROMPT)
            except EOFError:
                out.print()
                break
            question = line.strip()
            if not question:
                continue
            if question.lower() in QUIT_WORDS:
                break
            answer = _ask_one(engine, question, history, streamed)
            if answer is not None:
                history.append(answer.resolved_question or answer.question)
    except KeyboardInterrupt:
        out.print()
        raise typer.Exit(130) from None
    finally:
        engine.close()


def _ask_one(engine, question: str, history: list[str], streamed: bool):
    """Answer and print one question; a failure is one line on stderr, and the session goes on."""
    from rich.markup import escape

    from rag.store.errors import IndexError_

    try:
        answer = engine.ask(question, history=list(history), on_token=token_printer() if streamed else None)
    except (ValueError, IndexError_) as exc:  # a bad question, or an index nothing can stand in for
        err.print(f"[red]Error:[/red] {escape(str(exc))}")
        return None
    except Exception as exc:  # noqa: BLE001 - the session boundary: one failed question must not end the chat
        log.exception("chat: answering %r failed", question)
        err.print(f"[red]Error:[/red] {escape(f'{type(exc).__name__}: {exc}')}")
        return None
    if streamed:
        out.print()
    print_answer(answer, show_text=not streamed)
    return answer
