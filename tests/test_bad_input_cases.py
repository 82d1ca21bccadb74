"""Bad input to ingest that needs its own setup: the 100 MB file's memory use, permissions
(as an unprivileged user even when the tests run as root), duplicates via symlinks,
hostile names through updates, and files that turn bad after being indexed. The one
mixed folder of bad and good files is tests/test_bad_input.py."""

from __future__ import annotations

import os
import shutil
import tempfile
import tracemalloc
from contextlib import contextmanager
from pathlib import Path

import pytest

from ingest.loaders import SkipFile, read_bytes
from ingest.pipeline import ingest
from rag.store.manifest import Index
from tests.conftest import doc, write
from tests.crash_util import report_of, run_child, settings_for
from tests.fakes import HashEmbedding

pytestmark = pytest.mark.timeout(300)
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def test_100mb_file_is_refused_without_reading_it(tmp_path):
    root = tmp_path / "docs"
    write(root / "small.md", doc("Small", "Small notes about joins. " * 5))
    settings = settings_for(tmp_path / "index")
    ingest([root], settings, embedder=HashEmbedding())  # warm up imports and caches
    with open(root / "huge.txt", "wb") as f:
        f.truncate(100_000_000)
    f_big = root / "huge.txt"
    with open(f_big, "r+b") as f:  # real bytes at both ends, not only a hole
        f.write(b"# Huge\n\n")
        f.seek(99_999_000)
        f.write(b"The end.\n" * 100)
    tracemalloc.start()
    try:
        report = ingest([root], settings, embedder=HashEmbedding())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    reasons = dict((Path(p).name, r) for p, r in report.skipped)
    assert reasons["huge.txt"].startswith("file is 100.0 MB, over the 20 MB limit")
    assert peak < 20_000_000, f"ingest allocated {peak / 1e6:.0f} MB for a file it refuses"
    assert [Path(p).name for p in report.unchanged] == ["small.md"]


def test_read_is_bounded_even_when_the_size_lies(tmp_path):
    """A file whose stat size is wrong (procfs reports 0) cannot make read_bytes read past the limit."""
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("no /proc")
    with pytest.raises(SkipFile, match="grew past the 0 MB limit"):
        read_bytes(maps, 100)
    assert len(read_bytes(maps, 10_000_000)) > 100


@contextmanager
def _permission_sandbox():
    """A world-writable folder outside pytest's private tmp, for a child that may run as 'nobody'.

    Yields (base folder, extra run_child arguments). As root, chmod 000 does not stop
    reads, so the child ingest drops to uid 65534 (after warming up as root).
    """
    base = Path(tempfile.mkdtemp(prefix="career-rag-perm-"))
    os.chmod(base, 0o777)
    try:
        yield base, ({"as_user": 65534} if IS_ROOT else {})
    finally:
        for dirpath, dirnames, filenames in os.walk(base):
            for name in dirnames + filenames:
                p = Path(dirpath) / name
                if not p.is_symlink():
                    os.chmod(p, 0o777)
        shutil.rmtree(base, ignore_errors=True)


def _open_up(root: Path) -> None:
    for dirpath, dirnames, _ in os.walk(root):
        os.chmod(dirpath, 0o777)


def test_unreadable_files_and_folders_as_an_unprivileged_user():
    with _permission_sandbox() as (base, as_user):
        root = base / "docs"
        write(root / "good.md", doc("Good", "Readable notes about SQL. " * 5))
        write(root / "secret.md", doc("Secret", "Nobody may read this. " * 5))
        write(root / "locked" / "inside.md", doc("Inside", "In a folder nobody may list. " * 5))
        _open_up(root)
        os.chmod(root / "secret.md", 0)
        os.chmod(root / "locked", 0)
        rep = report_of(run_child(base / "index", [root], **as_user))
        reasons = {Path(s["path"]).name: s["reason"] for s in rep["skipped"]}
        assert reasons == {"secret.md": "permission denied", "locked": "permission denied (folder not scanned)"}
        assert [Path(p).name for p in rep["added"]] == ["good.md"] and rep["chunks_total"] > 0


