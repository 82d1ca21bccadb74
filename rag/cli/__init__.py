"""The `career-rag` command: the composition root, the only part of rag/ that imports ingest/ and eval/.

``app`` (the console script's entry point, ``rag.cli:app``) is loaded on first use, so
``python -m rag.cli.main`` does not find its own module already imported.
"""

__all__ = ["app"]


def __getattr__(name: str):
    if name == "app":
        from rag.cli.main import app

        return app
    raise AttributeError(f"module 'rag.cli' has no attribute {name!r}")
