"""Study mode: practice questions from the corpus, and feedback on a learner's answer.

Questions are the ones ingest found in the documents (ingest/questions.py); nothing is
generated. Feedback is deterministic: each key point is compared with the answer by
embedding similarity (the engine's model) and by lexical cues (the point's own
content words), with thresholds calibrated on hand-checked answers
(tests/test_study_corpus.py). Missed points come with where to read up: the key point's
own passage, and the best matching sentence elsewhere in the index.

Role comparison tables live in rag/study_compare.py (re-exported here as ``compare``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.study.backfill import ensure_questions
from rag.study.extract import ROUNDS, normalise_round
from rag.pipeline.candidates import candidates, score_candidates
from rag.text.lexical import terms
from rag.roles import find_roles
from rag.text.spans import split_sentences

KIND_ORDER = {"interview-notes": 0, "question-bank": 1}
# Calibrated on the hand-checked answers in tests/test_study_corpus.py (MiniLM, cosine).
SIM_COVERED = 0.62        # this close to a point is covering it, whatever the words
SIM_WITH_CUES = 0.42      # ... or this close, when the answer also uses the point's words
LEXICAL_CUES = 0.35       # share of the point's content words the answer must use (more than a third)
MIN_ANSWER_WORDS = 3
READ_UP_SIM = 0.5
_GENERIC = frozenset(
    "use used using make makes made need needs should must also more most rather instead first one two "
    "each every all any such other than then when whether because which while way ways good best better "
    "candidate candidates interviewer interviewers answer answers question strong over so between before after "
    "being into without within keep keeps show shows state whole single important happen happens otherwise "
    "according pick list listing clear able help helps lead leads turn turns often usually".split()
)


@dataclass(frozen=True)
class Cited:
    """An exact span of an indexed document: doc_text(source)[start:end] == text."""

    source: str
    title: str
    start: int
    end: int
    text: str

    def to_json(self) -> dict:
        return {"source": self.source, "title": self.title, "start": self.start, "end": self.end, "text": self.text}


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
    key_points: list[Cited]
    answer: Cited | None
    convention: str

    @property
    def cited(self) -> Cited:
        return Cited(self.source, self.title, self.start, self.end, self.question)

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
    points = [Cited(q.source, q.title, p["start"], p["end"], text[p["start"]:p["end"]]) for p in q.key_points]
    answer = None
    if q.answer_start is not None and q.answer_end is not None:
        answer = Cited(q.source, q.title, q.answer_start, q.answer_end, text[q.answer_start:q.answer_end])
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


# -- feedback ---------------------------------------------------------------------------
@dataclass
class PointResult:
    point: Cited
    covered: bool
    similarity: float
    lexical: float
    evidence: str | None = None  # the learner's sentence that matches the point best
    read_up: list[Cited] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "text": self.point.text, "covered": self.covered, "similarity": round(self.similarity, 4),
            "lexical": round(self.lexical, 4), "evidence": self.evidence, "citation": self.point.to_json(),
            "read_up": [c.to_json() for c in self.read_up],
        }


@dataclass
class Feedback:
    question: PracticeQuestion
    answer: str
    points: list[PointResult]

    @property
    def covered(self) -> list[PointResult]:
        return [p for p in self.points if p.covered]

    @property
    def missed(self) -> list[PointResult]:
        return [p for p in self.points if not p.covered]

    @property
    def coverage(self) -> float:
        return len(self.covered) / len(self.points) if self.points else 0.0

    def to_json(self) -> dict:
        return {
            "question": self.question.to_json(show_points=False), "answer": self.answer,
            "coverage": round(self.coverage, 4), "covered": [p.to_json() for p in self.covered],
            "missed": [p.to_json() for p in self.missed],
        }


_CLAUSES = re.compile(r"[;,]\s+(?:and\s+|then\s+|but\s+)*|\s+(?:and then|then)\s+")
_STEM = re.compile(r"(?:ations?|ing|ed|es|s|ly|ity|ies)$")


def _stem(word: str) -> str:
    word = _STEM.sub("", word) if len(word) > 5 else word
    return word[:6]


def key_terms(point: str, question: str) -> set[str]:
    """Content words of a key point that the question did not already say."""
    return {_stem(t) for t in terms(point)} - {_stem(t) for t in terms(question)} - {_stem(g) for g in _GENERIC}


def answer_units(answer: str) -> list[str]:
    """The learner's sentences (and adjacent pairs, since a point may span two)."""
    sents = [answer[s:e] for line in answer.split("\n") for s, e in split_sentences(line)]
    sents = [s.strip(" -*•\t") for s in sents if len(s.split()) >= 2]
    pairs = [f"{a} {b}" for a, b in zip(sents, sents[1:])]
    clauses = [c.strip() for s in sents for c in _CLAUSES.split(s) if len(c.split()) >= 3 and c.strip() != s]
    return list(dict.fromkeys(sents + pairs + clauses + ([answer.strip()] if len(sents) > 2 else [])))


