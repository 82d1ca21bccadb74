"""Shared pieces of the UI tests: a small MiniLM index, and driving the app with AppTest."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, doc, make_settings, write

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


def cached_engine(monkeypatch, index_dir: Path, **env):
    """The Engine the app uses for these settings (the same st.cache_resource entry)."""
    from ui import state

    with monkeypatch.context() as m:
        for key, value in env.items():
            m.setenv(key, str(value))
        cfg = state.load_config(["--index", str(index_dir)])
    eng, reason = state.engine(cfg)
    assert eng is not None, reason
    return eng
