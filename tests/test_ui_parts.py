"""The UI's pieces on their own: fast, no Streamlit session, no model."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from rag.settings import AnswerSettings, RetrievalSettings
from rag.store.manifest import DocRecord
from rag.text.frontmatter import KINDS, split_front_matter
from rag.types import Answer, ChunkRecord, Citation, Context
from tests.conftest import make_settings
from ui import components as C
from ui import sidebar, state

BODY = "# Notes\n\nA data engineer interview tests SQL and pipeline design.\n"


# -- one home per concept -------------------------------------------------------------
def test_sidebar_offers_the_settings_choices():
    assert sidebar.KINDS is KINDS
    assert set(sidebar.MODES) == set(get_args(RetrievalSettings.model_fields["mode"].annotation))
    assert set(sidebar.BACKENDS) == set(get_args(AnswerSettings.model_fields["backend"].annotation))
    assert set(sidebar.BACKEND_LABELS) == set(sidebar.BACKENDS)


@pytest.mark.parametrize("front", [
    "---\ntitle: Notes\nkind: note\n---\n",
    "---  \ntitle: Notes\n---\t\n",  # trailing blanks on the fences
    "---\ntitle: Notes\n...\n",  # YAML's other closing fence
    "\ufeff---\ntitle: Notes\n---\n",
    "",
])
def test_passages_start_where_ingest_says_the_body_starts(front):
    text = front + BODY
    assert C.body_start(text) == split_front_matter(text)[1] == len(front)
    start = text.index("SQL")
    (window,) = C.passage_windows(text, [(start, start + 3)])
    assert "".join(t for t, _ in window).startswith("# Notes"), "no front matter shown"


def test_unclosed_front_matter_is_body_text():
    assert C.body_start("---\ntitle: never closed\n" + BODY) == 0


def test_error_line_is_one_line():
    assert C.error_line(ValueError("first\nsecond")) == "ValueError: first"
    assert C.error_line(KeyError()) == "KeyError"


# -- one SourceView builder -----------------------------------------------------------
class CountingIndex:
    """The two reads SourceViews makes, counted."""

    def __init__(self, texts: dict[str, str]):
        self.texts, self.text_reads, self.docs_reads = texts, [], 0

    def doc_text(self, source: str) -> str | None:
        self.text_reads.append(source)
        return self.texts.get(source)

    def docs(self) -> dict[str, DocRecord]:
        self.docs_reads += 1
        return {s: DocRecord(s, "h", "Notes", ["data engineer"], "note", "", "", 1) for s in self.texts}


def span(source: str, text: str, needle: str, marker: int) -> Citation:
    start = text.index(needle)
    return Citation(source, "Notes", start, start + len(needle), needle, marker=marker)


def answer_citing(source: str, text: str) -> Answer:
    chunk = ChunkRecord("c1", source, 0, 0, len(text), None, "Notes", "Notes", ["data engineer"], "note", text)
    cits = [span(source, text, "SQL", 1), span(source, text, "pipeline design", 2)]
    return Answer("q", "SQL [1]. Pipelines [2].", False, cits, [Context(1, chunk, 0.9)], "extractive", {})


def test_answer_sources_read_each_document_once(tmp_path):
    source = str(tmp_path / "de.md")
    ix = CountingIndex({source: BODY})
    views = C.cited_sources(answer_citing(source, BODY), C.SourceViews(ix))
    assert [v.marker for v in views] == [1, 2] and ix.text_reads == [source]
    assert views[0].roles == ["data engineer"] and views[0].kind == "note" and ix.docs_reads == 0, "from the chunk"
    marked = ["".join(t for t, hl in w if hl) for v in views for w in v.windows]
    assert marked == ["SQL", "pipeline design"]


def test_texts_already_read_are_not_read_again(tmp_path):
    source = str(tmp_path / "de.md")
    ix = CountingIndex({source: BODY})
    C.cited_sources(answer_citing(source, BODY), C.SourceViews(ix, texts={source: BODY}))
    assert ix.text_reads == []


def test_study_spans_read_documents_and_records_once(tmp_path):
    source = str(tmp_path / "de.md")
    ix = CountingIndex({source: BODY})
    views = C.SourceViews(ix)
    shown = [views.cited([span(source, BODY, w, 0)], i, section="Row") for i, w in enumerate(("SQL", "design"), 1)]
    assert ix.text_reads == [source] and ix.docs_reads == 1
    assert all(v.roles == ["data engineer"] and v.kind == "note" and v.section == "Row" for v in shown)


def test_sources_show_titles_and_sections_without_heading_markup(tmp_path):
    source = str(tmp_path / "coding.md")
    raw = '<a name="coding"></a> General Coding :computer:'
    chunk = ChunkRecord("c1", source, 0, 0, len(BODY), None, f"{raw} > **Leetcode**", raw, [], "note", BODY)
    cit = Citation(source, raw, BODY.index("SQL"), BODY.index("SQL") + 3, "SQL", marker=1)
    answer = Answer("q", "SQL [1].", False, [cit], [Context(1, chunk, 0.9)], "extractive", {})
    view = C.cited_sources(answer, C.SourceViews(CountingIndex({source: BODY})))[0]
    near = C.nearest_sources(answer)[0]
    assert (view.title, view.section) == (near.title, near.section) == ("General Coding", "General Coding > Leetcode")


def test_missing_document_text_shows_the_span_itself(tmp_path):
    ix = CountingIndex({})
    view = C.SourceViews(ix).cited([Citation("gone.md", "Gone", 0, 4, "text")], 1)
    assert view.windows == [[("text", True)]] and view.roles == [] and view.kind == ""


# -- the engine cache key -------------------------------------------------------------
def config(index_dir: Path, **sections) -> state.AppConfig:
    return state.AppConfig(settings=make_settings(index_dir, **sections), index_dir=index_dir.resolve(),
                           uploads_dir=index_dir, eval_summary=index_dir, bench_grid=index_dir)


@pytest.mark.parametrize("section, change", [
    ("index", {"chroma_url": "http://127.0.0.1:8000"}),
    ("index", {"collection": "other"}),
    ("embedding", {"model": "other-model"}),
    ("embedding", {"batch_size": 8}),
    ("embedding", {"threads": 2}),
    ("embedding", {"backend": "torch"}),
])
def test_engine_key_covers_how_the_engine_is_built(tmp_path, section, change):
    assert state.engine_key(config(tmp_path / "ix", **{section: change})) != state.engine_key(config(tmp_path / "ix"))


@pytest.mark.parametrize("section, change", [
    ("retrieval", {"mode": "bm25", "top_k": 3, "rerank": "none"}),
    ("answer", {"backend": "openai", "model": "m", "base_url": "http://127.0.0.1:8080/v1"}),
    ("ingest", {"max_file_mb": 1}),
])
def test_engine_key_ignores_per_question_settings(tmp_path, section, change):
    assert state.engine_key(config(tmp_path / "ix", **{section: change})) == state.engine_key(config(tmp_path / "ix"))


def test_engine_key_is_per_index_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert state.engine_key(config(Path("ix"))) == state.engine_key(config(tmp_path / "ix"))
    assert state.engine_key(config(tmp_path / "other")) != state.engine_key(config(tmp_path / "ix"))


# -- presets reach the app ------------------------------------------------------------
def test_a_preset_given_to_the_app_shapes_its_settings(tmp_path):
    cfg = state.load_config(["--index", str(tmp_path / "index"), "--preset", "fast"])
    assert cfg.error is None and cfg.settings.embedding.sentence_int8 is True
    assert state.load_config(["--index", str(tmp_path / "index")]).settings.embedding.sentence_int8 is False
    bad = state.load_config(["--index", str(tmp_path / "index"), "--preset", "turbo"])
    assert bad.settings is None and "unknown preset 'turbo'" in bad.error


def test_career_rag_ui_passes_its_preset_to_streamlit_and_refuses_an_unknown_one(tmp_path):
    from typer.testing import CliRunner

    from rag.cli.main import app
    from rag.cli.serve import APP, streamlit_command

    cmd = streamlit_command(APP, tmp_path, "127.0.0.1", 8501, "fast")
    assert cmd[cmd.index("--") :] == ["--", "--index", str(tmp_path), "--preset", "fast"]
    assert "--preset" not in streamlit_command(APP, tmp_path, "127.0.0.1", 8501)
    result = CliRunner().invoke(app, ["ui", "--preset", "turbo", "--index", str(tmp_path)])
    assert result.exit_code == 2 and "unknown preset" in result.output


# -- the answer as markdown -----------------------------------------------------------
def test_a_quoted_code_block_shows_as_code():
    answer = ("A palindrome reads the same backward as forwards. [1]\n\n"
              "```python\ndef is_palindrome(s):\n    return s == s[::-1]  # not [2] nor *bold*\n```\n[1]")
    shown = C.answer_markdown(answer)
    assert "```python\ndef is_palindrome(s):\n    return s == s[::-1]  # not [2] nor *bold*\n```" in shown
    assert shown.endswith(C.marker_md(1)) and "A palindrome reads the same backward as forwards\\." in shown


def test_nothing_in_a_quoted_block_ends_it_early_or_escapes_it():
    # a line of the block that is itself a fence (a document's nested example) is kept inside a longer fence
    answer = "Example: [1]\n\n~~~md\n```\n<script>alert(1)</script>\n```\n~~~\n[1]\n\nAfter **it**. [1]"
    shown = C.answer_markdown(answer)
    assert "````md\n```\n<script>alert(1)</script>\n```\n````" in shown
    assert "After **it**\\. " + C.marker_md(1) in shown


def test_a_cited_code_block_keeps_its_indentation_in_its_passage():
    # HTML collapses runs of spaces; the passage box keeps them, so cited Python still reads as Python
    html = C.passage_html([("def f(s):\n    return s", True)])
    assert "white-space:pre-wrap" in html
    assert "<br>    return s" in html.replace("&#58;", ":")
