"""Side-by-side role comparison: one cited sentence per (dimension, role), or a plain "no".

For each cell the candidates are (a) the chunks of the sections named after the dimension
("## Pay", "## Day-to-day work", ...) in documents tagged with the role, and (b) what
hybrid retrieval, restricted to the role, returns for a question about the dimension.
Their sentences are scored exactly as the extractive answerer scores them
(rag.pipeline.candidates.score_candidates), kept only when they are about the role, and the best one
becomes the cell, cited by its exact span. A cell nothing supports says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rag.pipeline.candidates import candidates, score_candidates
from rag.roles import find_roles
from rag.study.practice import normalise_role
from rag.text.shown import clean
from rag.text.syntax import LIST_MARK
from rag.types import Context, SourceSpan

NOT_COVERED = "Not covered by the sources"


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    query: str           # asked about one role: "{role}" is replaced
    section: str         # regex on a section heading that is about this dimension
    cue: str             # regex a sentence outside such a section must match

    def matches_section(self, header_path: str) -> bool:
        last = header_path.split(" > ")[-1] if header_path else ""
        return bool(re.search(self.section, last, re.I))


DIMENSIONS = (
    Dimension("focus", "Focus", "What is the main focus of the {role} role and what does a {role} build?",
              r"^(?:focus|overview|the role|what the (?:job|role) (?:actually )?is)\b|\bwhat the job actually is",
              r"\b(?:builds?|focus(?:es)?|responsible|owns?|central question|role is)\b"),
    Dimension("day_to_day", "Day-to-day work", "What does a {role} do day to day in a typical week?",
              r"day[- ]to[- ]day|daily|typical (?:day|week)|responsibilit",
              r"\b(?:day|week|daily|tasks?|spends?|typical)\b"),
    Dimension("interviews", "What interviews test", "What does a {role} interview test?",
              r"interview",
              r"\binterview"),
    Dimension("skills", "Core skills", "What core skills does a {role} need?",
              r"skills?|what you need to know",
              r"\bskills?\b|\bneeds?\b"),
    Dimension("pay", "Pay", "How much does a {role} earn in salary and total compensation?",
              r"\bpay\b|salar|compensation",
              r"\$\s?\d|\bsalar|\bcompensation\b|\bpaid\b|\bpay\b"),
)
SECTION_BONUS = 0.12
OTHER_ROLE_FIRST = 0.1
MIN_SIM_SECTION = 0.3
MIN_SIM_ELSEWHERE = 0.45
_LABEL = re.compile(r"^\*\*[^*\n]{1,60}:\*\*\s*|^\*\*[^*\n]{1,60}\*\*:\s*")
_FIGURE = re.compile(r"[$€£]\s?\d|\d\s?%")


@dataclass
class Cell:
    role: str
    text: str
    citations: list[SourceSpan] = field(default_factory=list)
    score: float = 0.0

    @property
    def covered(self) -> bool:
        return bool(self.citations)

    def to_json(self) -> dict:
        return {"role": self.role, "text": self.text, "covered": self.covered,
                "citations": [c.to_json() for c in self.citations]}


@dataclass
class Row:
    dimension: str
    label: str
    cells: list[Cell]

    def to_json(self) -> dict:
        return {"dimension": self.dimension, "label": self.label, "cells": [c.to_json() for c in self.cells]}


@dataclass
class Comparison:
    roles: list[str]
    rows: list[Row]

    @property
    def uncovered(self) -> int:
        return sum(not c.covered for r in self.rows for c in r.cells)

    def to_json(self) -> dict:
        return {"roles": self.roles, "rows": [r.to_json() for r in self.rows], "uncovered": self.uncovered}


_ACRONYMS = {"ai": "AI", "ml": "ML", "mlops": "MLOps", "llm": "LLM"}


def role_label(role: str) -> str:
    """'ml platform engineer' -> 'ML platform engineer'."""
    words = [_ACRONYMS.get(w, w) for w in role.split()]
    return " ".join(words)[:1].upper() + " ".join(words)[1:] if words else role


def _primary_role(chunk) -> str | None:
    """The role a document is mainly about: named in its title, or its only role."""
    named = find_roles(chunk.title)
    if len(named) == 1:
        return named[0]
    return chunk.roles[0] if len(chunk.roles) == 1 else None


def cell_text(raw: str) -> str:
    """How a cited unit reads in a cell: no list marker, no "**AI engineer:**" label."""
    return _LABEL.sub("", clean(raw)).strip()


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    """The unit without its list marker or leading symbols ("- ", "👩💻 ", "-The ...")."""
    m = LIST_MARK.match(text, start, end)
    if m and m.start() == start:
        start = m.end()
    label = _LABEL.match(text[start:end])
    if label:
        start += label.end()
    while start < end and not (text[start].isalnum() or text[start] in "\"'“‘($*`_[") or text[start].isspace():
        start += 1
    return start, end


class DimensionSections:
    """Chunks of every dimension section, by role (read once per comparison)."""

    def __init__(self, index):
        self.by_role: dict[tuple[str, str], list] = {}
        self.tagged: set[str] = set()
        for chunk in index.chunks():
            self.tagged.update(chunk.roles)
            for dim in DIMENSIONS:
                if dim.matches_section(chunk.header_path):
                    for role in chunk.roles:
                        self.by_role.setdefault((dim.key, role), []).append(chunk)


def best_cell(engine, role: str, dim: Dimension, sections: DimensionSections) -> Cell:
    query = dim.query.format(role=role)
    r = engine.settings.retrieval.model_copy(update={
        "mode": "hybrid", "candidates": 15, "rerank": "none", "kinds": [],
        "roles": [role] if role in sections.tagged else [],
    })
    contexts = engine.retrieve(query, r)
    seen = {c.chunk.chunk_id for c in contexts}
    for chunk in sections.by_role.get((dim.key, role), []):
        if chunk.chunk_id not in seen:
            contexts.append(Context(rank=len(contexts) + 1, chunk=chunk, score=0.0))
            seen.add(chunk.chunk_id)
    if not contexts:
        return Cell(role, NOT_COVERED)
    texts = {s: engine.index.doc_text(s) or "" for s in {c.chunk.source for c in contexts}}
    # Cheap checks first: only sentences about the role, in the right section or with
    # the dimension's words, are embedded and scored.
    cands = []
    for c in candidates(texts, contexts):
        said = find_roles(c.text)
        if role not in said and (said or _primary_role(c.context.chunk) != role):
            continue  # about another role, or about no role in a document about several
        if said and said[0] != role and not _FIGURE.search(c.text):
            continue  # mainly about another role ("An ML engineer ... like data engineering")
        if dim.matches_section(c.context.chunk.header_path) or re.search(dim.cue, c.text, re.I):
            cands.append(c)
    q_vec = engine.scorer.query_vector(query)
    score_candidates(query, q_vec, cands, engine.scorer)
    kept = []
    for c in cands:
        said = find_roles(c.text)
        in_section = dim.matches_section(c.context.chunk.header_path)
        if c.sim < (MIN_SIM_SECTION if in_section else MIN_SIM_ELSEWHERE):
            continue
        score = c.score + (SECTION_BONUS if in_section else 0.0) - (OTHER_ROLE_FIRST if said and said[0] != role else 0.0)
        if dim.key == "pay" and _FIGURE.search(c.text):
            score += 0.1  # a figure answers "how much" better than a remark about pay
        kept.append((score, c))
    if not kept:
        return Cell(role, NOT_COVERED)
    score, best = min(kept, key=lambda sc: (-sc[0], sc[1].context.chunk.source, sc[1].unit.start))
    src = best.context.chunk.source
    start, end = _span(texts[src], best.unit.start, best.unit.end)
    cited = SourceSpan(src, best.context.chunk.title, start, end, texts[src][start:end])
    return Cell(role, cell_text(cited.text), [cited], score)


def compare(engine, roles, dimensions=DIMENSIONS) -> Comparison:
    """A table with one row per dimension and one cited cell per role."""
    names = list(dict.fromkeys(normalise_role(r) for r in roles))
    if len(names) < 2:
        raise ValueError("compare needs at least two different roles")
    sections = DimensionSections(engine.index)
    rows = [Row(d.key, d.label, [best_cell(engine, role, d, sections) for role in names]) for d in dimensions]
    return Comparison(names, rows)
