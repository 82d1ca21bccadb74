"""The Streamlit UI, headless (streamlit.testing AppTest) over a real MiniLM index."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rag.engine import rewrite_followup
from tests.conftest import ROOT, doc, make_settings, write
from ui.uploads import sanitize_filename

pytestmark = pytest.mark.slow

APP = ROOT / "ui" / "app.py"
MARKER_MD = re.compile(r":blue\[\*\*\\\[(\d+)\\\]\*\*\]")
UNESCAPED = re.compile(r"(?<!\\)[<>\[\]()]")

HOSTILE = """---
title: "Security <script>alert(1)</script> notes [x](javascript:alert(1))"
roles: [ai engineer]
kind: note
source: original
updated: 2026-11-20
---
# Security engineer interview notes

A security engineer interview checks threat modelling, secure code review and incident response <script>alert(1)</script> skills.

A security engineer candidate should bring a [portfolio of audits](javascript:alert(1)) and explain how they triage vulnerabilities.

<img src=x onerror=alert(1)> Security engineer interviews also review IAM policies and secrets handling.
"""

DOCS = {
    "de.md": doc(
        "Data Engineer Interview Guide",
        "## What the interview tests\n\nA data engineer interview tests SQL, Python coding, data modeling and "
        "pipeline design such as handling late data.\n\nInterviewers expect you to explain idempotent batch jobs, "
        "backfills and partitioning of large tables.",
        roles=("data engineer",), kind="interview-notes",
    ),
    "ml.md": doc(
        "ML Engineer Interview Guide",
        "## What the interview tests\n\nAn ML engineer interview tests coding, ML fundamentals, ML coding and ML "
        "system design.\n\nCandidates are asked how they would deploy a model, monitor drift and retrain it safely.",
        roles=("ml engineer",), kind="interview-notes",
    ),
    "ai-vs-ml.md": doc(
        "AI Engineer vs ML Engineer",
        "## How the roles differ\n\nAn AI engineer builds products on top of foundation models with prompting, "
        "retrieval and evaluation.\n\nAn ML engineer trains, ships and maintains custom models in production.",
        roles=("ai engineer", "ml engineer"), kind="comparison",
    ),
    "ds.md": doc(
        "Data Scientist Interview Guide",
        "## What the interview tests\n\nA data scientist interview tests SQL, statistics, A/B testing, product "
        "sense and ML concepts.",
        roles=("data scientist",), kind="interview-notes",
    ),
    "security.md": HOSTILE,
}


def build_index(root: Path, minilm, docs: dict[str, str]) -> Path:
    from ingest.pipeline import ingest

    for name, text in docs.items():
        write(root / "docs" / name, text)
    settings = make_settings(root / "index")
    ingest([root / "docs"], settings, embedder=minilm)
    return root / "index"


@pytest.fixture(scope="module")
def ui_index(tmp_path_factory, minilm) -> Path:
    return build_index(tmp_path_factory.mktemp("ui-index"), minilm, DOCS)


def open_app(monkeypatch, index_dir: Path, **env) -> AppTest:
    monkeypatch.setenv("CAREER_RAG_INDEX__DIR", str(index_dir))
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    at = AppTest.from_file(str(APP), default_timeout=180).run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> dict:
    at.chat_input(key="question").set_value(question).run()
    assert not at.exception, at.exception
    reply = at.session_state["messages"][-1]
    assert reply["role"] == "assistant" and not reply.get("error"), reply.get("error")
    return reply


def plain(md: str) -> str:
    """Markdown source with backslash escapes removed (what the reader sees)."""
    return re.sub(r"\\(.)", r"\1", md)


def last_assistant(at: AppTest):
    return [m for m in at.chat_message if m.name == "assistant"][-1]


def all_texts(node) -> list[tuple[str, bool]]:
    """(text, allows_html) of everything rendered as markdown under `node`."""
    out = [(m.value, bool(m.proto.allow_html)) for m in node.markdown]
    out += [(m.value, False) for m in node.caption]
    for kind in ("info", "warning", "error", "success"):
        out += [(m.value, False) for m in getattr(node, kind)]
    out += [(e.label, False) for e in node.expander]
    return out


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list]] = []
        self.text = ""
        self.marked: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        if tag == "mark":
            self._in_mark = True
            self.marked.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._in_mark = False

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text += data
        if self._in_mark:
            self.marked[-1] += data


# -- asking ---------------------------------------------------------------------------
def test_answer_with_markers_and_sources(ui_index, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    assert len(at.button) >= 4, "starter questions on an empty chat"
    at.button(key="starter-0").click().run()  # "What does a data engineer interview test?"
    assert not at.exception
    reply = at.session_state["messages"][-1]
    ans = reply["answer"]
    assert not ans.refused and ans.citations
    box = last_assistant(at)
    answer_md = box.markdown[0].value
    markers = {int(m) for m in MARKER_MD.findall(answer_md)}
    assert markers and markers == {c.marker for c in ans.citations}
    assert "SQL" in answer_md
    labels = [e.label for e in box.expander]
    assert any(label.startswith(f"\\[{min(markers)}\\]") and "Data Engineer Interview Guide" in label for label in labels)
    passages = [m.value for m in box.markdown if m.proto.allow_html]
    assert passages and all("<mark" in p for p in passages)
    assert any("docs/de.md" in c.value for c in box.caption), "relative file path shown"
    assert any("interview-notes" in plain(c.value) and "data engineer" in c.value for c in box.caption)
    # what is highlighted is exactly the cited spans
    marked = set()
    for p in passages:
        parser = TagCollector()
        parser.feed(p)
        marked |= {" ".join(t.split()) for t in parser.marked}
    assert marked == {" ".join(c.text.split()) for c in ans.citations}
    assert not [b for b in at.button if str(b.key).startswith("starter-")], "starters go once the chat starts"


def test_refusal_for_off_topic_question(ui_index, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    reply = ask(at, "What is the best pizza topping in Naples?")
    assert reply["answer"].refused
    box = last_assistant(at)
    assert any("do not cover that question" in i.value for i in box.info)
    assert any(m.value == "**Nearest sources**" for m in box.markdown)
    assert box.expander, "nearest sources listed"
    assert not MARKER_MD.search(" ".join(m.value for m in box.markdown))


def test_follow_up_uses_history(ui_index, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    ask(at, "What does a data engineer interview test?")
    reply = ask(at, "and for ML engineers?")
    assert reply["answer"].resolved_question == "What does a ml engineer interview test?"
    assert any("Read as" in c.value for c in last_assistant(at).caption)


def test_sidebar_settings_change_the_request(ui_index, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    default = ask(at, "What does the interview test?")
    assert default["request"]["mode"] == "hybrid" and default["request"]["top_k"] == 6
    assert {r for c in default["answer"].contexts for r in c.chunk.roles} - {"ml engineer"}

    at.radio(key="retriever").set_value("bm25")
    at.slider(key="top_k").set_value(3)
    at.multiselect(key="roles").set_value(["ml engineer"])
    at.run()
    reply = ask(at, "What does the interview test?")
    ans = reply["answer"]
    assert reply["request"] == {"mode": "bm25", "top_k": 3, "roles": ["ml engineer"], "kinds": [],
                                "rerank": "default", "backend": "extractive"}
    assert ans.contexts and all("ml engineer" in c.chunk.roles for c in ans.contexts)
    assert all("bm25" in c.signals and not {"dense", "hybrid"} & set(c.signals) for c in ans.contexts)
    assert "bm25 · top\\-3 · ml engineer" in last_assistant(at).caption[-1].value

    at.radio(key="retriever").set_value("dense")
    at.slider(key="top_k").set_value(2)
    at.multiselect(key="roles").set_value([])
    at.run()
    reply = ask(at, "What does the interview test?")
    assert reply["request"]["top_k"] == 2 and len(reply["retrieved"]) == 2
    assert all(c.marker <= 2 for c in reply["answer"].citations)
    assert all("dense" in c.signals and not {"bm25", "hybrid"} & set(c.signals) for c in reply["answer"].contexts)
    assert all("rerank" in c.signals for c in reply["answer"].contexts) == (reply["request"]["rerank"] != "none")

    at.checkbox(key="rerank").set_value(False).run()
    reply = ask(at, "What does the interview test?")
    assert reply["request"]["rerank"] == "none"
    assert not any("rerank" in c.signals for c in reply["answer"].contexts)

    at.multiselect(key="kinds").set_value(["comparison"])
    at.run()
    reply = ask(at, "How do the roles differ?")
    assert reply["answer"].contexts and all(c.chunk.kind == "comparison" for c in reply["answer"].contexts)


# -- untrusted documents --------------------------------------------------------------
def test_hostile_document_renders_inert(ui_index, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    reply = ask(at, "What does a security engineer interview check?")
    ans = reply["answer"]
    assert any(c.source.endswith("security.md") for c in ans.citations), ans.answer
    assert "<script>" in ans.answer or "javascript:" in ans.answer, "the payload reached the answer text"
    hostile = [(t, html) for t, html in all_texts(at) if "alert" in t]
    assert any(html for _, html in hostile) and any(not html for _, html in hostile)
    for text, allows_html in hostile:
        if allows_html:
            parser = TagCollector()
            parser.feed(text)
            assert {tag for tag, _ in parser.tags} <= {"div", "mark", "br"}, text
            assert all(name in ("class", "style") for _, attrs in parser.tags for name, _ in attrs)
            assert "javascript:" not in text and "](" not in text
            assert "<script>alert(1)</script>" in parser.text or "(javascript:alert(1))" in parser.text
        else:
            assert not UNESCAPED.search(MARKER_MD.sub("", text)), text


def test_javascript_links_inert_in_answer_and_source_views(ui_index, monkeypatch):
    """A markdown link to javascript: in a cited sentence: quoted in the answer, highlighted
    in the source passage, a link in neither."""
    at = open_app(monkeypatch, ui_index)
    reply = ask(at, "What should a security engineer candidate bring to the interview?")
    ans = reply["answer"]
    link = "[portfolio of audits](javascript:alert(1))"
    assert link in ans.answer, ans.answer  # the payload really reached the answer
    assert any(link in c.text for c in ans.citations)
    box = last_assistant(at)
    answer_md = box.markdown[0].value
    assert not box.markdown[0].proto.allow_html
    assert "](javascript" not in answer_md and "](" not in MARKER_MD.sub("", answer_md)
    assert "\\[portfolio of audits\\]\\(javascript\\:alert\\(1\\)\\)" in answer_md
    assert plain(MARKER_MD.sub("", answer_md)).count(link) == 1, "shown as text, exactly as written"
    passages = [m.value for m in box.markdown if m.proto.allow_html]
    assert passages
    shown = False
    for html_md in passages:
        assert "javascript:" not in html_md and "](" not in html_md and "<a" not in html_md.lower()
        parser = TagCollector()
        parser.feed(html_md)
        assert {tag for tag, _ in parser.tags} <= {"div", "mark", "br"}
        assert all(name in ("class", "style") for _, attrs in parser.tags for name, _ in attrs)
        shown |= link in parser.text and any(link in m for m in parser.marked)
    assert shown, "the cited sentence, link text included, is highlighted in its passage"
    labels = [e.label for e in box.expander]
    assert labels and all("](" not in label and "<script>" not in label for label in labels)
    assert any("javascript\\:alert" in label for label in labels), labels  # the hostile title, escaped


# -- sessions -------------------------------------------------------------------------
# AppTest runs one script at a time per process (it swaps process-wide globals around each
# run), so simultaneous sessions are driven against a real `streamlit run` server: ten
# websocket clients speaking Streamlit's own protocol, released together on a barrier.
class StreamlitSession:
    """One browser tab, without the browser: BackMsg in, ForwardMsg out."""

    def __init__(self, url: str):
        from websockets.sync.client import connect

        self.ws = connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                          max_size=None, open_timeout=60).__enter__()
        self.chat_id = None

    def rerun(self, question: str | None = None, timeout: float = 300) -> list:
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.query_string = ""
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
            if fwd.WhichOneof("type") == "script_finished":
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

    from ui.components import md_escape

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


# -- corpus page and uploads ----------------------------------------------------------
UPLOAD = doc(
    "Streaming Runbook",
    "## Consumer lag\n\nConsumer lag is the number of Kafka messages a consumer group has not processed yet. "
    "A data engineer watches consumer lag to catch slow streaming pipelines before dashboards go stale.",
    roles=("data engineer",), kind="note",
)


def submit(at: AppTest, files) -> AppTest:
    at.file_uploader(key="uploads").set_value(files)
    at.form_submit_button[0].click().run()
    assert not at.exception, at.exception
    return at


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


# -- empty states and the evaluation page ---------------------------------------------
def test_missing_index_shows_how_to_build_it(tmp_path, minilm, monkeypatch):
    at = open_app(monkeypatch, tmp_path / "nowhere")
    assert any("No index yet" in i.value for i in at.info)
    assert any("career-rag ingest corpus/" in c.value for c in at.code)
    assert not at.chat_input
    at.switch_page("views/corpus.py").run()
    assert not at.exception and at.file_uploader, "uploading can create the index"
    submit(at, [("notes.md", UPLOAD.encode(), "text/markdown")])
    assert (tmp_path / "nowhere" / "manifest.sqlite3").is_file()
    assert list(at.dataframe[0].value["title"]) == ["Streaming Runbook"]
    at.switch_page("views/chat.py").run()
    reply = ask(at, "What is consumer lag in Kafka?")
    assert reply["answer"].citations and reply["answer"].citations[0].title == "Streaming Runbook"


def test_evaluation_page(tmp_path, ui_index, monkeypatch):
    summary, grid = tmp_path / "summary.json", tmp_path / "grid.json"
    at = open_app(monkeypatch, ui_index, CAREER_RAG_EVAL_SUMMARY=summary, CAREER_RAG_BENCH_GRID=grid)
    at.switch_page("views/evaluation.py").run()
    assert any("No evaluation results yet" in i.value for i in at.info)
    assert any("career-rag eval --out results/eval" in c.value for c in at.code)

    summary.write_text(json.dumps({
        "hit@5": {"value": 0.9, "ci_low": 0.8, "ci_high": 0.97, "n": 40},
        "refusal_accuracy": {"value": 1.0, "n": 10},
        "latency_ms": {"value": 120.5},
        "skipped": {"faithfulness": "no judge LLM configured"},
        "settings": {"retrieval": {"mode": "hybrid"}},
    }))
    grid.write_text(json.dumps([
        {"preset": "dense", "mode": "dense", "hit@5": 0.8, "hit@5_ci": [0.7, 0.9], "mrr": 0.6, "best": True},
        {"preset": "bm25", "mode": "bm25", "hit@5": 0.7},
        {"mode": "hybrid", "mrr": 0.7, "extra": {"nested": 1}},
    ]))
    at.run()
    assert not at.exception
    assert len(at.dataframe) == 2
    assert list(at.dataframe[0].value["metric"]) == ["hit@5", "refusal_accuracy", "latency_ms"]
    assert len(at.dataframe[1].value) == 3
    assert at.selectbox(key="bench_metric").value == "hit@5"
    assert any(m.value == "**Best:** dense" for m in at.markdown)
    at.toggle(key="bench_ci").set_value(True).run()
    assert list(at.dataframe[1].value["hit@5_ci"])[0] == "0.700–0.900"

    grid.write_text("{not json")
    at.run()
    assert not at.exception and any("cannot read" in e.value for e in at.error)


def test_index_rebuilt_under_a_running_app(tmp_path, minilm, monkeypatch):
    from ingest.pipeline import ingest

    index_dir = build_index(tmp_path, minilm, {"de.md": DOCS["de.md"]})
    at = open_app(monkeypatch, index_dir)
    ask(at, "What does a data engineer interview test?")
    write(tmp_path / "docs" / "runbook.md", UPLOAD)
    ingest([tmp_path / "docs"], make_settings(index_dir), rebuild=True, embedder=minilm)  # like the CLI
    reply = ask(at, "What is consumer lag in Kafka?")
    assert reply["answer"].citations[0].title == "Streaming Runbook"
