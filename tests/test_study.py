"""Study mode without the real model: question extraction, the side table, progress, CLI.

Feedback on the fake embedder is in tests/test_study_feedback.py; feedback calibrated
against the real model, and role comparison, in tests/test_study_corpus.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.loaders import load
from ingest.pipeline import ingest
from rag.store.manifest import Index
from rag.study.backfill import ensure_questions
from rag.study.extract import extract_questions
from rag.study.practice import next_question, normalise_role, practice_questions, rounds_for
from rag.study.progress import Progress, history, progress_path
from tests.conftest import CORPUS, doc, write

CLI = Path(sys.executable).parent / "career-rag"

STRICT = doc("Data Engineer Interview Notes", """## SQL questions

### Q: How do you remove duplicate rows from an events table?
*Round: sql*

A deduplication query keeps one row per key with ROW_NUMBER. A tie-breaker column keeps the result stable.

```python
# a comment that looks like a heading
rows = dedupe(rows)
```

Key points:
- ROW_NUMBER partitioned by the key keeps exactly one row per key.
- A deterministic tie-breaker makes reruns return the same row.
- Deduplicating in a staging model protects every downstream table.

### Q: Why do window functions need a subquery to be filtered?
A window function is computed after the WHERE clause runs, so its result cannot be filtered in the same query level. A CTE or QUALIFY filters on the computed value instead.

## Behaviour

### Q: Tell me about a time you fixed a broken pipeline?

Key points:
- Stakeholders should hear about bad data from the data team first.
- A blameless review turns an incident into a lasting improvement.
""", kind="interview-notes")

LOOSE = """Interview prep for AI engineers

Q & A
What is retrieval-augmented generation used for?
-Retrieval-augmented generation grounds a model's answer in documents fetched at query time, while fine-tuning changes the model's weights.
How do you evaluate a RAG system?
-A RAG evaluation checks retrieval recall on a labelled question set. It also scores answer faithfulness against the retrieved passages.

Example questions:
* "What is a vector database?"
* "How does attention work?"

Some people wonder whether the interview
is hard? It depends on the company and the level of the role.

**Why do prompts need versioning?**

Prompt versioning matters for three reasons:

- A prompt change can silently alter the behaviour of a production system.
- Versioned prompts let a team roll back a regression within minutes.

