"""Markdown-aware splitting into exact character spans.

Everything here returns offsets into the text it was given, never rewritten text, so a
chunk or a cited sentence is always ``text[start:end]`` of its source. The chunker packs
these units into chunks; the extractive answerer picks sentences from them.

Plain-text documents (text extracted from web pages, PDFs, notes) have no ``#`` headings
but do have heading-like lines: "The Short Version", "What the interview tests:", "Q & A".
A document with no markdown heading anywhere (see :func:`is_plain_text`) gets those lines
as headings too (see rag.text.plain_headings); a document with at least one ``#`` heading
is split exactly as markdown, as before. ``split_units`` / ``split_sections`` decide this
from the text itself unless the caller says (``plain_headings=True/False``), so the
chunker and the answer path, which only has the document text, always agree.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Callable

from rag.text.fences import fenced_prose, label_line
from rag.text.frontmatter import body_start as _body_start
from rag.text.plain_headings import new_line_of_notes, plain_heading_map, undecorated
from rag.text.sentences import split_sentences
from rag.text.sentences import trim as _trim
from rag.text.syntax import (
    COMMENT_CLOSE, COMMENT_OPEN, FENCE, FOOTNOTE_DEF, HEADING, LIST_MARK, MARKUP_LINE, OPEN_TAG, SETEXT, SUMMARY, SUMMARY_LEVEL,
    html_heading, markdown_heading, open_fence,
)
from rag.text.tables import HTML_ROW, html_row_end, is_row
from rag.text.unmarked import preformatted_line_starts, unmarked_item_starts


@dataclass(frozen=True)
class Unit:
    """A smallest piece of a document: a sentence, list item, table row, code block or heading
    (quotable), or markup a reader never sees (rag.text.syntax.MARKUP_LINE; it still counts
    towards a chunk's size, as the text around it does)."""

    start: int
    end: int
    kind: str  # sentence | item | row | code | heading | markup


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

    starts = unmarked_item_starts(text, plain_headings)
    symbol_items = {k for k, (ls, _) in enumerate(lines) if ls in starts}
    pre = frozenset() if plain_headings else preformatted_line_starts(text)
    preformatted = {k for k in symbol_items if lines[k][0] in pre}
    i = 0
    fenced = fenced_prose(text)
    fence = open_fence(text, start) if start else None
    if fence is not None and lines and not fenced.holds(start):
        # (a range that starts inside a code block, as a chunk cut from a long one does: its
        # closing fence is not an opening one, or the text after it would read as code)
        i = closing_fence(text, lines, 0, fence)
        yield "code", lines[0][0], lines[i][1]
        i += 1
    while i < len(lines):
        ls, le = lines[i]
        line = text[ls:le]
        if _blank(line) or SETEXT.match(line):  # (a rule that underlines no title separates, like a blank line)
            i += 1
            continue
        part = fenced.part_at(ls)  # (prose in a fence: its fence lines are markup, its code is code)
        if part is not None:
            yield part[2], ls, min(part[1], end)
            while i < len(lines) and lines[i][0] < part[1]:
                i += 1
            continue
        if FENCE.match(line):
            j = closing_fence(text, lines, i + 1, FENCE.match(line).group(1))
            yield "code", ls, lines[j][1]
            i = j + 1
            continue
        if i + 1 < len(lines) and SETEXT.match(text[lines[i + 1][0] : lines[i + 1][1]]) \
                and (i == 0 or not text[lines[i - 1][0] : lines[i - 1][1]].strip()) \
                and not (LIST_MARK.match(line) or is_row(text, ls, line) or HEADING.match(line)):
            yield "heading", ls, lines[i + 1][1]
            i += 2
            continue
        row_end = html_row_end(text, lines, i) if HTML_ROW.match(line) else None
        if row_end is not None:
            yield "row", ls, lines[row_end][1]
            i = row_end + 1
            continue
        comment = COMMENT_OPEN.match(line)
        if comment or OPEN_TAG.match(line):
            # A comment runs to the line that closes it (or the end); a tag to its ">" (or a blank line).
            j = _last_line(text, lines, i, COMMENT_CLOSE[comment.group(1)] if comment else ">", stop_at_blank=not comment)
            yield "markup", ls, lines[j][1]
            i = j + 1
            continue
        summary = SUMMARY.match(line)
        if summary and markdown_heading(summary.group(0))[1]:
            yield "heading", ls, ls + summary.end()
            if _BLOCK_TAGS.sub("", text[ls + summary.end() : le]).strip():
                lines[i] = (ls + summary.end(), le)  # the answer on the summary's own line is read on
            else:
                i += 1
            continue
        if MARKUP_LINE.match(line):
            yield "markup", ls, le
            i += 1
            continue
        if HEADING.match(line) or html_heading(line) or plain_heading(ls, le):
            yield "heading", ls, le
            i += 1
            continue
        if is_row(text, ls, line):
            yield "row", ls, le
            i += 1
            continue
        # A paragraph or a list item runs until a blank line, a heading, a fence, a table
        # row, or (for items) the next item.
        # (a fence keeps its lines: in prose there, a line is a unit of its own unless it carries on a
        # wrapped sentence, and "Orchestration: Azure Data Factory" is an item of the list it is in)
        fenced_line = fenced.holds(ls)
        is_item = bool(LIST_MARK.match(line)) or i in symbol_items or (fenced_line and label_line(line))
        j = i + 1
        while j < len(lines) and i not in preformatted:  # (such a line is an item of its own, and no more)
            nxt = text[lines[j][0] : lines[j][1]]
            if _blank(nxt) or HEADING.match(nxt) or html_heading(nxt) or FENCE.match(nxt) or is_row(text, lines[j][0], nxt) \
                    or SETEXT.match(nxt):
                break  # (a "---" under a paragraph of several lines is a rule, not part of its last sentence)
            if plain_heading(*lines[j]) or MARKUP_LINE.match(nxt) or SUMMARY.match(nxt) or OPEN_TAG.match(nxt) \
                    or COMMENT_OPEN.match(nxt):
                break
            if LIST_MARK.match(nxt) or FOOTNOTE_DEF.match(nxt) or j in symbol_items or _ENDS_BLOCK.search(text, *lines[j - 1]):
                break
            if fenced_line and not nxt.lstrip()[:1].islower():
                break
            if plain_headings and new_line_of_notes(text, text[lines[j - 1][0] : lines[j - 1][1]], nxt, is_item):
                break
            j += 1
        yield ("item" if is_item else "para"), ls, lines[j - 1][1]
        i = j


def _blank(line: str) -> bool:
    """An empty line, or one that holds only a hard line break ("\\"): pandoc separates the
    paragraphs of a page it converts with such lines, and no blank one."""
    return line.strip() in ("", "\\")


# An empty line, or one holding only a hard break, between two others. (A line of spaces, which
# markdown reads as blank too, is left out: sentences across one were joined before, and that
# measured better on one blind set's answers, gamedev g035, and no worse on the rest; round 32.)
PARAGRAPH_BREAK = re.compile(r"\n(?:[ \t]*\\[ \t]*)?\n")


def closing_fence(text: str, lines: list[tuple[int, int]], i: int, fence: str) -> int:
    """The line from `i` on that closes a code block opened with `fence` (the last line if none does)."""
    while i < len(lines) and not text[lines[i][0] : lines[i][1]].lstrip().startswith(fence):
        i += 1
    return min(i, len(lines) - 1)


# A line that closes an HTML block ("... in the window's order.</details>", "...</p>"): the next
# line starts a new block on the page, whatever markdown would glue to it.
_ENDS_BLOCK = re.compile(r"</(?:details|p|div|blockquote|section|article|aside|figure|li|ul|ol|table)[ \t]*>[ \t]*$", re.I)


def _last_line(text: str, lines: list[tuple[int, int]], i: int, closer: str, stop_at_blank: bool) -> int:
    """The index of the line, from line i on, that holds `closer`; the last line before a blank
    one (with `stop_at_blank`) or of the text when none does."""
    j = i
    while j + 1 < len(lines) and closer not in text[lines[j][0] : lines[j][1]] \
            and not (stop_at_blank and not text[lines[j + 1][0] : lines[j + 1][1]].strip()):
        j += 1
    return j


def list_start(text: str, item_start: int) -> int:
    """Where the list holding the item at `item_start` begins: its first item's marker, found in
    the whole text (as rag.text.tables.table_header finds a table's header), so the items of one
    list are one list wherever a chunk starts. Blank lines between items, an item's indented
    paragraphs and its lazy continuation lines stay inside the list; a heading, a table row or
    a paragraph after a blank line ends it. One pass up the lines."""
    symbols = unmarked_item_starts(text, is_plain_text(text))
    first = item_start
    line = text.rfind("\n", 0, item_start) + 1
    blank = False    # a blank line lies between `line` and the nearest item below it
    pending = False  # unindented text above that item, with no blank line: lazy continuation or lead-in
    while line > 0:
        prev = text.rfind("\n", 0, line - 1) + 1
        content = text[prev : line - 1]
        if not content.strip():
            if pending:
                break  # the text above the list was a paragraph of its own
            blank = True
        elif LIST_MARK.match(content) or prev in symbols:
            first, blank, pending = prev + len(content) - len(content.lstrip()), False, False
        elif HEADING.match(content) or is_row(text, prev, content) or FENCE.match(content):
            break
        elif not content[:1].isspace():
            if blank:
                break  # a paragraph after a blank line
            pending = True
        line = prev
    return first


LOOK_BACK = 2000  # characters: text with no blank lines (a pasted page) is not read from its top


def unit_before(text: str, pos: int) -> Unit | None:
    """The unit (markup aside) just before `pos` in the whole text, looked for in the paragraph
    `pos` is in and the one before it: what leads into a chunk that starts at `pos`."""
    floor = _body_start(text)
    if pos <= floor:
        return None
    if pos - LOOK_BACK > floor:
        floor = max(floor, text.rfind("\n", 0, pos - LOOK_BACK) + 1)  # from a line's start
    back = text.rfind("\n\n", floor, pos)
    back = text.rfind("\n\n", floor, back) if back > floor else -1
    units = [u for u in split_units(text, back + 2 if back >= 0 else floor, pos) if u.kind != "markup"]
    return units[-1] if units else None


# An item's first sentence of at most this many words is its label, not what it says.
LABEL_WORDS = 4
_WORD = re.compile(r"[^\W_]+")


def split_units(text: str, start: int = 0, end: int | None = None, plain_headings: bool | None = None,
                keep_whole: Callable[[str], bool] | None = None) -> list[Unit]:
    """The quotable units of text[start:end] in order.

    ``plain_headings``: whether heading-like lines of plain text are headings; None (the
    default) decides from the whole `text` (:func:`is_plain_text`). A list item of several
    sentences is split into sentences (the chunker packs sentences). An answerer passes
    ``keep_whole(item_text)``: an item it says yes to stays whole (an answer quotes
    "**Relocation bonus** - Helpful if you move. It can be …" as one item of its list); of
    any other, the first sentence (with the next, when the first is only a label) stays the
    item, a member of its list ("**Coding challenge**. Coding challenges are often given to
    new graduates."), and the rest are sentences of their own.
    """
    end = len(text) if end is None else end
    plain = is_plain_text(text) if plain_headings is None else plain_headings
    units: list[Unit] = []
    for kind, bs, be in blocks(text, start, end, plain):
        bs, be = _trim(text, bs, be)
        if kind in ("para", "item"):
            bs, be = _without_block_tags(text, bs, be)
        if bs >= be:
            continue
        if kind in ("para", "item"):
            # (an item's sentences are read after its marker: "1." is not a sentence of its own)
            # (a footnote's sentences, after its label: "[^3]: HackerRank is …")
            mark = LIST_MARK.match(text, bs, be) if kind == "item" else FOOTNOTE_DEF.match(text, bs, be)
            body = mark.end() if mark else bs
            spans = split_sentences(text, body, be)
            if kind == "item" and (len(spans) == 1 or (keep_whole is not None and keep_whole(text[bs:be]))):
                units.append(Unit(bs, be, "item"))
            else:
                if spans and body > bs:
                    spans[0] = (bs, spans[0][1])  # the marker stays with the item's first sentence
                if kind == "item" and keep_whole is not None and spans:
                    # (a first sentence that is only a label, "**Coding challenge**.", brings the next)
                    head = 1
                    while head < len(spans) and len(_WORD.findall(text, body, spans[head - 1][1])) <= LABEL_WORDS:
                        head += 1
                    units.append(Unit(spans[0][0], spans[head - 1][1], "item"))
                    spans = spans[head:]
                units.extend(Unit(s, e, "sentence") for s, e in spans)
        else:
            units.append(Unit(bs, be, kind))
    return units


# Tags that lay out blocks ("<p>", "</details>", "<br/>"), not inline ones ("<b>", "<code>", "<a>"),
# which a quote keeps as the words they wrap.
_BLOCK_TAGS = re.compile(r"<(?!/?(?:a|b|i|em|strong|code|kbd|u|s|sup|sub|mark|span|abbr|small|q|cite|var|samp)\b)/?[A-Za-z][^>\n]*>")


def _without_block_tags(text: str, start: int, end: int) -> tuple[int, int]:
    """text[start:end] without the layout tags it opens or closes with ("<p>Text</p>")."""
    while (m := _BLOCK_TAGS.match(text, start, end)) is not None:
        start, end = _trim(text, m.end(), end)
    while end > start and text[end - 1] == ">":
        open_at = text.rfind("<", start, end)
        if open_at < 0 or not _BLOCK_TAGS.fullmatch(text, open_at, end):
            break
        start, end = _trim(text, start, open_at)
    return start, end


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
    last_end = start
    for unit in split_units(text, start, end, plain):
        if stack and stack[-1][0] == SUMMARY_LEVEL and closes_details(text, last_end, unit):
            # The block is over: what follows is under the heading the block sat under.
            stack.pop()
            if any(u.kind != "heading" for u in current.units):
                sections.append(current)
                current = Section(headers=[t for _, t in stack])
            else:
                current = Section(headers=[t for _, t in stack], units=current.units)
        last_end = unit.end
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


# A <details> block's end: its summary (a heading, SUMMARY_LEVEL) heads nothing after it.
_DETAILS_END = re.compile(r"</details\s*>", re.I)


def closes_details(text: str, last_end: int, unit: Unit) -> bool:
    """Whether a <details> block closes between the unit before (ending at `last_end`) and
    `unit`: on a line of its own ("</details>", a markup unit) or after the block's last
    sentence ("... in the window's order.</details>"). A tag inside code is not markup."""
    end = unit.end if unit.kind == "markup" else unit.start
    return _DETAILS_END.search(text, last_end, max(last_end, end)) is not None


def heading_text(text: str, unit: Unit) -> str:
    """The title of a heading unit: a markdown heading's text, or a plain heading line
    without the colon of a label ("What the interview tests:" -> "What the interview tests")."""
    found = markdown_heading(text[unit.start : unit.end])
    if found:
        return found[1]
    line = undecorated(text[unit.start : unit.end]).strip()
    return line[:-1].rstrip() if line.endswith(":") and len(line) > 1 else line


@functools.lru_cache(maxsize=16)
def is_plain_text(text: str) -> bool:
    """Whether `text` has no markdown heading outside front matter and code: its
    heading-like lines are then headings (``plain_headings=None`` decides so)."""
    start = _body_start(text)
    if not re.search(r"^(?:#{1,6}[ \t]|[ \t]*<h[1-6]\b)", text[start:], re.M | re.I):
        return True
    return not any(kind == "heading" for kind, _, _ in blocks(text, start, len(text)))
