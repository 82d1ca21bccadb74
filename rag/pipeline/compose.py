"""The extractive composer: an answer quoted from the passages, every sentence cited.

It picks the sentences / list items of the top passages that score best against the
question, drops near-duplicates, groups what it keeps by source in document order and
puts a marker [n] (the n-th cited passage) on each; every citation is the exact span
(source, start, end) the quote was taken from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rag.pipeline.candidates import Candidate, SentenceScorer, score_candidates
from rag.pipeline.evidence import Evidence
from rag.prompts import REFUSAL
from rag.settings import AnswerSettings
from rag.types import Citation, Context

# Keep sentences within this much of the best one's score...
SCORE_WINDOW = 0.25
# ... unless they say what a kept sentence already says (cosine of their vectors).
DUPLICATE_COSINE = 0.88
# A kept list item brings the items of its list that score within this of the floor, and a
# list may run this many items past max_sentences: lists are quoted as lists.
LIST_SLACK = 0.1
LIST_EXTRA = 2
# A topic sentence brings up to this many sentences of its paragraph, down to this far below the floor.
DETAIL_SENTENCES = 2
DETAIL_SLACK = 0.1


@dataclass
class Composed:
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    best_evidence: float = 0.0


class ExtractiveComposer:
    """Scores sentences by embedding similarity and term overlap (no cross-encoder needed)."""

    def __init__(self, scorer: SentenceScorer):
        self.scorer = scorer

    def compose(self, evidence: Evidence, contexts: list[Context], a: AnswerSettings) -> Composed:
        max_sentences, min_evidence = a.max_sentences, a.min_evidence
        cands = evidence.candidates(contexts)
        score_candidates(evidence.question, evidence.q_vec, cands, self.scorer)
        if not cands:
            return Composed(REFUSAL, True)
        ranked = sorted(cands, key=lambda c: c.score, reverse=True)
        best = ranked[0]
        if best.sim < min_evidence:
            return Composed(REFUSAL, True, best_evidence=best.sim)

        vecs = {id(c): v for c, v in zip(ranked, self.scorer.vectors([c.text for c in ranked]))}
        chosen: list[Candidate] = []
        floor = best.score - SCORE_WINDOW
        for c in ranked:
            if len(chosen) >= max_sentences or c.score < floor or c.sim < min_evidence:
                break
            if _overlaps(c, chosen) or any(float(vecs[id(c)] @ vecs[id(o)]) > DUPLICATE_COSINE for o in chosen):
                continue
            chosen.append(c)
        texts = evidence.doc_texts(contexts)
        for c in list(chosen):
            room = max_sentences + DETAIL_SENTENCES - len(chosen)
            if room > 0:
                chosen += _detail(c, ranked, chosen, texts[c.context.chunk.source], floor - DETAIL_SLACK, min_evidence)[:room]
        lists = {(c.context.chunk.source, c.group) for c in chosen if c.unit.kind == "item"}
        for c in ranked:
            if len(chosen) >= max_sentences + LIST_EXTRA or c.score < floor - LIST_SLACK:
                break
            if c.unit.kind == "item" and (c.context.chunk.source, c.group) in lists and c not in chosen \
                    and not _overlaps(c, chosen) and not any(float(vecs[id(c)] @ vecs[id(o)]) > DUPLICATE_COSINE for o in chosen):
                chosen.append(c)
        text, citations = render(chosen, texts)
        return Composed(text, False, citations, best.sim)


def _detail(topic: Candidate, ranked: list[Candidate], chosen: list[Candidate], doc: str, floor: float,
            min_evidence: float) -> list[Candidate]:
    """The sentences that carry a topic sentence's detail: the rest of its paragraph, in order.

    "Data engineering interviews are the most structured of the three." says what follows
    is about the interview; the next sentence ("SQL proficiency is heavily tested …") is the
    answer. A sentence opening a paragraph brings up to DETAIL_SENTENCES of its paragraph
    that still read as relevant (score above `floor`, similarity above `min_evidence`).
    """
    if topic.unit.kind != "sentence" or doc[: topic.unit.start].rstrip(" \t")[-1:] not in ("\n", ""):
        return []
    after = sorted((c for c in ranked if c.context.chunk.source == topic.context.chunk.source and c.unit.kind == "sentence"
                    and c.unit.start >= topic.unit.end), key=lambda c: c.unit.start)
    out: list[Candidate] = []
    end = topic.unit.end
    for c in after:
        if c.unit.start < end:
            continue  # the same sentence again, from an overlapping chunk
        if len(out) == DETAIL_SENTENCES or "\n" in doc[end : c.unit.start] or c.score < floor or c.sim < min_evidence:
            break
        if c not in chosen and not _overlaps(c, chosen + out):
            out.append(c)
        end = c.unit.end
    return out


def _overlaps(c: Candidate, chosen: list[Candidate]) -> bool:
    """A joined span ("A. So B.") and its first sentence are never both quoted."""
    return any(o.context.chunk.source == c.context.chunk.source and o.unit.start < c.unit.end and c.unit.start < o.unit.end
               for o in chosen)


def render(chosen: list[Candidate], doc_texts: dict[str, str]) -> tuple[str, list[Citation]]:
    """Group by source (best group first), keep document order inside a group."""
    groups: dict[str, list[Candidate]] = {}
    for c in chosen:
        groups.setdefault(c.context.chunk.source, []).append(c)
    markers: dict[str, int] = {}
    lines: list[str] = []
    citations: list[Citation] = []
    for source, members in groups.items():
        members.sort(key=lambda c: c.unit.start)
        paragraph: list[str] = []
        for c in members:
            marker = markers.setdefault(c.context.chunk.chunk_id, len(markers) + 1)
            citations.append(Citation(source, c.context.chunk.title, c.unit.start, c.unit.end,
                                      doc_texts[source][c.unit.start : c.unit.end], marker, True, c.sim))
            if c.unit.kind in ("item", "row"):
                if paragraph:
                    lines.append(" ".join(paragraph))
                    paragraph = []
                lines.append(f"- {c.text} [{marker}]")
            else:
                paragraph.append(f"{c.text} [{marker}]")
        if paragraph:
            lines.append(" ".join(paragraph))
    return "\n".join(_blank_between_kinds(lines)), citations


def _blank_between_kinds(lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if out and (line.startswith("- ") != out[-1].startswith("- ")):
            out.append("")
        elif out and not line.startswith("- "):
            out.append("")
        out.append(line)
    return out
