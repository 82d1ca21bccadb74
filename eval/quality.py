"""Answer-quality metrics beyond retrieval: evidence coverage, off-topic sentences, uncited claims.

- **Evidence coverage**: the share of an answerable question's gold evidence quotes whose
  content the answer carries: a citation overlaps most of the quote's span, or the answer's
  words cover most of the quote's content words. A refusal carries nothing.
- **Off-topic sentences**: answer sentences that answer nothing: a title, subtitle or
  byline, navigation, an advertisement or call to action, or filler/intro text that shares
  nothing with the question, the reference answer or the gold evidence. The classifier is
  deliberately independent of the answerer's own filters (it looks at the cited span's
  place in its document and at the reference, which the answerer never sees); it was
  hand-checked on a sample (eval/README.md).
- **Uncited claims**: answer sentences that no citation backs (summary.json's
  `uncited_sentences`); a sentence inside a cited multi-sentence quote is backed by that quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.pipeline.verify import MARKER, answer_sentences, cited, uncited_sentences
from rag.text.lexical import terms
from rag.text.shown import clean
from rag.text.syntax import LIST_MARK

Span = tuple[str, int, int]

QUOTE_SPAN_SHARE = 0.5      # a citation covering this share of a quote's characters carries it
QUOTE_TERM_SHARE = 0.6      # ... or the answer using this share of the quote's content words
ON_TOPIC_TERMS = 0.2        # share of a sentence's words shared with question/reference/evidence

_LINK = re.compile(r"https?://|www\.")
_AD = re.compile(
    r"\butm_|\b(?:sign up|subscribe|download (?:on|the)|app store|google play|use (?:the )?code|"
    r"promo|coupon|discount|\d+% off|sponsored|affiliate|check (?:it|them) out|upgrade now|paid users?|"
    r"free trial|buy now|enrol+ now|join (?:now|today)|click here|shared from|follow (?:me|us)|newsletter)\b",
    re.I,
)
_NAV = re.compile(r"^\W*(?:blog|share|home|menu|table of contents|contents|next|previous|back to top|related"
                  r"(?: posts| articles| videos?)?|read more|skip to content|tags?|categories)\W*$", re.I)
_BYLINE = re.compile(r"^\W*(?:by|written by|posted by|author:?|updated|published|posted on)\b.{0,80}$"
                     r"|\b\d+\s*min(?:ute)?s?\s+read\b|^\W*(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\.? \d{1,2},? \d{4}\W*$",
                     re.I)


@dataclass
class SentenceVerdict:
    text: str
    off_topic: bool
    reason: str  # title | byline | navigation | ad | filler | "" (on topic)


def _share(a: Span, b: Span) -> float:
    """Share of b's characters that a covers (same source)."""
    if a[0] != b[0]:
        return 0.0
    inter = min(a[2], b[2]) - max(a[1], b[1])
    return max(0, inter) / max(1, b[2] - b[1])


def quote_carried(quote: str, gold: Span, answer_text: str, cited: list[Span]) -> bool:
    if sum(_share(c, gold) for c in cited) >= QUOTE_SPAN_SHARE:
        return True
    words = terms(quote)
    return bool(words) and len(words & terms(answer_text)) / len(words) >= QUOTE_TERM_SHARE


def evidence_coverage(answer_text: str, refused: bool, cited: list[Span], quotes: list[str],
                      gold: list[Span]) -> float | None:
    """Share of gold quotes the answer carries (None for an unanswerable question)."""
    if not gold:
        return None
    if refused:
        return 0.0
    return sum(quote_carried(q, g, answer_text, cited) for q, g in zip(quotes, gold)) / len(gold)


def _is_title(span_text: str, title: str, doc_text: str, start: int) -> bool:
    plain = " ".join(span_text.split()).strip(" #*_").lower()
    t = " ".join((title or "").split()).lower()
    if t and (plain == t or (len(plain) < 2 * len(t) and t in plain)):
        return True
    # The first lines of a document, before any paragraph of body text: title, subtitle, tagline.
    # (The span's own line counts too: a sentence of the first paragraph is body text, however
    # near the top a short document starts it.)
    line_end = doc_text.find("\n", start)
    head = doc_text[: len(doc_text) if line_end < 0 else line_end]
    return start < 600 and doc_text[:start].count("\n") <= 4 and not any(len(line.split()) > 40 for line in head.splitlines())


