"""List items written without a list marker: lines opened by symbols ("✅ …", "👉 …"), and
the prose lines of a markdown indented block. Decided on the whole text, so a chunk that
holds one such line reads it as the chunker did."""

from __future__ import annotations

import functools
import re

from rag.text.syntax import FENCE, FOOTNOTE_DEF, HEADING, LIST_MARK, SYMBOL_MARK


@functools.lru_cache(maxsize=16)
def _symbol_item_starts(text: str) -> frozenset[int]:
    """Where the lines start that open with a symbol (SYMBOL_MARK) next to another such line,
    blank lines aside: the items of a list written with symbols instead of bullets. Decided on
    the whole text, so a chunk that holds one line of such a list reads it as the chunker did."""
    content = [m for m in re.finditer(r"[^\n]*", text) if m.group(0).strip()]
    marked = [SYMBOL_MARK.match(m.group(0)) is not None for m in content]
    return frozenset(m.start() for n, m in enumerate(content)
                     if marked[n] and ((n > 0 and marked[n - 1]) or (n + 1 < len(content) and marked[n + 1])))


def unmarked_item_starts(text: str, plain: bool) -> frozenset[int]:
    """Where the list items start that have no list marker: lines opened by symbols, and (in
    markdown) the prose lines of an indented block."""
    return _symbol_item_starts(text) if plain else _symbol_item_starts(text) | preformatted_line_starts(text)


# A line of code, not of prose: ends a statement or opens a block, calls, assigns or compares.
_CODE_LINE = re.compile(r"[;{}]\s*$|\w\([^()\n]*\)|\s(?:=|==|!=|\+=|-=|=>|->)\s|^\s*(?:def|class|return|import|#include)\b")


@functools.lru_cache(maxsize=16)
def preformatted_line_starts(text: str) -> frozenset[int]:
    """Where the lines start of each markdown indented block (four spaces or a tab, after a blank
    line or a heading, outside a list item or footnote) that holds prose, not code: the block
    renders line by line as written, so each line is an item, its own to quote, of a list led by
    the text above ("Redis (V3.2)" over "    Written in: C" / "    Main point: Blazing fast"),
    where a paragraph would run them together into one sentence."""
    starts: list[int] = []
    block: list[tuple[int, str]] = []
    inside = False     # in a fenced code block
    container = False  # the text above belongs to a list item or a footnote
    after_break = True  # a blank line or a heading lies just above

    def close() -> None:
        lines = [(at, line) for at, line in block if line.strip()]
        if lines and 2 * sum(_CODE_LINE.search(line) is not None for _, line in lines) < len(lines):
            starts.extend(at for at, _ in lines)
        block.clear()

    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if FENCE.match(line):
            close()
            inside, after_break = not inside, False
            continue
        if inside:
            continue
        if not line.strip():
            if block:
                block.append((start, line))
            after_break = True
            continue
        indent = len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())
        if indent >= 4 and (block or (after_break and not container)):
            block.append((start, line))
            continue
        close()
        if indent < 4 and (LIST_MARK.match(line) or FOOTNOTE_DEF.match(line)):
            container = True
        elif indent == 0 and after_break:
            container = False  # a paragraph of its own ends the list above
        after_break = HEADING.match(line) is not None
    close()
    return frozenset(starts)
