"""Named question sets (eval/sets.toml), each evaluated over its own corpus and index.

`career-rag eval --set all` runs them one after the other and writes, under --out,
one folder per set (results.jsonl, summary.json, report.md) plus sets.json and sets.md:
every metric side by side per set, so a change is judged on the foreign sets too.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
SETS_FILE = Path(__file__).with_name("sets.toml")
# The figures the tuning record compares, in this order.
HEADLINE = ("reach", "hit@5", "mrr@10", "ndcg@10", "evidence_coverage", "off_topic", "refusal_recall", "false_refusal",
            "citation_precision", "latency_p50_ms", "latency_p95_ms")


@dataclass(frozen=True)
class QuestionSet:
    name: str
    about: str
    dataset: Path
    corpus: Path
    root: Path

    @property
    def available(self) -> bool:
        return self.dataset.is_file() and self.corpus.exists()


def load_sets(path: Path = SETS_FILE) -> dict[str, QuestionSet]:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    base = path.resolve().parent.parent
    return {
        name: QuestionSet(name, spec.get("about", ""), (base / spec["dataset"]).resolve(),
                          (base / spec["corpus"]).resolve(), (base / spec.get("root", ".")).resolve())
        for name, spec in raw.items()
    }


def pick(names: list[str], sets: dict[str, QuestionSet]) -> list[QuestionSet]:
    if "all" in names:
        return [s for s in sets.values() if s.available]
    unknown = [n for n in names if n not in sets]
    if unknown:
        raise ValueError(f"unknown question set(s) {', '.join(unknown)}; choose from: all, {', '.join(sets)}")
    missing = [sets[n] for n in names if not sets[n].available]
    if missing:
        raise ValueError("missing files for " + "; ".join(f"{s.name} ({s.dataset} / {s.corpus})" for s in missing))
    return [sets[n] for n in names]


def index_dir(cache: Path, qset: QuestionSet, settings) -> Path:
    """One index per set and per model/chunking, so switching settings never mixes vectors."""
    key = f"{settings.embedding.model}|{settings.chunking.size}/{settings.chunking.overlap}|{qset.corpus}"
    return cache / f"{qset.name}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def headline(summary: dict) -> dict[str, float]:
    return {m: summary[m]["value"] for m in HEADLINE if isinstance(summary.get(m), dict)}


def write_table(out: Path, summaries: dict[str, dict]) -> None:
    """sets.json (set -> headline metrics) and sets.md (the same as a table)."""
    table = {name: headline(s) for name, s in summaries.items()}
    (out / "sets.json").write_text(json.dumps(table, indent=2), encoding="utf-8")
    lines = ["# career-rag evaluation by question set", "",
             "| metric | " + " | ".join(table) + " |", "|---|" + "---|" * len(table)]
    for metric in HEADLINE:
        cells = [f"{table[n][metric]:.3f}" if metric in table[n] and metric[-3:] != "_ms"
                 else (f"{table[n][metric]:.0f}" if metric in table[n] else "–") for n in table]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    lines += ["", "Per-set reports: " + ", ".join(f"[{n}]({n}/report.md)" for n in table), ""]
    (out / "sets.md").write_text("\n".join(lines), encoding="utf-8")


def run_sets(base_settings, names: list[str], out: Path, cache: Path, evaluate: Callable, ingest: Callable,
             make_engine: Callable, progress: Callable[[str, int, int], None] | None = None, **eval_kwargs) -> dict[str, dict]:
    """Ingest each set's corpus into its own index, evaluate it, and write the side-by-side table.

    `evaluate`, `ingest` and `make_engine` are injected by the CLI (the composition root),
    so this module depends on neither ingest/ nor the engine's construction.
    """
    summaries: dict[str, dict] = {}
    for qset in pick(names, load_sets()):
        settings = base_settings.model_copy(deep=True)
        settings.index.dir = index_dir(cache, qset, settings)
        ingest([qset.corpus], settings)
        engine = make_engine(settings)
        try:
            summaries[qset.name] = evaluate(engine, qset.dataset, out / qset.name, progress=progress, root=qset.root,
                                            **eval_kwargs)
        finally:
            engine.close()
    out.mkdir(parents=True, exist_ok=True)
    write_table(out, summaries)
    return summaries
