"""Heading-like lines of plain text: which lines of a document without markdown headings
head what follows, and at which level. rag.text.spans reads them as headings."""

from __future__ import annotations

import functools
import re

from rag.text.frontmatter import body_start as _body_start
from rag.text.sentences import split_sentences
from rag.text.sentences import trim as _trim
from rag.text.syntax import BULLETS, FENCE, HEADING
from rag.text.tables import TABLE_ROW as _TABLE_ROW

# -- plain-text headings -------------------------------------------------------------
# A line of a document without markdown headings is a heading when
#   - it is shaped like one: <= 10 words and 100 chars (a question ending "?": 15 / 120),
#     one sentence, starting with an uppercase letter or digit, not ending with . , ; !
#     a dash or a dangling "and"/"of"/"the"..., not a bullet or table row, not indented
#     more than 3 spaces, not in code;
#   - body text follows: the next non-blank line is a list item, table row or code, or
#     prose (ends or holds a sentence, or runs to 20+ words, with its lowercase
#     continuation lines) longer than the line; right below it (no blank line) that prose
#     must not start lowercase (a wrapped line) and be >= 1.5x as long. Or a heading of
#     another level follows ("Title" over "Summary");
#   - it is not inside a paragraph or list: the line right above is blank, a heading, or
#     ends with . ! ? : and (unless a list item) is clearly longer (x 1/0.7); and the
#     previous non-blank line is not a heading-shaped line that was not taken (a run of
#     short lines is a list). A numbered line ("1. Foundational Knowledge") is one only
#     before prose, not before another item nor right after a numbered line.
# Levels: the first line (the second when the first is one word, e.g. "Blog": as
# ingest.loaders.guess_title reads titles) is the title, 1, up to 25 words, several
# sentences allowed (ending "." only in Title Case). A label is 2 ("The Short Version",
# "Data Engineer: What the Job Actually Is"), and so is a question: in articles those are
# section titles as often as Q&A entries, and must not nest under the section before
# them. A numbered line is 3 (the numbered parts of a section). A line ending with ":"
# is 4: "What the interview tests:", "Who this role is for:" recur under every section
# and only mean something below it.

TITLE_LEVEL, LABEL_LEVEL, NUMBERED_LEVEL, COLON_LEVEL = 1, 2, 3, 4
MAX_HEADING_WORDS, MAX_QUESTION_WORDS, MAX_TITLE_WORDS = 10, 15, 25
TIGHT_BODY_RATIO, TIGHT_ABOVE_RATIO = 1.5, 0.7
_PLAIN_ITEM = re.compile(rf"[ \t]*(?:[{BULLETS}—]|\d{{1,3}}[.)])[ \t]+")
_NUMBERED = re.compile(r"^[ \t]*\d{1,3}[.)][ \t]+")
_CLOSERS = "\"'”’)]*_"
_SENT_FINAL = re.compile(r"[.!?…][\"'”’)\]*_]*$")
_COMPLETE = re.compile(r"(?:[.!?…:][\"'”’)\]*_]*|:[ \t]*[-–])$")
# "Round 1:-", "Tips:-": a colon written with a dash after it, as many writers end a label.
_COLON_DASH = re.compile(r":[ \t]*[-–]$")
_DANGLING = frozenset("and or but nor the a an of to in on at by for from with into onto as that which who whose "
                      "is are was were be than vs via its their your our".split())


def is_title_line(line: str, following: str) -> bool:
    """Whether a document's first line of more than one word is its title: short, a paragraph
    of its own (the line after it blank, or a label of one or two words: "Summary"), and not a
    label ("Round 1:-"). ingest.loaders.guess_title takes it as the title; without one, a
    document has no title block (rag.pipeline.boilerplate.title_block_end)."""
    line = line.strip()
    alone = not following.strip() or len(following.split()) <= 2
    return len(line) <= 150 and alone and not line.endswith((":", ",", ":-", ":–"))


def plain_headings(text: str) -> list[tuple[int, int, int]]:
    """(start, end, level) of the heading-like lines of `text` read as plain text
    (whether or not it has markdown headings; see the rule above)."""
    return [(s, e, level) for s, (e, level) in sorted(plain_heading_map(text).items())]


