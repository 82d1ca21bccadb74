"""Evaluation datasets: JSONL questions with gold evidence quotes (schema in eval/DATASET.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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
                    texts[source] = source.read_text(encoding="utf-8")
                except OSError as exc:
                    raise DatasetError(f"{where}: evidence source {ev['source']}: {exc.strerror or exc}") from None
            start = texts[source].find(ev["quote"])
            if start < 0:
                raise DatasetError(f"{where}: quote not found in {ev['source']}: {ev['quote'][:60]!r}")
            item.spans.append((str(source), start, start + len(ev["quote"])))
        if answerable and not item.spans:
            raise DatasetError(f"{where}: an answerable question needs evidence")
        items.append(item)
    if not items:
        raise DatasetError(f"{path} has no questions")
    return items
