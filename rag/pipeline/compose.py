"""The extractive composer: an answer quoted from the passages, every sentence cited.

It picks the sentences / list items of the top passages that score best against the
question, drops near-duplicates, groups what it keeps by source in document order and
puts a marker [n] (the n-th cited passage) on each; every citation is the exact span
(source, start, end) the quote was taken from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.pipeline.blanks import asked
from rag.pipeline.candidates import Candidate, SentenceScorer, score_candidates
from rag.pipeline.code_blocks import code_led_into, code_may_answer, shown
from rag.pipeline.cross_rank import chunk_offset, passage_text, standardised
from rag.pipeline.evidence import Evidence
from rag.pipeline.neighbours import DETAIL_SENTENCES, DETAIL_SLACK, brought_by, overlaps
from rag.pipeline.figures import asks_only_for_a_figure, counted, gives_a_figure
from rag.prompts import REFUSAL
from rag.settings import AnswerSettings
from rag.types import Citation, Context

# Keep sentences within this much of the best one's score...
SCORE_WINDOW = 0.25
# ... unless they say what a kept sentence already says (cosine of their vectors).
DUPLICATE_COSINE = 0.88
# The best sentence must reach min_evidence or the answer is a refusal; a sentence quoted beside
# it, already within SCORE_WINDOW of its score, needs this much less. Paraphrased evidence sits
# just below the refusal floor: coverage +0.032 / +0.015 / +0.06 on corpus / seeds / handbook,
# evidence precision within 0.01 (eval/README.md, round 6).
SUPPORT_SLACK = 0.05
# A kept list item brings the items of its list that score within this of the floor, and a
# list may run this many items past max_sentences: lists are quoted as lists. (4, not 2: the
# handbook's lists run to ten items; coverage +0.008 / +0.015 / +0.019 on corpus / seeds /
# handbook at the same evidence precision; 6 added nothing more; eval/README.md, round 5.)
LIST_SLACK = 0.1
LIST_EXTRA = 4
# The list whose lead-in is within this of the best candidate's similarity is read through its
# lead (ExtractiveComposer._read_in_lists); its items stay this far below the best score.
LIST_LEAD_MARGIN = 0.1
LIST_CEILING_GAP = 0.02
# Each of the first PASSAGE_QUOTES passages gives its best sentence when none of its sentences made
# the answer and that one answers on its own (cosine >= min_evidence + OWN_ANSWER), down to DETAIL_SLACK
# below the window. (Coverage +0.014 / +0.015 / 0 on corpus / seeds / handbook, +0.008 held out,
# off-topic within 0.01, refusals unchanged; 4 passages added off-topic; min_evidence alone let a
# wrong answer through the refusal checks; eval/README.md, round 13.)
PASSAGE_QUOTES = 3
OWN_ANSWER = 0.1
# A list item that is one link points somewhere: it answers a question about what to read, watch or
# use, or where to go, and is noise in any other answer ("[Levels.fyi](…)" quoted for "what else
# should I weigh up besides salary?"). The six questions of the dev sets whose gold evidence is such an
# item all use one of these words (eval/README.md, round 19).
_ASKS_WHERE_TO_LOOK = re.compile(
    r"\b(?:resources?|sites?|websites?|books?|textbooks?|courses?|class(?:es)?|reads?|reading|videos?|tools?|"
    r"platforms?|links?|where|recommend\w*|communit\w*|newsletters?|blogs?|podcasts?|channels?|apps?|services?|"
    r"practi[cs]e|materials?|papers?|articles?|guides?|tutorials?|problems?|questions?)\b", re.I)
# A passage the late-interaction reranker puts this far (its standardised mix) above the passages
# it read answers the question in words no single sentence shares with it ("whats the joke name for
# when a phd student fiddles with hparams by hand?"): its best sentence may then be up to
# STANDOUT_SLACK below min_evidence. Below the floor, three of the four answerable questions whose
# gold passage came first stood out by 2.5-3.8, the unanswerable ones by at most 1.96 (nine dev
# sets, eval/README.md, round 20).
STANDOUT = 2.2
STANDOUT_SLACK = 0.1
# ... and its sentences may be quoted this much below the support floor: the best-scored sentence of
# such a passage may be the answer in words the embedder rates low ("Plot a histogram out of the
# sampled data." for "how can i tell whether my numbers look bell shaped?", cosine 0.25), while another
# passage's sentence holds the answer above the refusal floor. (Coverage +0.010 / +0.010 / +0.045 /
# +0.010 on mli / odin / mlsd / a private question bank, no set lower, refusals unchanged; 0.1 quoted
# filler on the seeds; eval/README.md, round 21.)
STANDOUT_SUPPORT = 0.05
# A blank entry stands for the question asked only when it says much the same: the three questions asked
# of blank entries matched them at 0.59-0.75; "Time complexity of ML algorithms", at 0.51, stood for "does
# the ML design round check how well I know algorithm internals?" (eval/README.md, round 27).
BLANK_MATCH = 0.55
# List items and table rows (a table is a list of rows read under its header).
LISTED = ("item", "row")
# The reranker's verdicts mixed into the sentence scores (ExtractiveComposer._focus).
SPAN_WEIGHT = 1.0
PASSAGE_WEIGHT = 0.5


@dataclass
class Composed:
    answer: str
    refused: bool
    citations: list[Citation] = field(default_factory=list)
    best_evidence: float = 0.0
    notice: str | None = None  # why it refused, when the floor is not the reason


class ExtractiveComposer:
    """Scores sentences by embedding similarity and term overlap; behind a late-interaction
    reranker, also by that model's reading of each sentence in its passage and of the passage."""

    def __init__(self, scorer: SentenceScorer, span_model=None):
        self.scorer = scorer
        self.span_model = span_model  # .span_scores(question, passage, spans), e.g. OnnxLateInteraction

    def compose(self, evidence: Evidence, contexts: list[Context], a: AnswerSettings) -> Composed:
        max_sentences, min_evidence = a.max_sentences, a.min_evidence
        cands = evidence.candidates(contexts)
        score_candidates(evidence.question, evidence.q_vec, cands, self.scorer)
        if not cands:
            return Composed(REFUSAL, True)
        self._focus(evidence.question, cands)
        self._read_in_lists(evidence.q_vec, cands)
        ranked = sorted(cands, key=lambda c: c.score, reverse=True)
        best = ranked[0]
        # (the mixed score may put first a sentence the embedder finds less similar than another)
        best_sim = max(c.sim for c in cands)
        standout = contexts[0] if _stands_out(contexts) else None
        if standout is not None and best_sim >= min_evidence - STANDOUT_SLACK:
            min_evidence = min(min_evidence, best_sim)
        if best_sim < min_evidence:
            return Composed(REFUSAL, True, best_evidence=best_sim)
        blank = self._blank_question(evidence, contexts, best_sim)
        if blank:
            return Composed(REFUSAL, True, best_evidence=best_sim,
                            notice=f"The documents ask “{blank}” but leave its answer blank.")

        vecs = {id(c): v for c, v in zip(ranked, self.scorer.vectors([c.text for c in ranked]))}
        chosen: list[Candidate] = []
        floor, support = best.score - SCORE_WINDOW, min_evidence - SUPPORT_SLACK
        for c in ranked:
            if len(chosen) >= max_sentences or c.score < floor:
                break
            if c.sim < support - (STANDOUT_SUPPORT if c.context is standout else 0.0) or _said(c, chosen, vecs):
                continue
            chosen.append(c)
        if not chosen:  # every sentence in the window is below the floor: quote the one that is not
            chosen.append(max(cands, key=lambda c: c.sim))
        texts = evidence.doc_texts(contexts)
        figures_only = asks_only_for_a_figure(evidence.question)
        if figures_only:
            chosen = _figures_in_context(chosen, texts, evidence.question)
            chosen += _more_figures(chosen, ranked, evidence.question, support, vecs, max_sentences)
            chosen += _the_count(chosen, ranked, evidence.question)
        for c in list(chosen):
            room = max_sentences + DETAIL_SENTENCES - len(chosen)
            if room > 0:
                doc = texts[c.context.chunk.source]
                chosen += brought_by(c, ranked, chosen, doc, floor - DETAIL_SLACK, support, opening_only=figures_only)[:room]
        lists = {(c.context.chunk.source, c.group) for c in chosen if c.unit.kind in LISTED}
        for c in ranked:
            if len(chosen) >= max_sentences + LIST_EXTRA or c.score < floor - LIST_SLACK:
                break
            if c.unit.kind in LISTED and (c.context.chunk.source, c.group) in lists and c not in chosen \
                    and not _said(c, chosen, vecs):
                chosen.append(c)
        per_passage = _passage_quotes(contexts[:PASSAGE_QUOTES], ranked, chosen, vecs, floor - DETAIL_SLACK, min_evidence + OWN_ANSWER)
        chosen += [c for c in per_passage if not figures_only or gives_a_figure(c.text, evidence.question)]
        listed_figure = _figure_in_the_list(chosen, ranked, evidence.question) if figures_only else []
        if listed_figure:
            chosen = _figures_in_context(chosen + listed_figure, texts, evidence.question)
        if not _ASKS_WHERE_TO_LOOK.search(evidence.question):
            chosen = [c for c in chosen if not c.link_only] or chosen
        if code_may_answer(evidence.question):
            chosen += code_led_into(chosen, texts)
        text, citations = render(chosen, texts)
        return Composed(text, False, citations, best_sim)

    def _blank_question(self, evidence: Evidence, contexts: list[Context], best_sim: float) -> str | None:
        """The question the passages ask that is closest to the one asked, when the notes leave it
        blank (rag.pipeline.blanks), no sentence there is to quote is closer, and it is close itself
        (BLANK_MATCH): the notes hold this very question, and what would be quoted answers a
        neighbour of it. (On a private question bank, the two questions asked of blank entries
        matched them at cosine 0.73-0.75, above every quotable sentence; no answerable question of
        the ten sets was refused; eval/README.md, round 21.)"""
        questions = list(dict.fromkeys(q for ctx in contexts for q in
                                       asked(evidence.text(ctx.chunk.source), ctx.chunk.start, ctx.chunk.end)))
        if not any(blank for _, blank in questions):
            return None
        sims = self.scorer.vectors([q for q, _ in questions]) @ evidence.q_vec
        best = int(np.argmax(sims))
        text, blank = questions[best]
        return text if blank and float(sims[best]) >= max(best_sim, BLANK_MATCH) else None

    def _focus(self, question: str, cands: list[Candidate]) -> None:
        """With a late-interaction reranker: mix into each sentence score the model's score of
        the sentence in its passage and the reranker's score of the passage, each standardised
        over the candidates:

            z(sentence score) + SPAN_WEIGHT * z(MaxSim over its tokens) + PASSAGE_WEIGHT * z(rerank)

        rescaled to the sentence scores' mean and spread, so SCORE_WINDOW keeps its meaning.
        Over the candidates of the top 6 passages, the first sentence by embedding score is
        gold evidence for 27% of the seeds' and handbook's answerable questions (39% on
        corpus/); by the mix, for 33%, 33% and 47% (eval/README.md, round 4). The passage term
        alone, behind the sentence or cross-encoder reranker, cost coverage on the foreign
        sets, so without span scores nothing is mixed.
        """
        if self.span_model is None or len(cands) < 2:
            return
        spans = self._span_scores(question, cands)
        known = [s for s in spans if s is not None]
        if not known:
            return
        base = np.array([c.score for c in cands])
        fill = float(np.mean(known))
        mixed = standardised(base) + SPAN_WEIGHT * standardised([fill if s is None else s for s in spans])
        reranked = [c.context.signals.get("rerank") for c in cands]
        if all(r is not None for r in reranked):
            mixed = mixed + PASSAGE_WEIGHT * standardised(reranked)
        spread = mixed.std()
        if spread > 1e-9:
            for c, m in zip(cands, base.mean() + base.std() * (mixed - mixed.mean()) / spread):
                c.score = float(m)

    def _read_in_lists(self, q_vec: np.ndarray, cands: list[Candidate]) -> None:
        """A list item reads as its lead-in does: "Design a URL shortener" answers "which
        system design questions come up?" because of the heading and sentence above it.

        The list (two or more items among the candidates) whose lead is most similar to the
        question, if that lead is about as similar as the best candidate (within
        LIST_LEAD_MARGIN), is read through its lead: each item's similarity is at least the
        lead's, and its score rises by what that adds, capped just below the best candidate so
        the sentence that answers most directly stays first. One list only: lifting every
        matching list filled factoid answers with the items of neighbouring lists. On the
        handbook, list questions' coverage 0.18 -> 0.39 by this alone, 0.47 with LIST_EXTRA 4
        (eval/README.md, round 5).
        """
        lists: dict[tuple[str, int], list[Candidate]] = {}
        for c in cands:
            if c.unit.kind in LISTED and c.lead:
                lists.setdefault((c.context.chunk.source, c.group), []).append(c)
        groups = [items for items in lists.values() if len(items) >= 2]
        if not groups:
            return
        lead_sims = self.scorer.vectors([items[0].lead for items in groups]) @ q_vec
        lead_sim = float(lead_sims.max())
        if lead_sim < max(c.sim for c in cands) - LIST_LEAD_MARGIN:
            return
        ceiling = max(c.score for c in cands) - LIST_CEILING_GAP
        # (lists of one section with nothing between them share their lead, and are read together)
        for items in (g for g, s in zip(groups, lead_sims) if s >= lead_sim - 1e-6):
            for c in items:
                c.score = max(c.score, min(c.score + lead_sim - c.sim, ceiling))
                c.sim = max(c.sim, lead_sim)

    def _span_scores(self, question: str, cands: list[Candidate]) -> list[float | None]:
        by_chunk: dict[str, list[int]] = {}
        for i, c in enumerate(cands):
            by_chunk.setdefault(c.context.chunk.chunk_id, []).append(i)
        out: list[float | None] = [None] * len(cands)
        for members in by_chunk.values():
            ctx = cands[members[0]].context
            shift = chunk_offset(ctx)
            spans = [(cands[i].unit.start - ctx.chunk.start + shift, cands[i].unit.end - ctx.chunk.start + shift) for i in members]
            for i, score in zip(members, self.span_model.span_scores(question, passage_text(ctx), spans)):
                out[i] = score
        return out


