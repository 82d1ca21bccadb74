"""The Chroma side of the index: which store it is, opening it, dropping its collection.

Only the errors that mean "this store cannot be opened" become an ``IndexError_`` with
a message the user can act on; anything else is a bug and propagates as it is.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from urllib.parse import urlparse

from rag.settings import Settings
from rag.store.errors import IndexError_

log = logging.getLogger(__name__)


def describe(settings: Settings, index_dir: Path) -> str:
    """Where the vectors live, as the user configured it (for notices and errors)."""
    url = settings.index.chroma_url
    return f"Chroma server at {url}" if url else f"Chroma store in {index_dir / 'chroma'}"


def open_errors() -> tuple[type[BaseException], ...]:
    """What chromadb raises when a store cannot be reached or read.

    A server that is down surfaces as httpx's transport errors, or as the ValueError
    chromadb raises in their place ("Could not connect to a Chroma server"); a store
    folder that cannot be read as OSError or one of chromadb's own errors.
    """
    import httpx
    from chromadb.errors import ChromaError

    return (ChromaError, httpx.HTTPError, ConnectionError, TimeoutError, OSError, ValueError)


def open_client(settings: Settings, index_dir: Path):
    """A chromadb client for the configured store (a server, or a folder in the index)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    url = settings.index.chroma_url
    try:
        if url:
            parsed = urlparse(url if "://" in url else f"http://{url}")
            return chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
        return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)
    except open_errors() as exc:
        raise _cannot_open(settings, index_dir, exc) from None


def open_collection(settings: Settings, index_dir: Path, client=None):
    """The index's collection, created if missing (``client`` defaults to a new one)."""
    client = client if client is not None else open_client(settings, index_dir)
    ef_search = settings.index.ef_search
    try:
        # embedding_function=None: we always pass vectors; chroma's default would try to
        # download an ONNX model.
        collection = client.get_or_create_collection(
            settings.index.collection, embedding_function=None,
            configuration={"hnsw": {"space": "cosine", "ef_search": ef_search}},
        )
    except open_errors() as exc:
        raise _cannot_open(settings, index_dir, exc) from None
    widen_search(collection, ef_search)
    return collection


def widen_search(collection, ef_search: int) -> None:
    """Give a collection made before `index.ef_search` existed (or with another value) the
    configured search breadth. ef_search is the one HNSW setting chroma lets an existing
    collection change; it is stored with the collection, so this writes once per index.
    A store that refuses (read-only folder, older server) keeps its own value: answers
    still work, only near-tie neighbours may be missed."""
    hnsw = (collection.configuration_json or {}).get("hnsw") or {}
    if hnsw.get("ef_search") == ef_search:
        return
    try:
        collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
    except open_errors() as exc:
        log.warning("cannot set Chroma's ef_search to %d on %r (searching with %s): %s",
                    ef_search, collection.name, hnsw.get("ef_search", "its default"), exc)


def delete_collection(client, name: str) -> bool:
    """Drop the collection `name`; False when there was none."""
    from chromadb.errors import NotFoundError

    try:
        client.delete_collection(name)
    except NotFoundError:
        log.info("no Chroma collection %r to delete", name)
        return False
    except open_errors() as exc:  # the store went away between opening and deleting
        raise IndexError_(f"cannot delete the Chroma collection {name!r}: {exc}") from None
    return True


class Handles:
    """The lazy Chroma client, collection and llama-index vector store of one index.

    Created on first use and dropped by ``refresh``, under one lock, so threads sharing an
    index never see a half-made handle or open two. (Separate from the manifest's lock:
    opening may wait on a server, and BM25-only answers must not wait behind it.)
    """

    def __init__(self, settings: Settings, index_dir: Path):
        self.settings, self.index_dir = settings, index_dir
        self._lock = threading.RLock()
        self._client = None
        self._collection = None
        self._vector_store = None

    def client(self):
        with self._lock:
            if self._client is None:
                self._client = open_client(self.settings, self.index_dir)
            return self._client

    def collection(self):
        with self._lock:
            if self._collection is None:
                self._collection = open_collection(self.settings, self.index_dir, self.client())
            return self._collection

    def vector_store(self):
        with self._lock:
            if self._vector_store is None:
                from llama_index.vector_stores.chroma import ChromaVectorStore

                self._vector_store = ChromaVectorStore(chroma_collection=self.collection())
            return self._vector_store

    def refresh(self) -> None:
        with self._lock:
            self._client = self._collection = self._vector_store = None

    def drop_collection(self) -> None:
        """Delete the index's collection (if any); the next use creates it again."""
        with self._lock:
            delete_collection(self.client(), self.settings.index.collection)
            self.refresh()


def _cannot_open(settings: Settings, index_dir: Path, exc: BaseException) -> IndexError_:
    where = describe(settings, index_dir)
    log.info("cannot open the %s: %s: %s", where, type(exc).__name__, exc)
    return IndexError_(f"cannot open the {where}: {exc}")
