"""The `career-rag` command: the composition root, the only part of rag/ that imports ingest/ and eval/."""

from rag.cli.main import app

__all__ = ["app"]
