"""Options and helpers shared by the CLI modules (rag/cli.py, eval/cli.py)."""

from __future__ import annotations

import typer
from rich.console import Console

from rag.settings import load_settings

err = Console(stderr=True)
out = Console()

IndexOpt = typer.Option(None, "--index", help="Index folder (default: settings index.dir, 'index').")
ChromaOpt = typer.Option(None, "--chroma-url", help="Use a Chroma server, e.g. http://127.0.0.1:8000.")
ModelOpt = typer.Option(None, "--embedding-model", help="sentence-transformers name or local folder.")
PresetOpt = typer.Option(None, "--preset", help="A named settings preset (see rag/settings.py).")


def settings_or_exit(preset=None, **sections):
    try:
        return load_settings(preset, sections)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        err.print(f"[red]Invalid settings:[/red] {exc}")
        raise typer.Exit(2) from None


def fail(exc: Exception, code: int = 1):
    from rich.markup import escape

    err.print(f"[red]Error:[/red] {escape(str(exc))}")  # "[Errno 111]" is text, not markup
    raise typer.Exit(code)


def engine_or_exit(settings):
    from rag.models.embedding import EmbeddingModelError
    from rag.engine import Engine
    from rag.store.manifest import IndexError_

    try:
        return Engine(settings)
    except (IndexError_, EmbeddingModelError) as exc:
        fail(exc)


def query_settings(preset, index, chroma_url, embedding_model, k, retriever, rerank, role, kind,
                    backend=None, llm_url=None, llm_model=None, gguf=None, mmr=None):
    return settings_or_exit(
        preset,
        index={"dir": index, "chroma_url": chroma_url},
        embedding={"model": embedding_model},
        retrieval={"top_k": k, "mode": retriever, "rerank": rerank, "roles": role or None, "kinds": kind or None,
                   "mmr": mmr},
        answer={"backend": backend, "base_url": llm_url, "model": llm_model, "gguf_path": gguf},
    )


K_OPT = typer.Option(None, "--k", help="Passages the answer draws on (top-k).")
RETRIEVER_OPT = typer.Option(None, "--retriever", help="dense | bm25 | hybrid")
RERANK_OPT = typer.Option(None, "--rerank", help="none | default | cross-encoder:NAME_OR_PATH")
ROLE_OPT = typer.Option(None, "--role", help="Only use documents about this role (repeatable).")
KIND_OPT = typer.Option(None, "--kind", help="Only use documents of this kind (repeatable).")
MMR_OPT = typer.Option(None, "--mmr/--no-mmr", help="Diversify dense results (maximal marginal relevance).")