# "****Capgemini Interview****", "==== Round 2 ====": a line set off by a run of one symbol on both
# sides is read as its words (a run of three stars is markdown's bold italics).
_DECORATED = re.compile(r"^[ \t]*([*=~#_-])\1{3,}[ \t]*(\S(?:.*?\S)?)[ \t]*\1{4,}[ \t]*$")


def undecorated(line: str) -> str:
    m = _DECORATED.match(line)
    return m.group(2) if m else line


# -- lines of notes ------------------------------------------------------------------
# Plain text has no soft line breaks to trust: a hard-wrapped paragraph breaks its lines
# wherever the width runs out, but notes are often written one statement per line, without
# punctuation ("I wrote structure of class and functions" / "Sugesstion he gave on the go:").
# A line is a statement of its own, not part of the next line's sentence, when the next line
# opens with a capital, the line does not carry on into it (a comma, "and", "the" …) and
#   - it is a list item ("* analytics on clicks" / "I forgot to mention rate limiting."), where
#     markdown would read the next line as the item's lazy continuation; or
#   - it ends with no sentence punctuation and is at most half as long as the document's
#     wrapped lines (their 90th percentile): a wrapped line runs close to that width, and a
#     hand-wrapped report ("… 4 coding questions which includes" / "Array,string …") wraps
#     near it too.
_CARRIES_ON = re.compile(r"(?:[,;:(/&+–—-]|\b(?:and|or|but|the|a|an|of|to|with|for|in|on|at|by|as|from|vs\.?))\s*$", re.I)
SHORT_LINE_SHARE = 0.5


@functools.lru_cache(maxsize=16)
def _wrap_width(text: str) -> int:
    """The 90th percentile length of the lines that run on into another line (0: none do)."""
    lines = text.split("\n")
    inner = sorted(len(a.rstrip()) for a, b in zip(lines, lines[1:]) if a.strip() and b.strip())
    return inner[int(0.9 * (len(inner) - 1))] if inner else 0


def new_line_of_notes(text: str, line: str, nxt: str, in_item: bool) -> bool:
    """Whether `nxt`, the line under `line` in plain text `text`, starts a new paragraph (above)."""
    if not nxt[:1].isupper() or _CARRIES_ON.search(line):
        return False
    return in_item or (not _SENT_FINAL.search(line.rstrip()) and len(line.strip()) <= SHORT_LINE_SHARE * _wrap_width(text))


def _shape(line: str, limit: int) -> tuple[str, str, list[str]] | None:
    """(stripped line, its last character before closing marks, words) if the line may be
    a heading or title at all: not indented, an item, a row or code; starts like one."""
    s = line.strip()
    if not s or len(line) - len(line.lstrip(" \t")) > 3 or len(s) > limit:
        return None
    if _TABLE_ROW.match(s) or FENCE.match(s) or HEADING.match(s):
        return None
    numbered = _NUMBERED.match(s)
    core = s[numbered.end():] if numbered else s
    if (_PLAIN_ITEM.match(s) and not numbered) or not core or not (core[0].isupper() or core[0].isdigit()):
        return None
    words = s.split()
    last = ":" if _COLON_DASH.search(s) else (s.rstrip(_CLOSERS) or s)[-1]
    if not any(c.isalpha() for c in core) or (last not in ":?" and words[-1] in _DANGLING):
        return None  # "... the boundaries between data and" goes on in the next line
    return core, last, words


def _heading_level(line: str) -> int | None:
    """The level of a line shaped like a heading (by itself, without context), else None."""
    shaped = _shape(line, 120)
    if not shaped:
        return None
    core, last, words = shaped
    question = last == "?"
    if last in ".,;!…-–—/+&|" or len(split_sentences(core)) > 1:
        return None
    if len(words) > (MAX_QUESTION_WORDS if question else MAX_HEADING_WORDS) or len(line.strip()) > (120 if question else 100):
        return None
    return COLON_LEVEL if last == ":" else NUMBERED_LEVEL if _NUMBERED.match(line) else LABEL_LEVEL


def _title_shaped(line: str) -> bool:
    shaped = _shape(line, 200)
    if not shaped or _NUMBERED.match(line) or len(shaped[2]) > MAX_TITLE_WORDS:
        return False
    _, last, words = shaped
    if last == ".":  # "So You Want to Be an AI Engineer? Here's What It Is Like.", not a sentence
        long = [w.strip(_CLOSERS + "\"'“‘(*_") for w in words]
        long = [w for w in long if sum(c.isalpha() for c in w) >= 4]
        return len(long) >= 3 and sum(w[:1].isupper() for w in long) >= 0.8 * len(long)
    return last not in ",;:!…-–—/+&|"


