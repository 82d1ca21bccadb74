"""Blocks back into a PDF page's text, written as Markdown where the layout says more.

pypdf gives one line per printed line and no blank line between paragraphs, so a heading ran
into the paragraph above it and a list into its lead-in, and the chunker and answerer (which
read blocks separated by blank lines, headings and list items) saw one block per page. This
puts the blank lines back where the layout shows a break. Where pypdf says where each line
sits and how big its type is (`page_lines`), the page's own spacing decides:

- a gap between two lines clearly wider than the page's usual line pitch ends a paragraph
  (what a browser's or word processor's paragraph spacing prints);
- a line set in larger type than the document's body text is a heading, written as a
  Markdown heading whose level ranks its size (`type_sizes`), and a heading wrapped over
  two lines is one line again;
- a small shape drawn right before a line's first text is its bullet (browsers draw a list's
  disc), and a run of lines set in a fixed-width face is a fenced code block.

Without positions (and as well, for pages set without paragraph spacing), the lines' text
decides: a line that ends a sentence well short of the page's full line width ends a
paragraph, and so does one before a new list item; a short line with no closing punctuation
that starts with a capital is a heading. Then a line nearly as wide as the page's full lines,
which was wrapped to fit, is joined to the next (`_unwrapped`), and a sentence that runs over
a page break is one sentence (`continues`).

It also writes the bullet glyphs PDF fonts use (Symbol and Wingdings dots, the NUL a
browser prints for a list's disc) as "•", which the list reader knows, on the line of its
item; joins a word broken across lines after a hyphen (`_joined`); and writes typographic
ligatures as their letters ("ﬁ" is "fi", which neither the keyword index nor the embedder
would otherwise read as "fi"). Before that, running headers and footers are dropped: a line
that recurs at the top or bottom of most pages, page numbers aside ("Page 3 of 12", the
document's title), and the date, address and page count a browser prints at the edges of
every page it saves.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass

from rag.text.syntax import LIST_MARK

# Bullets as they come out of common PDF fonts (Symbol/Wingdings private-use code points,
# reportlab's default glyph, geometric shapes, and the NUL of a browser's list disc).
_GLYPHS = re.compile("^([ \t]*)[\x00\x7f\uf0b7\uf0a7\uf0fc\uf076\uf0d8\uf0e0●■□➢►❖✓✔][ \t]*")
_ENDS = re.compile(r"[.!?:;…][\"'”’)\]*_]*$")
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
# A line that ends in a word and a hyphen, and the line after it that goes on in lower case.
_BROKEN = re.compile(r"(\w+)-\n[ \t]*(?=([a-z0-9]\w*))")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FULL_LINE = 0.9      # a full line is as wide as this quantile of the page's lines ...
SHORT_LINE = 0.8     # ... and a paragraph's last line is shorter than this share of it
HEADING_LINE = 0.6   # a heading is shorter still, and has at most this many words
HEADING_WORDS = 12
WRAPPED_LINE = 0.75  # a line at least this share of the full width was wrapped to fit
FENCE_MARK = "```"
# With positions: a gap this many times the page's usual line pitch ends a paragraph
# (browsers print paragraphs 1 line apart, so a break is ~1.6x the pitch; a line pitch
# varies by a few per cent with the fonts on the line), and type this much larger than
# the body's is a heading.
PARAGRAPH_GAP = 1.3
HEADING_SIZE = 1.12
# A filled shape about this big (points, either side) right before a line's first text is
# its bullet: a browser's disc or square is 3-6 pt.
BULLET_MIN, BULLET_MAX = 1.5, 8.0


@dataclass(frozen=True)
class Line:
    """A printed line: its text, and where pypdf could say so, its baseline's height on the
    page (PDF units, up is larger) and its largest type size."""

    text: str
    y: float | None = None
    size: float | None = None
    mono: bool = False  # set in a fixed-width font throughout: code


def page_lines(page) -> list[Line]:
    """A pypdf page's lines (its `extract_text()` split at line breaks, ligatures as letters),
    with positions. A list item whose bullet is drawn, not printed (a browser draws a disc as
    a small filled shape), starts with "• " as if it were printed."""
    lines: list[Line] = []
    text: list[str] = []
    where: list = [None, None, None]          # y, size and fixed width of the line being read
    shape: list[float] = []                   # the path being drawn: x0, y0, x1, y1
    bullet = [False]                          # a bullet-sized shape was just filled

    def close() -> None:
        lines.append(Line("".join(text).translate(_LIGATURES), where[0], where[1], bool(where[2])))
        text.clear()
        where[:] = [None, None, None]

    def visit(chunk: str, cm, tm, font, font_size) -> None:
        for i, part in enumerate(chunk.split("\n")):
            if i:
                close()
            if part:
                if part.strip() and bullet[0]:
                    if not "".join(text).strip() and not _GLYPHS.match(part) and not LIST_MARK.match(part):
                        part = "• " + part.lstrip()
                    bullet[0] = False
                text.append(part)
                if part.strip():
                    where[2] = (where[2] is None or where[2]) and _fixed_width(font)
                if part.strip() and cm[1] == cm[2] == tm[1] == tm[2] == 0:  # unrotated: y is tm's, scaled by cm
                    if where[0] is None:
                        where[0] = cm[3] * tm[5] + cm[5]
                    size = abs(font_size * tm[3] * cm[3])
                    where[1] = max(where[1] or 0.0, size)

    def draw(op: bytes, args, cm, _tm) -> None:
        if op in (b"m", b"l", b"c", b"v", b"y", b"re"):
            try:
                numbers = [float(a) for a in args]
                points = list(zip(numbers[0::2], numbers[1::2])) if op != b"re" else \
                    [(numbers[0], numbers[1]), (numbers[0] + numbers[2], numbers[1] + numbers[3])]
            except (TypeError, ValueError, IndexError):
                return  # a malformed path is only not a bullet: the page's text still reads
            for x, y in points:
                shape[:] = [min(shape[0], x), min(shape[1], y), max(shape[2], x), max(shape[3], y)] if shape else [x, y, x, y]
        elif op in (b"f", b"F", b"f*", b"b", b"B", b"b*", b"B*", b"n", b"S", b"s"):
            if shape and op not in (b"n", b"S", b"s"):
                scale = math.hypot(cm[0], cm[1]) or 1.0
                w, h = (shape[2] - shape[0]) * scale, (shape[3] - shape[1]) * scale
                # (a link's underline may be filled between a bullet and its text)
                bullet[0] |= BULLET_MIN <= w <= BULLET_MAX and BULLET_MIN <= h <= BULLET_MAX and 0.5 <= w / h <= 2
            shape.clear()

    page.extract_text(visitor_text=visit, visitor_operand_before=draw)
    close()
    return lines


# Fixed-width type faces by name ("DejaVuSansMono", "Courier", LaTeX's "CMTT10").
_FIXED_FONT = re.compile(r"mono|courier|consol|menlo|monaco|inconsolata|typewriter|cmtt|code", re.I)


def _fixed_width(font) -> bool:
    try:
        return bool(font) and bool(_FIXED_FONT.search(str(font.get("/BaseFont", ""))))
    except (AttributeError, TypeError):
        return False


def lines_of(page: str) -> list[Line]:
    """A page's text as lines without positions."""
    return [Line(line) for line in page.split("\n")]


