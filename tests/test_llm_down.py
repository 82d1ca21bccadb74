"""LLM servers that die mid-stream, stall, answer HTTP 500, stream garbage or nothing:
the user gets a notice and the extractive answer, from the Engine, the CLI and the
Streamlit UI, never a stack trace (real processes and sockets on loopback)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from streamlit.testing.v1 import AppTest

from rag.settings import AnswerSettings
from tests.test_backends_down import QUESTION, ask, cli, free_port, last_box
from tests.test_ui_apptest import APP

pytestmark = pytest.mark.slow


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
