"""The index on disk: a SQLite manifest beside a Chroma collection and a BM25 side index.

``Index`` is the one repository API over all three; nothing outside rag/store writes SQL
or touches Chroma handles. The manifest (documents, their committed content hash, their
chunks with offsets, their practice questions) is the source of truth.

Crash safety (``commit_group``): a document's new chunk ids are first recorded as
garbage, their vectors then go into Chroma, then the manifest switches to the new
versions in ONE SQLite transaction (which also records the superseded chunk ids as
garbage), and the old vectors are swept last. Whatever happens in between, readers only
accept chunk ids the manifest has committed, and the next ingest sweeps what ``garbage``
holds. The BM25 side index is rebuilt into a new folder and switched to by one manifest
write (``rebuild_bm25``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rag.settings import Settings
from rag.store import chroma
from rag.store.errors import IndexError_, IndexMismatchError, IndexMissingError, ManifestWriteError
from rag.store.records import DocRecord, DocVersion, QuestionRecord, QuestionRow, StoredText
from rag.store.schema import SCHEMA, SCHEMA_VERSION
from rag.types import ChunkRecord

__all__ = ["Index", "IndexError_", "IndexMismatchError", "IndexMissingError", "ManifestWriteError", "SCHEMA_VERSION"]

_DOC_COLUMNS = ("source", "content_hash", "title", "roles", "kind", "updated", "source_ref", "n_chunks", "text",
                "page_starts")
_CHUNK_COLUMNS = ("chunk_id", "source", "seq", "start", "end", "page", "header_path")
_QUESTION_COLUMNS = ("qid", "source", "seq", "question", "round", "round_inferred", "start", "end", "heading_start",
                     "heading_end", "answer_start", "answer_end", "key_points", "header_path", "roles", "convention")
SWEEP_BATCH = 5000  # ids per Chroma delete call


def _insert(table: str, columns: tuple[str, ...], verb: str = "INSERT") -> str:
    names = ", ".join(f'"{c}"' for c in columns)
    return f"{verb} INTO {table}({names}) VALUES ({', '.join(':' + c for c in columns)})"


_INSERT_DOC = _insert("docs", _DOC_COLUMNS)
_INSERT_CHUNK = _insert("chunks", _CHUNK_COLUMNS)
_INSERT_QUESTION = _insert("questions", _QUESTION_COLUMNS)
_MARK_GARBAGE = "INSERT OR IGNORE INTO garbage(chunk_id) VALUES (?)"
_FORGET_GARBAGE = "DELETE FROM garbage WHERE chunk_id=?"
_SET_META = "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"


def _question_params(q: QuestionRow) -> dict:
    return {
        "qid": q.qid, "source": q.source, "seq": q.seq, "question": q.question, "round": q.round,
        "round_inferred": int(q.round_inferred), "start": q.start, "end": q.end, "heading_start": q.heading_start,
        "heading_end": q.heading_end, "answer_start": q.answer_start, "answer_end": q.answer_end,
        "key_points": json.dumps(q.key_points), "header_path": q.header_path, "roles": json.dumps(q.roles),
        "convention": q.convention,
    }


class Index:
    def __init__(self, settings: Settings, *, create: bool = False):
        self.settings = settings
        self.dir = Path(settings.index.dir).expanduser().resolve()
        db_path = self.dir / "manifest.sqlite3"
        if not db_path.exists() and not create:
            raise IndexMissingError(f"no index at {self.dir}; build one with: career-rag ingest corpus/ --index {settings.index.dir}")
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()  # the SQLite connection
        self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._chroma = chroma.Handles(settings, self.dir)

    # -- meta -------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, **values: str) -> None:
        with self.transaction() as db:
            db.executemany(_SET_META, [(k, str(v)) for k, v in values.items()])

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
        """One write transaction (BEGIN IMMEDIATE). The methods below are the API; this is
        the escape hatch for tests that fake an older index."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:  # noqa: BLE001 - roll back on anything, even KeyboardInterrupt, then re-raise
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- Chroma -----------------------------------------------------------------
    @property
    def collection(self):
        return self._chroma.collection()

    @property
    def vector_store(self):
        return self._chroma.vector_store()

    def refresh(self) -> None:
        """Reopen the Chroma collection on next use (it may have been recreated)."""
        self._chroma.refresh()

    def describe_vector_store(self) -> str:
        """Where the vectors live: "Chroma server at URL" or "Chroma store in DIR"."""
        return chroma.describe(self.settings, self.dir)

    def reset(self) -> None:
        """Drop everything (for --rebuild)."""
        self._chroma.drop_collection()
        with self.transaction() as db:
            db.execute("DELETE FROM chunks")
            db.execute("DELETE FROM docs")
            db.execute("DELETE FROM garbage")
            db.execute("DELETE FROM meta")
        for folder in self.dir.glob("bm25-*"):
            shutil.rmtree(folder, ignore_errors=True)

    # -- writes: the commit protocol ---------------------------------------------
    def commit_group(self, versions: list[DocVersion], nodes: list, questions_version: str) -> None:
        """Switch a group of documents to new versions, crash safely (see the module doc).

        `nodes` are the new chunks' llama-index nodes with their embeddings, ids equal to
        the versions' chunk ids.
        """
        new_ids = [c.chunk_id for v in versions for c in v.chunks]
        old_ids = [cid for v in versions for cid in self.chunk_ids(v.source)]
        self.announce_chunks(new_ids)  # 1. a crash after the Chroma write leaves sweepable garbage
        self.add_vectors(nodes)  # 2. vectors in
        self.switch_documents(versions, old_ids, questions_version)  # 3. one transaction
        self.sweep()  # 4. old vectors out

    def announce_chunks(self, chunk_ids: list[str]) -> None:
        """Record ids as not-yet-committed before their vectors are written."""
        with self.transaction() as db:
            db.executemany(_MARK_GARBAGE, [(i,) for i in chunk_ids])

    def add_vectors(self, nodes: list) -> None:
        if nodes:
            self.vector_store.add(nodes)

    def switch_documents(self, versions: list[DocVersion], superseded: list[str], questions_version: str) -> None:
        """In one transaction: each document's row, chunks and questions replace its old
        ones; its new chunk ids stop being garbage, the `superseded` ones become garbage;
        the BM25 side index is marked stale until ``rebuild_bm25`` switches."""
        with self.transaction() as db:
            for v in versions:
                db.execute("DELETE FROM chunks WHERE source=?", (v.source,))
                db.execute("DELETE FROM docs WHERE source=?", (v.source,))
                db.execute(_INSERT_DOC, {
                    "source": v.source, "content_hash": v.content_hash, "title": v.title, "roles": json.dumps(v.roles),
                    "kind": v.kind, "updated": v.updated, "source_ref": v.source_ref, "n_chunks": len(v.chunks),
                    "text": v.text, "page_starts": json.dumps(v.page_starts),
                })
                db.executemany(_INSERT_CHUNK, [
                    {"chunk_id": c.chunk_id, "source": v.source, "seq": c.seq, "start": c.start, "end": c.end,
                     "page": c.page, "header_path": c.header_path}
                    for c in v.chunks
                ])
                self._write_questions(db, v, questions_version)  # questions follow their document atomically
            db.executemany(_FORGET_GARBAGE, [(c.chunk_id,) for v in versions for c in v.chunks])
            db.executemany(_MARK_GARBAGE, [(i,) for i in superseded])
            db.execute(_SET_META, ("bm25_stale", "1"))

    @staticmethod
    def _write_questions(db: sqlite3.Connection, v: DocVersion, questions_version: str) -> None:
        db.execute("DELETE FROM questions WHERE source=?", (v.source,))
        # The table is known complete only when it started with this document (a new or
        # rebuilt index); an older index gets the rest from a backfill on first use.
        if db.execute("SELECT value FROM meta WHERE key='questions'").fetchone() is None \
                and db.execute("SELECT count(*) FROM docs").fetchone()[0] == 1:
            db.execute("INSERT INTO meta(key, value) VALUES ('questions', ?)", (questions_version,))
        db.executemany(_INSERT_QUESTION, [_question_params(q) for q in v.questions])

    def delete_documents(self, sources: list[str]) -> None:
        """Remove documents (their chunks become garbage, then are swept)."""
        with self.transaction() as db:
            for source in sources:
                db.execute("INSERT OR IGNORE INTO garbage(chunk_id) SELECT chunk_id FROM chunks WHERE source=?", (source,))
                db.execute("DELETE FROM docs WHERE source=?", (source,))
            db.execute(_SET_META, ("bm25_stale", "1"))
        self.sweep()

    def garbage(self) -> list[str]:
        """Chunk ids that may exist in Chroma but are not (or no longer) committed."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT chunk_id FROM garbage")]

    def forget_garbage(self, chunk_ids: list[str]) -> None:
        with self.transaction() as db:
            db.executemany(_FORGET_GARBAGE, [(i,) for i in chunk_ids])

    def sweep(self) -> bool:
        """Delete garbage vectors from Chroma, then their garbage rows. True if there were any."""
        ids = self.garbage()
        if not ids:
            return False
        for i in range(0, len(ids), SWEEP_BATCH):
            self.collection.delete(ids=ids[i : i + SWEEP_BATCH])
        self.forget_garbage(ids)
        return True

    # -- writes: BM25 -------------------------------------------------------------
    def bm25_current(self) -> bool:
        """The BM25 side index agrees with the manifest (no pending switch, folder present)."""
        if self.get_meta("bm25_stale") == "1":
            return False
        name = self.get_meta("bm25_dir")
        return self.is_empty() or bool(name and (self.dir / name).is_dir())

    def rebuild_bm25(self) -> None:
        """Rebuild the BM25 index from committed chunks into a new folder and switch to it."""
        from rag.store import bm25

        chunks = self.chunks()
        if not chunks:
            self.switch_bm25("")
            return
        name = f"bm25-{time.time_ns()}"
        tmp = self.dir / (name + ".tmp")
        tmp.mkdir()
        bm25.write_chunks(tmp, chunks)
        os.replace(tmp, self.dir / name)
        self.switch_bm25(name)

    def switch_bm25(self, name: str) -> None:
        """Point the manifest at BM25 folder `name` ("" for none) and drop every other one."""
        with self.transaction() as db:
            db.executemany(_SET_META, [("bm25_dir", name), ("bm25_stale", "0")])
        self.remove_stale_bm25()

    def remove_stale_bm25(self) -> None:
        """BM25 folders other than the current one (superseded, or from an interrupted build)."""
        keep = self.get_meta("bm25_dir")
        for stale in self.dir.glob("bm25-*"):
            if stale.name != keep:
                shutil.rmtree(stale, ignore_errors=True)

    # -- writes: practice questions ---------------------------------------------
    def replace_questions(self, version: str, rows_for: Callable[[StoredText], Iterable[QuestionRow]]) -> bool:
        """Re-derive every question row from the stored documents, in one transaction, and
        record `version`. False if the questions were already at `version` (another
        process just did it). Raises ManifestWriteError when the manifest cannot be written."""
        try:
            with self.transaction() as db:
                if db.execute("SELECT value FROM meta WHERE key='questions'").fetchone() == (version,):
                    return False
                db.execute("DELETE FROM questions")
                for source, text, title, roles in db.execute("SELECT source, text, title, roles FROM docs").fetchall():
                    rows = rows_for(StoredText(source, text, title, json.loads(roles)))
                    db.executemany(_INSERT_QUESTION, [_question_params(q) for q in rows])
                db.execute(_SET_META, ("questions", version))
        except sqlite3.OperationalError as exc:
            raise ManifestWriteError(f"cannot write the manifest in {self.dir}: {exc}") from None
        return True

    # -- reads ------------------------------------------------------------------
    def docs(self) -> dict[str, DocRecord]:
        with self._lock:
            rows = self._db.execute(
                "SELECT source, content_hash, title, roles, kind, updated, source_ref, n_chunks FROM docs ORDER BY source"
            ).fetchall()
        return {r[0]: DocRecord(r[0], r[1], r[2], json.loads(r[3]), r[4], r[5], r[6], r[7]) for r in rows}

    def doc_text(self, source: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT text FROM docs WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    def doc_texts(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT text FROM docs")]

    def chunk_ids(self, source: str) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT chunk_id FROM chunks WHERE source=?", (source,))]

    def chunks(self, ids: list[str] | None = None) -> list[ChunkRecord]:
        """Committed chunks (all, or those of `ids` that are committed, in the order given)."""
        query = (
            "SELECT c.chunk_id, c.source, c.seq, c.start, c.\"end\", c.page, c.header_path, "
            "d.title, d.roles, d.kind, substr(d.text, c.start + 1, c.\"end\" - c.start) "
            "FROM chunks c JOIN docs d ON d.source = c.source"
        )
        with self._lock:
            if ids is None:
                rows = self._db.execute(query + " ORDER BY c.source, c.seq").fetchall()
            else:
                rows = []
                for i in range(0, len(ids), 500):
                    part = ids[i : i + 500]
                    rows += self._db.execute(query + f" WHERE c.chunk_id IN ({','.join('?' * len(part))})", part).fetchall()
        records = [ChunkRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], json.loads(r[8]), r[9], r[10]) for r in rows]
        if ids is not None:
            order = {cid: i for i, cid in enumerate(ids)}
            records.sort(key=lambda c: order[c.chunk_id])
        return records

    def chunk_ids_overlapping(self, source: str, start: int, end: int) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                'SELECT chunk_id FROM chunks WHERE source=? AND start < ? AND "end" > ? ORDER BY seq', (source, end, start)
            ).fetchall()
        return [r[0] for r in rows]

    def questions(self, qid: str | None = None) -> list[QuestionRecord]:
        """Practice questions (all, or the one with `qid`), by source then document order."""
        query = (
            "SELECT " + ", ".join(f'q."{c}"' for c in _QUESTION_COLUMNS) + ", d.title, d.kind "
            "FROM questions q JOIN docs d ON d.source = q.source"
        )
        with self._lock:
            if qid is None:
                rows = self._db.execute(query + " ORDER BY q.source, q.seq").fetchall()
            else:
                rows = self._db.execute(query + " WHERE q.qid = ?", (qid,)).fetchall()
        out = []
        for r in rows:
            v = dict(zip(_QUESTION_COLUMNS + ("title", "kind"), r))
            v.update(round_inferred=bool(v["round_inferred"]), key_points=json.loads(v["key_points"]),
                     roles=json.loads(v["roles"]))
            out.append(QuestionRecord(**v))
        return out

    def is_empty(self) -> bool:
        """No committed chunk (cheap: count(*) scans the whole table, this reads one row)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is None

    def n_chunks(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.dir.rglob("*") if p.is_file())

    def close(self) -> None:
        with self._lock:
            self._db.close()