# A line a browser prints at the edge of every page it saves: "12/6/26, 1:20 PM Page title",
# "https://example.com/guide 2/5", or a lone page count ("3/12", "Page 3 of 12").
_PRINT_STAMP = re.compile(
    r"\s*(?:\d{1,2}/\d{1,2}/\d{2,4},?\s+\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AP]M)?(?:\s.*)?"
    r"|(?:file|https?)://\S+(?:\s+\d+\s*/\s*\d+)?"
    r"|(?:page\s+)?\d+\s*(?:/|of)\s*\d+)\s*", re.I)

# A running header or footer: one of a page's first or last lines that recurs, numbers aside,
# on at least this share of the pages (and on 3 or more): "Page 3 of 12", a document title.
EDGE_LINES = 2
RUNNING_SHARE = 0.6


def without_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
    """The pages without their running headers and footers (and a browser's print stamps)."""
    def edges(page: list[Line]) -> list[int]:
        filled = [i for i, line in enumerate(page) if line.text.strip()]
        return filled[:EDGE_LINES] + filled[EDGE_LINES:][-EDGE_LINES:]

    def key(line: Line) -> str:
        return re.sub(r"\d+", "#", " ".join(line.text.lower().split()))

    counts: dict[str, int] = {}
    for page in pages:
        for k in {key(page[i]) for i in edges(page)}:
            counts[k] = counts.get(k, 0) + 1
    running = {k for k, n in counts.items() if n >= max(3, RUNNING_SHARE * len(pages))}
    out = []
    for page in pages:
        drop = {i for i in edges(page) if key(page[i]) in running or _PRINT_STAMP.fullmatch(page[i].text)}
        kept = [line for i, line in enumerate(page) if i not in drop]
        while kept and not kept[0].text.strip():
            kept.pop(0)
        while kept and not kept[-1].text.strip():
            kept.pop()
        out.append(kept)
    return out


