"""Configuration and the process-wide Engine, shared by every page.

The app takes ``-- --index DIR`` (what ``career-rag ui`` passes) or the usual settings
sources (career-rag.toml, CAREER_RAG_INDEX__DIR, ...). The Engine is loaded once per
process and index folder with st.cache_resource; a missing or broken index becomes a
message, never a stack trace.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

import rag  # noqa: F401 - offline environment before torch/chroma load

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
        settings = load_settings(overrides=overrides)
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


@st.cache_resource(show_spinner="Loading the embedding model and the index…", max_entries=8)
def _engine(index_dir: str, model: str, chroma_url: str | None, _settings):
    from rag.engine import Engine

    return Engine(_settings)


def engine(cfg: AppConfig):
    """(engine, None) or (None, user-facing reason). Failures are not cached."""
    if cfg.error or cfg.settings is None:
        return None, cfg.error or "The settings are invalid."
    if not index_exists(cfg):
        return None, None
    s = cfg.settings
    try:
        return _engine(str(cfg.index_dir), s.embedding.model, s.index.chroma_url, s), None
    except Exception as exc:  # IndexMismatchError, EmbeddingModelError, Chroma errors...
        return None, f"{type(exc).__name__}: {exc}"


def forget_engine() -> None:
    """Drop cached engines (after an ingest that created the index)."""
    _engine.clear()


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
    except Exception:
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
