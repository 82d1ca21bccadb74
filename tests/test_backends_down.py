"""Backends that are down, slow or broken: real processes and sockets on loopback.

- A real `chroma run` server (index.chroma_url) that is down when the app starts, goes
  down mid-session and comes back: dense/hybrid retrieval falls back to the BM25 side
  index with a notice, and the same Engine / the same UI session recovers on its own.
- LLM servers that fail: tests/test_llm_down.py.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.store.manifest import IndexError_
from tests.conftest import ROOT, make_settings, write
from tests.test_ui_apptest import DOCS
from tests.test_ui_apptest import open_app as open_ui

pytestmark = pytest.mark.slow

CHROMA = Path(sys.executable).parent / "chroma"
QUESTION = "What does a data engineer interview test?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a Chroma server we can stop and start again ----------------------------------------
class ChromaServer:
    def __init__(self, data: Path, port: int):
        self.data, self.port, self.proc = data, port, None
        self.url = f"http://127.0.0.1:{port}"

    def up(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def start(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            return
        deadline = time.time() + 60
        while True:  # the port may linger for a moment after a stop
            self.proc = subprocess.Popen(
                [str(CHROMA), "run", "--host", "127.0.0.1", "--port", str(self.port), "--path", str(self.data)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            while not self.up() and self.proc.poll() is None and time.time() < deadline:
                time.sleep(0.1)
            if self.up():
                return
            if time.time() > deadline:
                self.stop()
                pytest.fail("chroma server did not start within 60 s")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        deadline = time.time() + 10
        while self.up() and time.time() < deadline:
            time.sleep(0.1)
        assert not self.up(), "chroma server still answering after stop"


@pytest.fixture(scope="module")
def chroma(tmp_path_factory, minilm):
    """An index whose vectors live in a Chroma server (the manifest and BM25 stay local)."""
    from ingest.pipeline import ingest

    root = tmp_path_factory.mktemp("chroma-down")
    server = ChromaServer(root / "server-data", free_port())
    server.start()
    for name, text in DOCS.items():
        if name != "security.md":
            write(root / "docs" / name, text)
    settings = make_settings(root / "index", index={"dir": str(root / "index"), "chroma_url": server.url})
    ingest([root / "docs"], settings, embedder=minilm)
    assert not (root / "index" / "chroma").exists()
    server.settings, server.root = settings, root
    try:
        yield server
    finally:
        server.stop()


def assert_fallback(ans, server) -> None:
    assert not ans.refused and ans.citations, ans.answer
    assert ans.notice and f"Chroma server at {server.url} is unavailable" in ans.notice, ans.notice
    assert "keyword (BM25) search only" in ans.notice
    assert ans.contexts and all("bm25" in c.signals and not {"dense", "hybrid"} & set(c.signals) for c in ans.contexts)


def assert_dense_is_back(ans, mode="hybrid") -> None:
    assert ans.notice is None, ans.notice
    assert not ans.refused and ans.citations
    assert all(mode in c.signals for c in ans.contexts)


def test_chroma_down_at_start_then_back(chroma, minilm):
    from rag.engine import Engine

    chroma.stop()
    engine = Engine(chroma.settings, embedder=minilm)  # opening the index needs no vector store
    ans = engine.ask(QUESTION)
    assert_fallback(ans, chroma)
    assert any(c.source.endswith("de.md") for c in ans.citations)
    assert "SQL" in ans.answer
    ctx, notice = engine.retrieve_with_notice(QUESTION)
    assert ctx and notice and "unavailable" in notice
    chroma.start()
    assert_dense_is_back(engine.ask(QUESTION))  # the same Engine, no restart


def test_chroma_goes_down_mid_session_and_recovers(chroma, minilm):
    from rag.engine import Engine

    chroma.start()
    engine = Engine(chroma.settings, embedder=minilm)
    before = engine.ask(QUESTION)
    assert_dense_is_back(before)
    dense = engine.settings.retrieval.model_copy(update={"mode": "dense"})
    bm25 = engine.settings.retrieval.model_copy(update={"mode": "bm25"})
    assert_dense_is_back(engine.ask(QUESTION, retrieval=dense), "dense")

    chroma.stop()
    assert_fallback(engine.ask(QUESTION), chroma)
    assert_fallback(engine.ask("How do AI and ML engineer roles differ?", retrieval=dense), chroma)
    only_bm25 = engine.ask(QUESTION, retrieval=bm25)
    assert only_bm25.notice is None and only_bm25.citations, "BM25 never needed the server"
    roles = engine.settings.retrieval.model_copy(update={"roles": ["ml engineer"]})
    filtered = engine.ask("What does the interview test?", retrieval=roles)
    assert filtered.notice and all("ml engineer" in c.chunk.roles for c in filtered.contexts)

    chroma.start()
    after = engine.ask(QUESTION)
    assert_dense_is_back(after)
    assert after.answer == before.answer and [c.chunk.chunk_id for c in after.contexts] == [
        c.chunk.chunk_id for c in before.contexts], "back to the very same answer"


def test_chroma_down_concurrent_asks_all_fall_back(chroma, minilm):
    from concurrent.futures import ThreadPoolExecutor

    from rag.engine import Engine

    chroma.stop()
    engine = Engine(chroma.settings, embedder=minilm)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: engine.ask(QUESTION), range(8)))
    for ans in answers:
        assert_fallback(ans, chroma)
    assert len({a.answer for a in answers}) == 1


@pytest.fixture
def index_without_bm25(chroma, tmp_path):
    """A copy of the index whose BM25 side index is gone: nothing can stand in for Chroma."""
    shutil.copytree(chroma.root / "index", tmp_path / "index")
    db = sqlite3.connect(tmp_path / "index" / "manifest.sqlite3")
    with db:
        db.execute("DELETE FROM meta WHERE key = 'bm25_dir'")
    db.close()
    return tmp_path / "index"


def test_no_fallback_is_a_clear_error(chroma, minilm, index_without_bm25):
    from rag.engine import Engine

    chroma.stop()
    settings = make_settings(index_without_bm25, index={"dir": str(index_without_bm25), "chroma_url": chroma.url})
    engine = Engine(settings, embedder=minilm)
    with pytest.raises(IndexError_) as info:
        engine.ask(QUESTION)
    msg = str(info.value)
    assert f"Chroma server at {chroma.url} is unavailable" in msg and "no keyword (BM25) side index" in msg
    chroma.start()
    assert_dense_is_back(engine.ask(QUESTION))


# -- the CLI ---------------------------------------------------------------------------
def cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_cli_with_chroma_down(chroma, index_without_bm25):
    chroma.stop()
    index = str(chroma.settings.index.dir)
    run = cli("ask", QUESTION, "--index", index, "--chroma-url", chroma.url)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert "is unavailable" in " ".join(run.stderr.split()) and "[1]" in run.stdout and "SQL" in run.stdout

    run = cli("retrieve", QUESTION, "--index", index, "--chroma-url", chroma.url, "--json")
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["contexts"] and "unavailable" in data["notice"]

    run = cli("ask", QUESTION, "--index", str(index_without_bm25), "--chroma-url", chroma.url)
    assert run.returncode == 1 and "Traceback" not in run.stderr + run.stdout
    err = " ".join(run.stderr.split())
    assert err.startswith("Error: cannot search") and ("Connection refused" in err or "Could not connect" in err), err


# -- the UI ----------------------------------------------------------------------------
def open_app(monkeypatch, index_dir: Path, chroma_url: str) -> AppTest:
    return open_ui(monkeypatch, index_dir, CAREER_RAG_INDEX__CHROMA_URL=chroma_url)


def ask(at: AppTest, question: str) -> dict:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception, at.exception
    return at.session_state["messages"][-1]


def last_box(at: AppTest):
    return [m for m in at.chat_message if m.name == "assistant"][-1]


def test_ui_survives_chroma_going_down_and_coming_back(chroma, monkeypatch):
    chroma.stop()
    at = open_app(monkeypatch, chroma.settings.index.dir, chroma.url)  # down at start
    reply = ask(at, QUESTION)
    assert not reply.get("error") and reply["answer"].citations
    box = last_box(at)
    assert any("is unavailable" in w.value for w in box.warning), [w.value for w in box.warning]
    assert "SQL" in box.markdown[0].value

    chroma.start()
    reply = ask(at, "How do AI and ML engineer roles differ?")
    assert reply["answer"].notice is None and reply["answer"].citations
    assert not last_box(at).warning

    chroma.stop()  # mid-session
    reply = ask(at, "What does a data scientist interview test?")
    assert reply["answer"].notice and any("is unavailable" in w.value for w in last_box(at).warning)
    chroma.start()
    reply = ask(at, QUESTION)
    assert reply["answer"].notice is None and not last_box(at).warning
    assert len(at.session_state["messages"]) == 8 and not at.exception


def test_ui_shows_a_readable_error_when_nothing_can_answer(chroma, index_without_bm25, monkeypatch):
    chroma.stop()
    at = open_app(monkeypatch, index_without_bm25, chroma.url)
    reply = ask(at, QUESTION)
    assert reply.get("error"), reply
    assert not at.exception
    errors = [e.value for e in last_box(at).error]
    assert errors and "cannot search" in errors[0] and "Traceback" not in errors[0]
    chroma.start()
    reply = ask(at, QUESTION)
    assert not reply.get("error") and reply["answer"].notice is None and reply["answer"].citations