def vocabulary(pages: list[list[Line]]) -> frozenset[str]:
    """The lower-cased words a document prints whole (hyphenated ones as one word; not the
    pieces of a word broken at a line's end), to tell a word split to fit a line from a
    compound broken at its hyphen."""
    text = "\n".join(line.text for page in pages for line in page).translate(_LIGATURES).lower()
    return frozenset(_WORD.findall(_BROKEN.sub(" ", text)))


def _joined(m: re.Match, words: frozenset[str]) -> str:
    """A word broken after its hyphen, on one line. The hyphen goes only where the document
    prints the word whole elsewhere ("optimiza-" + "tion" where it also says "optimization"):
    browsers and word processors do not split words to fit, so a hyphen at a line's end is
    most often the compound's own ("fine-tuning", "T-shirt", "5-point")."""
    head, tail = m.group(1), m.group(2)
    if (head + tail).lower() in words and f"{head}-{tail}".lower() not in words:
        return head
    return f"{head}-"


def type_sizes(pages: list[list[Line]]) -> tuple[float | None, dict[float, int]]:
    """The document's body type size, and the level of each larger size its lines are set in
    (the largest is 1): a heading in larger type is written as a Markdown heading of that
    level, so a PDF's sections head its chunks as a Markdown file's and a Word file's do."""
    sizes = [line.size for page in pages for line in page for _ in range(len(line.text)) if line.size and not line.mono]
    if not sizes:
        return None, {}
    body = statistics.median(sizes)
    larger = {_size_key(line.size) for page in pages for line in page
              if line.size and line.size >= HEADING_SIZE * body and line.text.strip() and not line.mono
              and not LIST_MARK.match(line.text.strip())}
    return body, {size: min(level, 6) for level, size in enumerate(sorted(larger, reverse=True), 1)}


def _size_key(size: float) -> float:
    return round(size * 2) / 2


def page_blocks(page: list[Line] | str, words: frozenset[str] = frozenset(),
                sizes: tuple[float | None, dict[float, int]] = (None, {})) -> str:
    """The page's text with blank lines between its blocks (`words`: the document's
    vocabulary; `sizes`: its body type size and heading levels, `type_sizes`)."""
    if isinstance(page, str):
        page = lines_of(page)
    text = "\n".join(line.text for line in page).translate(_LIGATURES)
    # Rejoin broken words line by line, keeping each line's position (the first line's).
    merged: list[Line] = []
    for line, raw in zip(page, text.split("\n")):
        if merged and not line.mono and not merged[-1].mono and _BROKEN.search(merged[-1].text + "\n" + raw.lstrip()):
            prev = merged.pop()
            joined = _BROKEN.sub(lambda m: _joined(m, words), prev.text + "\n" + raw.lstrip(), count=1)
            merged.append(Line(joined, prev.y, prev.size, prev.mono))
        else:
            merged.append(Line(raw, line.y, line.size, line.mono))
    lines: list[Line] = []
    for line in merged:
        shown = line.text.rstrip() if line.mono else _GLYPHS.sub(r"\1• ", line.text.rstrip())
        if lines and lines[-1].text.strip() == "•" and shown.strip():
            # a bullet set on a line of its own
            lines[-1] = Line(f"{lines[-1].text.rstrip()} {shown.lstrip()}", lines[-1].y, lines[-1].size)
        else:
            lines.append(Line(shown, line.y, line.size, line.mono))
    widths = sorted(len(line.text.strip()) for line in lines if line.text.strip())
    if len(widths) < 3:
        return "\n".join(line.text for line in lines)
    full = widths[int(FULL_LINE * (len(widths) - 1))]
    pitch, body = _spacing(lines)
    body, levels = (sizes[0] or body), sizes[1]
    out: list[str] = []
    prev_line: Line | None = None
    code = False
    for i, line in enumerate(lines):
        text = line.text.strip()
        # (a list item of inline code, "• mean([]) = NaN", is an item)
        is_code = line.mono and not LIST_MARK.match(line.text)
        if code and not (is_code or not text):
            out += [FENCE_MARK, ""]  # the code block ends
            code = False
        if is_code and text:
            # Code keeps its lines as printed, inside a fence, where the text readers expect it.
            if not code:
                out += ["", FENCE_MARK] if out else [FENCE_MARK]
                code = True
            out.append(line.text.rstrip())
            prev_line = line
            continue
        if not text:
            if out and out[-1] and not code:
                out.append("")
            continue
        larger = bool(body) and line.size is not None and line.size >= HEADING_SIZE * body and not LIST_MARK.match(text)
        if larger and prev_line is not None and out and out[-1] and prev_line.size == line.size \
                and _gap(prev_line, line) is not None and _gap(prev_line, line) <= PARAGRAPH_GAP * 1.5 * line.size:
            out[-1] = f"{out[-1].rstrip()} {text}"  # a heading wrapped over two lines
            prev_line = line
            continue
        prev = out[-1].strip() if out else ""
        heading = larger or (_is_heading(text, full) and i + 1 < len(lines) and bool(lines[i + 1].text.strip()))
        ended = bool(prev) and bool(_ENDS.search(prev)) and (len(prev) < SHORT_LINE * full or bool(LIST_MARK.match(line.text)))
        gap = _gap(prev_line, line) if prev_line is not None else None
        spaced = bool(pitch) and gap is not None and (gap > PARAGRAPH_GAP * pitch or gap < 0)
        after_heading = prev_line is not None and bool(body) and prev_line.size is not None \
            and prev_line.size >= HEADING_SIZE * body and not larger
        if prev and (heading or ended or spaced or after_heading):
            out.append("")
        out.append(line.text)
        if heading and not larger:
            out.append("")
        prev_line = line
        if larger and _size_key(line.size) in levels:
            out[-1] = f"{'#' * levels[_size_key(line.size)]} {text}"
    if code:
        out.append(FENCE_MARK)
    return _unwrapped(out, full)


