"""Markdown-aware splitting into exact character spans.

Everything here returns offsets into the text it was given, never rewritten text, so a
chunk or a cited sentence is always ``text[start:end]`` of its source. The chunker packs
these units into chunks; the extractive answerer picks sentences from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_LIST_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+")
_TABLE_ROW = re.compile(r"^[ \t]*\|")
# A sentence ends at . ! ? (optionally followed by closing quotes/brackets) and whitespace,
# when the next sentence starts like one. Abbreviations are checked separately.
_SENT_END = re.compile(r"[.!?][\"'”’)\]]*\s+(?=[\"'“‘(\[*_-]*[A-Z0-9`$])")
_ABBREV = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|Dr|Mr|Ms|Mrs|Prof|Inc|Ltd|Jr|Sr|St|No|Fig|U\.S|U\.K|a\.k\.a)|\b[A-Z])\.$", re.I)


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


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
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
        s, e = _trim(text, cursor, m.end())
        if s < e:
            spans.append((s, e))
        cursor = m.end()
    s, e = _trim(text, cursor, end)
    if s < e:
        spans.append((s, e))
    return spans


def blocks(text: str, start: int, end: int):
    """Yield (kind, start, end) for the markdown blocks in text[start:end]."""
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
        if not line.strip():
            i += 1
            continue
        if _FENCE.match(line):
            fence = _FENCE.match(line).group(1)
            j = i + 1
            while j < len(lines) and not text[lines[j][0] : lines[j][1]].lstrip().startswith(fence):
                j += 1
            j = min(j, len(lines) - 1)
            yield "code", ls, lines[j][1]
            i = j + 1
            continue
        heading = _HEADING.match(line)
        if heading:
            yield "heading", ls, le
            i += 1
            continue
        if _TABLE_ROW.match(line):
            yield "row", ls, le
            i += 1
            continue
        # A paragraph or a list item runs until a blank line, a heading, a fence, a table
        # row, or (for items) the next item.
        is_item = bool(_LIST_ITEM.match(line))
        j = i + 1
        while j < len(lines):
            nxt = text[lines[j][0] : lines[j][1]]
            if not nxt.strip() or _HEADING.match(nxt) or _FENCE.match(nxt) or _TABLE_ROW.match(nxt):
                break
            if _LIST_ITEM.match(nxt):
                break
            j += 1
        yield ("item" if is_item else "para"), ls, lines[j - 1][1]
        i = j


def split_units(text: str, start: int = 0, end: int | None = None) -> list[Unit]:
    """The quotable units of text[start:end] in order."""
    end = len(text) if end is None else end
    units: list[Unit] = []
    for kind, bs, be in blocks(text, start, end):
        bs, be = _trim(text, bs, be)
        if bs >= be:
            continue
        if kind in ("para", "item"):
            spans = split_sentences(text, bs, be)
            if kind == "item" and len(spans) == 1:
                units.append(Unit(bs, be, "item"))
            else:
                units.extend(Unit(s, e, "sentence") for s, e in spans)
        else:
            units.append(Unit(bs, be, kind))
    return units


def split_sections(text: str, start: int = 0, end: int | None = None) -> list[Section]:
    """Group units under their heading path. Heading-only sections merge into the next."""
    end = len(text) if end is None else end
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    current = Section(headers=[])
    for unit in split_units(text, start, end):
        if unit.kind == "heading":
            m = _HEADING.match(text[unit.start : unit.end])
            level, title = len(m.group(1)), m.group(2).strip()
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
    m = _HEADING.match(text[unit.start : unit.end])
    return m.group(2).strip() if m else text[unit.start : unit.end]
