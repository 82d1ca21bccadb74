"""Read a file into text + metadata, or say exactly why it cannot be ingested.

The text returned is what offsets point into. For .md/.txt it equals
``open(path, encoding="utf-8").read()`` (universal newlines), so a citation's
``open(source).read()[start:end]`` is the cited text. For .html and .pdf it is the
extracted text, which the index keeps so citations stay checkable.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from ingest.frontmatter import FrontMatterError, split_front_matter

TEXT_EXTENSIONS = {".md", ".markdown", ".txt"}
HTML_EXTENSIONS = {".html", ".htm"}
PDF_EXTENSIONS = {".pdf"}
SUPPORTED = TEXT_EXTENSIONS | HTML_EXTENSIONS | PDF_EXTENSIONS


class SkipFile(Exception):
    """Raised with a human-readable reason when a file cannot be ingested."""


@dataclass
class LoadedDoc:
    path: Path
    text: str
    body_start: int
    meta: dict
    content_hash: str
    page_starts: list[int] = field(default_factory=list)  # PDFs: offset where each page begins

    @property
    def title(self) -> str:
        return self.meta["title"]


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise SkipFile(f"cannot stat file ({exc.strerror or exc})") from None
    if size > max_bytes:
        raise SkipFile(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    try:
        return path.read_bytes()
    except PermissionError:
        raise SkipFile("permission denied") from None
    except OSError as exc:
        raise SkipFile(f"cannot read file ({exc.strerror or exc})") from None


def decode_text(data: bytes) -> str:
    if not data.strip():
        raise SkipFile("file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SkipFile("file is UTF-16 encoded; save it as UTF-8")
    if b"\x00" in data[:8192]:
        raise SkipFile("file looks binary (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SkipFile(f"file is not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None
    # Same newline handling as open(..., encoding="utf-8").read().
    text = io.StringIO(text, newline=None).read()
    control = sum(1 for ch in text[:8192] if ord(ch) < 32 and ch not in "\n\t\f")
    if control > 0.05 * min(len(text), 8192):
        raise SkipFile("file looks binary (many control characters)")
    return text


def check_supported(path: Path) -> None:
    if path.suffix.lower() not in SUPPORTED:
        raise SkipFile(f"unsupported file type '{path.suffix or path.name}' (use .md, .txt, .html or .pdf)")


def load(path: Path, data: bytes, digest: str | None = None) -> LoadedDoc:
    """Parse the bytes of `path` (already read, so the hash and the text agree)."""
    check_supported(path)
    suffix = path.suffix.lower()
    digest = digest or content_hash(data)
    page_starts: list[int] = []
    if suffix in PDF_EXTENSIONS:
        text, page_starts = pdf_text(data)
    else:
        text = decode_text(data)
        if suffix in HTML_EXTENSIONS:
            text = html_text(text)
    try:
        meta, body_start = split_front_matter(text) if suffix in TEXT_EXTENSIONS else ({}, 0)
    except FrontMatterError as exc:
        raise SkipFile(str(exc)) from None
    if not text[body_start:].strip():
        raise SkipFile("no text to index")
    meta.setdefault("title", guess_title(text, body_start, path))
    meta.setdefault("roles", [])
    meta.setdefault("kind", "note")
    meta.setdefault("updated", "")
    meta.setdefault("source_ref", "")
    return LoadedDoc(path=path, text=text, body_start=body_start, meta=meta, content_hash=digest, page_starts=page_starts)


_FIRST_HEADING = re.compile(r"^#{1,2}[ \t]+(.+?)[ \t#]*$", re.M)


def guess_title(text: str, body_start: int, path: Path) -> str:
    m = _FIRST_HEADING.search(text, body_start, min(len(text), body_start + 5000))
    if m:
        return m.group(1).strip()
    # Plain text often opens with a title line: short, a paragraph of its own.
    lines = text[body_start : body_start + 2000].split("\n")
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        if len(line.split()) == 1:
            continue  # a label such as "Blog" above the real title
        alone = i + 1 >= len(lines) or not lines[i + 1].strip() or len(lines[i + 1].split()) <= 2
        if len(line) <= 150 and alone and not line.endswith((":", ",")):
            return line
        break
    return path.stem.replace("_", " ").replace("-", " ").strip() or path.name


def pdf_text(data: bytes) -> tuple[str, list[int]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SkipFile("PDF is encrypted")
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except SkipFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise SkipFile(f"PDF could not be read ({type(exc).__name__}: {str(exc)[:80]})") from None
    starts: list[int] = []
    parts: list[str] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        parts.append(page)
        offset += len(page) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise SkipFile("PDF has no extractable text (scanned images need OCR first)")
    return text, starts




def html_text(markup: str) -> str:
    """Flatten HTML to markdown-like text so the same structure-aware chunker applies."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    lines: list[str] = []
    body = soup.body or soup
    for el in body.find_all(True):
        name = el.name.lower()
        if re.fullmatch(r"h[1-6]", name):
            text = el.get_text(" ", strip=True)
            if text:
                lines.append("#" * int(name[1]) + " " + text)
        elif name == "li":
            text = el.get_text(" ", strip=True)
            if text:
                lines.append("- " + text)
        elif name in {"p", "pre", "blockquote", "td", "th"}:
            if el.find_parent("li"):
                continue
            text = el.get_text(" ", strip=True)
            if text:
                lines.append(text)
    if not lines:
        lines.append(body.get_text(" ", strip=True))
    out = "\n\n".join(lines)
    if title and not out.lstrip().startswith("#"):
        out = f"# {title}\n\n{out}"
    return out
