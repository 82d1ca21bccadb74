"""Jupyter notebooks (.ipynb) as markdown: markdown cells as they are, code cells fenced.

Course notebooks and worked interview answers come as notebooks. What a reader studies is
the markdown cells (headings, explanations, lists) and the code; outputs (tables, images,
tracebacks) are results of running it, not text to quote, and are left out. The index keeps
the text made here, so citations point into it. nbformat 4 and the older 3 (cells inside
"worksheets") are read; anything else is not a notebook.
"""

from __future__ import annotations

import json


class NotNotebook(ValueError):
    """The bytes are not a Jupyter notebook this reader understands; the message says why."""


def notebook_text(text: str) -> str:
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NotNotebook(f"not a Jupyter notebook (invalid JSON: {str(exc)[:80]})") from None
    if not isinstance(nb, dict):
        raise NotNotebook("not a Jupyter notebook (no cells)")
    cells = nb.get("cells")
    if cells is None and isinstance(nb.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in nb["worksheets"] if isinstance(ws, dict) for c in ws.get("cells") or []]
    if not isinstance(cells, list):
        raise NotNotebook("not a Jupyter notebook (no cells)")
    language = _language(nb.get("metadata"))
    parts: list[str] = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = _joined(cell.get("source", cell.get("input")))  # ("input": nbformat 3 code cells)
        if not source.strip():
            continue
        kind = cell.get("cell_type")
        if kind in ("markdown", "heading"):
            level = cell.get("level")  # nbformat 3 heading cells
            parts.append(f"{'#' * level} {source.strip()}" if kind == "heading" and isinstance(level, int) and 0 < level < 7
                         else source.strip("\n"))
        elif kind == "code":
            fence = "~~~" if "```" in source else "```"  # (a fence the code does not close)
            parts.append(f"{fence}{language}\n{source.strip(chr(10))}\n{fence}")
    return "\n\n".join(parts) + ("\n" if parts else "")


def _joined(source) -> str:
    if isinstance(source, str):
        return source
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return ""


def _language(meta) -> str:
    if not isinstance(meta, dict):
        return ""
    for key in ("language_info", "kernelspec"):
        info = meta.get(key)
        name = info.get("name") if key == "language_info" and isinstance(info, dict) else \
            info.get("language") if isinstance(info, dict) else None
        if isinstance(name, str) and name.isidentifier():
            return name.lower()
    return ""