def _unwrapped(out: list[str], full: int) -> str:
    """The blocks with each wrapped line joined to the next: a line nearly as wide as the
    page's full lines was broken to fit, so the sentence or list item it holds goes on
    (read line by line, an item ended at its first line break); a shorter line was broken
    on purpose, and a line that opens a list item starts one."""
    text: list[str] = []
    code = False
    for line in out:
        if line == FENCE_MARK:
            code = not code
            text.append(line)
        elif not code and text and text[-1] and text[-1] != FENCE_MARK and line.strip() \
                and len(text[-1].strip()) >= WRAPPED_LINE * full and not LIST_MARK.match(line) \
                and not text[-1].rstrip().endswith("-"):
            text[-1] = f"{text[-1].rstrip()} {line.strip()}"
        else:
            text.append(line)
    # A NUL left is a glyph the PDF gives no character for (an emoji, an icon).
    return re.sub(r"\n{3,}", "\n\n", "\n".join(text)).replace("\x00", "").strip("\n")


def continues(page: str, after: str) -> bool:
    """Whether `after` (a page's text) goes on with the sentence `page` (the page before it)
    ends in: the page ends without closing punctuation and the next opens in lower case."""
    last, first = page.rstrip(), after.lstrip()
    return bool(last) and bool(first) and not _ENDS.search(last) and (first[0].islower() or first[0].isdigit()) \
        and not LIST_MARK.match(first)


def _gap(above: Line, below: Line) -> float | None:
    if above.y is None or below.y is None:
        return None
    return above.y - below.y


def _spacing(lines: list[Line]) -> tuple[float | None, float | None]:
    """The page's usual line pitch and body type size, or None where pypdf gave no positions."""
    sizes = [line.size for line in lines for _ in range(len(line.text)) if line.size]
    if not sizes:
        return None, None
    body = statistics.median(sizes)
    gaps = [g for a, b in zip(lines, lines[1:]) if (g := _gap(a, b)) is not None and 0 < g < 3 * body
            and a.size and b.size and math.isclose(a.size, body, rel_tol=0.05) and math.isclose(b.size, body, rel_tol=0.05)]
    if len(gaps) < 3:
        return None, body
    return statistics.median(gaps), body


def _is_heading(text: str, full: int) -> bool:
    return (len(text) < HEADING_LINE * full and len(text.split()) <= HEADING_WORDS and text[:1].isupper()
            and not _ENDS.search(text) and not LIST_MARK.match(text))
