"""LLM backends against real processes on loopback: a llama.cpp server, a dead port,
a server that never answers, and one that answers garbage."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from rag.settings import AnswerSettings
from tests.llm_server import llama_server  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.llm
def test_openai_backend_streams_and_verifies_against_real_server(engine, llama_server):
    tokens: list[str] = []
    cfg = AnswerSettings(backend="openai", base_url=llama_server, model="local", timeout_s=180)
    answer = engine.ask("What does a data engineer interview test?", answer=cfg, on_token=tokens.append)
    assert answer.notice is None, answer.notice
    assert answer.backend == "openai"
    assert len(tokens) > 1, "tokens must stream"
    assert answer.answer and answer.answer in "".join(tokens).strip() or "".join(tokens).strip().startswith(answer.answer[:20])
    # Whatever a 135M model writes: markers never point past the sources, citations are
    # exact spans, and every sentence is either supported, flagged, or reported uncited.
    top = answer.contexts[: engine.settings.retrieval.top_k]
    for c in answer.citations:
        assert 1 <= c.marker <= len(top)
        assert open(c.source, encoding="utf-8").read()[c.start : c.end] == c.text
    assert all(c.text in answer.unsupported for c in answer.citations if not c.supported)
    data = answer.to_json()
    assert data["backend"] == "openai" and data["contexts"]


@pytest.mark.llm
def test_followup_condense_uses_the_llm(engine, llama_server):
    cfg = AnswerSettings(backend="openai", base_url=llama_server, model="local", timeout_s=180)
    resolved = engine.resolve("and for ML engineers?", ["What does a data engineer interview test?"], cfg)
    assert resolved and resolved != "and for ML engineers?"


def test_unreachable_server_falls_back_to_extractive(engine):
    cfg = AnswerSettings(backend="openai", base_url=f"http://127.0.0.1:{_free_port()}/v1", timeout_s=5)
    answer = engine.ask("What does a data engineer interview test?", answer=cfg)
    assert answer.backend == "extractive" and not answer.refused and answer.citations
    assert "unreachable" in answer.notice and "extractive answer instead" in answer.notice


def test_ollama_down_falls_back_too(engine):
    cfg = AnswerSettings(backend="ollama", base_url=f"http://127.0.0.1:{_free_port()}", model="llama3.2", timeout_s=5)
    answer = engine.ask("How do AI and ML engineer roles differ?", answer=cfg)
    assert answer.backend == "extractive" and answer.notice and "ollama" in answer.notice


class _Silent(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - never answers until the client gives up
        threading.Event().wait(5)

    def log_message(self, *args):
        pass


class _Garbage(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = b"<html>502 bad gateway, definitely not JSON</html>"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server(request):
    server = HTTPServer(("127.0.0.1", 0), request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.mark.parametrize("http_server, expect", [(_Silent, "did not answer within"), (_Garbage, "failed")], indirect=["http_server"])
def test_slow_or_garbage_server_gives_clear_notice(engine, http_server, expect):
    cfg = AnswerSettings(backend="openai", base_url=http_server, timeout_s=1)
    answer = engine.ask("What is a star schema?", answer=cfg)
    assert answer.backend == "extractive" and answer.citations
    assert expect in answer.notice


def test_missing_gguf_is_a_clear_notice(engine, tmp_path):
    cfg = AnswerSettings(backend="llamacpp", gguf_path=tmp_path / "missing.gguf")
    answer = engine.ask("What is a star schema?", answer=cfg)
    assert answer.backend == "extractive" and "GGUF" in answer.notice
