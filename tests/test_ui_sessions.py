"""Simultaneous sessions against a real `streamlit run` server (no browser).

AppTest runs one script at a time per process (it swaps process-wide globals around each
run), so simultaneous sessions are driven against a real server: ten websocket clients
speaking Streamlit's own protocol, released together on a barrier.
"""

from __future__ import annotations

import pytest

from rag.engine import rewrite_followup
from tests.conftest import ROOT
from tests.ui_support import APP, ui_index  # noqa: F401 - the module-scoped index fixture
from ui.components import md_escape

pytestmark = pytest.mark.slow


class StreamlitSession:
    """One browser tab, without the browser: BackMsg in, ForwardMsg out."""

    def __init__(self, url: str):
        from websockets.sync.client import connect

        self.ws = connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                          max_size=None, open_timeout=60).__enter__()
        self.chat_id = None
        self.page_hash = ""  # the page shown, as a browser sends it back (`/` redirects to /chat)

    def rerun(self, question: str | None = None, timeout: float = 300) -> list:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = self.page_hash
        if question is not None:
            widget = msg.rerun_script.widget_states.widgets.add()
            widget.id = self.chat_id
            widget.chat_input_value.data = question
        self.ws.send(msg.SerializeToString())
        out = []
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(self.ws.recv(timeout=timeout))
            out.append(fwd)
            kind = fwd.WhichOneof("type")
            if kind == "navigation":
                self.page_hash = fwd.navigation.page_script_hash
            if kind == "script_finished" and fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                break
        for el in self.elements(out):
            if el.WhichOneof("type") == "chat_input":
                self.chat_id = el.chat_input.id
        return out

    @staticmethod
    def elements(msgs) -> list:
        return [m.delta.new_element for m in msgs
                if m.WhichOneof("type") == "delta" and m.delta.WhichOneof("type") == "new_element"]

    @staticmethod
    def page(msgs) -> dict:
        """What the run rendered: markdown/caption bodies, alerts, exceptions, chat messages."""
        els = StreamlitSession.elements(msgs)
        blocks = [m.delta.add_block for m in msgs if m.WhichOneof("type") == "delta"
                  and m.delta.WhichOneof("type") == "add_block"]
        return {
            "markdown": [e.markdown.body for e in els if e.WhichOneof("type") == "markdown"],
            "alerts": [e.alert.body for e in els if e.WhichOneof("type") == "alert"],
            "exceptions": [e.exception.message for e in els if e.WhichOneof("type") == "exception"],
            "chat_messages": [b.chat_message.name for b in blocks if b.WhichOneof("type") == "chat_message"],
        }

    def close(self) -> None:
        self.ws.__exit__(None, None, None)


@pytest.fixture(scope="module")
def app_server(ui_index):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = ui_index.parent / "streamlit.log"
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", "127.0.0.1",
           "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--", "--index", str(ui_index)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except Exception:
            proc.kill()
            proc.wait()


def test_ten_sessions_keep_separate_histories(app_server):
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    firsts = ["What does a data engineer interview test?", "What does a data scientist interview test?",
              "What does an ML engineer interview test?", "How do AI and ML engineer roles differ?",
              "What does a security engineer interview check?"]
    follow_ups = ["and for ML engineers?", "and for data scientists?"]
    plan = [(firsts[i % 5], follow_ups[i % 2]) for i in range(10)]
    barrier = threading.Barrier(len(plan))
    spans: list[tuple[float, float]] = []
    lock = threading.Lock()

    def session(questions):
        tab = StreamlitSession(app_server)
        try:
            tab.rerun()  # the first page load (starters, chat input)
            assert tab.chat_id, "chat input rendered"
            pages = []
            for question in questions:
                barrier.wait(timeout=300)  # every session asks at the same moment
                t0 = time.monotonic()
                pages.append(StreamlitSession.page(tab.rerun(question)))
                with lock:
                    spans.append((t0, time.monotonic()))
            return pages
        finally:
            tab.close()

    with ThreadPoolExecutor(len(plan)) as pool:
        results = list(pool.map(session, plan))

    # the asks really overlapped: at some instant (almost) all ten were in flight
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert peak >= 8, f"only {peak} sessions were answering at once"
    for (first, follow), (page1, page2) in zip(plan, results):
        assert not page1["exceptions"] and not page2["exceptions"]
        assert page1["chat_messages"] == ["user", "assistant"]
        assert page2["chat_messages"] == ["user", "assistant", "user", "assistant"]
        text = "\n".join(page2["markdown"])
        assert md_escape(first) in text and md_escape(follow) in text
        resolved = rewrite_followup(follow, [first])
        assert "Read as: " + md_escape(resolved) in text, (first, follow)
        others = [q for q in firsts if q.lower() not in (first.lower(), resolved.lower())]
        assert not any(md_escape(q) in text for q in others), "another session's question leaked in"
        assert not any("Could not answer" in a for a in page1["alerts"] + page2["alerts"])
