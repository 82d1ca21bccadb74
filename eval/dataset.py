"""Evaluation datasets: JSONL questions with gold evidence quotes (schema in eval/DATASET.md)."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loaders import SkipFile, load as load_document, read_bytes

DEFAULT_DATASET = Path(__file__).with_name("dataset.jsonl")
# Question kinds, in the order reports list them.
KINDS = ("factoid", "list", "comparison", "multi-hop", "unanswerable")


class DatasetError(ValueError):
    pass


@dataclass
class Item:
    id: str
    question: str
    kind: str
    answerable: bool
    reference: str
    evidence: list[dict]
    paraphrased: bool = False
    roles: list[str] = field(default_factory=list)
    spans: list[tuple[str, int, int]] = field(default_factory=list)  # resolved (abs source, start, end)


# Big enough for any document the index takes (its own limit is a setting).
_MAX_SOURCE_BYTES = 1 << 30


def source_text(path: Path) -> str:
    """A document's text as the index keeps it (citations and chunks point into this text):
    a Markdown or text file's own characters, a PDF's, web page's or Word file's extracted text."""
    return load_document(path, read_bytes(path, _MAX_SOURCE_BYTES)).text


def _folded(text: str) -> tuple[str, list[int]]:
    """`text` without whitespace and with compatibility forms unfolded (the ligature "\ufb01"
    is "fi"), and for each character kept, where it came from in `text`."""
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        if not ch.isspace():
            for c in unicodedata.normalize("NFKC", ch):
                out.append(c)
                origin.append(i)
    return "".join(out), origin


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where `quote` is in `text`: byte for byte, else the same characters laid out otherwise
    (a PDF breaks lines inside a sentence, after a hyphen too, and prints "fi" as one glyph).
    None if absent."""
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    folded, origin = _folded(text)
    needle = _folded(quote)[0]
    at = folded.find(needle) if needle else -1
    if at < 0:
        return None
    return origin[at], origin[at + len(needle) - 1] + 1


def load(path: Path | str = DEFAULT_DATASET, root: Path | str | None = None) -> list[Item]:
    """Read and validate a dataset; evidence quotes are located in their source files.

    Evidence ``source`` paths are relative to ``root`` (default: the working directory).
    """
    path = Path(path)
    root = Path(root) if root else Path.cwd()
    items: list[Item] = []
    seen: set[str] = set()
    texts: dict[Path, str] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read dataset {path}: {exc.strerror or exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("question"), str) or not raw["question"].strip():
            raise DatasetError(f"{where}: needs a non-empty \"question\"")
        item_id = str(raw.get("id") or f"line{n}")
        if item_id in seen:
            raise DatasetError(f"{where}: duplicate id {item_id!r}")
        seen.add(item_id)
        answerable = bool(raw.get("answerable", True))
        kind = raw.get("kind") or ("factoid" if answerable else "unanswerable")
        if kind not in KINDS:
            raise DatasetError(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
        evidence = raw.get("evidence") or []
        item = Item(item_id, raw["question"].strip(), kind, answerable, raw.get("reference") or "", evidence,
                    bool(raw.get("paraphrased", False)), list(raw.get("roles") or []))
        for ev in evidence:
            source = (root / ev["source"]).resolve()
            if source not in texts:
                try:
                    texts[source] = source_text(source)
                except SkipFile as exc:
                    raise DatasetError(f"{where}: evidence source {ev['source']}: {exc}") from None
            span = locate(ev["quote"], texts[source])
            if span is None:
                raise DatasetError(f"{where}: quote not found in {ev['source']}: {ev['quote'][:60]!r}")
            item.spans.append((str(source), *span))
        if answerable and not item.spans:
            raise DatasetError(f"{where}: an answerable question needs evidence")
        items.append(item)
    if not items:
        raise DatasetError(f"{path} has no questions")
    return items
