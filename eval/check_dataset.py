"""Validate an evaluation dataset (JSONL) and print its counts.

Usage, from the project root, with the project's Python (the venv career-rag is installed in):

    .venv/bin/python eval/check_dataset.py            # eval/dataset.jsonl, project targets on
    .venv/bin/python eval/check_dataset.py my.jsonl --root ~/notes --no-targets

Checks the schema of every line, unique ids and questions, and that every evidence
quote is in the file it names (``source`` is relative to --root, default: the working
directory; the text is the one the index reads, so a PDF's extracted text, and a quote may
break lines where the PDF does: eval/dataset.py). With the project targets on
(the default) it also checks this project's mix: 72 questions, 10 unanswerable, at
least 22 paraphrased answerable questions, enough of each kind, canonical role names,
every corpus folder and role covered, and the two headline questions present.

Words are counted as everywhere else in career-rag (rag.text.lexical: one tokenizer,
stop list and stemmer) and role names come from rag.roles, so the script needs the
installed project, not only the standard library. Exit status 0 when valid, 1 on any
error (warnings do not fail). Schema: eval/DATASET.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from eval.dataset import KINDS, locate, source_text
from ingest.loaders import SkipFile
from rag.roles import ROLES
from rag.text.lexical import overlap as word_overlap

FIELDS = {"id", "question", "kind", "answerable", "paraphrased", "reference", "evidence", "roles"}
FOLDERS = ("roles", "interviews", "questions", "prep", "compare")
HEADLINES = ("What does a data engineer interview test?", "How do AI and ML engineer roles differ?")
# Project targets (skipped with --no-targets).
TOTAL, UNANSWERABLE, MIN_PARAPHRASED = 72, 10, 22
MIN_KIND = {"factoid": 12, "list": 10, "comparison": 10, "multi-hop": 8}
PARAPHRASE_WARN = 0.5  # share of a paraphrased question's content words found in its evidence


def overlap(question: str, quotes: list[str]) -> float:
    """Share of the question's content words (stemmed) that its evidence quotes use."""
    return word_overlap(question, "\n".join(quotes))


class Report:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, where: str, msg: str) -> None:
        self.errors.append(f"{where}: {msg}")

    def warn(self, where: str, msg: str) -> None:
        self.warnings.append(f"{where}: {msg}")


def read_source(root: Path, source: str, cache: dict[str, str | None]) -> str | None:
    if source not in cache:
        p = Path(source)
        if p.is_absolute() or ".." in p.parts:
            cache[source] = None
        else:
            try:
                cache[source] = source_text(root / p)
            except SkipFile:
                cache[source] = None
    return cache[source]


