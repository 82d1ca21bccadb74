"""Incremental ingestion: files -> chunks -> vectors in Chroma, BM25 beside it.

Each document is keyed by its resolved path and a SHA-256 of its bytes. Unchanged files
cost a read and a hash; changed files are re-chunked and re-embedded; files gone from a
scanned folder are removed. Everything written to the index goes through
rag.store.manifest.Index, whose commit protocol is what makes an interrupted run safe.
"""

from __future__ import annotations

import bisect
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout
from llama_index.core.schema import Document, MetadataMode

from ingest.chunker import SpanChunker, embed_window
from ingest.discover import NOT_SCANNED, discover
from ingest.loaders import LoadedDoc, SkipFile, check_supported, content_hash, load, read_bytes
from rag.settings import Settings
from rag.store.manifest import SCHEMA_VERSION, Index, IndexError_
from rag.store.metadata import role_key
from rag.store.records import ChunkRow, DocVersion
from rag.study.extract import QUESTIONS_VERSION, question_rows

# Embed and commit in groups this large: big enough to keep the model's batches full,
# small enough that an interrupted run keeps most of its work.
GROUP_CHUNKS = 512

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class IngestLockedError(IndexError_):
    pass


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, what was set aside): indexed all the same
    chunks_embedded: int = 0
    chunks_total: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": len(self.unchanged),
            "skipped": [{"path": p, "reason": r} for p, r in self.skipped],
            "warnings": [{"path": p, "warning": w} for p, w in self.warnings],
            "chunks_embedded": self.chunks_embedded,
            "chunks_total": self.chunks_total,
            "seconds": round(self.seconds, 3),
        }


def _under(source: str, roots: list[Path]) -> bool:
    return any(source == str(r) or source.startswith(str(r) + os.sep) for r in roots)


def ingest(
    paths: list[Path | str],
    settings: Settings,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    embedder=None,
) -> IngestReport:
    index_dir = Path(settings.index.dir).expanduser()
    index_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(index_dir / ".ingest.lock"))
    try:
        lock.acquire(timeout=settings.ingest.lock_timeout_s)
    except Timeout:
        raise IngestLockedError(
            f"another ingest is running on {index_dir.resolve()}; waited {settings.ingest.lock_timeout_s:g}s. "
            "Try again when it finishes."
        ) from None
    try:
        index = Index(settings, create=True)
        try:
            return _ingest_locked(index, [Path(p) for p in paths], settings, rebuild, progress, embedder)
        finally:
            index.close()
    finally:
        lock.release()