def _stands_out(contexts: list[Context]) -> bool:
    """The late-interaction reranker scored the first passage STANDOUT or more (ModelRerank's
    "rerank": the model's and the sentence scores' standardised mix, less the first-stage rank's
    weight). Only that reranker was measured: behind the cross-encoder, whose mix weighs the
    sentence scores twice as much, 2.2 let a handbook near miss through (refused 0.75 -> 0.69),
    and the sentence reranker's scores are cosines."""
    signals = contexts[0].signals if contexts else {}
    return "late_interaction" in signals and signals["rerank"] >= STANDOUT


def _figure_in_the_list(chosen: list[Candidate], ranked: list[Candidate], question: str) -> list[Candidate]:
    """For a question that asks only for a figure, when nothing the answer quotes gives one (what its
    picks bring included): the best item that does in a list the answer quotes. Notes list an
    interview's facts as items ("Role: Senior SRE", "Duration: ~45 minutes"), and the item with the
    figure need not read closest to the question. (On ten sets it changes one answer, of an
    answerable question refused before; round 28.)"""
    if any(gives_a_figure(c.text, question) for c in chosen):
        return []
    lists = {(c.context.chunk.source, c.group) for c in chosen if c.unit.kind in LISTED}
    return next(([c] for c in ranked if c.unit.kind in LISTED and (c.context.chunk.source, c.group) in lists
                 and c not in chosen and gives_a_figure(c.text, question)), [])


