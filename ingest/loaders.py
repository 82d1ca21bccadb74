"""Read a file into text + metadata, or say exactly why it cannot be ingested.

The text returned is what offsets point into. For .md/.txt it equals
``open(path, encoding=doc.encoding).read()`` (universal newlines), so a citation's
``open(source, encoding=doc.encoding).read()[start:end]`` is the cited text. The
encoding is UTF-8 unless the bytes say otherwise: a byte order mark (UTF-8, UTF-16 or
UTF-32; the mark itself is not part of the text), UTF-16 without one (NUL in every
other byte), or bytes that are not UTF-8 and do not look like damaged UTF-8
(Windows-1252, else Latin-1). For .html, .pdf, .docx and .ipynb the text is the extracted text,
which the index keeps so citations stay checkable.

``load`` raises only SkipFile: a file that trips up a parser is skipped with the reason,
it never stops the rest of an ingest.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ingest.notebook import NotNotebook, notebook_text
from ingest.pdf_layout import continues, page_blocks, page_lines, type_sizes, vocabulary, without_running_lines
from ingest.webpage import html_text
from ingest.word import NotWordFile, docx_text
from rag.text.frontmatter import FRONT_MATTER_SUFFIXES, read_front_matter
from rag.text.plain_headings import is_title_line
from rag.text.syntax import markdown_heading

TEXT_EXTENSIONS = set(FRONT_MATTER_SUFFIXES)
HTML_EXTENSIONS = {".html", ".htm"}
PDF_EXTENSIONS = {".pdf"}
WORD_EXTENSIONS = {".docx"}
NOTEBOOK_EXTENSIONS = {".ipynb"}
SUPPORTED = TEXT_EXTENSIONS | HTML_EXTENSIONS | PDF_EXTENSIONS | WORD_EXTENSIONS | NOTEBOOK_EXTENSIONS
SUPPORTED_NAMES = ".md, .mdx, .txt, .html, .pdf, .docx or .ipynb"

log = logging.getLogger(__name__)


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
    encoding: str = "utf-8"  # of the file's bytes (.md/.txt/.html)
    warnings: list[str] = field(default_factory=list)  # what was set aside, the file still indexed

    @property
    def title(self) -> str:
        return self.meta["title"]


# Bumped whenever reading or chunking a file changes (the text a file yields, or where it is
# cut): a document is unchanged, and skipped by ingest, only when its bytes and this version
# are, so the next ingest after an upgrade re-reads what the new reader reads differently.
# 2: list items by any bullet or number, underlined titles, web pages without their furniture,
# PDF paragraphs. 3: in plain-text notes, a new sentence right under a list item is a paragraph.
# 4: markup lines (tags, MDX, admonition markers) separate blocks; a <details> summary is a heading;
# a sentence may end inside closing emphasis ("**Do not jump in.** Ask ..."); TOML front matter;
# lines opened by symbols ("✅ ...", "👉 ...") in a run are list items; Jupyter notebooks.
# 5: a line of tags only ("#interview #sql") and a link's target line ("[1]: https://...") are
# markup, and so is an MDX comment ("{/* ... */}"); a heading's anchor ("## Plan {#plan}") is not
# part of its title; an HTML heading ("<h2>Title</h2>") is a heading. (.mdx files are read from
# this version on.) 6: a <details> summary heads its block only, not the text after it; a line
# that closes an HTML block ("...</details>", "...</p>") ends its paragraph. 7: a title is never a
# generic section name ("### Introduction": the file's name instead). 8: a PDF page's paragraphs and
# headings come from its line spacing and type sizes; ligatures are letters ("ﬁ" is "fi"); a browser's
# print stamps and lone page counts are dropped; a word broken after a hyphen keeps the hyphen when it
# is a compound ("fine-tuning"); a browser's list disc (a NUL) is a bullet. 9: the lines of a markdown
# indented block that holds prose, not code, are list items (it renders line by line). 10: a line
# ending in ":-" ("Round 1:-") is a label, as one ending in ":" is; a footnote's definition is a
# paragraph of its own, read after its label. 11: an HTML table row of simple cells (`<tr>`) is a
# table row. 12: a plain-text line set off by runs of one symbol ("****Capgemini Interview****") is
# read as its words, and may head what follows. 13: in plain text, a short line with no closing
# punctuation is a statement of its own, not part of the next line's sentence; lines opened by an
# arrow typed as "->" or "=>" are list items. 14: the prose in a code fence ("SCD Type 2: Add new row
# with version tracking", rag.text.fences) is text, line by line; the fence lines around it are markup.
# 15: the unfenced "Title: …" lines atop a Pelican or MultiMarkdown post or a page the Jina reader saved
# are front matter (the title, never quoted). 16: an example marker typed without its dots ("(Ex. Git)",
# "eg.", "cf.") does not end a sentence, as "e.g." never did; and keyword search reads the words of a
# document's path with its chunks (rag.store.bm25).
READER_VERSION = "16"


def content_hash(data: bytes) -> str:
    """A file's identity in the index: its bytes, as read by this READER_VERSION."""
    return hashlib.sha256(READER_VERSION.encode() + b"\0" + data).hexdigest()


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refused before reading if it is not a regular file or is too big.

    Never reads more than ``max_bytes + 1`` bytes, so a file that grows after the size
    check (or reports a wrong size) cannot exhaust memory.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise SkipFile(f"cannot stat file ({exc.strerror or exc})") from None
    _check_regular(st)  # a FIFO would block the open below forever, a device never ends
    _check_size(st.st_size, max_bytes)
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO after the stat, do not hang.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except PermissionError:
        raise SkipFile("permission denied") from None
    except OSError as exc:
        raise SkipFile(f"cannot read file ({exc.strerror or exc})") from None
    parts: list[bytes] = []
    try:
        st = os.fstat(fd)
        _check_regular(st)
        _check_size(st.st_size, max_bytes)
        left = max_bytes + 1
        while left > 0:
            part = os.read(fd, min(left, 1 << 20))
            if not part:
                break
            parts.append(part)
            left -= len(part)
    except PermissionError:
        raise SkipFile("permission denied") from None
    except OSError as exc:
        raise SkipFile(f"cannot read file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    data = b"".join(parts)
    if len(data) > max_bytes:
        raise SkipFile(f"file grew past the {max_bytes / 1e6:.0f} MB limit while being read")
    return data


def _check_regular(st: os.stat_result) -> None:
    if not stat.S_ISREG(st.st_mode):
        if stat.S_ISFIFO(st.st_mode):
            kind = "named pipe"
        elif stat.S_ISSOCK(st.st_mode):
            kind = "socket"
        elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
            kind = "device"
        else:
            kind = "special file"
        raise SkipFile(f"cannot read file (not a regular file: {kind})")


def _check_size(size: int, max_bytes: int) -> None:
    if size > max_bytes:
        raise SkipFile(
            f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit "
            "(raise ingest.max_file_mb to include it)"
        )


# Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
# The decoded text never starts with the mark: "\ufeff# Title" would hide the heading.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


def sniff_encoding(data: bytes) -> str:
    """The encoding of text bytes: a BOM, BOM-less UTF-16, UTF-8, else Windows-1252/Latin-1.

    Raises SkipFile when the bytes do not look like text in any of these.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    sample = data[:8192]
    if b"\x00" in sample:
        # Mostly-ASCII text saved as UTF-16 without a BOM: a NUL in every other byte,
        # printable ASCII in the others.
        even, odd = sample[0::2], sample[1::2]
        if len(sample) >= 4 and len(sample) % 2 == 0:
            for zeros, chars, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
                if zeros.count(0) >= 0.9 * len(zeros) and _ascii_text_share(chars) >= 0.9:
                    return encoding
        raise SkipFile("file looks binary (contains NUL bytes)")
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    # Not UTF-8. If most non-ASCII bytes still form valid UTF-8 sequences, it is UTF-8
    # with damage: decoding it as 8-bit would garble every accented letter. Otherwise it
    # is legacy 8-bit text (Windows "ANSI" / ISO-8859-1); binary data is caught later by
    # its control characters.
    high = sum(1 for b in sample if b >= 0x80)
    utf8_high = sum(len(m) for m in _UTF8_SEQ.findall(sample))
    if utf8_high > high / 2:
        raise SkipFile(f"file is not valid UTF-8 (byte {first_bad}); save it as UTF-8")
    try:
        data.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined: plain ISO-8859-1
        return "latin-1"


def _ascii_text_share(data: bytes) -> float:
    return sum(1 for b in data if 0x20 <= b < 0x7F or b in (0x09, 0x0A, 0x0D)) / max(len(data), 1)


_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode_text(data: bytes) -> str:
    return decode_text_as(data)[0]


# C0 controls other than \t \n \f, DEL, and C1 controls (never in real text); \r is gone
# after newline translation.
_CONTROL = re.compile("[\x00-\x08\x0b\x0d-\x1f\x7f-\x9f]")


def decode_text_as(data: bytes) -> tuple[str, str]:
    """(text, encoding), where text == ``open(path, encoding=encoding).read()``."""
    if not data.strip():
        raise SkipFile("file is empty")
    encoding = sniff_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding in ("utf-16-le", "utf-16-be"):  # the NUL pattern was a coincidence
            raise SkipFile("file looks binary (contains NUL bytes)") from None
        raise SkipFile(f"file is not valid {encoding.upper()} (byte {exc.start}); save it as UTF-8") from None
    # Same newline handling as open(..., encoding=encoding).read().
    text = io.StringIO(text, newline=None).read()
    if not text.strip():
        raise SkipFile("file is empty")
    sample = text[:8192]
    control = len(_CONTROL.findall(sample))
    if control > 0.05 * len(sample):
        raise SkipFile("file looks binary (many control characters)")
    return text, encoding


def check_supported(path: Path) -> None:
    if path.suffix.lower() not in SUPPORTED:
        hint = " (save it as .docx)" if path.suffix.lower() in (".doc", ".rtf", ".odt") else ""
        raise SkipFile(f"unsupported file type '{path.suffix or path.name}'{hint} (use {SUPPORTED_NAMES})")


def load(path: Path, data: bytes, digest: str | None = None) -> LoadedDoc:
    """Parse the bytes of `path` (already read, so the hash and the text agree)."""
    check_supported(path)
    try:
        return _load(path, data, digest)
    except SkipFile:
        raise
    except Exception as exc:  # noqa: BLE001 - the boundary: a parser choking on hostile input (e.g. RecursionError)
        log.exception("parsing %s failed", path)
        raise SkipFile(f"file could not be parsed ({type(exc).__name__}: {str(exc)[:80]})") from None


def _load(path: Path, data: bytes, digest: str | None) -> LoadedDoc:
    suffix = path.suffix.lower()
    digest = digest or content_hash(data)
    page_starts: list[int] = []
    encoding = "utf-8"
    if suffix in PDF_EXTENSIONS:
        text, page_starts = pdf_text(data)
    elif suffix in WORD_EXTENSIONS:
        try:
            text = docx_text(data)
        except NotWordFile as exc:
            raise SkipFile(str(exc)) from None
    else:
        text, encoding = decode_text_as(data)
        if suffix in HTML_EXTENSIONS:
            text = html_text(text)
        elif suffix in NOTEBOOK_EXTENSIONS:
            try:
                text = notebook_text(text)
            except NotNotebook as exc:
                raise SkipFile(str(exc)) from None
    # SQLite ends a string at a NUL, so the manifest (which slices chunk texts out of a stored
    # document) would read every chunk after one from the wrong place: the same-length U+FFFD
    # keeps a text file's offsets.
    text = text.replace("\x00", "\ufffd")
    meta, body_start, unusable = read_front_matter(text) if suffix in TEXT_EXTENSIONS else ({}, 0, None)
    if not text[body_start:].strip():
        raise SkipFile("no text to index" + (f" ({unusable})" if unusable else ""))
    meta.setdefault("title", guess_title(text, body_start, path))
    meta.setdefault("roles", [])
    meta.setdefault("kind", "note")
    meta.setdefault("updated", "")
    meta.setdefault("source_ref", "")
    return LoadedDoc(
        path=path, text=text, body_start=body_start, meta=meta, content_hash=digest, page_starts=page_starts,
        encoding=encoding, warnings=[f"{unusable}; indexed without its front matter"] if unusable else [],
    )


# A title heading: "# Title", "## Title", or the "<h1 align="center">Title</h1>" of a README.
_FIRST_HEADING = re.compile(r"^(?:#{1,2}[ \t]|[ \t]*<(?:[^\n]*<)?h[12]\b).*$", re.M | re.I)


# Headings that name a part of any document, not this one: a lesson or chapter repository
# opens every file with "### Introduction", and every document would share that title.
_GENERIC_HEADING = re.compile(
    r"^(?:introduction|intro|overview|lesson overview|summary|background|contents|table of contents|preface|foreword|"
    r"getting started|final words|conclusion|notes|about|abstract|readme|index|home)$", re.I)


def guess_title(text: str, body_start: int, path: Path) -> str:
    stem = path.stem.replace("_", " ").replace("-", " ").strip()
    for m in _FIRST_HEADING.finditer(text, body_start, min(len(text), body_start + 5000)):
        found = markdown_heading(m.group(0))
        if found and found[0] <= 2:
            return stem if _generic(found[1], stem) else found[1]
    # Plain text often opens with a title line: short, a paragraph of its own. (A heading of a
    # lower level, "### 1.2 Startups", is kept as written, marks and all, like every heading the
    # index keeps: its words alone cost a dev set hit@5, eval/README.md round 19.)
    lines = text[body_start : body_start + 2000].split("\n")
    for i, line in enumerate(lines):
        line = line.strip()
        if not line:
            continue
        if len(line.split()) == 1:
            continue  # a label such as "Blog" above the real title
        if is_title_line(line, lines[i + 1] if i + 1 < len(lines) else ""):
            found = markdown_heading(line)
            return stem if found and _generic(found[1], stem) else line
        break
    return stem or path.name


def _generic(title: str, stem: str) -> bool:
    """Whether a title is a generic section name ("Introduction") that the file's name says
    better (not when that is generic too: "README.md")."""
    return bool(_GENERIC_HEADING.match(title.strip(" #*_:")) and stem and not _GENERIC_HEADING.match(stem))


def pdf_text(data: bytes) -> tuple[str, list[int]]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise SkipFile("PDF is encrypted")
        printed = without_running_lines([page_lines(p) for p in reader.pages])
        words, sizes = vocabulary(printed), type_sizes(printed)
        pages = [page_blocks(page, words, sizes) for page in printed]
    except SkipFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise SkipFile(f"PDF could not be read ({type(exc).__name__}: {str(exc)[:80]})") from None
    starts: list[int] = []
    text = ""
    for page in pages:
        if text:
            # A sentence running over a page break is one sentence, not two blocks.
            text += " " if continues(text, page) else "\n\n"
        starts.append(len(text))
        text += page
    if not text.strip():
        raise SkipFile("PDF has no extractable text (scanned images need OCR first)")
    return text, starts
