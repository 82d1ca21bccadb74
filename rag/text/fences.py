"""Prose someone put in a code fence.

Notes written with a chatbot, and guides generated from one, often keep their answers in ```
fences as plain lines: "SCD Type 2: Add new row with version tracking", "- RANK: Same rank for
ties, gaps after", "Orchestration: Azure Data Factory". A reader reads those as text, and the
answerer, which never quotes code, should too. So a stretch of a fenced block (its lines between
blank lines) whose lines read as prose is split like the text around it, and the fence lines
around it are markup; the block's other stretches (the query above "Key concepts:") stay code.

A line reads as prose when it has no code in it (no comment marker or statement keyword at its
start, none of ``; { } = < >``, no call, no box drawing, no table of pipes) and is a list item, a
"Label: two or more words" line, or five or more plain words (or carries on such a line: "to under
15 minutes."). A stretch is prose when most of its lines are and, unless most of the block's lines
are, at least two: a block of code with one comment-free line of output ("Output: the sorted list")
is still code. (An indented block is read the other way round, rag.text.unmarked: markdown makes
no code of it unless it is code, where a fence is code unless it is prose.)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from rag.text.syntax import FENCE, LIST_MARK

# A comment, a prompt, or a statement's keyword (lower case: prose lines start with a capital, and
# "if (i, j) in visited:" is five plain words).
_CODE_START = re.compile(r"[ \t]*(?:#|//|--|/\*|\*/|>>>|\$[ \t]|(?:if|elif|else|for|while|def|class|return|import|from|try|"
                         r"except|with|switch|case|const|let|var|function|public|private|static)\b)")
_CODE = re.compile(r"[;{}=<>`\\]|\w\(|[\u2500-\u257f]|\|[^|\n]*\|")
_LABEL = re.compile(r"[ \t]*[^\W\d_][\w /&'’()+.-]{0,40}:[ \t]+\S+[ \t]+\S")
_PLAIN_WORD = re.compile(r"[(\"'“‘]?(?:[^\W\d_][^\W\d_'’-]*|[\d$€£+~][\d,.:%$€£kKmM–-]*|[-–—→&/])[,.;:!?)\"'”’]*")
PLAIN_WORDS = 5
PROSE_SHARE = 0.6
PLAIN_SHARE = 0.85  # ("kubectl get pods -n production": four plain words of five)


def label_line(line: str) -> bool:
    """"Orchestration: Azure Data Factory": a label and what it says, a line of a list."""
    return _LABEL.match(line) is not None


def prose_line(line: str) -> bool:
    """A line of a fenced block that reads as prose (see the module doc)."""
    if _CODE_START.match(line) or _CODE.search(line):
        return False
    if LIST_MARK.match(line) or _LABEL.match(line):
        return True
    tokens = line.split()
    return len(tokens) >= PLAIN_WORDS and sum(_PLAIN_WORD.fullmatch(t) is not None for t in tokens) >= PLAIN_SHARE * len(tokens)


@dataclass(frozen=True)
class FencedProse:
    """Where a document's fenced blocks hold prose: each such block's span, and the parts of it
    that are not prose: its fence lines (markup) and its stretches of code."""

    blocks: tuple[tuple[int, int], ...]  # (opening line start, closing line end)
    parts: tuple[tuple[int, int, str], ...]  # (start, end, "markup" | "code")

    def holds(self, pos: int) -> bool:
        """Whether `pos` lies inside one of these blocks."""
        return any(s <= pos < e for s, e in self.blocks)

    def part_at(self, pos: int) -> tuple[int, int, str] | None:
        """The fence line or code stretch of such a block that `pos` lies in, if any."""
        return next((p for p in self.parts if p[0] <= pos < p[1]), None)


@functools.lru_cache(maxsize=16)
def fenced_prose(text: str) -> FencedProse:
    lines: list[tuple[int, int]] = []
    pos = 0
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        lines.append((pos, end))
        pos = end + 1
    blocks: list[tuple[int, int]] = []
    parts: list[tuple[int, int, str]] = []
    i = 0
    while i < len(lines):
        opened = FENCE.match(text[lines[i][0] : lines[i][1]])
        if not opened:
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not text[lines[j][0] : lines[j][1]].lstrip().startswith(opened.group(1)):
            j += 1
        stretches = _stretches(text, lines[i + 1 : j])
        if any(prose for prose, _ in stretches):
            fences = [lines[i]] + ([lines[j]] if j < len(lines) else [])
            parts += [(s, max(e, s + 1), "markup") for s, e in fences]
            parts += [(run[0][0], run[-1][1], "code") for prose, run in stretches if not prose]
            blocks.append((lines[i][0], lines[min(j, len(lines) - 1)][1]))
        i = j + 1
    return FencedProse(tuple(blocks), tuple(sorted(parts)))


def _stretches(text: str, body: list[tuple[int, int]]) -> list[tuple[bool, list[tuple[int, int]]]]:
    """The block's runs of non-blank lines, each with whether it reads as prose."""
    runs: list[list[tuple[int, int]]] = [[]]
    for s, e in body:
        if text[s:e].strip():
            runs[-1].append((s, e))
        elif runs[-1]:
            runs.append([])
    runs = [run for run in runs if run]
    prose = [_prose_lines(text, run) for run in runs]
    mostly = sum(prose) >= PROSE_SHARE * sum(len(run) for run in runs)
    return [(p >= PROSE_SHARE * len(run) and (p >= 2 or mostly), run) for p, run in zip(prose, runs)]


def _prose_lines(text: str, run: list[tuple[int, int]]) -> int:
    """How many lines of a run read as prose; a line that carries on a wrapped one ("to under 15
    minutes.") does when the line it carries on does."""
    count, before = 0, False
    for s, e in run:
        line = text[s:e]
        before = prose_line(line) or (before and line.lstrip()[:1].islower() and not _CODE.search(line)
                                      and not _CODE_START.match(line))
        count += before
    return count
