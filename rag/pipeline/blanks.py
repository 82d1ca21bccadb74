"""Questions a user's notes ask and leave unanswered.

Interview notes and question banks are often half written: "**What is mean average precision
at k?**" over "Answer here", a "### Missing data" section holding only "- [TBD]". Asked that very
question, the passages hold nothing to quote for it, and the composer would quote the nearest
answered neighbour instead ("Precision at k shows …" for MAP@k), a near miss that reads as an
answer. The composer refuses when the question of the passages closest to the one asked is a
blank, and closer than every sentence it could quote (rag.pipeline.compose).
"""

from __future__ import annotations

import re

from rag.pipeline.candidates import AFTER_THE_MARK, asks_a_question
from rag.text.shown import clean
from rag.text.spans import heading_text, split_units

# What a writer leaves where an answer should go.
_GAP = (r"answer(?: goes)? here|to ?do|tbd|tba|wip|work in progress|coming soon|fill (?:this )?in"
        r"|to be (?:added|written|done|completed|filled in)")
# ("TBD: LinkedIn lecture" names what is missing; "To do well, practise daily." is no placeholder)
_PLACEHOLDER = re.compile(rf"^\W*(?:{_GAP})(?:\s*:[^\n]*)?\W*$", re.I)
_ANY_PLACEHOLDER = re.compile(rf"^\W*(?:{_GAP})\b", re.I | re.M)


def is_placeholder(text: str) -> bool:
    """"Answer here", "TODO", "[TBD: LinkedIn lecture]", "Coming soon": a gap left to fill."""
    return _PLACEHOLDER.match(clean(text).strip()) is not None


def asked(text: str, start: int, end: int) -> list[tuple[str, bool]]:
    """The questions and headings of text[start:end], as read, each with whether its only content
    is a placeholder (a blank); none when the range holds no placeholder at all.

    A question is a sentence that asks (`asks_a_question`) or a heading; its content runs to the
    next heading or question, and content past the range is not known (so not blank). Text with
    no placeholder line is not split at all: the common case, and a cost of every answer.
    """
    if not _ANY_PLACEHOLDER.search(text, start, end):
        return []
    units = [u for u in split_units(text, start, end) if u.kind != "markup"]
    asks = [u.kind == "heading" or (u.kind == "sentence" and asks_a_question(text[u.start : u.end])) for u in units]
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(units):
        if not asks[i]:
            i += 1
            continue
        # ("When do we normalise features? When is it okay not to?" is one question, on one line)
        j = i + 1
        while j < len(units) and units[j].kind == "sentence" and asks[j] and "\n" not in text[units[j - 1].end : units[j].start]:
            j += 1
        k = next((n for n in range(j, len(units)) if asks[n]), len(units))
        first, last = units[i], units[j - 1]
        shown = heading_text(text, first) if first.kind == "heading" else clean(text[first.start : last.end])
        body = [text[u.start : u.end] for u in units[j:k]]
        # ("⭐️" after a question's mark rates it; it is no part of the question)
        out.append((AFTER_THE_MARK.sub("", shown.strip(" *_")).strip(), bool(body) and all(map(is_placeholder, body))))
        i = j
    return out
