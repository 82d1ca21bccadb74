"""Feedback on a learner's answer to a practice question, and where to read up.

Feedback is deterministic: each key point is compared with the answer by embedding
similarity (the engine's model) and by lexical cues (the point's own content words,
counted with rag.text.lexical like every other word comparison), with thresholds
calibrated on hand-checked answers (tests/test_study_corpus.py). Missed points come with
where to read up: the key point's own passage, and the best matching sentence elsewhere
in the index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.pipeline.candidates import candidates, score_candidates
from rag.study.practice import PracticeQuestion
from rag.text.lexical import terms
from rag.text.sentences import split_sentences
from rag.types import SourceSpan

# Calibrated on the hand-checked answers in tests/test_study_corpus.py (MiniLM, cosine).
SIM_COVERED = 0.62        # this close to a point is covering it, whatever the words
SIM_WITH_CUES = 0.42      # ... or this close, when the answer also uses the point's words
LEXICAL_CUES = 0.35       # share of the point's content words the answer must use (more than a third)
MIN_ANSWER_WORDS = 3
READ_UP_SIM = 0.5
# Words too generic to count as a key point's cues (on top of lexical.STOPWORDS). The
# reflexive pronouns and "find" joined when the study feedback moved to the shared stop
# list: that list drops "they", which one calibrated point had counted as a cue.
_GENERIC = (
    "use used using make makes made need needs should must also more most rather instead first one two "
    "each every all any such other than then when whether because which while way ways good best better "
    "candidate candidates interviewer interviewers answer answers question strong over so between before after "
    "being into without within keep keeps show shows state whole single important happen happens otherwise "
    "according pick list listing clear able help helps lead leads turn turns often usually find finds "
    "myself yourself himself herself itself ourselves yourselves themselves"
)
GENERIC_TERMS = frozenset(terms(_GENERIC))
_CLAUSES = re.compile(r"[;,]\s+(?:and\s+|then\s+|but\s+)*|\s+(?:and then|then)\s+")


@dataclass
class PointResult:
    point: SourceSpan
    covered: bool
    similarity: float
    lexical: float
    evidence: str | None = None  # the learner's sentence that matches the point best
    read_up: list[SourceSpan] = field(default_factory=list)

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


def key_terms(point: str, question: str) -> set[str]:
    """Content words (stemmed) of a key point that the question did not already say."""
    return terms(point) - terms(question) - GENERIC_TERMS


def answer_units(answer: str) -> list[str]:
    """The learner's sentences (and adjacent pairs, since a point may span two)."""
    sents = [answer[s:e] for line in answer.split("\n") for s, e in split_sentences(line)]
    sents = [s.strip(" -*•\t") for s in sents if len(s.split()) >= 2]
    pairs = [f"{a} {b}" for a, b in zip(sents, sents[1:])]
    clauses = [c.strip() for s in sents for c in _CLAUSES.split(s) if len(c.split()) >= 3 and c.strip() != s]
    return list(dict.fromkeys(sents + pairs + clauses + ([answer.strip()] if len(sents) > 2 else [])))


def is_covered(similarity: float, lexical: float) -> bool:
    return similarity >= SIM_COVERED or (similarity >= SIM_WITH_CUES and lexical >= LEXICAL_CUES)


def score_points(scorer, question: str, points: list[str], answer: str) -> list[tuple[bool, float, float, str | None]]:
    """(covered, similarity, lexical share, best learner sentence) per key point."""
    answer = (answer or "").strip()
    said = terms(answer)
    if len(re.findall(r"\w+", answer)) < MIN_ANSWER_WORDS or not said:
        return [(False, 0.0, 0.0, None) for _ in points]
    units = answer_units(answer) or [answer]
    sims = scorer.vectors(points) @ scorer.vectors(units).T
    out = []
    for i, point in enumerate(points):
        best = int(np.argmax(sims[i]))
        sim = float(sims[i][best])
        cues = key_terms(point, question)
        lexical = len(cues & said) / len(cues) if cues else 0.0
        out.append((is_covered(sim, lexical), sim, lexical, units[best]))
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


def read_up_passages(engine, question: PracticeQuestion, point: SourceSpan, limit: int = 1) -> list[SourceSpan]:
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
    q_vec = engine.scorer.query_vector(point.text)
    score_candidates(point.text, q_vec, cands, engine.scorer)
    out: list[SourceSpan] = []
    for c in sorted(cands, key=lambda c: (-c.score, c.context.chunk.source, c.unit.start)):
        if c.sim < READ_UP_SIM or len(out) >= limit:
            break
        src = c.context.chunk.source
        out.append(SourceSpan(src, c.context.chunk.title, c.unit.start, c.unit.end, texts[src][c.unit.start:c.unit.end]))
    return out
