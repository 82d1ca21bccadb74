"""The `career-rag` command: the Typer app and its commands, nothing else.

The commands live by topic: index.py (ingest, status), ask.py (ask, retrieve), chat.py,
serve.py (ui), measure.py (eval, bench, perf), study.py (practice, compare). Heavy imports
stay inside the commands to keep start-up fast.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

import rag  # noqa: F401  - applies the offline environment first
from rag.cli.ask import ask_cmd, retrieve_cmd
from rag.cli.chat import chat_cmd
from rag.cli.index import ingest_cmd, status_cmd
from rag.cli.measure import bench_cmd, eval_cmd, perf_cmd
from rag.cli.serve import ui_cmd
from rag.cli.study import compare_cmd, practice_cmd

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited answers about tech careers, offline.")
LOG_LEVEL_ENV = "CAREER_RAG_LOG_LEVEL"


@app.callback()
def _configure_logging() -> None:
    # Users get one clear line per problem (notices and "Error: ..."); the library's log
    # records are for diagnosis: errors (with tracebacks) by default, more on request.
    level = os.environ.get(LOG_LEVEL_ENV, "ERROR").upper()
    level = level if level in logging.getLevelNamesMapping() else "ERROR"
    handler = logging.StreamHandler()
    # The handler filters too: some libraries (bm25s) set DEBUG on their own loggers.
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])

for name, command in [
    ("ingest", ingest_cmd),
    ("ask", ask_cmd),
    ("retrieve", retrieve_cmd),
    ("status", status_cmd),
    ("ui", ui_cmd),
    ("eval", eval_cmd),
    ("bench", bench_cmd),
    ("perf", perf_cmd),
    ("practice", practice_cmd),
    ("compare", compare_cmd),
    ("chat", chat_cmd),
]:
    app.command(name)(command)


def main() -> None:  # pragma: no cover - console-script shim
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
