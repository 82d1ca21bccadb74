"""Tables: rows, the rule under the header, the header a row is read under. Markdown's pipe
tables, and the HTML tables markdown files hold (a `<tr>` of simple cells is a row too)."""

from __future__ import annotations

import functools
import re

from rag.text.syntax import open_fence

TABLE_ROW = re.compile(r"^[ \t]*\|")
HTML_ROW = re.compile(r"[ \t]*<tr\b", re.I)  # (matched at a line's start or a row's offset)
_HTML_ROW_OPEN = re.compile(r"<tr\b", re.I)
_HTML_ROW_CLOSE = re.compile(r"</tr\s*>", re.I)
# A line that opens the next row or ends the table ends a row whose "</tr>" was left out.
_HTML_ROW_BREAK = re.compile(r"^[ \t]*</?(?:tr|thead|tbody|tfoot|table)\b", re.I)
# A cell holding a list, paragraphs or another table is a page of its own, not a row's value.
_HTML_BLOCK = re.compile(r"<(?:ul|ol|li|p|div|table|h[1-6]|pre|blockquote)\b", re.I)
_HTML_CELL = re.compile(r"<(t[dh])\b[^>]*>(.*?)(?=</t[dh]\s*>|<t[dh]\b|</tr\s*>|\Z)", re.I | re.S)
MAX_HTML_ROW_LINES, MAX_HTML_ROW_CHARS = 12, 1500
_INDENT = re.compile(r"[ \t]*")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t:|-]*-{2,}[ \t:|-]*$")  # | --- | :---: |


def is_table_rule(line: str) -> bool:
    """The line under a table's header row: | --- | :---: |."""
    return bool(_TABLE_RULE.match(line))


# GitHub's pipe tables may leave out the outer pipes ("**Activity** | **Time Spent**", "--- | ---",
# "Researching materials | 5 hours": a blind set's CISSP study plan, round 32). The rule under the
# header, with a pipe between as many columns as the header has, makes the lines around it a table.
_PIPED_RULE = re.compile(r"^[ \t]{0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$", re.M)


def _cells(line: str) -> int:
    return len(line.strip().removeprefix("|").removesuffix("|").split("|"))


@functools.lru_cache(maxsize=64)
def pipeless_rows(text: str) -> frozenset[int]:
    """Where the lines of the tables written without outer pipes start: the header over such a
    rule, the rule, and the lines with a pipe under it up to a blank line (none in code blocks)."""
    starts: set[int] = set()
    for rule in _PIPED_RULE.finditer(text):
        head_start = text.rfind("\n", 0, max(0, rule.start() - 1)) + 1
        head = text[head_start : max(head_start, rule.start() - 1)]
        if rule.start() == 0 or TABLE_ROW.match(head) or "|" not in head or _cells(head) != _cells(rule.group(0)) \
                or open_fence(text, rule.start()):
            continue
        starts.update((head_start, rule.start()))
        line = rule.end() + 1
        while line < len(text):
            end = text.find("\n", line)
            end = len(text) if end == -1 else end
            if "|" not in text[line:end] or not text[line:end].strip():
                break
            starts.add(line)
            line = end + 1
    return frozenset(starts)


def is_row(text: str, line_start: int, line: str) -> bool:
    """Whether the line starting at `line_start` of `text` is a row of a pipe table."""
    return bool(TABLE_ROW.match(line)) or line_start in pipeless_rows(text)


def html_row_end(text: str, lines: list[tuple[int, int]], i: int) -> int | None:
    """The last of `lines` (start, end offsets) that the HTML table row opening on line `i`
    spans, when it is a row of simple cells; None when it is not one (a layout table whose
    cells hold lists or paragraphs is read as the text it holds)."""
    end = None
    for j in range(i, min(len(lines), i + MAX_HTML_ROW_LINES)):
        line = text[lines[j][0] : lines[j][1]]
        if j > i and _HTML_ROW_BREAK.match(line):
            end = j - 1
            break
        if _HTML_ROW_CLOSE.search(line):
            end = j
            break
    if end is None:
        return None
    raw = text[lines[i][0] : lines[end][1]]
    if len(raw) > MAX_HTML_ROW_CHARS or _HTML_BLOCK.search(raw) or not _HTML_CELL.search(raw):
        return None
    return end


def table_start(text: str, row_start: int) -> int:
    """Where the table of the row at `row_start` starts: the first row of its run of rows, found
    in the whole text, so the rows of one table are one table wherever a chunk starts."""
    if HTML_ROW.match(text, row_start):
        return _html_first_row(text, row_start)
    first = text.rfind("\n", 0, row_start) + 1
    while first > 0:
        prev = text.rfind("\n", 0, first - 1) + 1
        if not is_row(text, prev, text[prev : first - 1]):
            break
        first = prev
    return _INDENT.match(text, first).end()  # where the row's text starts, as its unit does


def table_header(text: str, row_start: int) -> tuple[int, int] | None:
    """The header row of the table the row at `row_start` belongs to: the first row of its
    run of rows, when a rule (| --- |) follows it. Found in the whole text, so a row of a
    chunk that starts mid-table still knows its columns. An HTML table's header is its first
    row when that row's cells are <th> cells."""
    first = table_start(text, row_start)
    if HTML_ROW.match(text, first):
        close = _HTML_ROW_CLOSE.search(text, first)
        cells = [m.group(1).lower() for m in _HTML_CELL.finditer(text[first : close.end()])] if close else []
        return (first, close.end()) if cells and all(cell == "th" for cell in cells) else None
    end = text.find("\n", first)
    end = len(text) if end == -1 else end
    rule_end = text.find("\n", end + 1)
    rule = text[end + 1 : len(text) if rule_end == -1 else rule_end]
    return (first, end) if end < len(text) and is_table_rule(rule) else None


def markdown_table(rows: list[list[str]], header: bool) -> str:
    """Rows of cell texts as ``| a | b |`` lines, with the rule under the first row when it is a
    header, so each row reads under its header (readers of web pages and Word files)."""
    rows = [[" ".join(cell.replace("|", "/").split()) for cell in row] for row in rows]
    out = [f"| {' | '.join(rows[0])} |"]
    if header:
        out.append("|" + " --- |" * len(rows[0]))
    return "\n".join(out + [f"| {' | '.join(row)} |" for row in rows[1:]])


def _html_first_row(text: str, row_start: int) -> int:
    """Where the first row of the HTML table holding the row at `row_start` opens."""
    table = max(text.rfind("<table", 0, row_start), text.rfind("<TABLE", 0, row_start))
    first = _HTML_ROW_OPEN.search(text, table, row_start + 1) if table >= 0 else None
    return first.start() if first else row_start


def table_cells(row: str) -> str:
    """A row as it reads in an answer: its cells, without the outer pipes or the padding that
    aligned the columns. (A pipe inside a cell, as in `num |= 1 << k`, is the cell's own.) An
    HTML row's cells are joined the same way, their tags left for the reader to drop."""
    if HTML_ROW.match(row):
        return " | ".join(" ".join(m.group(2).split()) for m in _HTML_CELL.finditer(row))
    return " ".join(row.strip().removeprefix("|").removesuffix("|").split())