Outlines
This section is for paid users only.
"""


def _check_spans(text, questions):
    for q in questions:
        assert text[q.start:q.end] == q.question
        for p in q.key_points:
            assert text[p.start:p.end] == p.text
        if q.answer_start is not None:
            assert q.answer_start < q.answer_end <= len(text)


def test_extract_corpus_convention(tmp_path):
    path = write(tmp_path / "de.md", STRICT)
    loaded = load(path, path.read_bytes())
    text = loaded.text
    qs = extract_questions(text, loaded.body_start, loaded.meta["title"])
    _check_spans(text, qs)
    assert [q.question for q in qs] == [
        "How do you remove duplicate rows from an events table?",
        "Why do window functions need a subquery to be filtered?",
        "Tell me about a time you fixed a broken pipeline?",
    ]
    first, second, third = qs
    assert (first.round, first.round_inferred, first.convention) == ("sql", False, "q-heading")
    assert text[first.heading_start:first.heading_end] == "### Q: How do you remove duplicate rows from an events table?"
    assert [p.text for p in first.key_points] == [
        "ROW_NUMBER partitioned by the key keeps exactly one row per key.",
        "A deterministic tie-breaker makes reruns return the same row.",
        "Deduplicating in a staging model protects every downstream table.",
    ]
    answer = text[first.answer_start:first.answer_end]
    assert answer.startswith("A deduplication query") and answer.endswith("rows = dedupe(rows)\n```")
    assert first.header_path == "Data Engineer Interview Notes > SQL questions"
    # no *Round:* line: the round comes from the section; no Key points: the answer's sentences
    assert (second.round, second.round_inferred) == ("sql", True)
    assert [p.text for p in second.key_points] == [
        "A window function is computed after the WHERE clause runs, so its result cannot be filtered in the same query level.",
        "A CTE or QUALIFY filters on the computed value instead.",
    ]
    assert (third.round, third.round_inferred, third.answer_start) == ("behavioural", True, None)
    assert len(third.key_points) == 2


def test_extract_loose_convention_never_invents():
    qs = extract_questions(LOOSE, 0, "Interview prep for AI engineers")
    _check_spans(LOOSE, qs)
    assert [q.question for q in qs] == [
        "What is retrieval-augmented generation used for?",
        "How do you evaluate a RAG system?",
        "Why do prompts need versioning?",
    ]
    rag_q, eval_q, prompt_q = qs
    assert all(q.convention == "loose" for q in qs)
    # a one-sentence answer splits at its clause break; the leading "-" is not quoted
    assert [p.text for p in rag_q.key_points] == [
        "Retrieval-augmented generation grounds a model's answer in documents fetched at query time",
        "fine-tuning changes the model's weights.",
    ]
    assert [p.text for p in eval_q.key_points] == [
        "A RAG evaluation checks retrieval recall on a labelled question set.",
        "It also scores answer faithfulness against the retrieved passages.",
    ]
    assert [p.text for p in prompt_q.key_points] == [
        "A prompt change can silently alter the behaviour of a production system.",
        "Versioned prompts let a team roll back a regression within minutes.",
    ]
    assert "paid users" not in LOOSE[eval_q.answer_start:eval_q.answer_end]
    # example questions without answers, a wrapped line and the title are not questions
    assert not any("vector database" in q.question or "hard" in q.question for q in qs)


def test_markdown_heading_questions_and_title_excluded():
    text = ("# What is MLOps?\n\nMLOps is the practice of running models in production reliably.\n\n"
            "## How do you monitor a model in production?\n\nModel monitoring tracks input drift with PSI. "
            "It also tracks prediction quality once labels arrive.\n\n## Next steps\n\nRead the guide.\n")
    qs = extract_questions(text, 0, "What is MLOps?")
    assert [q.question for q in qs] == ["How do you monitor a model in production?"]
    assert len(qs[0].key_points) == 2 and qs[0].header_path == "What is MLOps?"


def test_shipped_corpus_questions():
    total, data_engineer = 0, []
    for path in sorted(CORPUS.rglob("*.md")):
        loaded = load(path, path.read_bytes())
        qs = extract_questions(loaded.text, loaded.body_start, loaded.meta["title"])
        _check_spans(loaded.text, qs)
        assert len(qs) == loaded.text.count("\n### Q: "), path
        for q in qs:
            assert q.convention == "q-heading" and not q.round_inferred and q.round
            assert 3 <= len(q.key_points) <= 5 and q.answer_start is not None
        total += len(qs)
        if "data engineer" in loaded.meta["roles"]:
            data_engineer += qs
    assert total >= 150
    assert len(data_engineer) >= 10, "the corpus must carry ten data-engineer questions"
    assert {"sql", "coding", "data-modeling", "behavioural"} <= {q.round for q in data_engineer}


# -- the manifest side table ----------------------------------------------------------
def test_questions_follow_documents(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "docs"
    write(root / "de.md", STRICT)
    write(root / "loose.txt", LOOSE)
    write(root / "role.md", doc("Data Engineer Role Guide", "## Focus\n\nA data engineer builds pipelines."))
    ingest([root], fake_settings, embedder=fake_embedder)
    ix = Index(fake_settings)
    by_source = {}
    for q in ix.questions():
        by_source.setdefault(Path(q.source).name, []).append(q)
        text = ix.doc_text(q.source)
        assert text[q.start:q.end] == q.question
        assert all(text[p["start"]:p["end"]] == p["text"] for p in q.key_points)
    assert {k: len(v) for k, v in by_source.items()} == {"de.md": 3, "loose.txt": 3}
    assert by_source["de.md"][0].roles == ["data engineer"] and by_source["de.md"][0].kind == "interview-notes"
    assert by_source["loose.txt"][0].roles == ["ai engineer"], "roles the title names, for a document without any"

    write(root / "de.md", STRICT.split("### Q: Why do window")[0])  # update: one question left
    (root / "loose.txt").unlink()  # delete
    ingest([root], fake_settings, embedder=fake_embedder)
    assert [q.question for q in ix.questions()] == ["How do you remove duplicate rows from an events table?"]
    ingest([root], fake_settings, rebuild=True, embedder=fake_embedder)
    assert len(ix.questions()) == 1
    ix.close()


def test_older_index_is_backfilled(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "docs"
    write(root / "de.md", STRICT)
    ingest([root], fake_settings, embedder=fake_embedder)
    ix = Index(fake_settings)
    before = [(q.qid, q.start, q.key_points) for q in ix.questions()]
    with ix.transaction() as db:  # what an index built before study mode looks like
        db.execute("DROP TABLE questions")
        db.execute("DELETE FROM meta WHERE key='questions'")
    ix.close()
    ix = Index(fake_settings)  # the schema creates the (empty) table
    assert ix.questions() == []
    qs = practice_questions(ix, "data engineer")
    assert [(q.id, q.start, [{"text": p.text, "start": p.start, "end": p.end} for p in q.key_points]) for q in qs] == before
    assert ix.get_meta("questions") and ensure_questions(ix)
    ix.close()


def test_older_index_then_incremental_ingest(tmp_path, fake_settings, fake_embedder):
    """New documents added to an older index do not hide the old ones' questions."""
    root = tmp_path / "docs"
    write(root / "de.md", STRICT)
    ingest([root], fake_settings, embedder=fake_embedder)
    ix = Index(fake_settings)
    with ix.transaction() as db:
        db.execute("DELETE FROM questions")
        db.execute("DELETE FROM meta WHERE key='questions'")
    write(root / "loose.txt", LOOSE)
    ingest([root], fake_settings, embedder=fake_embedder)
    assert len(ix.questions()) == 3 and ix.get_meta("questions") is None, "only the new file so far"
    assert len(practice_questions(ix, None)) == 6
    ix.close()


