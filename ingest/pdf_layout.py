"""Blocks back into a PDF page's text.

pypdf gives one line per printed line and no blank line between paragraphs, so a heading ran
into the paragraph above it and a list into its lead-in, and the chunker and answerer (which
read blocks separated by blank lines, headings and list items) saw one block per page. This
puts the blank lines back where the layout shows a break:

- after a line that ends a sentence well short of the page's full line width (a paragraph's
  last line), and after a line that ends a list item or a paragraph before a new item;
- around a short line with no closing punctuation that starts with a capital (a heading).

It also writes the bullet glyphs PDF fonts use (Symbol and Wingdings dots) as "•", which the
list reader knows, on the line of its item, and joins a word hyphenated across a line break.
Before that, running headers and footers are dropped: a line that recurs at the top or bottom
of most pages, page numbers aside ("Page 3 of 12", the document's title).
"""

from __future__ import annotations

import re

from rag.text.syntax import LIST_MARK

# Bullets as they come out of common PDF fonts (Symbol/Wingdings private-use code points,
# reportlab's default glyph, geometric shapes).
_GLYPHS = re.compile("^([ \t]*)[\x7f\uf0b7\uf0a7\uf0fc\uf076\uf0d8\uf0e0●■□➢►❖✓✔][ \t]*")
_ENDS = re.compile(r"[.!?:;…][\"'”’)\]*_]*$")
_HYPHENATED = re.compile(r"(?<=[a-z])-\n(?=[a-z])")
FULL_LINE = 0.9      # a full line is as wide as this quantile of the page's lines ...
SHORT_LINE = 0.8     # ... and a paragraph's last line is shorter than this share of it
HEADING_LINE = 0.6   # a heading is shorter still, and has at most this many words
HEADING_WORDS = 12


# A running header or footer: one of a page's first or last lines that recurs, numbers aside,
# on at least this share of the pages (and on 3 or more): "Page 3 of 12", a document title.
EDGE_LINES = 2
RUNNING_SHARE = 0.6


def without_running_lines(pages: list[str]) -> list[str]:
    """The pages without their running headers and footers."""
    def edges(page: str) -> list[tuple[int, str]]:
        lines = [(i, line) for i, line in enumerate(page.split("\n")) if line.strip()]
        return lines[:EDGE_LINES] + lines[EDGE_LINES:][-EDGE_LINES:]

    def key(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.lower().split()))

    counts: dict[str, int] = {}
    for page in pages:
        for k in {key(line) for _, line in edges(page)}:
            counts[k] = counts.get(k, 0) + 1
    running = {k for k, n in counts.items() if n >= max(3, RUNNING_SHARE * len(pages))}
    if not running:
        return pages
    out = []
    for page in pages:
        drop = {i for i, line in edges(page) if key(line) in running}
        out.append("\n".join(line for i, line in enumerate(page.split("\n")) if i not in drop).strip())
    return out


def page_blocks(page: str) -> str:
    lines: list[str] = []
    for line in _HYPHENATED.sub("", page).split("\n"):
        line = _GLYPHS.sub(r"\1• ", line.rstrip())
        if lines and lines[-1].strip() == "•" and line.strip():
            lines[-1] = f"{lines[-1].rstrip()} {line.lstrip()}"  # a bullet set on a line of its own
        else:
            lines.append(line)
    widths = sorted(len(line.strip()) for line in lines if line.strip())
    if len(widths) < 3:
        return "\n".join(lines)
    full = widths[int(FULL_LINE * (len(widths) - 1))]
    out: list[str] = []
    for i, line in enumerate(lines):
        text = line.strip()
        if not text:
            if out and out[-1]:
                out.append("")
            continue
        prev = out[-1].strip() if out else ""
        heading = _is_heading(text, full) and i + 1 < len(lines) and bool(lines[i + 1].strip())
        ended = bool(prev) and bool(_ENDS.search(prev)) and (len(prev) < SHORT_LINE * full or bool(LIST_MARK.match(line)))
        if prev and (heading or ended):
            out.append("")
        out.append(line)
        if heading:
            out.append("")
    return "\n".join(out).strip("\n")


def _is_heading(text: str, full: int) -> bool:
    return (len(text) < HEADING_LINE * full and len(text.split()) <= HEADING_WORDS and text[:1].isupper()
            and not _ENDS.search(text) and not LIST_MARK.match(text))
