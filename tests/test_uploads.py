"""Uploads: allowed types only, a size cap, hostile names neutralised inside the upload
folder, and never a silent overwrite. Real files in a temporary folder; the last test
drives the Corpus page of the real app (AppTest) end to end."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import doc
from tests.ui_support import DOCS, UPLOAD, ask, build_index, open_app, submit
from ui.uploads import ALLOWED, save_upload, sanitize_filename

NOTE = doc("Upload Note", "## Streaming\n\nConsumer lag is the number of Kafka messages a consumer group has not "
           "processed yet.", kind="note").encode()
MB = 1_000_000

HOSTILE_NAMES = [
    "../../x.md",
    "../../../../../../etc/cron.d/evil.md",
    "/etc/passwd.txt",
    "/tmp/abs.md",
    "..\\..\\windows\\system32\\evil.md",
    "C:\\Users\\me\\notes.md",
    "nul\x00byte.md",
    "new\nline.md",
    "carriage\rreturn.md",
    "\n\x00.md",
    "notes.md/",
    "..md",
    ".hidden.md",
    "~/.bashrc.md",
    "$(rm -rf ~).md",
    "`id`.html",
    "<script>alert(1)</script>.html",
    "rtl\u202egpj.md",
    "a" * 400 + ".md",
    "  spaced name .txt",
]


def inside(folder: Path, path: Path) -> bool:
    return path.resolve().parent == folder.resolve()


def test_sanitized_names_are_plain_base_names():
    for raw in HOSTILE_NAMES:
        clean = sanitize_filename(raw)
        assert clean and "/" not in clean and "\\" not in clean and "\x00" not in clean
        assert "\n" not in clean and "\r" not in clean and not clean.startswith(".")
        assert clean not in (".", "..") and len(clean) <= 120
        assert all(c.isascii() and (c.isalnum() or c in "._- ") for c in clean), clean


@pytest.mark.parametrize("raw", HOSTILE_NAMES)
def test_hostile_names_are_saved_inside_the_folder(tmp_path, raw):
    folder = tmp_path / "uploads"
    body = NOTE + raw.encode("utf-8", "replace").replace(b"\x00", b"0")  # distinct content per name
    result = save_upload(raw, body, folder, 20 * MB)
    assert result.status == "saved", result.message
    assert inside(folder, result.path) and result.path.read_bytes() == body
    assert Path(result.path.name).suffix.lower() in ALLOWED, "keeps an ingestable extension"
    everything = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert everything == [result.path], "nothing written anywhere else"


@pytest.mark.parametrize("name, data", [
    ("notes.md", NOTE), ("notes.markdown", NOTE), ("page.mdx", NOTE), ("notes.txt", b"Consumer lag is tracked per consumer group."),
    ("page.html", b"<html><body><p>Consumer lag explained.</p></body></html>"),
    ("page.htm", b"<html><body><p>Consumer lag explained.</p></body></html>"),
    ("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    ("prep.ipynb", b'{"cells": [{"cell_type": "markdown", "source": ["# Consumer lag"]}], "nbformat": 4}'),
])
def test_every_type_ingest_reads_is_accepted(tmp_path, name, data):
    from ingest.loaders import SUPPORTED

    assert set(ALLOWED) == SUPPORTED, "the upload list is ingest's list"
    result = save_upload(name, data, tmp_path / "uploads", 20 * MB)
    assert result.status == "saved" and result.path.name == name, result.message


def test_types_outside_the_allowed_list_are_rejected(tmp_path):
    folder = tmp_path / "uploads"
    for name, data in [("tool.exe", b"MZ\x90\x00"), ("script.sh", b"#!/bin/sh\nrm -rf /\n"), ("archive.zip", b"PK\x03\x04"),
                       ("page.svg", b"<svg onload=alert(1)>"), ("noext", b"text"), ("notes.md.exe", b"text"),
                       ("notes.md\x00.exe", b"text"), ("shell.php", b"<?php ?>")]:
        result = save_upload(name, data, folder, 20 * MB)
        assert result.status == "rejected" and "not supported" in result.message, (name, result.message)
        assert result.path is None
    assert not folder.exists() or not any(folder.iterdir())


def test_content_must_match_the_type(tmp_path):
    folder = tmp_path / "uploads"
    fake_pdf = save_upload("report.pdf", b"<html>not a pdf</html>", folder, 20 * MB)
    binary_md = save_upload("notes.md", b"\x7fELF\x02\x01\x01\x00\x00\x00binary", folder, 20 * MB)
    assert fake_pdf.status == binary_md.status == "rejected"
    assert "not a PDF" in fake_pdf.message and "binary" in binary_md.message
    utf16 = save_upload("notes-utf16.md", "# Notes\n\nSQL window functions are tested.\n".encode("utf-16"), folder, 20 * MB)
    assert utf16.status == "saved", utf16.message  # text ingest can read is accepted
    real_pdf = save_upload("report.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", folder, 20 * MB)
    assert real_pdf.status == "saved" and real_pdf.path.name == "report.pdf"
    fake_notebook = save_upload("prep.ipynb", b"# Notes saved with the wrong extension\n", folder, 20 * MB)
    assert fake_notebook.status == "rejected" and "not a Jupyter notebook" in fake_notebook.message


def test_size_limit(tmp_path):
    folder = tmp_path / "uploads"
    limit = 1000
    at_limit = save_upload("ok.md", b"x" * limit, folder, limit)
    over = save_upload("big.md", b"x" * (limit + 1), folder, limit)
    assert at_limit.status == "saved"
    assert over.status == "rejected" and "over the" in over.message and not (folder / "big.md").exists()
    assert save_upload("empty.md", b" \n\t ", folder, limit).status == "rejected"


def test_no_silent_overwrite(tmp_path):
    folder = tmp_path / "uploads"
    first = save_upload("notes.md", NOTE, folder, 20 * MB)
    other = NOTE.replace(b"Kafka", b"Pulsar")
    second = save_upload("notes.md", other, folder, 20 * MB)
    third = save_upload("../notes.md", other + b"\nmore", folder, 20 * MB)
    assert first.status == "saved" and second.status == third.status == "renamed"
    assert (folder / "notes.md").read_bytes() == NOTE, "the first file is untouched"
    assert second.path.name == "notes-1.md" and second.path.read_bytes() == other
    assert third.path.name == "notes-2.md" and "already exists" in third.message and "notes-2.md" in third.message
    # identical bytes under any name are recognised, not stored again
    for name in ("notes.md", "copy.md", "../../copy.md"):
        dup = save_upload(name, other, folder, 20 * MB)
        assert dup.status == "duplicate" and dup.path == second.path and "identical to notes-1.md" in dup.message
    assert sorted(p.name for p in folder.iterdir()) == ["notes-1.md", "notes-2.md", "notes.md"]


def test_existing_symlink_is_never_written_through(tmp_path):
    folder = tmp_path / "uploads"
    folder.mkdir()
    outside = tmp_path / "outside.md"
    outside.write_bytes(b"keep me")
    os.symlink(outside, folder / "notes.md")
    result = save_upload("notes.md", NOTE, folder, 20 * MB)
    assert result.status == "renamed" and outside.read_bytes() == b"keep me"
    assert inside(folder, result.path) and not result.path.is_symlink()


def test_simultaneous_uploads_of_one_name_never_overwrite(tmp_path):
    """Ten sessions upload different files called notes.md at the same moment."""
    folder = tmp_path / "uploads"
    bodies = [NOTE + f"\nversion {i}\n".encode() for i in range(10)]
    barrier = threading.Barrier(len(bodies))

    def upload(body):
        barrier.wait(timeout=30)
        return save_upload("notes.md", body, folder, 20 * MB)

    with ThreadPoolExecutor(len(bodies)) as pool:
        results = list(pool.map(upload, bodies))
    paths = [r.path for r in results]
    assert len(set(paths)) == len(bodies), "every upload got its own file"
    assert {p.read_bytes() for p in paths} == set(bodies), "no file was overwritten by another"
    assert sorted(r.status for r in results).count("saved") == 1


# -- through the app -------------------------------------------------------------------
@pytest.mark.slow
def test_corpus_page_neutralises_hostile_uploads(tmp_path, minilm, monkeypatch):
    index_dir = build_index(tmp_path, minilm, {"de.md": DOCS["de.md"]})
    uploads = tmp_path / "uploads"
    monkeypatch.setenv("CAREER_RAG_INGEST__MAX_FILE_MB", "0.002")
    at = open_app(monkeypatch, index_dir)
    at.switch_page("views/corpus.py").run()
    files = [
        ("/etc/cron.d/notes.md", NOTE, "text/markdown"),
        ("../../../outside\x00.md", NOTE + b"\nsecond", "text/markdown"),
        ("line\nbreak.txt", b"Data engineers monitor consumer lag on streaming pipelines every day.", "text/plain"),
        ("notes.md", NOTE.replace(b"Kafka", b"Pulsar"), "text/markdown"),
        ("virus.exe", b"MZ\x90\x00", "application/octet-stream"),
        ("big.md", b"x" * 3000, "text/markdown"),
    ]
    submit(at, files)
    assert uploads.is_dir(), [(e.value) for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    saved = sorted(p.name for p in uploads.iterdir())
    assert saved == ["line_break.txt", "notes-1.md", "notes.md", "outside.md"], saved
    assert not any(p for p in tmp_path.parent.glob("outside*")) and not (tmp_path / "outside.md").exists()
    assert (uploads / "notes.md").read_bytes() == NOTE
    assert (uploads / "notes-1.md").read_bytes() == NOTE.replace(b"Kafka", b"Pulsar")
    errors = " ".join(e.value for e in at.error)
    assert "virus" in errors and "not supported" in errors and "over the" in errors
    assert any("already exists" in w.value for w in at.warning)
    assert any("4 added" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.exception


@pytest.mark.slow
def test_upload_flow(tmp_path, minilm, monkeypatch):
    index_dir = build_index(tmp_path, minilm, {"de.md": DOCS["de.md"]})
    uploads = tmp_path / "uploads"  # default: next to the index folder
    at = open_app(monkeypatch, index_dir)
    at.switch_page("views/corpus.py").run()
    assert len(at.dataframe[0].value) == 1

    submit(at, [("../../evil/../runbook.md", UPLOAD.encode(), "text/markdown"),
                ("payload.exe", b"MZ\x90\x00binary", "application/octet-stream")])
    assert (uploads / "runbook.md").read_text(encoding="utf-8") == UPLOAD
    assert not (tmp_path / "runbook.md").exists() and not (tmp_path.parent / "runbook.md").exists()
    assert sorted(p.name for p in uploads.iterdir()) == ["runbook.md"]
    assert any("payload" in e.value and "not supported" in e.value for e in at.error)
    assert any("saved" in s.value for s in at.success)
    assert any("1 added" in i.value for i in at.info)
    titles = list(at.dataframe[0].value["title"])
    assert "Streaming Runbook" in titles
    assert "**2** documents" in at.sidebar.markdown[0].value

    # the new document is searchable at once, without restarting the app
    at.switch_page("views/chat.py").run()
    reply = ask(at, "What is consumer lag in Kafka?")
    assert any(c.source == str((uploads / "runbook.md").resolve()) for c in reply["answer"].citations)

    # same name, other content: saved under a new name, and the user is told
    at.switch_page("views/corpus.py").run()
    other = UPLOAD.replace("Streaming Runbook", "Streaming Runbook v2")
    submit(at, [("runbook.md", other.encode(), "text/markdown")])
    assert (uploads / "runbook.md").read_text(encoding="utf-8") == UPLOAD, "never overwritten"
    assert (uploads / "runbook-1.md").read_text(encoding="utf-8") == other
    assert any("already exists" in w.value and "runbook\\-1\\.md" in w.value for w in at.warning)

    # identical bytes again: not stored twice
    submit(at, [("copy.md", UPLOAD.encode(), "text/markdown")])
    assert not (uploads / "copy.md").exists()
    assert any("identical" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 3

    # front matter that cannot be read: the notes are indexed all the same, and the user is told
    broken = '---\ntitle: Loop notes\nkeywords: "data""\n---\n# Loop notes\n\nThe onsite loop has four rounds.\n'
    submit(at, [("loop.md", broken.encode(), "text/markdown")])
    assert any("loop\\.md" in w.value and "indexed without its front matter" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 4


@pytest.mark.slow
def test_upload_rejects_oversized_and_empty(tmp_path, minilm, monkeypatch):
    index_dir = build_index(tmp_path, minilm, {"de.md": DOCS["de.md"]})
    monkeypatch.setenv("CAREER_RAG_INGEST__MAX_FILE_MB", "0.001")
    at = open_app(monkeypatch, index_dir)
    at.switch_page("views/corpus.py").run()
    submit(at, [("big.md", b"x" * 5000, "text/markdown"), ("empty.txt", b"  \n", "text/plain")])
    assert any("over the" in e.value for e in at.error) and any("empty" in e.value for e in at.error)
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())


@pytest.mark.parametrize("raw, clean", [
    ("../../x.md", "x.md"),
    ("..\\..\\windows\\x.md", "x.md"),
    ("/etc/passwd.txt", "passwd.txt"),
    (".hidden.md", "hidden.md"),
    ("my notes (v2) é.MD", "my notes _v2.md"),
    ("<script>.html", "script.html"),
    ("..", "upload"),
])
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean


def test_a_word_upload_must_be_a_docx_package(tmp_path):
    import io

    from docx import Document

    folder = tmp_path / "uploads"
    fake = save_upload("notes.docx", b"# Notes saved with the wrong extension\n", folder, 20 * MB)
    assert fake.status == "rejected" and "not a Word (.docx) file" in fake.message
    doc = Document()
    doc.add_paragraph("SQL window functions are tested in every data engineering loop.")
    data = io.BytesIO()
    doc.save(data)
    real = save_upload("notes.docx", data.getvalue(), folder, 20 * MB)
    assert real.status == "saved" and real.path.name == "notes.docx"
