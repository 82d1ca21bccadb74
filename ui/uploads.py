"""Saving uploaded files safely: allowed types, size cap, clean names, no overwrites."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.loaders import NOTEBOOK_EXTENSIONS, SUPPORTED, SUPPORTED_NAMES, SkipFile, decode_text_as
from ingest.notebook import NotNotebook, notebook_text

ALLOWED = tuple(sorted(SUPPORTED))  # what ingest reads: .docx, .htm, .html, .ipynb, .markdown, .md, .mdx, .pdf, .txt
# Binary formats, told by how their bytes start (a .docx is a zip package).
_BINARY = {".pdf": (b"%PDF-", "PDF"), ".docx": (b"PK\x03\x04", "Word (.docx)")}
_BAD = re.compile(r"[^A-Za-z0-9._\- ]+")
MAX_NAME = 120


@dataclass
class Saved:
    original: str
    status: str  # "saved" | "renamed" | "duplicate" | "rejected"
    message: str
    path: Path | None = None


def sanitize_filename(name: str) -> str:
    """Keep only the base name and the characters [A-Za-z0-9._- ]; never hidden, never empty."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = base.replace("\x00", "")
    base = _BAD.sub("_", base)
    base = re.sub(r"_+", "_", base).strip(" ._")  # no leading dot: hidden files are not ingested
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.strip(" ._-") or "upload"
    ext = ext.strip(" ").lower()
    keep = MAX_NAME - len(ext) - 1
    return f"{stem[:keep].rstrip(' ._')}.{ext}" if ext else stem[:MAX_NAME]


def _with_extension(clean: str, ext: str) -> str:
    """The sanitised name keeps the extension that was checked ("notes.md/" -> "upload.md")."""
    if Path(clean).suffix.lower() == ext:
        return clean
    stem = "upload" if clean.lower() in ("upload", ext[1:]) else clean
    return sanitize_filename(f"{stem}{ext}")


def _unique(folder: Path, name: str) -> Path:
    stem, ext = Path(name).stem, Path(name).suffix
    for i in range(1, 10_000):
        candidate = folder / f"{stem}-{i}{ext}"
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"too many files named like {name}")


def _same_content(folder: Path, data: bytes, suffix: str) -> Path | None:
    digest = hashlib.sha256(data).digest()
    for p in sorted(folder.glob(f"*{suffix}")):
        try:
            if p.is_file() and p.stat().st_size == len(data) and hashlib.sha256(p.read_bytes()).digest() == digest:
                return p
        except OSError:
            continue
    return None


def save_upload(name: str, data: bytes, folder: Path, max_bytes: int) -> Saved:
    """Validate and store one upload in `folder`; the message says what happened."""
    ext = Path(name or "").suffix.lower()
    if ext not in ALLOWED:
        kind = f"{ext} files are" if ext else "files without an extension are"
        return Saved(name, "rejected", f"{name}: {kind} not supported (use {SUPPORTED_NAMES}).")
    if len(data) > max_bytes:
        return Saved(name, "rejected", f"{name}: {len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit.")
    if not data.strip():
        return Saved(name, "rejected", f"{name}: the file is empty.")
    if ext in _BINARY and not data.lstrip().startswith(_BINARY[ext][0]):
        return Saved(name, "rejected", f"{name}: this is not a {_BINARY[ext][1]} file.")
    if ext not in _BINARY:
        try:
            text, _ = decode_text_as(data)  # the same test ingest applies (UTF-16 text is fine, binary is not)
            if ext in NOTEBOOK_EXTENSIONS:
                notebook_text(text)
        except (SkipFile, NotNotebook) as exc:
            return Saved(name, "rejected", f"{name}: {exc}.")
    clean = _with_extension(sanitize_filename(name), ext)
    folder.mkdir(parents=True, exist_ok=True)
    if Path(os.path.normpath(folder / clean)).parent != Path(os.path.normpath(folder)):  # defence in depth
        return Saved(name, "rejected", f"{name}: not a valid file name.")
    twin = _same_content(folder, data, Path(clean).suffix)
    if twin is not None:
        return Saved(name, "duplicate", f"{name}: identical to {twin.name}, already uploaded; not saved again.", twin)
    target = folder / clean
    renamed = target.exists()
    if renamed:
        target = _unique(folder, clean)
    while True:
        try:
            with open(target, "xb") as f:  # exclusive: never replaces a file
                f.write(data)
            break
        except FileExistsError:
            renamed, target = True, _unique(folder, clean)
    if renamed:
        msg = f"{name}: a file named {clean} already exists, so it was saved as {target.name}."
        return Saved(name, "renamed", msg, target)
    note = f" (saved as {target.name})" if target.name != name else ""
    return Saved(name, "saved", f"{name}: saved{note}.", target)