def _figures_in_context(chosen: list[Candidate], texts: dict[str, str], question: str) -> list[Candidate]:
    """For a question that asks only for a figure ("how long should I take before I say yes?"):
    the picks that give one, and the picks right beside those in their document ("Coding
    questions tend to be vague on purpose. Ask at least 2-3 clarifying questions."). The rest
    talk about the topic without answering, and quoting them is what lets a near miss through
    the refusal checks (eval/README.md, round 19). With no figure at all, the picks stay, and
    the refusal says that no figure was found."""
    figures = [c for c in chosen if gives_a_figure(c.text, question)]
    if not figures:
        return chosen

    def beside(c: Candidate, f: Candidate) -> bool:
        if c.context.chunk.source != f.context.chunk.source:
            return False
        first, second = (c, f) if c.unit.start < f.unit.start else (f, c)
        return first.unit.end <= second.unit.start and not texts[c.context.chunk.source][first.unit.end : second.unit.start].strip()

    given = {id(f) for f in figures}
    return [c for c in chosen if id(c) in given or any(beside(c, f) for f in figures)]


def _the_count(chosen: list[Candidate], ranked: list[Candidate], question: str) -> list[Candidate]:
    """For a question that counts things ("how many interview rounds did the LinkedIn loop have?"),
    when no pick gives a number of them: the best sentence of the picks' documents that does ("Here's
    how the entire process went — 7 rounds in total"), however far below the window or the support
    floor: picks that give other figures ("After 5 years of experience …") read closer to the
    question's words (a blind set, round 34)."""
    things = counted(question)
    if things is None or any(things.search(c.text) for c in chosen):
        return []
    sources = {c.context.chunk.source for c in chosen}
    return next(([c] for c in ranked if c.context.chunk.source in sources and c not in chosen and things.search(c.text)), [])


