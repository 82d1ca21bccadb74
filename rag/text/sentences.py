"""Sentence spans: where one sentence of a text ends and the next begins, as offsets.

Abbreviations ("e.g.", "U.S.", an initial) do not end a sentence; a sentence ends at
. ! ? (and any closing quotes or brackets) when what follows starts like a sentence.
"""

from __future__ import annotations

import re

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) and whitespace,
# when the next sentence starts like one. Abbreviations are checked separately.
# (closing emphasis counts: "**What is a join?** A join combines ..." is two sentences)
_CLOSERS = r"[\"'”’)\]*_]*"
# (a backslash that ends a line is markdown's hard line break: "It counts! \\" ends its sentence)
_HARD_BREAK = r"(?:[ \t]*\\(?=\n|$))?"
_SENT_END = re.compile(rf"[.!?]{_CLOSERS}{_HARD_BREAK}\s+(?=[\"'“‘(\[*_-]*[A-Z0-9`$])")
_ENDS_A_SENTENCE = re.compile(rf"[.!?]{_CLOSERS}{_HARD_BREAK}\s*$")
# (and the example markers people type without the dots: "version control (Ex. Git)", "eg. Python",
# cf., viz., esp., incl.: the sentence after "(Ex." began "Git), and containers …"; a blind set, round 35)
_ABBREV = re.compile(r"(?:\(ex|\b(?:e\.g|eg|i\.e|ie|cf|viz|esp|incl|etc|vs|approx|Dr|Mr|Ms|Mrs|Prof|Inc|Ltd|Jr|Sr|St|No|Fig"
                     r"|U\.S|U\.K|a\.k\.a)|\b[A-Z])\.$", re.I)


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] without the whitespace around it (nor a hard line break that ends it), as offsets."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or (text[end - 1] == "\\" and text[end : end + 1] in ("\n", ""))):
        end -= 1
    return start, end


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end], trimmed of surrounding whitespace."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for m in _SENT_END.finditer(text, start, end):
        candidate = text[cursor : m.start() + 1]
        if _ABBREV.search(candidate):
            continue
        s, e = trim(text, cursor, m.end())
        if s < e:
            spans.append((s, e))
        cursor = m.end()
    s, e = trim(text, cursor, end)
    if s < e:
        spans.append((s, e))
    return spans


def ends_a_sentence(text: str) -> bool:
    """Whether a text ends as a sentence does: . ! ? and any closing quotes or brackets."""
    return bool(_ENDS_A_SENTENCE.search(text))
