"""The types every stage passes around: spans of documents, chunks, contexts, answers.

One span type: a `SourceSpan` is an exact piece of an indexed document,
``doc_text(source)[start:end] == text``. Citations, practice key points, comparison
cells and read-up passages are all SourceSpans (a Citation adds its marker and verdict).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceSpan:
    source: str
    title: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict:
        return {"source": self.source, "title": self.title, "start": self.start, "end": self.end, "text": self.text}


@dataclass
class ChunkRecord:
    """A committed chunk as the manifest stores it, with its document's fields."""

    chunk_id: str
    source: str
    seq: int
    start: int
    end: int
    page: int | None
    header_path: str
    title: str
    roles: list[str]
    kind: str
    text: str


@dataclass
class Context:
    """A retrieved chunk at a rank, with the scores each stage gave it."""

    rank: int
    chunk: ChunkRecord
    score: float
    signals: dict[str, float] = field(default_factory=dict)
    used: bool = False

    def holds(self, span: SourceSpan) -> bool:
        """The span lies inside this context's chunk (a quote taken from it)."""
        c = self.chunk
        return span.source == c.source and c.start <= span.start and span.end <= c.end

    def to_json(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "source": c.source,
            "title": c.title,
            "chunk_id": c.chunk_id,
            "start": c.start,
            "end": c.end,
            "score": round(float(self.score), 6),
            "used": self.used,
            "text": c.text,
            "header_path": c.header_path,
            "roles": c.roles,
            "kind": c.kind,
            "page": c.page,
        }


@dataclass(frozen=True)
class Citation(SourceSpan):
    """The span an answer sentence cites under marker [n], and whether it supports it."""

    marker: int = 0
    supported: bool = True
    score: float = 1.0

    def to_json(self) -> dict:
        return {
            "marker": self.marker, "source": self.source, "title": self.title, "start": self.start,
            "end": self.end, "text": self.text, "supported": self.supported,
        }


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    contexts: list[Context]
    backend: str
    timings_ms: dict[str, float]
    id: str | None = None
    resolved_question: str | None = None
    notice: str | None = None
    unsupported: list[str] = field(default_factory=list)
    evidence_score: float = 0.0  # the best sentence's score (cross-encoder logit, or cosine); the refusal test
    # Texts of the documents the contexts come from, as the engine read them (not in the JSON
    # contract): views that show a cited passage in its document need not read them again.
    doc_texts: dict[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [c.to_json() for c in self.citations],
            "contexts": [c.to_json() for c in self.contexts],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "resolved_question": self.resolved_question,
            "notice": self.notice,
            "unsupported": self.unsupported,
            "evidence_score": round(self.evidence_score, 4),
        }
