"""Markdown tables: rows, the rule under the header, the header a row is read under."""

from __future__ import annotations

import re

TABLE_ROW = re.compile(r"^[ \t]*\|")
_INDENT = re.compile(r"[ \t]*")
_TABLE_RULE = re.compile(r"^[ \t]*\|?[ \t:|-]*-{2,}[ \t:|-]*$")  # | --- | :---: |


def is_table_rule(line: str) -> bool:
    """The line under a table's header row: | --- | :---: |."""
    return bool(_TABLE_RULE.match(line))


def table_start(text: str, row_start: int) -> int:
    """Where the table of the row at `row_start` starts: the first row of its run of rows, found
    in the whole text, so the rows of one table are one table wherever a chunk starts."""
    first = text.rfind("\n", 0, row_start) + 1
    while first > 0:
        prev = text.rfind("\n", 0, first - 1) + 1
        if not TABLE_ROW.match(text[prev : first - 1]):
            break
        first = prev
    return _INDENT.match(text, first).end()  # where the row's text starts, as its unit does


def table_header(text: str, row_start: int) -> tuple[int, int] | None:
    """The header row of the table the row at `row_start` belongs to: the first row of its
    run of rows, when a rule (| --- |) follows it. Found in the whole text, so a row of a
    chunk that starts mid-table still knows its columns."""
    first = table_start(text, row_start)
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


def table_cells(row: str) -> str:
    """A row as it reads in an answer: its cells, without the outer pipes or the padding that
    aligned the columns. (A pipe inside a cell, as in `num |= 1 << k`, is the cell's own.)"""
    return " ".join(row.strip().removeprefix("|").removesuffix("|").split())