def score_points(scorer, question: str, points: list[str], answer: str) -> list[tuple[bool, float, float, str | None]]:
    """(covered, similarity, lexical share, best learner sentence) per key point."""
    answer = (answer or "").strip()
    if len(re.findall(r"\w+", answer)) < MIN_ANSWER_WORDS or not terms(answer):
        return [(False, 0.0, 0.0, None) for _ in points]
    units = answer_units(answer) or [answer]
    pvecs, uvecs = scorer.vectors(points), scorer.vectors(units)
    sims = pvecs @ uvecs.T
    said = {_stem(t) for t in terms(answer)}
    out = []
    for i, point in enumerate(points):
        best = int(np.argmax(sims[i]))
        sim = float(sims[i][best])
        cues = key_terms(point, question)
        lexical = len(cues & said) / len(cues) if cues else 0.0
        covered = sim >= SIM_COVERED or (sim >= SIM_WITH_CUES and lexical >= LEXICAL_CUES)
        out.append((covered, sim, lexical, units[best]))
    return out


def feedback(engine, question: PracticeQuestion, user_answer: str, read_up: bool = True) -> Feedback:
    """Which of the question's key points the answer covers; where to read up on the rest."""
    scored = score_points(engine.scorer, question.question, [p.text for p in question.key_points], user_answer)
    results = [
        PointResult(point, covered, sim, lex, evidence if covered else None)
        for point, (covered, sim, lex, evidence) in zip(question.key_points, scored)
    ]
    for r in results:
        if not r.covered:
            r.read_up = [r.point] + (read_up_passages(engine, question, r.point) if read_up else [])
    return Feedback(question, user_answer or "", results)


def read_up_passages(engine, question: PracticeQuestion, point: Cited, limit: int = 1) -> list[Cited]:
    """The best sentences elsewhere in the index (not the question's own block) on a point."""
    r = engine.settings.retrieval.model_copy(update={"candidates": 12, "rerank": "none", "roles": [], "kinds": []})
    contexts = engine.retrieve(f"{question.question} {point.text}", r)[:8]
    if not contexts:
        return []
    texts = {s: engine.index.doc_text(s) or "" for s in {c.chunk.source for c in contexts}}
    block_end = max([question.end] + [p.end for p in question.key_points] + ([question.answer.end] if question.answer else []))
    cands = [
        c for c in candidates(texts, contexts)
        if not (c.context.chunk.source == question.source and c.unit.start < block_end and c.unit.end > question.start)
    ]
    q_vec = np.asarray(engine.retriever.embed_query(point.text), dtype=np.float32)
    score_candidates(point.text, q_vec, cands, engine.scorer)
    out: list[Cited] = []
    for c in sorted(cands, key=lambda c: (-c.score, c.context.chunk.source, c.unit.start)):
        if c.sim < READ_UP_SIM or len(out) >= limit:
            break
        src = c.context.chunk.source
        out.append(Cited(src, c.context.chunk.title, c.unit.start, c.unit.end, texts[src][c.unit.start:c.unit.end]))
    return out


def compare(engine, roles, **kwargs):
    from rag.study.compare import compare as _compare

    return _compare(engine, roles, **kwargs)
