"""The Streamlit UI, headless (streamlit.testing AppTest) over a real MiniLM index."""

from __future__ import annotations

import json
import logging

import pytest

from rag.engine import rewrite_followup
from rag.store.manifest import IndexError_
from tests.conftest import make_settings, write
from tests.ui_support import (  # noqa: F401 - also imported from here by other test modules
    APP, DOCS, MARKER_MD, UNESCAPED, UPLOAD, TagCollector, all_texts, ask, build_index, cached_engine,
    last_assistant, open_app, plain, submit, ui_index,
)
from ui.components import md_escape

pytestmark = pytest.mark.slow


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
    near = ask(at, "What does the Netflix data engineer interview test?")["answer"]
    assert near.refused and near.notice == "The sources never mention: Netflix."
    assert [w.value for w in last_assistant(at).warning] == [md_escape(near.notice)], "the reason is shown, escaped"


def test_follow_up_uses_history(ui_index, monkeypatch):
    at = open_app(monkeypatch, ui_index)
    first = "What does a data engineer interview test?"
    ask(at, first)
    reply = ask(at, "and for ML engineers?")
    resolved = reply["answer"].resolved_question
    # the UI's part: the session's previous question reaches the engine (its wording is the engine's)
    assert resolved == rewrite_followup("and for ML engineers?", [first]) and "data engineer" not in resolved.lower()
    assert any(c.value == "Read as: " + md_escape(resolved) for c in last_assistant(at).caption)


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


CODE_NOTES = ("# Coding questions\n\n## Palindrome\n\n"
              "A palindrome is a word which reads the same backward as forwards, such as ololo.\n\n"
              "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```\n\n"
              "## Anagrams\n\nTwo words are anagrams when they hold the same letters in another order.\n")


def test_a_quoted_code_block_shows_as_code(tmp_path, minilm, monkeypatch):
    """The real app over a real index: asked for code, the answer shows the block as code under its
    lead sentence, with the block's marker on the line after it."""
    index_dir = build_index(tmp_path, minilm, {"coding.md": CODE_NOTES})
    at = open_app(monkeypatch, index_dir)
    reply = ask(at, "Show me a python one-liner that checks whether a word is a palindrome")
    ans = reply["answer"]
    assert not ans.refused and any(c.text.startswith("```python") for c in ans.citations)
    answer_md = last_assistant(at).markdown[0].value
    assert "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```" in answer_md
    assert MARKER_MD.search(answer_md.split("```")[-1]), "the block's marker follows it"


# -- the engine cache, and recovering from a broken index ----------------------------
def test_changed_settings_get_their_own_engine(ui_index, monkeypatch):
    eng = cached_engine(monkeypatch, ui_index)
    assert cached_engine(monkeypatch, ui_index) is eng, "loaded once"
    per_question = cached_engine(monkeypatch, ui_index, CAREER_RAG_ANSWER__BACKEND="openai",
                                 CAREER_RAG_RETRIEVAL__TOP_K=3, CAREER_RAG_RETRIEVAL__MODE="bm25")
    assert per_question is eng, "retrieval/answer settings go to Engine.ask; nothing is rebuilt for them"
    other = cached_engine(monkeypatch, ui_index, CAREER_RAG_EMBEDDING__BATCH_SIZE=16)
    assert other is not eng and other.settings.embedding.batch_size == 16


def failing_ask(monkeypatch, exc: BaseException, times: int) -> list:
    """Engine.ask raises `exc` on its first `times` calls; returns the engines it was called on."""
    from rag.engine import Engine

    real, calls = Engine.ask, []

    def ask_(self, *args, **kwargs):
        calls.append(self)
        if len(calls) <= times:
            raise exc
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Engine, "ask", ask_)
    return calls


def logged(caplog, logger: str) -> list:
    return [r for r in caplog.records if r.name == logger and r.levelno == logging.ERROR and r.exc_info]


def test_broken_engine_is_reopened_for_its_own_settings_only(ui_index, monkeypatch, caplog):
    at = open_app(monkeypatch, ui_index)
    before = cached_engine(monkeypatch, ui_index)
    other = cached_engine(monkeypatch, ui_index, CAREER_RAG_EMBEDDING__BATCH_SIZE=16)  # another session's
    calls = failing_ask(monkeypatch, IndexError_("the Chroma collection went away\nsecond line"), times=1)
    with caplog.at_level(logging.ERROR):
        reply = ask(at, "What does a data engineer interview test?")
    assert reply["answer"].citations, "answered once the index was reopened"
    assert calls[0] is before and calls[1] is not before and len(calls) == 2
    assert cached_engine(monkeypatch, ui_index) is calls[1], "the reopened engine is the cached one"
    assert cached_engine(monkeypatch, ui_index, CAREER_RAG_EMBEDDING__BATCH_SIZE=16) is other, "others keep theirs"
    assert [r.getMessage() for r in logged(caplog, "ui.chat")] == [f"answering failed; reopening the index in {ui_index}"]


def test_engine_that_stays_broken_says_so_in_one_line(ui_index, monkeypatch, caplog):
    at = open_app(monkeypatch, ui_index)
    failing_ask(monkeypatch, IndexError_("the Chroma collection went away\nsecond line"), times=99)
    with caplog.at_level(logging.ERROR):
        at.chat_input(key="question").set_value("What does a data engineer interview test?").run()
    assert not at.exception, "no traceback"
    reply = at.session_state["messages"][-1]
    assert reply["error"] == "Could not answer: IndexError_: the Chroma collection went away"
    assert [e.value for e in last_assistant(at).error] == [md_escape(reply["error"])]
    assert not any("second line" in text for text, _ in all_texts(at))
    assert len(logged(caplog, "ui.chat")) == 2, "the failure and the failure after reopening"


def test_a_bug_is_not_taken_for_a_broken_index(ui_index, monkeypatch, caplog):
    at = open_app(monkeypatch, ui_index)
    before = cached_engine(monkeypatch, ui_index)
    failing_ask(monkeypatch, TypeError("a bug of ours\nsecond line"), times=1)
    with caplog.at_level(logging.ERROR):
        at.chat_input(key="question").set_value("What does a data engineer interview test?").run()
    assert not at.exception, "no traceback"
    line = "Something went wrong on this page (TypeError: a bug of ours). The details are in the server log."
    assert [e.value for e in at.error] == [md_escape(line)]
    assert cached_engine(monkeypatch, ui_index) is before, "nothing reopened for a bug"
    assert not logged(caplog, "ui.chat") and [r.exc_info[0] for r in logged(caplog, "ui.app")] == [TypeError]
    assert ask(at, "What does a data engineer interview test?")["answer"].citations, "the next question works"
