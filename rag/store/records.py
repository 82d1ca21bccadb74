"""The rows of the manifest, as the store reads and writes them (one dataclass per table shape).

Callers build these; only rag/store turns them into SQL (rag/store/manifest.py), so a
schema change is made in one place. ``ChunkRecord`` (a committed chunk joined with its
document's fields, what retrieval passes around) lives in rag/types.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DocRecord:
    """A committed document (the ``docs`` table without its text)."""

    source: str
    content_hash: str
    title: str
    roles: list[str]
    kind: str
    updated: str
    source_ref: str
    n_chunks: int


@dataclass
class ChunkRow:
    """One row of the ``chunks`` table: ``docs.text[start:end]`` is the chunk's text."""

    chunk_id: str
    seq: int
    start: int
    end: int
    page: int | None
    header_path: str


@dataclass
class QuestionRow:
    """One row of the ``questions`` table; offsets point into ``docs.text``."""

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
    key_points: list[dict]  # {text, start, end}, exact spans
    header_path: str
    roles: list[str]
    convention: str  # q-heading | loose


@dataclass
class QuestionRecord(QuestionRow):
    """A stored question with its document's title and kind."""

    title: str
    kind: str


@dataclass
class DocVersion:
    """Everything a commit writes for one document: its row, its chunks, its questions."""

    source: str
    content_hash: str
    title: str
    roles: list[str]
    kind: str
    updated: str
    source_ref: str
    text: str  # the text offsets point into
    page_starts: list[int] = field(default_factory=list)  # PDFs only
    chunks: list[ChunkRow] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)


@dataclass(frozen=True)
class StoredText:
    """A committed document's text and the fields question extraction reads."""

    source: str
    text: str
    title: str
    roles: list[str]
