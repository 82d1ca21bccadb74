"""The index on disk: a SQLite manifest beside a Chroma collection and a BM25 side index.

The manifest (documents, their committed content hash, and their chunks with offsets) is
the source of truth. Chroma holds vectors for chunks; a document's new chunks are added
to Chroma *before* the manifest switches to them in one SQLite transaction, and old
chunks are removed after. Whatever happens in between, readers only accept chunk ids the
manifest has committed, and the next ingest sweeps leftovers (see ``garbage``).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from rag.settings import Settings
from rag.types import ChunkRecord

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    source TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    title TEXT NOT NULL,
    roles TEXT NOT NULL,          -- JSON list
    kind TEXT NOT NULL,
    updated TEXT NOT NULL,
    source_ref TEXT NOT NULL,
    n_chunks INTEGER NOT NULL,
    text TEXT NOT NULL,           -- the text offsets point into
    page_starts TEXT NOT NULL     -- JSON list, PDFs only
);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES docs(source) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page INTEGER,
    header_path TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source);
-- chunk ids that may exist in Chroma/BM25 but are not (or no longer) committed
CREATE TABLE IF NOT EXISTS garbage (chunk_id TEXT PRIMARY KEY);
-- practice questions found in documents (ingest/questions.py); offsets point into docs.text
CREATE TABLE IF NOT EXISTS questions (
    qid TEXT PRIMARY KEY,
    source TEXT NOT NULL REFERENCES docs(source) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    question TEXT NOT NULL,
    round TEXT,                   -- NULL when neither *Round:* nor a heading names one
    round_inferred INTEGER NOT NULL,
    start INTEGER NOT NULL,       -- the question text: docs.text[start:end] == question
    "end" INTEGER NOT NULL,
    heading_start INTEGER NOT NULL,  -- the whole question heading / line
    heading_end INTEGER NOT NULL,
    answer_start INTEGER,         -- the model answer, when there is one
    answer_end INTEGER,
    key_points TEXT NOT NULL,     -- JSON list of {text, start, end}, exact spans
    header_path TEXT NOT NULL,
    roles TEXT NOT NULL,          -- JSON list
    convention TEXT NOT NULL      -- q-heading | loose
);
CREATE INDEX IF NOT EXISTS questions_by_source ON questions(source);
"""


class IndexError_(RuntimeError):
    """An index problem the user can act on; the message says how."""


class IndexMismatchError(IndexError_):
    pass


class IndexMissingError(IndexError_):
    pass


@dataclass
class DocRecord:
    source: str
    content_hash: str
    title: str
    roles: list[str]
    kind: str
    updated: str
    source_ref: str
    n_chunks: int


@dataclass
class QuestionRecord:
    qid: str
    source: str
    seq: int
    question: str
    round: str | None
    round_inferred: bool
    start: int
    end: int
    heading_start: int
    heading_end: int
    answer_start: int | None
    answer_end: int | None
    key_points: list[dict]
    header_path: str
    roles: list[str]
    convention: str
    title: str
    kind: str


