"""How chunk metadata is named in the vector store and the BM25 side index."""

from __future__ import annotations


def role_key(role: str) -> str:
    """Chroma metadata is flat, so each role becomes a boolean flag usable in filters."""
    return "role_" + "_".join(role.lower().split())
