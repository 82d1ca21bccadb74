from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import rag  # noqa: F401 - offline environment before anything else loads
from rag.settings import load_settings
from tests.fakes import HashEmbedding

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
ARTIFACTS = ROOT / "test-artifacts"


def make_settings(index_dir: Path, **sections):
    sections = {"index": {"dir": str(index_dir)}, **sections}
    return load_settings(overrides=sections)


@pytest.fixture
def fake_settings(tmp_path):
    """Settings for an index built with the deterministic HashEmbedding."""
    return make_settings(tmp_path / "index", embedding={"model": "test-hash-64"}, ingest={"lock_timeout_s": 1})


@pytest.fixture
def fake_embedder():
    return HashEmbedding()


@pytest.fixture(scope="session")
def minilm():
    from rag.models.embedding import load_embedder

    return load_embedder("all-MiniLM-L6-v2", 64, 0)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def doc(title: str, body: str, roles=("data engineer",), kind="role-guide") -> str:
    roles_yaml = ", ".join(roles)
    return (
        f"---\ntitle: {title}\nroles: [{roles_yaml}]\nkind: {kind}\nsource: original\nupdated: 2026-11-20\n---\n"
        f"# {title}\n\n{body}\n"
    )


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, minilm):
    """The shipped corpus ingested once with the real model (shared, treat as read-only)."""
    from ingest.pipeline import ingest

    settings = make_settings(tmp_path_factory.mktemp("corpus-index") / "index")
    ingest([CORPUS], settings, embedder=minilm)
    return settings


@pytest.fixture(scope="session")
def engine(corpus_index, minilm):
    from rag.engine import Engine

    return Engine(corpus_index, embedder=minilm)


def answer_over(tmp_path, minilm, name: str, text: str, question: str):
    """Ingest one file and ask about it with the real model; the answer is not a refusal and
    every citation is the exact source text."""
    from ingest import add
    from rag import Engine

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / name).write_text(text, encoding="utf-8")
    settings = make_settings(tmp_path / "index", retrieval={"rerank": "sentence"})
    assert len(add([folder], settings, embedder=minilm).added) == 1
    answer = Engine(settings, embedder=minilm).ask(question)
    assert not answer.refused
    for c in answer.citations:
        assert answer.doc_texts[c.source][c.start : c.end] == c.text
    return answer


def hard_breaks(text: str) -> set[int]:
    """Where a backslash ends a line: a hard line break in markdown (rag.text.spans reads a line of
    only that as a blank one, and a chunk ends before it), layout a chunk need not keep."""
    return {m.start() for m in re.finditer(r"\\(?=[ \t\r]*$)", text, re.M)}