class Index:
    def __init__(self, settings: Settings, *, create: bool = False):
        self.settings = settings
        self.dir = Path(settings.index.dir).expanduser().resolve()
        db_path = self.dir / "manifest.sqlite3"
        if not db_path.exists() and not create:
            raise IndexMissingError(f"no index at {self.dir}; build one with: career-rag ingest corpus/ --index {settings.index.dir}")
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._collection = None
        self._vector_store = None

    # -- meta -------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, **values: str) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])

    def check_embedding(self, model: str, dim: int | None = None) -> None:
        recorded = self.get_meta("embedding_model")
        if recorded is None:
            return
        recorded_dim = self.get_meta("embedding_dim")
        if recorded != model or (dim is not None and recorded_dim and int(recorded_dim) != dim):
            raise IndexMismatchError(
                f"the index at {self.dir} was built with embedding model {recorded!r} (dim {recorded_dim}), "
                f"but {model!r}{f' (dim {dim})' if dim else ''} is configured. Vectors from different models "
                "cannot be compared: use the same model, or rebuild with `career-rag ingest --rebuild`, "
                "or point --index at another folder."
            )

    def check_chunking(self, size: int, overlap: int) -> None:
        recorded = self.get_meta("chunking")
        wanted = f"{size}/{overlap}"
        if recorded and recorded != wanted:
            raise IndexMismatchError(
                f"the index at {self.dir} was chunked with size/overlap {recorded}, but {wanted} is configured; "
                "re-chunk it with `career-rag ingest --rebuild`, or use another --index folder."
            )

    # -- transactions -----------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- Chroma -----------------------------------------------------------------
    @property
    def collection(self):
        if self._collection is None:
            self._collection = open_collection(self.settings, self.dir)
        return self._collection

    @property
    def vector_store(self):
        if self._vector_store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._vector_store = ChromaVectorStore(chroma_collection=self.collection)
        return self._vector_store

    def refresh(self) -> None:
        """Reopen the Chroma collection on next use (it may have been recreated)."""
        self._collection = None
        self._vector_store = None

    def reset(self) -> None:
        """Drop everything (for --rebuild)."""
        client = self.collection._client  # noqa: SLF001 - chroma exposes no public handle
        try:
            client.delete_collection(self.settings.index.collection)
        except Exception:
            pass  # no collection yet
        self.refresh()
        with self.transaction() as db:
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM docs")
            db.execute("DELETE FROM garbage")
            db.execute("DELETE FROM meta")
        for folder in self.dir.glob("bm25-*"):
            shutil.rmtree(folder, ignore_errors=True)

    # -- reads ------------------------------------------------------------------
    def docs(self) -> dict[str, DocRecord]:
        with self._lock:
            rows = self.db.execute(
                "SELECT source, content_hash, title, roles, kind, updated, source_ref, n_chunks FROM docs ORDER BY source"
            ).fetchall()
        return {r[0]: DocRecord(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7]) for r in rows}

    def doc_text(self, source: str) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT text FROM docs WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def doc_texts(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT text FROM docs")]

    def chunk_ids(self, source: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self.db.execute("SELECT chunk_id FROM chunks WHERE source=?", (source,))]

    def chunks(self, ids: list[str] | None = None) -> list[ChunkRecord]:
        """Committed chunks (all, or those of `ids` that are committed, in the order given)."""
        query = (
            "SELECT c.chunk_id, c.source, c.seq, c.start, c.\"end\", c.page, c.header_path, "
            "d.title, d.roles, d.kind, substr(d.text, c.start + 1, c.\"end\" - c.start) "
            "FROM chunks c JOIN docs d ON d.source = c.source"
        )
        with self._lock:
            if ids is None:
                rows = self.db.execute(query + " ORDER BY c.source, c.seq").fetchall()
            else:
                rows = []
                for i in range(0, len(ids), 500):
                    part = ids[i : i + 500]
                    rows += self.db.execute(query + f" WHERE c.chunk_id IN ({','.join('?' * len(part))})", part).fetchall()
        records = [ChunkRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), r[9], r[10]) for r in rows]
        if ids is not None:
            order = {cid: i for i, cid in enumerate(ids)}
            records.sort(key=lambda c: order[c.chunk_id])
        return records

    def chunk_ids_overlapping(self, source: str, start: int, end: int) -> list[str]:
        with self._lock:
            rows = self.db.execute(
                'SELECT chunk_id FROM chunks WHERE source=? AND start < ? AND "end" > ? ORDER BY seq', (source, end, start)
            ).fetchall()
        return [r[0] for r in rows]

    def questions(self, qid: str | None = None) -> list[QuestionRecord]:
        """Practice questions (all, or the one with `qid`), by source then document order."""
        query = (
            "SELECT q.qid, q.source, q.seq, q.question, q.round, q.round_inferred, q.start, q.\"end\", q.heading_start, "
            "q.heading_end, q.answer_start, q.answer_end, q.key_points, q.header_path, q.roles, q.convention, d.title, "
            "d.kind FROM questions q JOIN docs d ON d.source = q.source"
        )
        with self._lock:
            if qid is None:
                rows = self.db.execute(query + " ORDER BY q.source, q.seq").fetchall()
            else:
                rows = self.db.execute(query + " WHERE q.qid = ?", (qid,)).fetchall()
        return [
            QuestionRecord(*r[:5], bool(r[5]), *r[6:12], json.loads(r[12]), r[13], json.loads(r[14]), *r[15:])
            for r in rows
        ]

    def is_empty(self) -> bool:
        """No committed chunk (cheap: count(*) scans the whole table, this reads one row)."""
        with self._lock:
            return self.db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None

    def n_chunks(self) -> int:
        with self._lock:
            return self.db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.rglob("*") if p.is_file())

    def close(self) -> None:
        with self._lock:
            self.db.close()


def open_collection(settings: Settings, index_dir: Path):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    url = settings.index.chroma_url
    try:
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url if "://" in url else f"http://{url}")
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1",
                port=parsed.port or 8000,
                ssl=parsed.scheme == "https",
                settings=chroma_settings,
            )
        else:
            client = chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)
        # embedding_function=None: we always pass vectors; chroma's default would try to
        # download an ONNX model.
        return client.get_or_create_collection(
            settings.index.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )
    except Exception as exc:
        where = f"Chroma server at {url}" if url else f"Chroma store in {index_dir / 'chroma'}"
        raise IndexError_(f"cannot open the {where}: {exc}") from None
