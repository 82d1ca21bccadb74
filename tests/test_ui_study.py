"""The Practice and Compare pages, headless (streamlit.testing AppTest), real MiniLM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT, doc, make_settings, write
from tests.ui_support import MARKER_MD, UNESCAPED, TagCollector, all_texts, plain

pytestmark = pytest.mark.slow
APP = ROOT / "ui" / "app.py"

GOOD_ANSWER = (
    "I would use ROW_NUMBER() over a partition by customer_id ordered by updated_at descending and keep the rows "
    "where it equals 1. That returns whole rows in a single pass, unlike joining back to a MAX subquery. I'd add a "
    "tie-breaker such as the ingestion id so the same row wins on every run."
)

HOSTILE = doc("Hostile <script>alert(1)</script> notes", """## Focus

An AI engineer builds <script>alert(1)</script> assistants and [reads this](javascript:alert(1)) carefully.

## Pay

In the US in 2025, an AI engineer commonly earns <img src=x onerror=alert(1)> about $150k [x](javascript:alert(2)).

## Questions

### Q: What does <script>alert(1)</script> an AI engineer ship?
*Round: llm-system-design*

An AI engineer ships features built on <b>language models</b> and [evaluates them](javascript:alert(1)).

Key points:
- An AI engineer ships product features built on <script>alert(1)</script> large language models.
- An AI engineer evaluates every feature with [an eval set](javascript:alert(1)) before launch.
""", roles=("ai engineer",), kind="interview-notes")


def open_page(monkeypatch, index_dir, page: str, progress: Path) -> AppTest:
    monkeypatch.setenv("CAREER_RAG_INDEX__DIR", str(index_dir))
    monkeypatch.setenv("CAREER_RAG_PROGRESS_DIR", str(progress))
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    assert not at.exception, at.exception
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, at.exception
    return at


def highlighted(at) -> list[str]:
    marked = []
    for m in at.markdown:
        if m.proto.allow_html:
            parser = TagCollector()
            parser.feed(m.value)
            assert {tag for tag, _ in parser.tags} <= {"div", "mark", "br"}, m.value
            marked += [" ".join(t.split()) for t in parser.marked]
    return marked


def test_practice_page_flow(corpus_index, tmp_path, monkeypatch):
    progress = tmp_path / "progress"
    at = open_page(monkeypatch, corpus_index.index.dir, "practice", progress)
    assert at.selectbox(key="practice_role").value == "data engineer"
    at.selectbox(key="practice_round").set_value("sql").run()
    state = at.session_state["practice"]
    first = state["qid"]
    question_md = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert question_md and plain(question_md[0]).endswith("?")
    assert any("sql" in c.value and "key points" in c.value for c in at.caption)

    at.toggle(key="practice_show_points").set_value(True).run()
    shown = highlighted(at)
    assert len(shown) >= 3, "each key point is highlighted in its source passage"

    # answer the dedup question well
    from rag.study.practice import practice_questions
    from rag.store.manifest import Index

    ix = Index(corpus_index)
    dedup = next(q for q in practice_questions(ix, "data engineer", "sql") if "latest record" in q.question)
    ix.close()
    for _ in range(20):
        if at.session_state["practice"]["qid"] == dedup.id:
            break
        at.button(key="practice_next").click().run()
        assert not at.exception, at.exception
    assert at.session_state["practice"]["qid"] != first
    at.toggle(key="practice_show_points").set_value(False).run()
    at.text_area(key="practice_answer").input(GOOD_ANSWER).run()
    at.button(key="practice_check").click().run()
    assert not at.exception, at.exception
    fb = at.session_state["practice"]["feedback"]
    assert fb.question.id == dedup.id and len(fb.covered) >= 2
    assert any(f"You covered {len(fb.covered)} of 3 key points" in m.value for m in list(at.success) + list(at.warning))
    marked = highlighted(at)
    for p in fb.points:  # covered points cite themselves; missed ones their read-up passages
        cited = [p.point] if p.covered else p.read_up
        assert all(" ".join(c.text.split()) in marked for c in cited)
    log = at.dataframe[0].value  # "This session", above "To revisit"
    assert list(log["covered"]) == [f"{len(fb.covered)}/3"] and list(log["round"]) == ["sql"]

    at.button(key="practice_next").click().run()
    assert not at.exception
    assert at.session_state["practice"]["qid"] != dedup.id and at.text_area(key="practice_answer").value == ""
    assert at.session_state["practice"]["feedback"] is None

    # a new session (a restart): the history is still there, with what to revisit
    again = open_page(monkeypatch, corpus_index.index.dir, "practice", progress)
    labels = [e.label for e in again.expander]
    assert any(label.startswith("To revisit") for label in labels), labels
    from rag.study.progress import history

    rows = history("default", progress)
    assert any(r["qid"] == dedup.id and r["attempts"] == 1 for r in rows)


def test_compare_page(corpus_index, tmp_path, monkeypatch):
    at = open_page(monkeypatch, corpus_index.index.dir, "compare", tmp_path / "p")
    assert at.multiselect(key="compare_roles").value == ["ai engineer", "ml engineer", "data engineer"]
    tables = [m.value for m in at.markdown if m.value.startswith("| |")]
    assert len(tables) == 1
    lines = tables[0].split("\n")
    assert "AI engineer" in lines[0] and "ML engineer" in lines[0] and "Data engineer" in lines[0]
    assert len(lines) == 2 + 5
    markers = {int(n) for n in MARKER_MD.findall(tables[0])}
    assert len(markers) >= 14
    table = next(iter(at.session_state["compare_cache"].values()))
    cited = {" ".join(c.text.split()) for r in table.rows for cell in r.cells for c in cell.citations}
    assert set(highlighted(at)) == cited
    assert len([e for e in at.expander if re.match(r"\\\[\d+\\\]", e.label)]) == len(markers)

    at.multiselect(key="compare_roles").set_value(["data analyst"]).run()
    assert any("at least two roles" in i.value for i in at.info)


def test_study_pages_render_hostile_documents_inert(tmp_path, minilm, monkeypatch):
    from ingest.pipeline import ingest

    write(tmp_path / "docs" / "hostile.md", HOSTILE)
    write(tmp_path / "docs" / "de.md", doc("Data Engineer Role Guide", "## Focus\n\nA data engineer builds "
          "pipelines that move data into the warehouse.", roles=("data engineer",)))
    settings = make_settings(tmp_path / "index")
    ingest([tmp_path / "docs"], settings, embedder=minilm)

    at = open_page(monkeypatch, tmp_path / "index", "practice", tmp_path / "p")
    assert at.selectbox(key="practice_role").value == "ai engineer"
    at.toggle(key="practice_show_points").set_value(True).run()
    at.text_area(key="practice_answer").input("An AI engineer ships product features built on large language models.").run()
    at.button(key="practice_check").click().run()
    assert not at.exception
    _assert_inert(at)

    at.switch_page("views/compare.py").run()
    at.multiselect(key="compare_roles").set_value(["ai engineer", "data engineer"]).run()
    assert not at.exception
    table = next(iter(at.session_state["compare_cache"].values()))
    assert "<script>" in table.rows[0].cells[0].text or "javascript:" in table.rows[1].cells[0].text
    _assert_inert(at)


def _assert_inert(at) -> None:
    hostile = [(t, html) for t, html in all_texts(at) if "alert" in t]
    assert hostile
    for text, allows_html in hostile:
        if allows_html:
            parser = TagCollector()
            parser.feed(text)
            assert {tag for tag, _ in parser.tags} <= {"div", "mark", "br"}, text
            assert "javascript:" not in text and "](" not in text
        else:
            assert not UNESCAPED.search(MARKER_MD.sub("", text)), text