def _more_figures(chosen: list[Candidate], ranked: list[Candidate], question: str, support: float, vecs: dict,
                  max_sentences: int) -> list[Candidate]:
    """For a question that asks only for a figure, once the picks give one: the other sentences that
    give one within SCORE_WINDOW of the best of them. The window the best sentence sets may hold
    only one figure, from a sentence that names the topic ("After two years as a Staff iOS Engineer
    at Yassir, …" for "how much hiring did he do at Yassir?"), and leave out the answer ("… more
    than 70 interviews and helped hire around 10 engineers", a blind set, round 31). Only then:
    a figure question the picks give no figure for stays a near miss."""
    figures = [c for c in chosen if gives_a_figure(c.text, question)]
    if not figures:
        return []
    floor = max(c.score for c in figures) - SCORE_WINDOW
    out: list[Candidate] = []
    for c in ranked:
        if c.score < floor or len(chosen) + len(out) >= max_sentences:
            break
        if c.sim >= support and c not in chosen and gives_a_figure(c.text, question) and not _said(c, chosen + out, vecs):
            out.append(c)
    return out


def _passage_quotes(contexts: list[Context], ranked: list[Candidate], chosen: list[Candidate], vecs: dict,
                    floor: float, need: float) -> list[Candidate]:
    """The best sentence (not said already) of each passage the answer does not quote yet, when it
    answers on its own.

    A question in two parts ("what does a data engineer portfolio project show, and what should
    its README explain?") is answered by two passages; the window set by the first passage's
    best sentence leaves the second passage's answer out, though the reranker put it on top.
    """
    out: list[Candidate] = []
    for ctx in contexts:
        if any(c.context is ctx for c in chosen + out):
            continue
        best = next((c for c in ranked if c.context is ctx and c.sim >= need and c.score >= floor
                     and not _said(c, chosen + out, vecs)), None)
        if best is not None:
            out.append(best)
    return out


def _said(c: Candidate, chosen: list[Candidate], vecs: dict) -> bool:
    """The answer already quotes it, part of it, or what it says (cosine of their vectors)."""
    return overlaps(c, chosen) or any(float(vecs[id(c)] @ vecs[id(o)]) > DUPLICATE_COSINE for o in chosen)


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
            if c.unit.kind in ("item", "row", "code"):
                if paragraph:
                    lines.append(" ".join(paragraph))
                    paragraph = []
                # (a closing fence with anything after it on its line closes nothing: the marker goes below)
                lines.append(f"{shown(doc_texts[source], c.unit)}\n[{marker}]" if c.unit.kind == "code" else f"- {c.text} [{marker}]")
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