def test_practice_questions_filters_and_order(tmp_path, fake_settings, fake_embedder):
    root = tmp_path / "docs"
    write(root / "de.md", STRICT)
    ingest([root], fake_settings, embedder=fake_embedder)
    ix = Index(fake_settings)
    assert normalise_role("Data Engineers") == "data engineer" and normalise_role("MLE") == "ml engineer"
    assert len(practice_questions(ix, "data engineers")) == 3
    assert [q.round for q in practice_questions(ix, "data engineer", "SQL")] == ["sql", "sql"]
    assert len(practice_questions(ix, "data engineer", "behavioral")) == 1
    assert practice_questions(ix, "ml engineer") == []
    assert rounds_for(ix, "data engineer") == ["sql", "behavioural"]
    with pytest.raises(ValueError, match="unknown round"):
        practice_questions(ix, "data engineer", "cooking")
    qs = practice_questions(ix, "data engineer")
    assert next_question(qs, {}) is qs[0]
    progress = {qs[0].id: {"last_coverage": 1.0, "last_event": 3}, qs[1].id: {"last_coverage": 0.5, "last_event": 1}}
    assert next_question(qs, progress) is qs[2], "never seen first"
    progress[qs[2].id] = {"last_coverage": None, "last_event": 2}
    assert next_question(qs, progress) is qs[2], "seen but never answered before weaker answers"
    assert next_question(qs, progress, skip={qs[2].id}) is qs[1]
    ix.close()


# -- progress ---------------------------------------------------------------------------
class _Q:
    def __init__(self, qid, question="Q?", round="sql"):
        self.id, self.question, self.source, self.round = qid, question, "/x.md", round


class _P:
    def __init__(self, text):
        self.point = type("Pt", (), {"text": text})()


class _FB:
    def __init__(self, q, covered, missed):
        self.question, self.answer = q, "my answer"
        self.covered, self.missed = [_P(t) for t in covered], [_P(t) for t in missed]
        self.points = self.covered + self.missed


def test_progress_survives_reopen_and_a_new_process(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREER_RAG_PROGRESS_DIR", str(tmp_path / "prog"))
    assert progress_path("ana lee/../x") == tmp_path / "prog" / "progress-ana_lee_.._x.sqlite3"
    with Progress("ana") as p:
        p.record_seen(_Q("q1", "First?"), "data engineer")
        p.record_seen(_Q("q2", "Second?"), "data engineer")
        p.record_attempt(_FB(_Q("q1", "First?"), ["a", "b"], ["c"]), "data engineer")
        p.record_attempt(_FB(_Q("q2", "Second?"), ["a", "b"], []), "data engineer")
    with Progress("ana") as p:  # reopened
        assert p.last_seen() == "q2" and len(p.attempts()) == 2
    code = ("import json; from rag.study.progress import history; "
            "print(json.dumps(history('ana')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout
    rows = json.loads(out)
    assert [(r["qid"], r["revisit"], r["missed"]) for r in rows] == [("q1", True, ["c"]), ("q2", False, [])]
    assert rows[0]["last_coverage"] == pytest.approx(2 / 3) and rows[0]["seen"] == 1
    assert history("nobody") == [] and not progress_path("nobody").exists()


# -- CLI (no model needed to draw a question) --------------------------------------------
def run(*args, env=None, check=True):
    proc = subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, timeout=300, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_cli_practice_draws_questions(tmp_path, fake_settings, fake_embedder):
    import os

    root = tmp_path / "docs"
    write(root / "de.md", STRICT)
    ingest([root], fake_settings, embedder=fake_embedder)
    index = fake_settings.index.dir
    env = os.environ | {"CAREER_RAG_PROGRESS_DIR": str(tmp_path / "prog")}
    first = json.loads(run("practice", "--role", "data engineer", "--index", index, "--json", env=env).stdout)
    assert first["question"] == "How do you remove duplicate rows from an events table?" and "key_points" not in first
    second = json.loads(run("practice", "--role", "data engineer", "--index", index, "--json", "--show-points",
                            env=env).stdout)
    assert second["id"] != first["id"], "the next question is one not seen yet"
    text = Path(second["source"]).read_text(encoding="utf-8")
    assert all(text[p["start"]:p["end"]] == p["text"] for p in second["key_points"])
    shown = run("practice", "--role", "data engineer", "--round", "behavioral", "--index", index, env=env).stdout
    assert "Tell me about a time you fixed a broken pipeline?" in shown and "2 key points hidden" in shown
    listed = json.loads(run("practice", "--list", "--role", "data engineer", "--index", index, "--json", env=env).stdout)
    assert len(listed) == 3
    hist = json.loads(run("practice", "--history", "--json", env=env).stdout)
    assert len(hist["questions"]) == 3 and all(r["revisit"] for r in hist["questions"])
    bad = run("practice", "--role", "data engineer", "--round", "cooking", "--index", index, env=env, check=False)
    assert bad.returncode == 2 and "unknown round" in bad.stderr
    none = run("practice", "--role", "ml engineer", "--index", index, env=env, check=False)
    assert none.returncode == 1 and "no practice questions" in none.stderr
