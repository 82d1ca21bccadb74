"""Shared by the crash-safety and concurrent-ingest tests: run tests/crash_child.py, and
read back what an index holds on disk (manifest, Chroma, BM25) to check it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from rag.store.manifest import Index
from tests.conftest import make_settings
from tests.fakes import HashEmbedding

ROOT = Path(__file__).resolve().parent.parent
CHILD = ROOT / "tests" / "crash_child.py"


def settings_for(index_dir: Path, **ingest):
    return make_settings(index_dir, embedding={"model": "test-hash-64"}, ingest={"lock_timeout_s": 1, **ingest})


def start_child(index_dir: Path, paths, *, crash_at: int = 0, trace: Path | None = None, slow: float = 0,
                group: int = 0, lock_timeout: float = 1.0, as_user: int | None = None,
                hold: Path | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRASH_")}
    if crash_at:
        env["CRASH_AT"] = str(crash_at)
    if trace:
        env["CRASH_TRACE"] = str(trace)
    if slow:
        env["CRASH_SLOW"] = str(slow)
    if hold:
        env["CRASH_HOLD"] = str(hold)
    cmd = [sys.executable, str(CHILD), "--index", str(index_dir), "--lock-timeout", str(lock_timeout)]
    if group:
        cmd += ["--group", str(group)]
    if as_user is not None:
        cmd += ["--as-user", str(as_user)]
    cmd += [str(p) for p in paths]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run_child(index_dir: Path, paths, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    proc = start_child(index_dir, paths, **kw)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def report_of(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, f"child ingest failed ({result.returncode}):\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


def read_trace(path: Path) -> list[tuple[int, str, int, float]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        k, label, pid, t = line.split("\t")
        rows.append((int(k), label, int(pid), float(t)))
    return rows


@dataclass(frozen=True)
class DocState:
    content_hash: str
    chunks: frozenset  # (chunk_id, start, end, text)
    questions: frozenset  # question texts


def manifest_state(settings) -> dict[str, DocState]:
    """What the manifest commits, per document."""
    index = Index(settings)
    try:
        docs, chunks, questions = index.docs(), index.chunks(), index.questions()
    finally:
        index.close()
    by_source: dict[str, set] = {s: set() for s in docs}
    for c in chunks:
        by_source[c.source].add((c.chunk_id, c.start, c.end, c.text))
    qs: dict[str, set] = {s: set() for s in docs}
    for q in questions:
        qs[q.source].add(q.question)
    return {s: DocState(d.content_hash, frozenset(by_source[s]), frozenset(qs[s])) for s, d in docs.items()}


def sqlite_checks(index_dir: Path) -> None:
    """The manifest is an intact SQLite database whose rows agree with each other."""
    db = sqlite3.connect(index_dir / "manifest.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.execute("PRAGMA foreign_keys=ON")
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        bad = db.execute(
            "SELECT d.source, d.n_chunks, count(c.chunk_id) FROM docs d LEFT JOIN chunks c ON c.source = d.source "
            "GROUP BY d.source HAVING d.n_chunks != count(c.chunk_id)"
        ).fetchall()
        assert not bad, f"docs.n_chunks disagrees with the chunks table: {bad}"
        dup = db.execute("SELECT chunk_id FROM chunks GROUP BY chunk_id HAVING count(*) > 1").fetchall()
        assert not dup
    finally:
        db.close()


def garbage_ids(index_dir: Path) -> set[str]:
    db = sqlite3.connect(index_dir / "manifest.sqlite3")
    try:
        return {r[0] for r in db.execute("SELECT chunk_id FROM garbage")}
    finally:
        db.close()


def chroma_contents(settings) -> dict[str, str]:
    """chunk id -> stored document text, for every vector in the Chroma collection."""
    index = Index(settings)
    try:
        got = index.collection.get(include=["documents"])
        assert len(got["ids"]) == len(set(got["ids"])) == index.collection.count()
        return dict(zip(got["ids"], got["documents"]))
    finally:
        index.close()


def bm25_ids(settings) -> list[str] | None:
    """Node ids of the BM25 side index the manifest points to (None: no BM25 index)."""
    from llama_index.retrievers.bm25 import BM25Retriever

    index = Index(settings)
    try:
        name = index.get_meta("bm25_dir")
        if not name:
            return None
        retriever = BM25Retriever.from_persist_dir(str(index.dir / name))
        return [entry["node_id"] for entry in retriever.corpus]
    finally:
        index.close()


def retrieve_all_modes(settings, question: str) -> dict[str, list]:
    """Contexts from the real Retriever in every mode (what the engine and UI use)."""
    from rag.pipeline.retrieve import Query, Retriever

    index = Index(settings)
    try:
        retriever = Retriever(index, HashEmbedding())
        return {mode: retriever.retrieve(Query(question, mode=mode, candidates=10)) for mode in ("dense", "bm25", "hybrid")}
    finally:
        index.close()


def dense_finds_own_text(settings, chunk_texts: dict[str, str]) -> list[str]:
    """Chunk ids whose own text, used as the query, does not bring them back (top 5, dense)."""
    from rag.pipeline.retrieve import Query, Retriever

    index = Index(settings)
    missing = []
    try:
        retriever = Retriever(index, HashEmbedding())
        for cid, text in chunk_texts.items():
            got = [c.chunk.chunk_id for c in retriever.retrieve(Query(text, mode="dense", candidates=5))]
            if cid not in got:
                missing.append(cid)
    finally:
        index.close()
    return missing