@functools.lru_cache(maxsize=16)
def plain_heading_map(text: str) -> dict[int, tuple[int, int]]:
    """start -> (end, level) of the plain headings of `text` (cached per text)."""
    spans: list[tuple[int, int]] = []  # each line of the body, without its newline
    pos = _body_start(text)
    while pos < len(text):
        nl = text.find("\n", pos)
        spans.append((pos, len(text) if nl == -1 else nl))
        pos = spans[-1][1] + 1
    n = len(spans)
    raw = [undecorated(text[s:e]) for s, e in spans]
    strip = [r.strip() for r in raw]
    blank = [not r for r in strip]
    code, i = [False] * n, 0
    while i < n:  # fenced code, closed the way blocks() closes it
        m = FENCE.match(raw[i])
        j = i
        if m:
            j = i + 1
            while j < n and not raw[j].lstrip().startswith(m.group(1)):
                j += 1
            code[i : min(j, n - 1) + 1] = [True] * (min(j, n - 1) + 1 - i)
        i = j + 1
    item = [not code[k] and bool(_PLAIN_ITEM.match(raw[k]) or _TABLE_ROW.match(raw[k])) for k in range(n)]
    numbered = [not code[k] and bool(_NUMBERED.match(raw[k])) for k in range(n)]
    content = [k for k in range(n) if not blank[k] and not code[k]][:2]
    title = (content[1] if len(content) > 1 and len(strip[content[0]].split()) == 1 else content[0]) if content else None
    level: list[int | None] = [None] * n
    for k in range(n):
        if not (blank[k] or code[k] or len(strip[k]) > 200):
            level[k] = TITLE_LEVEL if k == title and _title_shaped(raw[k]) else _heading_level(raw[k])
    nxt: list[int | None] = [None] * n
    for k in range(n - 2, -1, -1):
        nxt[k] = k + 1 if not blank[k + 1] else nxt[k + 1]

    def body(j: int) -> tuple[bool, int]:
        """Whether line j starts body text, and the length of that text."""
        if code[j] or item[j]:
            return True, len(strip[j])
        k = j + 1
        while k < n and k < j + 6 and not blank[k] and not code[k] and strip[k][:1].islower():
            k += 1  # a paragraph wrapped onto the next lines
        run = " ".join(strip[j:k])
        return bool(_SENT_FINAL.search(run)) or len(run.split()) >= 20 or len(split_sentences(run)) > 1, len(run)

    # Backwards: is a heading-shaped line followed by what follows a heading?
    followed: list[int | None] = [None] * n
    for k in range(n - 1, -1, -1):
        lvl, j = level[k], nxt[k]
        if lvl is None or j is None:
            continue
        tight = j == k + 1
        if (tight and strip[j][:1].islower()) or (numbered[k] and (item[j] or (tight and raw[j][:1].isspace()))):
            continue  # the line goes on in the next one; an item of a numbered list
        if followed[j] is not None and followed[j] != lvl:
            followed[k] = lvl  # a heading over a heading of another level
            continue
        prose, length = body(j)
        if prose and (item[j] or code[j] or length >= (TIGHT_BODY_RATIO * len(strip[k]) if tight else len(strip[k]) + 1)):
            followed[k] = lvl

    # Forwards: is it not a line inside a paragraph or a list?
    heads: dict[int, tuple[int, int]] = {}
    is_head, prev = [False] * n, None  # prev: the previous non-blank line
    for k in range(n):
        if blank[k]:
            continue
        p, prev = prev, k
        if followed[k] is None:
            continue
        if p is not None and not is_head[p] and not code[p]:
            if (numbered[k] and numbered[p]) or level[p] is not None:
                continue  # the next item of a numbered list; a run of short lines
            if p == k - 1 and (not _COMPLETE.search(strip[p])
                               or (not item[p] and len(strip[k]) > TIGHT_ABOVE_RATIO * len(strip[p]))):
                continue  # a line of a paragraph
        is_head[k] = True
        s, e = _trim(text, *spans[k])
        heads[s] = (e, followed[k])
    return heads
