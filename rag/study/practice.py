"""Practice questions from the corpus: which to show, in what order, and the next one.

Questions are the ones ingest found in the documents (rag/study/extract.py); nothing is
generated. Feedback on an answer is in rag/study/feedback.py, role comparison tables in
rag/study/compare.py, a learner's history in rag/study/progress.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.study.backfill import ensure_questions
from rag.roles import find_roles
from rag.study.rounds import ROUNDS, normalise_round
from rag.types import SourceSpan

KIND_ORDER = {"interview-notes": 0, "question-bank": 1}


@dataclass
class PracticeQuestion:
    id: str
    question: str
    round: str | None
    round_inferred: bool
    roles: list[str]
    source: str
    title: str
    kind: str
    header_path: str
    start: int
    end: int
    key_points: list[SourceSpan]
    answer: SourceSpan | None
    convention: str

    @property
    def cited(self) -> SourceSpan:
        return SourceSpan(self.source, self.title, self.start, self.end, self.question)

    def to_json(self, show_points: bool = True) -> dict:
        out = {
            "id": self.id, "question": self.question, "round": self.round, "round_inferred": self.round_inferred,
            "roles": self.roles, "source": self.source, "title": self.title, "kind": self.kind,
            "section": self.header_path, "start": self.start, "end": self.end, "n_key_points": len(self.key_points),
        }
        if show_points:
            out["key_points"] = [p.to_json() for p in self.key_points]
            out["model_answer"] = self.answer.to_json() if self.answer else None
        return out


def normalise_role(role: str) -> str:
    """'data engineers', 'MLE', 'Data Engineer' -> the canonical name; unknown names stay as typed."""
    found = find_roles(role or "")
    name = found[0] if len(found) == 1 else " ".join((role or "").lower().split())
    if not name:
        raise ValueError("give a role, e.g. --role 'data engineer'")
    return name


def check_round(round: str | None) -> str | None:
    if not round:
        return None
    name = normalise_round(round)
    if name is None:
        raise ValueError(f"unknown round {round!r}; choose one of: {', '.join(ROUNDS)}")
    return name


def _record(index, q) -> PracticeQuestion:
    text = index.doc_text(q.source) or ""
    points = [SourceSpan(q.source, q.title, p["start"], p["end"], text[p["start"]:p["end"]]) for p in q.key_points]
    answer = None
    if q.answer_start is not None and q.answer_end is not None:
        answer = SourceSpan(q.source, q.title, q.answer_start, q.answer_end, text[q.answer_start:q.answer_end])
    return PracticeQuestion(
        id=q.qid, question=q.question, round=q.round, round_inferred=q.round_inferred, roles=q.roles, source=q.source,
        title=q.title, kind=q.kind, header_path=q.header_path, start=q.start, end=q.end, key_points=points,
        answer=answer, convention=q.convention,
    )


def practice_questions(index, role: str | None, round: str | None = None) -> list[PracticeQuestion]:
    """The index's questions for `role` (None: every role), optionally one round.

    Order: the role's interview notes, then question banks, then anything else; inside
    that, documents mainly about the role first, then document order.
    """
    ensure_questions(index)
    name = normalise_role(role) if role else None
    rnd = check_round(round)
    records = [q for q in index.questions() if (name is None or name in q.roles) and (rnd is None or q.round == rnd)]
    records.sort(key=lambda q: (KIND_ORDER.get(q.kind, 2), 0 if q.roles[:1] == [name] else 1, q.source, q.seq))
    return [_record(index, q) for q in records]


def get_question(index, qid: str) -> PracticeQuestion | None:
    ensure_questions(index)
    found = index.questions(qid.strip())
    return _record(index, found[0]) if found else None


def rounds_for(index, role: str | None) -> list[str]:
    """Rounds that have questions for `role`, in the canonical order (None last)."""
    have = {q.round for q in practice_questions(index, role)}
    return [r for r in ROUNDS if r in have] + (["general"] if None in have else [])


def roles_with_questions(index) -> list[str]:
    ensure_questions(index)
    return sorted({r for q in index.questions() for r in q.roles})


def next_question(questions: list[PracticeQuestion], progress: dict[str, dict] | None = None,
                  skip: set[str] | frozenset = frozenset()) -> PracticeQuestion | None:
    """The first question never seen, else the one practised least well / least recently.

    `progress` maps question id -> {"seen": int, "attempts": int, "last_coverage": float|None,
    "last_event": int}, as rag.study.progress.Progress.summary() returns it.
    """
    progress = progress or {}
    pool = [q for q in questions if q.id not in skip] or list(questions)
    if not pool:
        return None
    fresh = [q for q in pool if q.id not in progress]
    if fresh:
        return fresh[0]

    def key(q: PracticeQuestion):
        p = progress[q.id]
        cov = p.get("last_coverage")
        return (cov if cov is not None else -1.0, p.get("last_event", 0))

    return min(pool, key=key)