def test_the_same_file_reached_twice_is_indexed_once(tmp_path):
    """A symlink next to its target, or a file given on its own and inside a folder given too."""
    root = tmp_path / "docs"
    write(root / "a.md", doc("A", "Alpha notes about joins. " * 10))
    (root / "link.md").symlink_to(root / "a.md")
    settings = settings_for(tmp_path / "index")
    report = ingest([root, root / "a.md"], settings, embedder=HashEmbedding())
    assert [Path(p).name for p in report.added] == ["a.md"]
    reasons = [(Path(p).name, r) for p, r in report.skipped]
    assert [n for n, _ in reasons] == ["a.md", "link.md"] and all("same file as" in r for _, r in reasons)
    index = Index(settings)
    try:
        ids = [c.chunk_id for c in index.chunks()]
        assert len(ids) == len(set(ids)) == index.collection.count()
    finally:
        index.close()


def test_hostile_names_survive_an_update_and_a_delete(tmp_path):
    root = tmp_path / "docs"
    names = ["new\nline.md", "tab\tand space.md", "emoji 🚀 名前.md", "quote'\"and\\back.md", "-dash.md"]
    for i, name in enumerate(names):
        write(root / name, doc(f"Doc {i}", f"Topic{i} notes about pipelines. " * 6))
    settings = settings_for(tmp_path / "index")
    assert len(ingest([root], settings, embedder=HashEmbedding()).added) == len(names)
    write(root / names[0], doc("Doc 0", "Rewritten notes about warehouses. " * 6))
    (root / names[1]).unlink()
    report = ingest([root], settings, embedder=HashEmbedding())
    assert [Path(p).name for p in report.updated] == [names[0]]
    assert [Path(p).name for p in report.deleted] == [names[1]]
    index = Index(settings)
    try:
        sources = {Path(c.source).name for c in index.chunks()}
        assert sources == set(names) - {names[1]}
        assert index.collection.count() == index.n_chunks()
    finally:
        index.close()


@pytest.mark.parametrize(
    "turn_bad, reason",
    [
        (lambda p: p.write_bytes(b""), "file is empty"),
        # (front matter that cannot be used is set aside; with nothing under it, nothing is left)
        (lambda p: p.write_bytes(b"---\ntitle: !!python/name:os.system\n---\n"), "no text to index (front matter uses YAML tags"),
        (lambda p: (p.unlink(), os.mkfifo(p)), "not a regular file: named pipe"),
    ],
)
def test_an_indexed_file_that_turns_bad_keeps_its_previous_version(tmp_path, turn_bad, reason):
    root = tmp_path / "docs"
    good = write(root / "notes.md", doc("Notes", "Okapi notes about joins. " * 10))
    settings = settings_for(tmp_path / "index")
    ingest([root], settings, embedder=HashEmbedding())
    before = Index(settings).chunks()
    turn_bad(good)
    report = ingest([root], settings, embedder=HashEmbedding())
    (path, why), = report.skipped
    assert reason in why and "previous version kept in the index" in why
    index = Index(settings)
    try:
        assert [c.chunk_id for c in index.chunks()] == [c.chunk_id for c in before]
        assert index.collection.count() == len(before)
    finally:
        index.close()


class KeptDocumentsDeleted(AssertionError):
    pass


def test_documents_under_a_folder_that_becomes_unreadable_are_kept():
    with _permission_sandbox() as (base, as_user):
        root = base / "docs"
        write(root / "top.md", doc("Top", "Top notes. " * 5))
        write(root / "sub" / "inner.md", doc("Inner", "Inner notes about joins. " * 5))
        _open_up(root)
        first = report_of(run_child(base / "index", [root], **as_user))
        if len(first["added"]) != 2:
            pytest.fail(f"setup: {first}")
        os.chmod(root / "sub", 0)
        rep = report_of(run_child(base / "index", [root], **as_user))
        if not any("folder not scanned" in s["reason"] for s in rep["skipped"]):
            pytest.fail(f"the unreadable folder was not reported: {rep}")
        if rep["deleted"]:
            raise KeptDocumentsDeleted(f"deleted {rep['deleted']} only because their folder could not be read")
        assert rep["unchanged"] == 1  # top.md (inner.md was not scanned)
