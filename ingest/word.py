"""Word documents (.docx) as the markdown the rest of the pipeline reads.

In document order: the Title and Heading n styles become "#" headings, list paragraphs
(a List style, or Word's own numbering) become "- " / "1. " items indented by their level
and kept together, tables become ``| cell |`` rows under their first row, and every other
paragraph is a block of its own. A short paragraph set all in bold, which notes often use
as a heading, becomes a heading one level below the last one. Page headers, footers,
comments and footnotes are left out.
"""

from __future__ import annotations

import io
import re
import zipfile

from rag.text.tables import markdown_table

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.I)
_LIST_LEVEL = re.compile(r"(\d)$")
BOLD_HEADING_WORDS = 12


class NotWordFile(ValueError):
    """The bytes are not a readable .docx package."""


def docx_text(data: bytes) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml.etree import XMLSyntaxError

    try:
        doc = Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, XMLSyntaxError) as exc:
        raise NotWordFile(f"not a readable Word (.docx) document ({type(exc).__name__})") from None
    body = list(doc.iter_inner_content())
    titled = any(_style(p) == "title" for p in body if not isinstance(p, Table))
    blocks: list[str] = []
    items: list[str] = []
    numbers: dict[int, int] = {}
    formats = _NumberFormats(doc)
    level = 1

    def end_list() -> None:
        if items:
            blocks.append("\n".join(items))
            items.clear()
            numbers.clear()

    for part in body:
        if isinstance(part, Table):
            end_list()
            rows = _rows(part)
            if rows:
                blocks.append(markdown_table(rows, header=len(rows) > 1))
            continue
        text = part.text.strip()
        if not text:
            continue
        style = _style(part)
        heading = _HEADING_STYLE.match(style)
        listed = _list_level(part, style)
        if listed is not None:
            depth, num_id = listed
            n = numbers[depth] = numbers.get(depth, 0) + 1
            for deeper in [d for d in numbers if d > depth]:
                del numbers[deeper]
            # (a numbering format we cannot read is shown as a bullet, not as a made-up number)
            shown = formats.of(num_id, depth) if num_id is not None else ""
            numbered = "number" in style or shown not in ("bullet", "none", "")
            mark = f"{n}." if numbered else "-"
            items.append(f"{'  ' * depth}{mark} {' '.join(text.split())}")
            continue
        end_list()
        if style == "title":
            blocks.append(f"# {' '.join(text.split())}")
        elif heading:
            level = min(6, int(heading.group(1)) + titled)
            blocks.append(f"{'#' * level} {' '.join(text.split())}")
        elif _all_bold(part) and len(text.split()) <= BOLD_HEADING_WORDS and not text.endswith((".", ":", ";", ",")):
            blocks.append(f"{'#' * min(6, level + 1)} {' '.join(text.split())}")
        else:
            blocks.append(text)
    end_list()
    return "\n\n".join(blocks)


def _style(paragraph) -> str:
    style = paragraph.style
    return (style.name or "").strip().lower() if style is not None else ""


def _list_level(paragraph, style: str) -> tuple[int, int | None] | None:
    """(0-based nesting level, Word numbering id or None) of a list paragraph, None for any other."""
    ppr = paragraph._p.pPr  # python-docx has no public accessor for Word's own numbering
    num = ppr.numPr if ppr is not None else None
    if num is not None and num.numId is not None and num.numId.val != 0:
        return (int(num.ilvl.val) if num.ilvl is not None else 0), int(num.numId.val)
    if style.startswith("list") and style != "list paragraph":
        m = _LIST_LEVEL.search(style)  # "List Bullet 2" is the second level
        return (int(m.group(1)) - 1 if m else 0), None
    return None


class _NumberFormats:
    """What Word's numbering definition `num_id` shows at a level: "decimal", "bullet", ..."""

    def __init__(self, doc):
        try:
            self.numbering = doc.part.numbering_part.element
        except (KeyError, NotImplementedError):  # a document with no numbering part
            self.numbering = None
        self.cache: dict[tuple[int, int], str] = {}

    def of(self, num_id: int, level: int) -> str:
        if (num_id, level) not in self.cache:
            fmt = ""
            if self.numbering is not None:
                abstract = self.numbering.xpath(f"./w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val")
                if abstract:
                    found = self.numbering.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract[0]}']"
                                                 f"/w:lvl[@w:ilvl='{level}']/w:numFmt/@w:val")
                    fmt = found[0] if found else ""
            self.cache[(num_id, level)] = fmt
        return self.cache[(num_id, level)]


def _all_bold(paragraph) -> bool:
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.bold for r in runs)


def _rows(table) -> list[list[str]]:
    rows = []
    for row in table.rows:
        cells, seen = [], []
        for cell in row.cells:
            if any(cell._tc is tc for tc in seen):  # a merged cell is listed once per grid column it spans
                continue
            seen.append(cell._tc)
            cells.append(cell.text)
        if any(c.strip() for c in cells):
            rows.append(cells)
    return rows
