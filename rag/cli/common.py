"""What every command module of the CLI shares: consoles, options, settings, errors.

Kept light (typer, rich, pydantic settings): heavy imports stay inside the commands so
`career-rag --help` starts fast.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from rag.settings import load_settings

err = Console(stderr=True)
out = Console()

IndexOpt = typer.Option(None, "--index", help="Index folder (default: settings index.dir, 'index').")
ChromaOpt = typer.Option(None, "--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
ModelOpt = typer.Option(None, "--embedding-model", help="sentence-transformers name or local folder.")
PresetOpt = typer.Option(None, "--preset", help="A named settings preset (see rag/settings.py).")

K_OPT = typer.Option(None, "--k", help="Passages the answer draws on (top-k).")
RETRIEVER_OPT = typer.Option(None, "--retriever", help="dense | bm25 | hybrid")
RERANK_OPT = typer.Option(None, "--rerank", help="default | late-interaction[:NAME_OR_PATH] | cross-encoder[:NAME_OR_PATH] | sentence | none")
ROLE_OPT = typer.Option(None, "--role", help="Only use documents about this role (repeatable).")
KIND_OPT = typer.Option(None, "--kind", help="Only use documents of this kind (repeatable).")
MMR_OPT = typer.Option(None, "--mmr/--no-mmr", help="Diversify dense results (maximal marginal relevance).")
BACKEND_OPT = typer.Option(None, "--backend", help="extractive | ollama | openai | llamacpp")
LLM_URL_OPT = typer.Option(None, "--llm-url", help="Ollama or OpenAI-compatible base URL.")
LLM_MODEL_OPT = typer.Option(None, "--llm-model", help="Model name on that server.")
GGUF_OPT = typer.Option(None, "--gguf", help="GGUF file for the llamacpp backend.")


def settings_or_exit(preset=None, **sections):
    try:
        return load_settings(preset, sections)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def fail(exc: Exception | str, code: int = 1):
    from rich.markup import escape

    err.print(f"[red]Error:[/red] {escape(str(exc))}")  # "[Errno 111]" is text, not markup
    raise typer.Exit(code)


def engine_or_exit(settings):
    from rag.engine import Engine
    from rag.models.embedding import EmbeddingModelError
    from rag.store.errors import IndexError_

    try:
        return Engine(settings)
    except (IndexError_, EmbeddingModelError) as exc:
        fail(exc)


def query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, role, kind,
                   backend=None, llm_url=None, llm_model=None, gguf=None, mmr=None, candidates=None):
    """Settings for a question-asking command; every flag is validated with the rest."""
    return settings_or_exit(
        preset,
        index={"dir": index, "chroma_url": chroma_url},
        embedding={"model": embedding_model},
        retrieval={"top_k": k, "mode": retriever, "rerank": rerank, "roles": role or None, "kinds": kind or None,
                   "mmr": mmr, "candidates": candidates},
        answer={"backend": backend, "base_url": llm_url, "model": llm_model, "gguf_path": gguf},
    )


def rel_path(path: str) -> str:
    """A source path as shown to the user: relative to the working directory when inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
