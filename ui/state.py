"""Configuration and the process-wide Engines, shared by every page.

The app takes ``-- --index DIR [--preset NAME]`` (what ``career-rag ui`` passes) or the usual settings
sources (career-rag.toml, CAREER_RAG_INDEX__DIR, ...). An Engine is loaded once per
process for each way of building one (``engine_key``: the index and embedding sections)
with st.cache_resource; the retrieval and answer sections are per question and go to
``Engine.ask`` instead. A missing or broken index becomes a message, never a stack trace.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import rag  # noqa: F401 - offline environment before torch/chroma load
from rag.models.embedding import EmbeddingModelError
from rag.store.manifest import IndexError_

log = logging.getLogger(__name__)

UPLOADS_ENV = "CAREER_RAG_UPLOADS"
EVAL_ENV = "CAREER_RAG_EVAL_SUMMARY"
BENCH_ENV = "CAREER_RAG_BENCH_GRID"
DEFAULT_EVAL = Path("results/eval/summary.json")
DEFAULT_BENCH = Path("results/bench/grid.json")


@dataclass
class AppConfig:
    settings: object | None  # rag.settings.Settings, None when the settings are invalid
    index_dir: Path
    uploads_dir: Path
    eval_summary: Path
    bench_grid: Path
    error: str | None = None


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Flags after ``--`` on the streamlit command line. Unknown ones are ignored."""
    p = argparse.ArgumentParser(prog="ui/app.py", add_help=False, allow_abbrev=False)
    p.add_argument("--index", default=None)
    p.add_argument("--preset", default=None)
    p.add_argument("--uploads", default=None)
    p.add_argument("--eval", dest="eval_summary", default=None)
    p.add_argument("--bench", dest="bench_grid", default=None)
    args, _ = p.parse_known_args(argv)
    return args


def load_config(argv: list[str] | None = None) -> AppConfig:
    from pydantic import ValidationError

    from rag.settings import load_settings

    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {"index": {"dir": args.index}} if args.index else None
    settings, error = None, None
    try:
        settings = load_settings(args.preset, overrides)
        index_dir = Path(settings.index.dir).expanduser().resolve()
    except (ValidationError, ValueError, OSError) as exc:
        error = f"The settings are invalid: {exc}"
        index_dir = Path(args.index or "index").expanduser().resolve()
    uploads = args.uploads or os.environ.get(UPLOADS_ENV) or index_dir.parent / "uploads"
    return AppConfig(
        settings=settings,
        index_dir=index_dir,
        uploads_dir=Path(uploads).expanduser().resolve(),
        eval_summary=Path(args.eval_summary or os.environ.get(EVAL_ENV) or DEFAULT_EVAL),
        bench_grid=Path(args.bench_grid or os.environ.get(BENCH_ENV) or DEFAULT_BENCH),
        error=error,
    )


def config() -> AppConfig:
    """The configuration for this script run (cheap: settings are re-read each run)."""
    return load_config()


def index_exists(cfg: AppConfig) -> bool:
    return (cfg.index_dir / "manifest.sqlite3").is_file()


def engine_key(cfg: AppConfig) -> str:
    """Everything an Engine is built from: the index section (folder, Chroma server,
    collection) and the embedding section. Not retrieval/answer: those are per question."""
    s = cfg.settings
    index = s.index.model_copy(update={"dir": cfg.index_dir})  # resolved: one key per folder
    return json.dumps({"index": index.model_dump(mode="json"), "embedding": s.embedding.model_dump(mode="json")},
                      sort_keys=True)


@st.cache_resource(show_spinner="Loading the embedding model and the index…", max_entries=8)
def _engine(key: str, _settings):
    from rag.engine import Engine

    return Engine(_settings)


def open_errors() -> tuple[type[BaseException], ...]:
    """What opening an Engine raises for a problem the user can act on (the message says how)."""
    return (IndexError_, EmbeddingModelError, sqlite3.Error, OSError)


def broken_engine_errors() -> tuple[type[BaseException], ...]:
    """Errors that mean a cached Engine's index or vector store is broken (reopen it), not a bug."""
    from chromadb.errors import ChromaError

    return (IndexError_, ChromaError, sqlite3.Error)


def ingest_errors() -> tuple[type[BaseException], ...]:
    """What indexing uploads raises for a problem that is not a bug (locked, mismatched, disk...)."""
    return broken_engine_errors() + (EmbeddingModelError, OSError)


def engine(cfg: AppConfig):
    """(engine, None) or (None, user-facing reason). Failures are not cached."""
    if cfg.error or cfg.settings is None:
        return None, cfg.error or "The settings are invalid."
    if not index_exists(cfg):
        return None, None
    try:
        return _engine(engine_key(cfg), cfg.settings), None
    except open_errors() as exc:  # shown on the page with what to do; no traceback needed
        log.warning("cannot open the index in %s: %s: %s", cfg.index_dir, type(exc).__name__, exc)
        return None, f"{type(exc).__name__}: {exc}"


def forget_engine(cfg: AppConfig, broken=None) -> None:
    """Drop the cached Engine of this configuration (other configurations keep theirs).

    With ``broken``, only if it is still the cached one: sessions that hit the same broken
    Engine at once reopen it once, not once each.
    """
    if cfg.settings is None:
        return
    key = engine_key(cfg)
    if broken is not None and index_exists(cfg):
        try:
            if _engine(key, cfg.settings) is not broken:
                return  # another session already reopened it
        except open_errors():
            pass  # not cached (failures never are): nothing to drop
    _engine.clear(key)


@st.cache_data(ttl=5, show_spinner=False)
def index_stats(index_dir: str, _engine_obj, stamp: float) -> dict:
    ix = _engine_obj.index
    docs = ix.docs()
    return {"docs": len(docs), "chunks": ix.n_chunks(), "size": ix.size_bytes()}


def stats(cfg: AppConfig, eng) -> dict | None:
    if eng is None:
        return None
    try:
        stamp = (cfg.index_dir / "manifest.sqlite3").stat().st_mtime
        wal = cfg.index_dir / "manifest.sqlite3-wal"
        if wal.exists():
            stamp = max(stamp, wal.stat().st_mtime)
        return index_stats(str(cfg.index_dir), eng, stamp)
    except (OSError, sqlite3.Error):  # the index is being rebuilt or was removed
        log.warning("cannot read the index statistics of %s", cfg.index_dir, exc_info=True)
        return None


def human_size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def display_path(source: str | Path) -> str:
    """A file path as the user knows it: relative to the working folder when inside it."""
    p = Path(source)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        home = str(Path.home())
        s = str(p)
        return "~" + s[len(home):] if home != "/" and s.startswith(home + os.sep) else s
