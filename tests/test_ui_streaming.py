"""LLM answers stream through st.write_stream and are then checked against their citations.

The LLM is a stub OpenAI-compatible server on loopback that streams a fixed answer, so
the test covers the UI's worker thread, token queue and final verified rendering.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.ui_support import MARKER_MD, UNESCAPED, ask, cached_engine, last_assistant, open_app, ui_index  # noqa: F401

pytestmark = pytest.mark.slow

TOKENS = ["A data engineer interview ", "tests SQL, Python coding, ", "data modeling and pipeline design. [1]",
          "\n\nSee [this](javascript:alert(1)) <b>now</b>."]


class StubOpenAI(BaseHTTPRequestHandler):
    requests: list[dict] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        StubOpenAI.requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for i, tok in enumerate(TOKENS):
            delta = {"content": tok, **({"role": "assistant"} if i == 0 else {})}
            chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": body.get("model", "m"),
                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        end = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        self.wfile.flush()


@pytest.fixture
def llm_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StubOpenAI.requests.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_llm_answer_streams_and_is_verified(ui_index, llm_url, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    at.selectbox(key="backend").set_value("openai").run()
    at.text_input(key="llm_url").set_value(llm_url)
    at.text_input(key="llm_model").set_value("stub-model")
    at.run()
    reply = ask(at, "What does a data engineer interview test?")
    ans = reply["answer"]
    assert StubOpenAI.requests and StubOpenAI.requests[0]["model"] == "stub-model"
    assert StubOpenAI.requests[0].get("stream") is True
    assert ans.backend == "openai" and not ans.notice and not ans.refused
    assert ans.citations and ans.citations[0].marker == 1 and ans.citations[0].supported
    assert reply["request"]["backend"] == "openai"
    box = last_assistant(at)
    answer_md = box.markdown[0].value
    assert MARKER_MD.search(answer_md) and "SQL" in answer_md
    assert not UNESCAPED.search(MARKER_MD.sub("", answer_md)), "LLM output is escaped like documents"
    # the uncited last sentence is flagged as unsupported
    assert ans.unsupported and any("unsupported" in w.value.lower() or "not supported" in w.value.lower()
                                   for w in box.warning)
    assert box.expander, "sources listed under the LLM answer"


def test_sidebar_backend_change_is_used_by_the_next_answer(ui_index, llm_url, monkeypatch):
    question = "What does a data engineer interview test?"
    at = open_app(monkeypatch, ui_index)
    eng = cached_engine(monkeypatch, ui_index)
    assert ask(at, question)["answer"].backend == "extractive" and not StubOpenAI.requests

    at.selectbox(key="backend").set_value("openai").run()
    at.text_input(key="llm_url").set_value(llm_url)
    at.text_input(key="llm_model").set_value("stub-model")
    at.button(key="new_chat").click().run()  # no history: one LLM request per answer
    reply = ask(at, question)
    assert reply["request"]["backend"] == "openai" and reply["answer"].backend == "openai"
    assert [r["model"] for r in StubOpenAI.requests] == ["stub-model"]

    at.selectbox(key="backend").set_value("extractive").run()
    at.button(key="new_chat").click().run()
    reply = ask(at, question)
    assert reply["request"]["backend"] == "extractive" and reply["answer"].backend == "extractive"
    assert len(StubOpenAI.requests) == 1, "the LLM is not asked any more"
    assert cached_engine(monkeypatch, ui_index) is eng, "one engine throughout: the backend is per question"
