"""ingest/ writes the index: files -> loaders -> chunker -> vectors and manifest.

    from ingest import add
    add(["corpus/"], settings)        # incremental: only changed files are re-embedded
"""


def add(paths, settings, **kwargs):
    """Ingest files or folders into the index `settings` names (see ingest.pipeline.ingest)."""
    from ingest.pipeline import ingest

    return ingest(paths, settings, **kwargs)
