"""Markdown-aware splitting into exact character spans.

Everything here returns offsets into the text it was given, never rewritten text, so a
chunk or a cited sentence is always ``text[start:end]`` of its source. The chunker packs
these units into chunks; the extractive answerer picks sentences from them.

Plain-text documents (text extracted from web pages, PDFs, notes) have no ``#`` headings
but do have heading-like lines: "The Short Version", "What the interview tests:", "Q & A".
A document with no markdown heading anywhere (see :func:`is_plain_text`) gets those lines
as headings too (see :func:`plain_headings`); a document with at least one ``#`` heading
is split exactly as markdown, as before. ``split_units`` / ``split_sections`` decide this
from the text itself unless the caller says (``plain_headings=True/False``), so the
chunker and the answer path, which only has the document text, always agree.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable

from rag.text.frontmatter import body_start as _body_start
from rag.text.sentences import split_sentences
from rag.text.sentences import trim as _trim
from rag.text.syntax import BULLETS, FENCE, HEADING, LIST_MARK, SETEXT, markdown_heading
from rag.text.tables import TABLE_ROW as _TABLE_ROW


@dataclass(frozen=True)
class Unit:
    """A smallest quotable piece: a sentence, list item, table row, code block or heading."""

    start: int
    end: int
    kind: str  # sentence | item | row | code | heading


@dataclass
class Section:
    """A heading and the units below it, up to the next heading."""

    headers: list[str]
    units: list[Unit] = field(default_factory=list)

    @property
    def header_path(self) -> str:
        return " > ".join(self.headers)


def blocks(text: str, start: int, end: int, plain_headings: bool = False):
    """Yield (kind, start, end) for the markdown blocks in text[start:end].

    With ``plain_headings`` the heading-like lines of a plain-text document (decided on
    the whole of `text`, see :func:`plain_headings`) are "heading" blocks too. It is off
    by default: callers that parse ``#`` headings themselves (rag.study.extract) see
    markdown blocks only.
    """
    heads = plain_heading_map(text) if plain_headings else {}

    def plain_heading(ls: int, le: int) -> bool:
        if not heads:
            return False
        ts, te = _trim(text, ls, le)
        found = heads.get(ts)
        return found is not None and found[0] == te

    pos = start
    lines: list[tuple[int, int]] = []
    while pos < end:
        nl = text.find("\n", pos, end)
        line_end = end if nl == -1 else nl
        lines.append((pos, line_end))
        pos = line_end + 1

    i = 0
    while i < len(lines):
        ls, le = lines[i]
        line = text[ls:le]
        if not line.strip() or SETEXT.match(line):  # (a rule that underlines no title separates, like a blank line)
            i += 1
            continue
        if FENCE.match(line):
            fence = FENCE.match(line).group(1)
            j = i + 1
            while j < len(lines) and not text[lines[j][0] : lines[j][1]].lstrip().startswith(fence):
                j += 1
            j = min(j, len(lines) - 1)
            yield "code", ls, lines[j][1]
            i = j + 1
            continue
        if i + 1 < len(lines) and SETEXT.match(text[lines[i + 1][0] : lines[i + 1][1]]) \
                and (i == 0 or not text[lines[i - 1][0] : lines[i - 1][1]].strip()) \
                and not (LIST_MARK.match(line) or _TABLE_ROW.match(line) or HEADING.match(line)):
            yield "heading", ls, lines[i + 1][1]
            i += 2
            continue
        heading = HEADING.match(line)
        if heading or plain_heading(ls, le):
            yield "heading", ls, le
            i += 1
            continue
        if _TABLE_ROW.match(line):
            yield "row", ls, le
            i += 1
            continue
        # A paragraph or a list item runs until a blank line, a heading, a fence, a table
        # row, or (for items) the next item.
        is_item = bool(LIST_MARK.match(line))
        j = i + 1
        while j < len(lines):
            nxt = text[lines[j][0] : lines[j][1]]
            if not nxt.strip() or HEADING.match(nxt) or FENCE.match(nxt) or _TABLE_ROW.match(nxt) or SETEXT.match(nxt):
                break  # (a "---" under a paragraph of several lines is a rule, not part of its last sentence)
            if plain_heading(*lines[j]):
                break
            if LIST_MARK.match(nxt):
                break
            if is_item and plain_headings and _new_line_of_notes(text[lines[j - 1][0] : lines[j - 1][1]], nxt):
                break
            j += 1
        yield ("item" if is_item else "para"), ls, lines[j - 1][1]
        i = j


# In plain-text notes, a line right under a list item that opens a new sentence is a new
# paragraph ("* analytics on clicks\nI forgot to mention rate limiting."), where markdown
# would read it as the item's lazy continuation; a line that carries on the item's words
# ("* experience with\nPython and SQL") still belongs to the item.
_CARRIES_ON = re.compile(r"(?:[,;:(/&+–—-]|\b(?:and|or|but|the|a|an|of|to|with|for|in|on|at|by|as|from|vs\.?))\s*$", re.I)


def _new_line_of_notes(line: str, nxt: str) -> bool:
    return nxt[:1].isupper() and not _CARRIES_ON.search(line)


def split_units(text: str, start: int = 0, end: int | None = None, plain_headings: bool | None = None,
                keep_whole: Callable[[str], bool] | None = None) -> list[Unit]:
    """The quotable units of text[start:end] in order.

    ``plain_headings``: whether heading-like lines of plain text are headings; None (the
    default) decides from the whole `text` (:func:`is_plain_text`). A list item of several
    sentences is split into sentences, unless ``keep_whole(item_text)`` says it is to stay
    whole (an answer quotes "**Relocation bonus** - Helpful if you move. It can be …" as
    one item of its list; the chunker packs sentences).
    """
    end = len(text) if end is None else end
    plain = is_plain_text(text) if plain_headings is None else plain_headings
    units: list[Unit] = []
    for kind, bs, be in blocks(text, start, end, plain):
        bs, be = _trim(text, bs, be)
        if bs >= be:
            continue
        if kind in ("para", "item"):
            # (an item's sentences are read after its marker: "1." is not a sentence of its own)
            mark = LIST_MARK.match(text, bs, be) if kind == "item" else None
            body = mark.end() if mark else bs
            spans = split_sentences(text, body, be)
            if kind == "item" and (len(spans) == 1 or (keep_whole is not None and keep_whole(text[bs:be]))):
                units.append(Unit(bs, be, "item"))
            else:
                if spans and body > bs:
                    spans[0] = (bs, spans[0][1])  # the marker stays with the item's first sentence
                units.extend(Unit(s, e, "sentence") for s, e in spans)
        else:
            units.append(Unit(bs, be, kind))
    return units


def split_sections(text: str, start: int = 0, end: int | None = None,
                   plain_headings: bool | None = None) -> list[Section]:
    """Group units under their heading path. Heading-only sections merge into the next.

    ``plain_headings`` as in :func:`split_units`.
    """
    end = len(text) if end is None else end
    plain = is_plain_text(text) if plain_headings is None else plain_headings
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    current = Section(headers=[])
    for unit in split_units(text, start, end, plain):
        if unit.kind == "heading":
            found = markdown_heading(text[unit.start : unit.end])
            if found:
                level, title = found
            else:
                level, title = plain_heading_map(text)[unit.start][1], heading_text(text, unit)
            if any(u.kind != "heading" for u in current.units):
                sections.append(current)
                carried: list[Unit] = []
            else:
                carried = current.units  # a bare heading stays with what follows it
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            current = Section(headers=[t for _, t in stack], units=carried + [unit])
        else:
            current.units.append(unit)
    if current.units:
        sections.append(current)
    return sections


def heading_text(text: str, unit: Unit) -> str:
    """The title of a heading unit: a markdown heading's text, or a plain heading line
    without the colon of a label ("What the interview tests:" -> "What the interview tests")."""
    found = markdown_heading(text[unit.start : unit.end])
    if found:
        return found[1]
    line = text[unit.start : unit.end].strip()
    return line[:-1].rstrip() if line.endswith(":") and len(line) > 1 else line


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
_COMPLETE = re.compile(r"[.!?…:][\"'”’)\]*_]*$")
_DANGLING = frozenset("and or but nor the a an of to in on at by for from with into onto as that which who whose "
                      "is are was were be than vs via its their your our".split())


@functools.lru_cache(maxsize=16)
def is_plain_text(text: str) -> bool:
    """Whether `text` has no markdown heading outside front matter and code: its
    heading-like lines are then headings (``plain_headings=None`` decides so)."""
    start = _body_start(text)
    if not re.search(r"^#{1,6}[ \t]", text[start:], re.M):
        return True
    return not any(kind == "heading" for kind, _, _ in blocks(text, start, len(text)))


def plain_headings(text: str) -> list[tuple[int, int, int]]:
    """(start, end, level) of the heading-like lines of `text` read as plain text
    (whether or not it has markdown headings; see the rule above)."""
    return [(s, e, level) for s, (e, level) in sorted(plain_heading_map(text).items())]


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
    last = (s.rstrip(_CLOSERS) or s)[-1]
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
    raw = [text[s:e] for s, e in spans]
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
