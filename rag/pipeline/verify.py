"""Checking an answer against its sources: every [n] must point at a passage that says it.

The LLM backends' answers go through `verify`; the evaluation harness applies the same
`supports` test to any answer's citations.
"""

from __future__ import annotations

import re

import numpy as np

from rag.pipeline.candidates import SentenceScorer, candidates
from rag.prompts import REFUSAL
from rag.text.lexical import overlap
from rag.text.sentences import split_sentences
from rag.text.shown import clean
from rag.text.spans import closing_fence, split_units
from rag.text.syntax import FENCE, LIST_MARK
from rag.types import Citation, Context

MARKER = re.compile(r"\[(\d{1,3})\]")
_LEADING_MARKERS = re.compile(r"(?:\s*\[\d{1,3}\])+")
_MARKER_LINE = re.compile(r"[ \t]*(?:\[\d{1,3}\][ \t]*)+")
# A cited sentence is supported when it is this close to the span in embedding space...
SUPPORT_COSINE = 0.55
# ... or when the span uses this share of the sentence's words.
SUPPORT_OVERLAP = 0.6
# Code in an answer, a fenced block or an inline span: "[0]" in "matrix[0]" indexes, it cites nothing.
_CODE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,}).*?(?:^[ \t]{0,3}\1|\Z)|`[^`\n]+`", re.M | re.S)


def markers_in(text: str) -> list[re.Match]:
    """The citation markers of `text`, not the brackets of its code."""
    code = [m.span() for m in _CODE.finditer(text)]
    return [m for m in MARKER.finditer(text) if not any(a <= m.start() < b for a, b in code)]


def cited(text: str) -> set[int]:
    """The passage numbers `text` cites."""
    return {int(m.group(1)) for m in markers_in(text)}


def is_support(similarity: float, word_overlap: float) -> bool:
    return similarity >= SUPPORT_COSINE or word_overlap >= SUPPORT_OVERLAP


# A sentence of at least this many words that a cited span holds word for word is a quote of it.
QUOTE_WORDS = 3


def supports(scorer: SentenceScorer, sentence: str, span_texts: list[str]) -> bool:
    """Whether one of `span_texts` supports the answer sentence (markers ignored): it quotes one
    word for word, or reads close to one. (A quote's second sentence, "This is how I did it.",
    has no content word to share and reads far from its whole span, round 31.)"""
    plain = clean(MARKER.sub("", sentence))
    if not span_texts or not plain:
        return False
    said = " ".join(plain.split())
    if len(said.split()) >= QUOTE_WORDS and any(said in " ".join(clean(t).split()) for t in span_texts):
        return True
    vecs = scorer.vectors([plain, *span_texts])
    sims = vecs[1:] @ vecs[0]
    return is_support(float(sims.max()), max(overlap(plain, t) for t in span_texts))


def answer_sentences(answer: str) -> list[tuple[int, int]]:
    """Sentence spans of an answer; markers after a full stop ("... data. [2]") stay with it."""
    spans: list[tuple[int, int]] = []
    lines = list(_lines(answer))
    i = 0
    while i < len(lines):
        line_start, line_end = lines[i]
        i += 1
        fence = FENCE.match(answer[line_start:line_end])
        if fence:
            # A code block is one quote, its marker on the line below the closing fence
            # (rag.pipeline.code_blocks); read line by line, each line of code was a sentence.
            i = closing_fence(answer, lines, i, fence.group(1))
            end = lines[i][1]
            i += 1
            if i < len(lines) and _MARKER_LINE.fullmatch(answer, *lines[i]):
                end = lines[i][1]
                i += 1
            spans.append((line_start, end))
            continue
        first_in_line = True
        line = split_sentences(answer, line_start, line_end)
        if _one_item(answer, line):
            # "- Give an example of a challenge. What did you do and why? [2]": a list item is one
            # quote, cited as a whole; split, its first sentence read as uncited and its last alone
            # as unsupported.
            line = [(line[0][0], line[-1][1])]
        for s, e in line:
            lead = _LEADING_MARKERS.match(answer, s, e)
            if lead and spans and not first_in_line:
                spans[-1] = (spans[-1][0], lead.end())
                s = lead.end()
                while s < e and answer[s].isspace():
                    s += 1
            first_in_line = False
            if s < e:
                spans.append((s, e))
    return spans


def _one_item(answer: str, sentences: list[tuple[int, int]]) -> bool:
    """A list item of several sentences whose markers all close its last sentence."""
    return len(sentences) > 1 and LIST_MARK.match(answer, sentences[0][0]) is not None \
        and not any(cited(answer[s:e]) for s, e in sentences[:-1])


def _lines(text: str):
    pos = 0
    for line in text.split("\n"):
        yield pos, pos + len(line)
        pos += len(line) + 1


def verify(answer: str, contexts: list[Context], doc_texts: dict[str, str], scorer: SentenceScorer) -> tuple[str, list[Citation]]:
    """Drop markers that point nowhere; check each cited sentence against its passage.

    Returns the cleaned answer and one citation per (sentence, marker), whose span is the
    unit of the cited passage that best supports the sentence.
    """
    n = len(contexts)
    for m in reversed(markers_in(answer)):
        if not 1 <= int(m.group(1)) <= n:
            answer = answer[: m.start()] + answer[m.end() :]
    citations: list[Citation] = []
    units_by_marker = {i: candidates(doc_texts, [ctx]) for i, ctx in enumerate(contexts, 1)}
    for s, e in answer_sentences(answer):
        sentence = answer[s:e]
        plain = clean(MARKER.sub("", sentence))
        if not plain or plain == REFUSAL:
            continue
        code = _code_of(sentence)
        s_vec = scorer.vectors([plain])[0] if code is None else None
        for marker in sorted(cited(sentence)):
            units = units_by_marker.get(marker) or []
            ctx = contexts[marker - 1]
            if code is not None:
                # code is support when the passage holds it as written (the embedder reads code poorly)
                block = _block_holding(code, doc_texts[ctx.chunk.source], ctx)
                supported, sim = block is not None, 1.0 if block is not None else 0.0
                start, end = (block.start, block.end) if block is not None else (ctx.chunk.start, ctx.chunk.end)
            elif units:
                sims = scorer.vectors([u.text for u in units]) @ s_vec
                best = int(np.argmax(sims))
                unit, sim = units[best].unit, float(sims[best])
                supported = is_support(sim, overlap(plain, units[best].text))
                start, end = unit.start, unit.end
            else:
                sim, supported = 0.0, False
                start, end = ctx.chunk.start, ctx.chunk.end
            source = ctx.chunk.source
            citations.append(Citation(source, ctx.chunk.title, start, end, doc_texts[source][start:end], marker, supported, sim))
    return answer.strip(), citations


def _code_of(sentence: str) -> str | None:
    """The code of an answer sentence that is a fenced block, on one line (None for prose)."""
    text = sentence.strip()
    fence = FENCE.match(text)
    if fence is None:
        return None
    lines = list(_lines(text))
    close = closing_fence(text, lines, 1, fence.group(1))
    inside = lines[1:close] if text[lines[close][0] : lines[close][1]].lstrip().startswith(fence.group(1)) else lines[1:]
    return " ".join(" ".join(text[a:b] for a, b in inside).split())


def _block_holding(code: str, doc: str, ctx: Context):
    """The code block of the passage that holds `code` as written (whitespace aside), or None."""
    for unit in split_units(doc, ctx.chunk.start, ctx.chunk.end):
        if unit.kind == "code" and code and code in " ".join(doc[unit.start : unit.end].split()):
            return unit
    return None


def uncited_sentences(answer: str) -> list[str]:
    return [
        answer[s:e] for s, e in answer_sentences(answer)
        if not cited(answer[s:e]) and MARKER.sub("", answer[s:e]).strip() not in ("", REFUSAL)
    ]
