"""Run a real ingest in a child process, with the fake embedder, optionally killing itself.

Used by the crash-safety and concurrent-ingest tests: what they check is what is left on
disk, so the ingest must run in its own process and die the hard way (SIGKILL: no
finally blocks, no atexit, no flushing).

    python tests/crash_child.py --index DIR [--lock-timeout S] [--group N] PATH...

Hook points: every call of Index.transaction (enter / just before COMMIT / committed;
labelled with the Index method that opened it: announce_chunks, switch_documents,
delete_documents, forget_garbage, switch_bm25, set_meta), ChromaVectorStore.add,
chromadb Collection.delete, Index.rebuild_bm25 and os.replace (before / after) is one
numbered point, in execution order. Environment:

    CRASH_AT=k        SIGKILL this process when it reaches point k (1-based)
    CRASH_TRACE=file  append "k<TAB>label<TAB>pid<TAB>time" per point (flushed each time)
    CRASH_SLOW=s      sleep s seconds at every point (keeps the ingest, and its lock, busy)
    CRASH_HOLD=file   at the first SQLite transaction (the index lock is held by then),
                      wait until `file` exists

Prints the IngestReport as JSON on stdout. Exit status 75 with the message on stderr
when the index is locked by another ingest.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rag  # noqa: E402,F401 - offline environment first

EXIT_LOCKED = 75

_count = 0
_trace = os.environ.get("CRASH_TRACE")
_crash_at = int(os.environ.get("CRASH_AT", "0") or 0)
_slow = float(os.environ.get("CRASH_SLOW", "0") or 0)
_hold = os.environ.get("CRASH_HOLD")


def point(label: str) -> None:
    global _count, _hold
    _count += 1
    if _trace:
        with open(_trace, "a", encoding="utf-8") as f:
            f.write(f"{_count}\t{label}\t{os.getpid()}\t{time.time():.6f}\n")
    if _count == _crash_at:
        os.kill(os.getpid(), signal.SIGKILL)
    if _hold and label.startswith("txn:"):
        deadline = time.monotonic() + 120
        while not os.path.exists(_hold) and time.monotonic() < deadline:
            time.sleep(0.02)
        _hold = None
    if _slow:
        time.sleep(_slow)


def _caller() -> str:
    f = sys._getframe(2)
    while f and (f.f_code.co_filename.endswith("contextlib.py") or f.f_code.co_filename == __file__):
        f = f.f_back
    return f.f_code.co_name if f else "?"


def install_hooks() -> None:
    import chromadb.api.models.Collection as chroma_collection
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.store.manifest import Index

    orig_txn = Index.transaction.__wrapped__  # the generator under @contextmanager

    @contextmanager
    def transaction(self):
        name = _caller()
        point(f"txn:{name}:enter")
        gen = orig_txn(self)
        db = next(gen)
        try:
            yield db
        except BaseException as exc:
            try:
                gen.throw(exc)
            except type(exc):
                pass
            raise
        point(f"txn:{name}:before-commit")  # the kill leaves an open SQLite transaction
        try:
            next(gen)
        except StopIteration:
            pass
        point(f"txn:{name}:committed")

    Index.transaction = transaction

    def around(owner, attr: str, label: str):
        orig = getattr(owner, attr, None)
        if orig is None:  # renamed or gone: its points are simply not offered
            return

        def wrapper(*args, **kwargs):
            point(f"{label}:before")
            out = orig(*args, **kwargs)
            point(f"{label}:after")
            return out

        setattr(owner, attr, wrapper)

    around(ChromaVectorStore, "add", "chroma.add")
    around(chroma_collection.Collection, "delete", "chroma.delete")
    around(Index, "rebuild_bm25", "rebuild_bm25")
    around(os, "replace", "os.replace")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--lock-timeout", type=float, default=1.0)
    ap.add_argument("--group", type=int, default=0, help="chunks per embed/commit group (0: the default)")
    ap.add_argument("--as-user", type=int, default=None,
                    help="(root only) warm up as root, then drop to this uid/gid before ingesting, so "
                    "file permissions apply")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args(argv)

    import ingest.pipeline as pipeline
    from rag.settings import load_settings
    from tests.fakes import HashEmbedding

    if args.group:
        pipeline.GROUP_CHUNKS = args.group
    if args.as_user is not None:
        _drop_privileges(args.as_user)
    if _trace or _crash_at or _slow or _hold:
        install_hooks()
    settings = load_settings(
        overrides={
            "index": {"dir": args.index},
            "embedding": {"model": "test-hash-64"},
            "ingest": {"lock_timeout_s": args.lock_timeout},
        }
    )
    point("start")
    try:
        report = pipeline.ingest(args.paths, settings, embedder=HashEmbedding())
    except pipeline.IngestLockedError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_LOCKED
    point("done")
    print(json.dumps(report.as_dict()))
    return 0


def _drop_privileges(uid: int) -> None:
    """Ingest a scratch folder as root first (the interpreter and its lazily imported
    modules may live where the unprivileged user cannot read), then become `uid`."""
    import shutil
    import tempfile

    import ingest.pipeline as pipeline
    from rag.settings import load_settings
    from tests.fakes import HashEmbedding

    scratch = Path(tempfile.mkdtemp())
    try:
        (scratch / "warm.md").write_text("# Warm up\n\nOne sentence to index.\n", encoding="utf-8")
        settings = load_settings(overrides={"index": {"dir": str(scratch / "index")}, "embedding": {"model": "test-hash-64"}})
        pipeline.ingest([scratch / "warm.md"], settings, embedder=HashEmbedding())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


if __name__ == "__main__":
    sys.exit(main())