def check_item(raw, where: str, rep: Report, root: Path, texts: dict, targets: bool) -> dict | None:
    if not isinstance(raw, dict):
        rep.error(where, "line is not a JSON object")
        return None
    missing = FIELDS - raw.keys()
    unknown = raw.keys() - FIELDS
    if missing:
        rep.error(where, f"missing fields {sorted(missing)}")
    if unknown:
        rep.error(where, f"unknown fields {sorted(unknown)}")
    if missing:
        return None
    ok = True
    types = {"id": str, "question": str, "kind": str, "answerable": bool, "paraphrased": bool,
             "reference": str, "evidence": list, "roles": list}
    for name, typ in types.items():
        if not isinstance(raw[name], typ):
            rep.error(where, f"{name} must be {typ.__name__}, got {type(raw[name]).__name__}")
            ok = False
    if not ok:
        return None
    where = f"{where} ({raw['id']})"
    if not raw["id"].strip():
        rep.error(where, "id is empty")
    if not raw["question"].strip():
        rep.error(where, "question is empty")
    kind, answerable, evidence = raw["kind"], raw["answerable"], raw["evidence"]
    if kind not in KINDS:
        rep.error(where, f"kind {kind!r} is not one of {list(KINDS)}")
    if answerable == (kind == "unanswerable"):
        rep.error(where, "kind must be 'unanswerable' exactly when answerable is false")

    roles = raw["roles"]
    if not all(isinstance(r, str) and r.strip() and r == r.lower() for r in roles):
        rep.error(where, "roles must be non-empty lowercase strings")
    elif len(set(roles)) != len(roles):
        rep.error(where, "roles contains duplicates")
    elif targets and any(r not in ROLES for r in roles):
        rep.error(where, f"non-canonical roles {[r for r in roles if r not in ROLES]}")

    if not answerable:
        if evidence:
            rep.error(where, "an unanswerable question must have evidence []")
        if raw["reference"] != "":
            rep.error(where, "an unanswerable question must have reference \"\"")
        if raw["paraphrased"]:
            rep.error(where, "paraphrased is measured against evidence, so it must be false when unanswerable")
        return raw

    if not raw["reference"].strip():
        rep.error(where, "an answerable question needs a reference answer")
    if not 1 <= len(evidence) <= 3:
        rep.error(where, f"an answerable question needs 1-3 evidence quotes, has {len(evidence)}")
    quotes: list[str] = []
    for j, ev in enumerate(evidence, 1):
        at = f"{where} evidence {j}"
        if not isinstance(ev, dict) or set(ev) != {"source", "quote"}:
            rep.error(at, "must be an object with exactly 'source' and 'quote'")
            continue
        source, quote = ev["source"], ev["quote"]
        if not isinstance(source, str) or not isinstance(quote, str) or not quote.strip():
            rep.error(at, "source and quote must be strings and the quote non-empty")
            continue
        if quote != quote.strip():
            rep.warn(at, "quote has leading or trailing whitespace")
        if "\n" in quote:
            rep.warn(at, "quote spans several lines; prefer one sentence or list item")
        if quote in quotes:
            rep.error(at, "duplicate quote in the same question")
        quotes.append(quote)
        text = read_source(root, source, texts)
        if text is None:
            rep.error(at, f"cannot read source {source!r} (must be a document career-rag reads, relative to {root})")
        elif locate(quote, text) is None:
            rep.error(at, f"quote is not in {source}: {quote[:70]!r}")
    if kind in ("comparison", "multi-hop"):
        if len(evidence) < 2:
            (rep.error if targets else rep.warn)(where, f"a {kind} question should cite 2+ quotes")
        elif len({ev.get("source") for ev in evidence if isinstance(ev, dict)}) < 2:
            rep.warn(where, f"{kind} quotes all come from one file; two files are better")
    raw["_overlap"] = overlap(raw["question"], quotes)
    if raw["paraphrased"] and raw["_overlap"] > PARAPHRASE_WARN:
        rep.warn(where, f"paraphrased but {raw['_overlap']:.0%} of its content words appear in the evidence")
    return raw


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Validate an evaluation dataset (schema: eval/DATASET.md).")
    ap.add_argument("path", nargs="?", default=str(Path(__file__).with_name("dataset.jsonl")))
    ap.add_argument("--root", default=".", help="folder that evidence sources are relative to (default: .)")
    ap.add_argument("--no-targets", action="store_true",
                    help="only check schema and quotes, not this project's counts, roles and coverage")
    args = ap.parse_args(argv)
    path, root, targets = Path(args.path), Path(args.root), not args.no_targets

    rep = Report()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ERROR: cannot read {path}: {exc}")
        return 1

    items: list[dict] = []
    ids: dict[str, str] = {}
    questions: dict[str, str] = {}
    texts: dict[str, str | None] = {}
    for n, line in enumerate(lines, 1):
        where = f"{path}:{n}"
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            rep.error(where, f"not JSON ({exc.msg})")
            continue
        item = check_item(raw, where, rep, root, texts, targets)
        if item is None:
            continue
        if item["id"] in ids:
            rep.error(where, f"duplicate id {item['id']!r} (first at {ids[item['id']]})")
        ids.setdefault(item["id"], where)
        q = " ".join(item["question"].lower().split())
        if q in questions:
            rep.error(where, f"duplicate question (first at {questions[q]})")
        questions.setdefault(q, where)
        items.append(item)

    if not items:
        rep.error(str(path), "no questions")

    # Counts.
    kinds = Counter(i["kind"] for i in items)
    answerable = [i for i in items if i["answerable"]]
    para = [i for i in answerable if i["paraphrased"]]
    literal = [i for i in answerable if not i["paraphrased"]]
    folders = Counter(ev["source"].split("/")[1] if ev["source"].startswith("corpus/") and ev["source"].count("/") >= 2
                      else ev["source"].split("/")[0]
                      for i in answerable for ev in i["evidence"] if isinstance(ev, dict) and isinstance(ev.get("source"), str))
    roles = Counter(r for i in items for r in i["roles"] if isinstance(r, str))
    n_quotes = sum(len(i["evidence"]) for i in answerable)
    multi_file = sum(len({ev.get("source") for ev in i["evidence"] if isinstance(ev, dict)}) >= 2 for i in answerable)

    def mean(xs: list[float]) -> str:
        return f"{sum(xs) / len(xs):.2f}" if xs else "-"

    print(f"dataset: {path}")
    print(f"questions: {len(items)}  answerable: {len(answerable)}  unanswerable: {len(items) - len(answerable)}")
    print("kinds: " + "  ".join(f"{k}={kinds.get(k, 0)}" for k in KINDS))
    print(f"paraphrased (answerable): {len(para)}  literal (answerable): {len(literal)}")
    print(f"evidence quotes: {n_quotes}  answerable questions citing 2+ files: {multi_file}")
    print("question/evidence word overlap (mean): "
          f"paraphrased={mean([i['_overlap'] for i in para])}  literal={mean([i['_overlap'] for i in literal])}")
    print("evidence by folder: " + "  ".join(f"{f}={c}" for f, c in sorted(folders.items())))
    print("questions by role: " + "  ".join(f"{r}={roles[r]}" for r in sorted(roles)))

    if targets:
        where = f"{path} (targets)"
        if len(items) != TOTAL:
            rep.error(where, f"expected {TOTAL} questions, found {len(items)}")
        if kinds.get("unanswerable", 0) != UNANSWERABLE:
            rep.error(where, f"expected {UNANSWERABLE} unanswerable questions, found {kinds.get('unanswerable', 0)}")
        if len(para) < MIN_PARAPHRASED:
            rep.error(where, f"expected at least {MIN_PARAPHRASED} paraphrased answerable questions, found {len(para)}")
        for k, low in MIN_KIND.items():
            if kinds.get(k, 0) < low:
                rep.error(where, f"expected at least {low} {k} questions, found {kinds.get(k, 0)}")
        for f in FOLDERS:
            if not folders.get(f):
                rep.error(where, f"no evidence from corpus/{f}/")
        for r in ROLES:
            if not roles.get(r):
                rep.error(where, f"no question about role {r!r}")
        present = {i["question"] for i in items}
        for h in HEADLINES:
            if h not in present:
                rep.error(where, f"headline question missing (verbatim): {h!r}")

    for w in rep.warnings:
        print(f"WARNING: {w}")
    for e in rep.errors:
        print(f"ERROR: {e}")
    print(f"{'FAILED' if rep.errors else 'OK'}: {len(rep.errors)} error(s), {len(rep.warnings)} warning(s)")
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
