from __future__ import annotations

import pytest

from ingest.pipeline import ingest
from rag.store.manifest import Index, IndexMismatchError
from tests.conftest import doc, make_settings, write
from tests.fakes import HashEmbedding


def _corpus(root):
    write(root / "de.md", doc("Data Engineer", "Data engineers build pipelines. " * 30))
    write(root / "ml.md", doc("ML Engineer", "ML engineers ship models. " * 30, roles=("ml engineer",)))
    write(root / "sub/ae.md", doc("AI Engineer", "AI engineers build LLM apps. " * 30, roles=("ai engineer",)))


def _check_consistent(settings):
    """Manifest and Chroma agree, no duplicates, every chunk is an exact source span."""
    index = Index(settings)
    chunks = index.chunks()
    ids = [c.chunk_id for c in chunks]
    assert len(ids) == len(set(ids))
    got = index.collection.get(include=["documents", "metadatas"])
    assert sorted(got["ids"]) == sorted(ids)
    for c in chunks:
        assert open(c.source, encoding="utf-8").read()[c.start : c.end] == c.text
    by_id = dict(zip(got["ids"], got["documents"]))
    assert all(by_id[c.chunk_id] == c.text for c in chunks)
    index.close()
    return chunks


def test_incremental_add_change_delete_unchanged(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "docs"
    _corpus(root)
    r1 = ingest([root], fake_settings, embedder=fake_embedder)
    assert len(r1.added) == 3 and not r1.updated and not r1.deleted
    first = _check_consistent(fake_settings)
    assert r1.chunks_total == len(first) > 3

    calls = len(fake_embedder.calls)
    r2 = ingest([root], fake_settings, embedder=fake_embedder)
    assert len(r2.unchanged) == 3 and r2.chunks_embedded == 0
    assert len(fake_embedder.calls) == calls, "unchanged corpus must not embed anything"

    write(root / "de.md", doc("Data Engineer", "Data engineers model warehouses. " * 10))
    (root / "ml.md").unlink()
    write(root / "new.txt", "Analytics engineers own dbt models.\n")
    r3 = ingest([root], fake_settings, embedder=fake_embedder)
    assert [p.endswith("de.md") for p in r3.updated] == [True]
    assert [p.endswith("ml.md") for p in r3.deleted] == [True]
    assert [p.endswith("new.txt") for p in r3.added] == [True]
    assert len(r3.unchanged) == 1
    after = _check_consistent(fake_settings)
    untouched_before = {c.chunk_id for c in first if c.source.endswith("ae.md")}
    untouched_after = {c.chunk_id for c in after if c.source.endswith("ae.md")}
    assert untouched_before == untouched_after, "an unchanged file keeps its chunk ids"
    assert not any(c.source.endswith("ml.md") for c in after)
    assert any("warehouses" in c.text for c in after) and not any("pipelines" in c.text for c in after)


def test_ingesting_one_folder_leaves_other_folders_alone(tmp_path, fake_settings, fake_embedder):
    _corpus(tmp_path / "a")
    write(tmp_path / "b" / "x.md", doc("X", "Other notes. " * 5))
    ingest([tmp_path / "a"], fake_settings, embedder=fake_embedder)
    ingest([tmp_path / "b"], fake_settings, embedder=fake_embedder)
    sources = {c.source for c in _check_consistent(fake_settings)}
    assert len(sources) == 4


def test_rebuild_starts_over(tmp_path, fake_settings, fake_embedder):
    _corpus(tmp_path / "d")
    ingest([tmp_path / "d"], fake_settings, embedder=fake_embedder)
    r = ingest([tmp_path / "d"], fake_settings, embedder=fake_embedder, rebuild=True)
    assert len(r.added) == 3
    _check_consistent(fake_settings)


def test_bad_files_do_not_stop_good_ones(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "d"
    _corpus(root)
    ingest([root], fake_settings, embedder=fake_embedder)
    (root / "empty.md").write_bytes(b"")
    (root / "bin.md").write_bytes(b"\x00\xff" * 50)
    (root / "latin.md").write_bytes("d\xe9j\xe0".encode("latin-1"))
    (root / "badfm.md").write_text("---\ntitle: [x\n---\nbody\n")
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    # a good file that turns bad keeps its previous version
    (root / "de.md").write_bytes(b"\x00" * 10)
    r = ingest([root], fake_settings, embedder=fake_embedder)
    reasons = dict((p.rsplit("/", 1)[-1], why) for p, why in r.skipped)
    assert set(reasons) == {"empty.md", "bin.md", "loop", "dangling.md", "de.md"}
    assert [(p.rsplit("/", 1)[-1], "not valid YAML" in why) for p, why in r.warnings] == [("badfm.md", True)]
    assert "previous version kept" in reasons["de.md"]
    assert "symlinked folder" in reasons["loop"] and "broken symlink" in reasons["dangling.md"]
    chunks = Index(fake_settings).chunks()
    # (Latin-1 is decoded; front matter that is not YAML costs the file its metadata only)
    assert {c.source.rsplit("/", 1)[-1] for c in chunks} == {"de.md", "ml.md", "ae.md", "latin.md", "badfm.md"}


def test_other_embedding_model_is_refused(tmp_path, fake_settings, fake_embedder):
    _corpus(tmp_path / "d")
    ingest([tmp_path / "d"], fake_settings, embedder=fake_embedder)
    other = make_settings(fake_settings.index.dir, embedding={"model": "all-MiniLM-L6-v2"})
    with pytest.raises(IndexMismatchError, match="test-hash-64"):
        ingest([tmp_path / "d"], other)
    write(tmp_path / "d" / "more.md", doc("More", "More text. " * 5))
    with pytest.raises(IndexMismatchError, match="dim 64"):
        ingest([tmp_path / "d"], fake_settings, embedder=HashEmbedding(dim=32))


def test_other_chunking_is_refused(tmp_path, fake_settings, fake_embedder):
    _corpus(tmp_path / "d")
    ingest([tmp_path / "d"], fake_settings, embedder=fake_embedder)
    other = make_settings(fake_settings.index.dir, embedding={"model": "test-hash-64"}, chunking={"size": 90, "overlap": 10})
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        ingest([tmp_path / "d"], other, embedder=fake_embedder)
    assert len(ingest([tmp_path / "d"], other, embedder=fake_embedder, rebuild=True).added) == 3


@pytest.mark.slow
def test_real_minilm_corpus_ingest_is_exact_and_searchable(tmp_path, minilm):
    from tests.conftest import CORPUS

    settings = make_settings(tmp_path / "index")
    r = ingest([CORPUS / "roles"], settings, embedder=minilm)
    assert len(r.added) >= 10 and not r.skipped
    chunks = _check_consistent(settings)
    index = Index(settings)
    assert index.get_meta("embedding_model") == "all-MiniLM-L6-v2" and index.get_meta("embedding_dim") == "384"
    hits = index.collection.query(query_embeddings=[minilm.get_query_embedding("what does a data engineer do all day")], n_results=3)
    assert any("data-engineer" in m["source"] for m in hits["metadatas"][0])
    assert len(chunks) == index.collection.count()


# -- the Chroma handles of an index ---------------------------------------------------
class _Client:
    def __init__(self, error=None):
        self.error, self.deleted = error, []

    def delete_collection(self, name):
        if self.error:
            raise self.error
        self.deleted.append(name)


def test_reset_passes_over_only_a_missing_collection(tmp_path, fake_settings, monkeypatch):
    from chromadb.errors import NotFoundError

    import rag.store.chroma as chroma

    index = Index(fake_settings, create=True)
    try:
        for client in (_Client(), _Client(NotFoundError("no collection"))):
            monkeypatch.setattr(chroma, "open_client", lambda settings, index_dir, c=client: c)
            index.refresh()
            index.reset()
        assert index.docs() == {} and index.get_meta("bm25_dir") is None
        monkeypatch.setattr(chroma, "open_client", lambda settings, index_dir: _Client(RuntimeError("a bug")))
        index.refresh()
        with pytest.raises(RuntimeError, match="a bug"):  # no longer swallowed
            index.reset()
    finally:
        index.close()


def test_lazy_chroma_handles_are_opened_once_across_threads(tmp_path, fake_settings, monkeypatch):
    import threading
    import time

    import rag.store.chroma as chroma

    opened = []

    def slow_open(settings, index_dir, client=None):
        time.sleep(0.05)  # wide enough for every thread to race in
        opened.append(object())
        return opened[-1]

    monkeypatch.setattr(chroma, "open_client", lambda settings, index_dir: _Client())
    monkeypatch.setattr(chroma, "open_collection", slow_open)
    index = Index(fake_settings, create=True)
    try:
        got, start = [], threading.Barrier(8)

        def use():
            start.wait()
            got.append(index.collection)

        threads = [threading.Thread(target=use) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(opened) == 1 and all(g is opened[0] for g in got)
        index.refresh()
        assert index.collection is opened[1]
    finally:
        index.close()


def test_the_vector_store_is_described_as_configured(tmp_path, fake_settings):
    index = Index(fake_settings, create=True)
    server = Index(make_settings(tmp_path / "other", index={"dir": str(tmp_path / "other"), "chroma_url": "http://h:1"}),
                   create=True)
    try:
        assert index.describe_vector_store() == f"Chroma store in {index.dir / 'chroma'}"
        assert server.describe_vector_store() == "Chroma server at http://h:1"
    finally:
        index.close()
        server.close()


def test_question_backfill_through_the_store(tmp_path, fake_settings, fake_embedder, monkeypatch):
    """ensure_questions rebuilds the question rows via Index.replace_questions; an index that
    cannot be written leaves them as they are (False), a bug is not mistaken for that."""
    import sqlite3
    from contextlib import contextmanager

    from rag.study.backfill import ensure_questions

    bank = "## Practice\n\n### Q: How do you remove duplicate rows?\n\nUse ROW_NUMBER over the key and keep the first row.\n"
    write(tmp_path / "d" / "bank.md", doc("Bank", bank, kind="question-bank"))
    ingest([tmp_path / "d"], fake_settings, embedder=fake_embedder)
    index = Index(fake_settings)
    try:
        before = index.questions()
        assert [q.question for q in before] == ["How do you remove duplicate rows?"]
        index.set_meta(questions="0")  # as if written by an older extractor
        assert ensure_questions(index) and index.get_meta("questions") == "1" and index.questions() == before

        @contextmanager
        def unwritable():
            raise sqlite3.OperationalError("attempt to write a readonly database")
            yield

        index.set_meta(questions="0")
        monkeypatch.setattr(index, "transaction", unwritable)
        assert ensure_questions(index) is False and index.questions() == before
        monkeypatch.setattr(index, "replace_questions", lambda *a: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            ensure_questions(index)
    finally:
        index.close()


def test_a_new_reader_version_re_reads_unchanged_files(tmp_path, fake_settings, fake_embedder, monkeypatch):
    """After an upgrade that reads files differently (a new READER_VERSION), the next ingest
    re-reads and re-chunks every file once; then they are unchanged again."""
    import ingest.loaders as loaders

    root = tmp_path / "docs"
    _corpus(root)
    monkeypatch.setattr(loaders, "READER_VERSION", "1")
    ingest([root], fake_settings, embedder=fake_embedder)
    old = {c.chunk_id for c in _check_consistent(fake_settings)}
    assert len(ingest([root], fake_settings, embedder=fake_embedder).unchanged) == 3

    monkeypatch.setattr(loaders, "READER_VERSION", "2")
    report = ingest([root], fake_settings, embedder=fake_embedder)
    assert len(report.updated) == 3 and not report.unchanged and report.chunks_embedded > 0
    new = {c.chunk_id for c in _check_consistent(fake_settings)}
    assert new and not new & old
    assert len(ingest([root], fake_settings, embedder=fake_embedder).unchanged) == 3



def test_lessons_that_open_alike_are_titled_by_their_files(tmp_path, fake_settings, fake_embedder):
    """A course repository opens every lesson with "### Introduction": each document is named by
    its file instead, in the index and so in every citation."""
    root = tmp_path / "docs"
    write(root / "handling_an_offer.md", "### Introduction\n\nIf you get an offer, ask for it in writing.\n")
    write(root / "collect-leads.md", "### Introduction\n\nStart with your network, even if it is small.\n")
    ingest([root], fake_settings, embedder=fake_embedder)
    titles = {d.title for d in Index(fake_settings).docs().values()}
    assert titles == {"handling an offer", "collect leads"}


def test_a_nul_in_a_pdf_does_not_shift_the_chunks_after_it(tmp_path, fake_settings, fake_embedder, monkeypatch):
    # pypdf gives a NUL for a glyph the PDF maps to no character (a browser's emoji). SQLite
    # reads a stored text only up to a NUL, so every chunk after one was sliced from the wrong
    # place, and the keyword index searched other words than the chunks hold.
    from reportlab.pdfgen import canvas

    from ingest import loaders
    from ingest.pdf_layout import Line

    root = tmp_path / "docs"
    root.mkdir()
    c = canvas.Canvas(str(root / "notes.pdf"))
    c.drawString(72, 700, "placeholder")
    c.save()
    printed = ["Legend: \x00 easy \x00 medium", "\x00"] + ["Data engineers build pipelines every day."] * 60 \
        + ["Window functions close the note."]
    monkeypatch.setattr(loaders, "page_lines", lambda page: [Line(t) for t in printed])
    ingest([root], fake_settings, embedder=fake_embedder)
    index = Index(fake_settings)
    chunks = index.chunks()
    text = index.doc_text(chunks[0].source)
    assert "\x00" not in text and text.startswith("Legend:  easy  medium")
    assert len(chunks) > 1 and all(text[c.start : c.end] == c.text for c in chunks)
    assert "Window functions" in chunks[-1].text
    index.close()