def _ingest_locked(index: Index, paths: list[Path], settings: Settings, rebuild: bool, progress, embedder) -> IngestReport:
    t0 = time.perf_counter()
    report = IngestReport()
    if rebuild:
        index.reset()
    model_name = settings.embedding.model
    index.check_embedding(model_name)
    index.check_chunking(settings.chunking.size, settings.chunking.overlap)
    dirty = index.sweep()  # vectors a killed run left uncommitted or superseded
    index.remove_stale_bm25()  # left by a run killed mid-switch

    roots = [p.expanduser().resolve() for p in paths]
    known = index.docs()
    todo: list[tuple[LoadedDoc, bool]] = []
    seen: set[str] = set()
    max_bytes = int(settings.ingest.max_file_mb * 1e6)
    for path, reason in discover(paths):
        display = str(path)
        if reason:
            report.skipped.append((display, reason))
            continue
        source = str(path.resolve())
        seen.add(source)
        try:
            check_supported(path)
            data = read_bytes(path, max_bytes)
            digest = content_hash(data)
            if source in known and known[source].content_hash == digest:
                report.unchanged.append(display)
                continue
            doc = load(path, data, digest)
        except SkipFile as exc:
            note = " (previous version kept in the index)" if source in known else ""
            report.skipped.append((display, f"{exc}{note}"))
            continue
        doc.path = Path(source)
        report.warnings += [(display, w) for w in doc.warnings]
        todo.append((doc, source in known))

    # A folder that could not be listed says nothing about its files: keep them.
    unscanned = [Path(p).resolve() for p, why in report.skipped if why.endswith(NOT_SCANNED)]
    gone = [s for s in known if s not in seen and _under(s, roots) and not _under(s, unscanned)]

    if todo:
        if embedder is None:
            from rag.models.embedding import embedder_for

            embedder = embedder_for(settings.embedding)
        chunker = SpanChunker(chunk_size=settings.chunking.size, chunk_overlap=settings.chunking.overlap,
                              window=embed_window(embedder))
        planned = [(doc, is_update, chunker.chunk_document(as_document(doc))) for doc, is_update in todo]
        total = sum(len(nodes) for _, _, nodes in planned)
        done = 0
        if progress:
            progress("embed", 0, total)
        for group in _groups(planned):
            texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for _, _, nodes in group for n in nodes]
            vectors = _embed(embedder, texts)
            if vectors and not index.get_meta("embedding_dim"):
                index.set_meta(embedding_model=model_name, embedding_dim=len(vectors[0]))
            index.check_embedding(model_name, len(vectors[0]) if vectors else None)
            it = iter(vectors)
            for _, _, nodes in group:
                for n in nodes:
                    n.embedding = next(it)
            index.commit_group([_version(doc, nodes) for doc, _, nodes in group],
                               [n for _, _, nodes in group for n in nodes], QUESTIONS_VERSION)
            for doc, is_update, nodes in group:
                (report.updated if is_update else report.added).append(str(doc.path))
                report.chunks_embedded += len(nodes)
            done += len(texts)
            if progress:
                progress("embed", done, total)

    if gone:
        index.delete_documents(gone)
        report.deleted.extend(gone)

    index.set_meta(chunking=f"{settings.chunking.size}/{settings.chunking.overlap}", schema=SCHEMA_VERSION)
    if todo or gone or dirty or not index.bm25_current():
        if progress:
            progress("bm25", 0, 1)
        index.rebuild_bm25()
        if progress:
            progress("bm25", 1, 1)
    report.chunks_total = index.n_chunks()
    report.seconds = time.perf_counter() - t0
    return report


def as_document(doc: LoadedDoc) -> Document:
    """The llama-index Document the chunker reads (its metadata goes to Chroma with each chunk)."""
    meta = {
        "source": str(doc.path),
        "content_hash": doc.content_hash,
        "title": doc.meta["title"],
        "kind": doc.meta["kind"],
        "roles": "|".join(doc.meta["roles"]),
        "updated": doc.meta["updated"],
        "body_start": doc.body_start,
    }
    meta.update({role_key(r): 1 for r in doc.meta["roles"]})
    return Document(text=doc.text, metadata=meta, id_=str(doc.path))


def _embed(embedder, texts: list[str]) -> list[list[float]]:
    """Embed in length order: llama-index hands sentence-transformers one embed_batch_size
    slice at a time, and a slice of similar lengths pads (and so computes) far less."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors: list = [None] * len(texts)
    for i, v in zip(order, embedder.get_text_embedding_batch([texts[i] for i in order]) if texts else []):
        vectors[i] = v
    return vectors


def _groups(planned):
    group, size = [], 0
    for item in planned:
        group.append(item)
        size += len(item[2])
        if size >= GROUP_CHUNKS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _page(page_starts: list[int], offset: int) -> int | None:
    return bisect.bisect_right(page_starts, offset) if page_starts else None


def _version(doc: LoadedDoc, nodes) -> DocVersion:
    """What the manifest stores for a document: its row, its chunks, its practice questions."""
    source = str(doc.path)
    chunks = [
        ChunkRow(chunk_id=n.node_id, seq=n.metadata["seq"], start=n.start_char_idx, end=n.end_char_idx,
                 page=_page(doc.page_starts, n.start_char_idx), header_path=n.metadata["header_path"])
        for n in nodes
    ]
    return DocVersion(
        source=source, content_hash=doc.content_hash, title=doc.meta["title"], roles=doc.meta["roles"],
        kind=doc.meta["kind"], updated=doc.meta["updated"], source_ref=doc.meta["source_ref"], text=doc.text,
        page_starts=doc.page_starts, chunks=chunks,
        questions=question_rows(source, doc.text, doc.body_start, doc.meta["title"], doc.meta["roles"]),
    )
