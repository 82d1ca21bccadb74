"""What a markdown line is, read alone: a heading ("## Title", or a title underlined with
"===" / "---"), a code fence, a list item's marker. The splitter (rag.text.spans), the
answerer's units, study mode and the PDF reader share these, so a list is a list everywhere.
"""

from __future__ import annotations

import re

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
# A setext heading: a line of its own underlined with "===" (level 1) or "---" (level 2).
SETEXT = re.compile(r"^[ \t]{0,3}(={3,}|-{3,})[ \t]*$")
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
# A list item's marker: markdown's, or a bullet character that text copied from web pages,
# word processors and PDFs keeps ("• SQL window functions"). Without them such a list read as
# one sentence running across its items.
BULLETS = "-*+•·▪◦‣–"
LIST_MARK = re.compile(rf"[ \t]*(?:[{BULLETS}]|\d{{1,3}}[.)])[ \t]+")


def markdown_heading(block: str) -> tuple[int, str] | None:
    """(level, title) of a markdown heading block: "## Title", or a title underlined with
    "===" (1) or "---" (2); None for anything else."""
    m = HEADING.match(block)
    if m:
        return len(m.group(1)), m.group(2).strip()
    title, _, rule = block.partition("\n")
    under = SETEXT.match(rule)
    if under and title.strip():
        return (1 if under.group(1)[0] == "=" else 2), title.strip()
    return None