def classify(sentence: str, span_text: str, title: str, doc_text: str, start: int, question: str,
             reference: str, evidence: list[str], gold_overlap: bool) -> SentenceVerdict:
    """Whether one cited answer sentence answers nothing, and why."""
    plain = " ".join(sentence.split())
    # (a link is an ad unless it is the gold evidence: "[Taro](https://www.jointaro.com/)" in a list
    # of communities to join answers "where can I meet other engineers?")
    if _AD.search(span_text) or (_LINK.search(span_text) and not gold_overlap):
        return SentenceVerdict(plain, True, "ad")
    if _NAV.match(span_text):
        return SentenceVerdict(plain, True, "navigation")
    if _BYLINE.search(span_text):
        return SentenceVerdict(plain, True, "byline")
    if gold_overlap:
        return SentenceVerdict(plain, False, "")
    if len(span_text.split()) <= 2:  # (unless gold: "Quantization" in a list of ways to shrink a model)
        return SentenceVerdict(plain, True, "navigation")
    if _is_title(span_text, title, doc_text, start):
        return SentenceVerdict(plain, True, "title")
    mine = terms(span_text)
    topic = terms(question) | terms(reference) | set().union(*(terms(e) for e in evidence)) if evidence else \
        terms(question) | terms(reference)
    if not mine or len(mine & topic) / len(mine) < ON_TOPIC_TERMS:
        return SentenceVerdict(plain, True, "filler")
    return SentenceVerdict(plain, False, "")


def _quoted_words(sentence: str) -> str:
    """An answer sentence's words as its quote reads them: on one line, without markers, and
    without the bullet the answer gives every list item ("- "), whatever the source used."""
    words = " ".join(MARKER.sub(" ", sentence).split())
    bullet = LIST_MARK.match(words)
    return words[bullet.end():] if bullet else words


def uncited_claims(answer) -> list[str]:
    """Answer sentences no citation backs: no marker of their own, and not part of a quote a
    citation carries (an extractive quote of two sentences has one marker, after the second,
    and its first sentence is still quoted)."""
    quoted = [clean(c.text) for c in answer.citations]  # as the answer shows each quote
    unmarked = [(s, _quoted_words(s)) for s in uncited_sentences(answer.answer)]
    return [s for s, words in unmarked if not (words and any(words in q for q in quoted))]


def _sentence_citation(sentence: str, markers: set[int], citations) -> object | None:
    """The citation an answer sentence quotes: the one whose text holds the sentence (a quote of
    several sentences is split into several answer sentences, and one passage's marker can
    carry several quotes), else the one whose opening it carries, else its first."""
    plain = " ".join(sentence.split())
    words = _quoted_words(sentence)
    mine = [c for c in citations if c.marker in markers]
    flat = [(c, clean(c.text)) for c in mine]  # (as the answer shows each quote)
    return next((c for c, t in flat if words and words in t), None) \
        or next((c for c, t in flat if t[:30] in plain), mine[0] if mine else None)


def answer_verdicts(answer, item, doc_text) -> list[SentenceVerdict]:
    """Classify every cited sentence of an answer to an answerable question.

    `doc_text(source)` returns the indexed text of a document (citations point into it).
    """
    if answer.refused or not item.answerable:
        return []
    quotes = [e["quote"] for e in item.evidence]
    out = []
    for s, e in answer_sentences(answer.answer):
        sentence = answer.answer[s:e]
        c = _sentence_citation(sentence, cited(sentence), answer.citations)
        if c is None:
            continue
        span = (c.source, c.start, c.end)
        gold = any(span[0] == g[0] and span[1] < g[2] and g[1] < span[2] for g in item.spans)
        out.append(classify(sentence, c.text, c.title, doc_text(c.source) or "", c.start, item.question,
                            item.reference, quotes, gold))
    return out
