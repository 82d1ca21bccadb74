"""Backends that are down, slow or broken: real processes and sockets on loopback.

- A real `chroma run` server (index.chroma_url) that is down when the app starts, goes
  down mid-session and comes back: dense/hybrid retrieval falls back to the BM25 side
  index with a notice, and the same Engine / the same UI session recovers on its own.
- LLM servers that die mid-stream (a process killed while streaming), stall mid-stream,
  answer HTTP 500, stream garbage or nothing: the user gets a notice and the extractive
  answer, from the Engine, the CLI and the Streamlit UI, never a stack trace.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.settings import AnswerSettings
from rag.store.manifest import IndexError_
from tests.conftest import ROOT, make_settings, write
from tests.test_ui_apptest import APP, DOCS
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


# -- LLM servers that fail in the middle -----------------------------------------------
def _chunk(text: str) -> bytes:
    data = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}]}
    return f"data: {json.dumps(data)}\n\n".encode()


DYING_SERVER = textwrap.dedent('''
    import json, os, sys, time
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class H(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for tok in ("A data engineer ", "interview tests "):
                d = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                     "choices": [{"index": 0, "delta": {"content": tok}, "finish_reason": None}]}
                body = ("data: " + json.dumps(d) + "\\n\\n").encode()
                self.wfile.write(b"%x\\r\\n%s\\r\\n" % (len(body), body))
                self.wfile.flush()
                time.sleep(0.2)
            os._exit(1)  # the server process dies mid-answer

        def log_message(self, *a):
            pass

    server = HTTPServer(("127.0.0.1", 0), H)
    print(server.server_address[1], flush=True)
    server.serve_forever()
''')


@pytest.fixture
def dying_llm(tmp_path):
    script = tmp_path / "dying.py"
    script.write_text(DYING_SERVER)
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    yield f"http://127.0.0.1:{port}/v1", proc
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


def test_llm_process_dies_mid_stream(engine, dying_llm):
    url, proc = dying_llm
    tokens: list[str] = []
    cfg = AnswerSettings(backend="openai", base_url=url, timeout_s=20)
    ans = engine.ask(QUESTION, answer=cfg, on_token=tokens.append)
    assert proc.wait(10) == 1, "the server really died"
    assert "".join(tokens).startswith("A data engineer interview tests"), "it had started streaming"
    assert ans.backend == "extractive" and not ans.refused and ans.citations
    assert ans.notice and ans.notice.startswith(f"The openai LLM at {url}") and "extractive answer instead" in ans.notice
    assert "stopped mid-answer (RemoteProtocolError" in ans.notice and "unreachable" not in ans.notice, ans.notice


class _Handler(BaseHTTPRequestHandler):
    mode = "stall"

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "http500":
            body = json.dumps({"error": {"message": "model crashed", "type": "server_error"}}).encode()
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if self.mode == "stall":
            self.wfile.write(_chunk("A data engineer "))
            self.wfile.flush()
            time.sleep(4)  # longer than the client's timeout
        elif self.mode == "garbage":
            self.wfile.write(b"data: {this is not json\n\ndata: <html>oops</html>\n\n")
        elif self.mode == "empty":
            self.wfile.write(b"data: [DONE]\n\n")
        elif self.mode == "echo":
            from rag.prompts import SYSTEM

            for line in SYSTEM.splitlines():
                self.wfile.write(_chunk(line + "\n"))
            self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


@pytest.fixture
def llm_stub(request):
    handler = type("H", (_Handler,), {"mode": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("llm_stub, expect", [
    ("stall", "did not answer within"),
    ("http500", "failed"),
    ("garbage", "failed"),
    ("empty", "empty answer"),
    ("echo", "repeated its instructions"),
], indirect=["llm_stub"])
def test_llm_failures_fall_back_with_a_notice(engine, llm_stub, expect):
    cfg = AnswerSettings(backend="openai", base_url=llm_stub, timeout_s=2)
    t0 = time.monotonic()
    ans = engine.ask(QUESTION, answer=cfg)
    assert time.monotonic() - t0 < 30
    assert ans.backend == "extractive" and not ans.refused and ans.citations and "SQL" in ans.answer
    assert ans.notice and expect in ans.notice and "extractive answer instead" in ans.notice, ans.notice
    assert "Traceback" not in ans.notice and len(ans.notice) < 400


def test_cli_llm_unreachable(engine):
    run = cli("ask", QUESTION, "--index", str(engine.settings.index.dir), "--backend", "openai",
              "--llm-url", f"http://127.0.0.1:{free_port()}/v1")
    assert run.returncode == 0 and "Traceback" not in run.stderr
    err = " ".join(run.stderr.split())
    assert "is unreachable" in err and "extractive answer instead" in err
    assert "[1]" in run.stdout


def test_ui_llm_dies_mid_stream(monkeypatch, engine, dying_llm):
    url, proc = dying_llm
    monkeypatch.delenv("CAREER_RAG_INDEX__CHROMA_URL", raising=False)
    monkeypatch.setenv("CAREER_RAG_INDEX__DIR", str(engine.settings.index.dir))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    at.selectbox(key="backend").set_value("openai").run()
    at.text_input(key="llm_url").set_value(url).run()
    reply = ask(at, QUESTION)
    assert proc.wait(10) == 1
    ans = reply["answer"]
    assert ans.backend == "extractive" and ans.citations and not reply.get("error")
    box = last_box(at)
    assert any("extractive answer instead" in w.value for w in box.warning)
    assert not box.error and not at.exception
