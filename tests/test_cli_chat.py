"""`career-rag chat` (and `retrieve --k`) as real processes.

Most tests run the CLI on a small index built with the deterministic HashEmbedding: a
child process cannot load "test-hash-64" by name, so FAKE_CLI starts the real Typer app
with that one name resolved to the fake. The last test runs the installed `career-rag`
script with the real model on the shipped corpus.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from tests.conftest import ROOT, doc, write

CLI = Path(sys.executable).parent / "career-rag"
FAKE_CLI = """
import sys
import rag.models.embedding as embedding
from tests.fakes import HashEmbedding
real = embedding.embedder_for
embedding.embedder_for = lambda cfg: HashEmbedding() if cfg.model == "test-hash-64" else real(cfg)
from rag.cli.main import app
sys.argv = ["career-rag", *sys.argv[1:]]
app()
"""
FIRST = "What does a data engineer interview test?"
FOLLOW_UP = "and for ML engineers?"


@pytest.fixture
def fake_index(tmp_path, fake_settings, fake_embedder) -> Path:
    docs = tmp_path / "docs"
    write(docs / "de.md", doc("Data Engineer Interviews", "## What interviews test\n\nA data engineer interview "
          "tests SQL window functions, data modeling and pipeline design."))
    write(docs / "ml.md", doc("ML Engineer Interviews", "## What interviews test\n\nAn ML engineer interview "
          "tests ML system design, model training and evaluation metrics.", roles=("ml engineer",)))
    ingest([docs], fake_settings, embedder=fake_embedder)
    return Path(fake_settings.index.dir)


def fake_cli(*args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", FAKE_CLI, *args], input=stdin, cwd=ROOT, capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "COLUMNS": "200"},
    )


def chat_args(index: Path) -> list[str]:
    return ["chat", "--index", str(index), "--embedding-model", "test-hash-64"]


def test_chat_answers_a_question_and_its_follow_up(fake_index):
    run = fake_cli(*chat_args(fake_index), stdin=f"{FIRST}\n\n   \n{FOLLOW_UP}\n")  # then EOF
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    assert run.stdout.count("you> ") == 5, "one prompt per line read, and one that meets EOF"
    answers = run.stdout.split("Sources:")
    assert len(answers) == 3, run.stdout  # two answers, each with its sources; blank lines asked nothing
    assert "de.md chars" in answers[1] and "SQL window functions" in answers[0]
    assert "ml.md chars" in answers[2] and "ML system design" in answers[1]
    understood = [line for line in run.stderr.splitlines() if line.startswith("Understood as:")]
    assert len(understood) == 1, run.stderr  # only the follow-up needed resolving
    assert "ML engineer" in understood[0] and "interview" in understood[0] and "data engineer" not in understood[0]


@pytest.mark.parametrize("word", ["exit", "quit", "  QUIT  "])
def test_chat_ends_on_exit_words(fake_index, word):
    run = fake_cli(*chat_args(fake_index), stdin=f"{word}\n{FIRST}\n")
    assert run.returncode == 0, run.stderr
    assert "Sources:" not in run.stdout, "nothing after the exit word is asked"


def test_chat_on_a_missing_index_fails_like_ask(tmp_path):
    run = fake_cli(*chat_args(tmp_path / "nothing"), stdin=f"{FIRST}\n")
    assert run.returncode == 1
    assert run.stderr.startswith("Error:") and "career-rag ingest" in run.stderr and "Traceback" not in run.stderr


def test_chat_rejects_invalid_settings_before_starting(fake_index):
    run = fake_cli(*chat_args(fake_index), "--k", "0", stdin=f"{FIRST}\n")
    assert run.returncode == 2 and "Invalid settings" in run.stderr


class _FailingEngine:
    """Stands in for the Engine: fails on one question, answers the others."""

    def __init__(self, answer):
        self.answer, self.histories = answer, []

    def ask(self, question, history=None, on_token=None):
        from rag.store.errors import IndexError_

        self.histories.append(list(history))
        if question == "down":
            raise IndexError_("cannot search: the vector store is unavailable")
        if question == "bug":
            raise KeyError("no such thing")
        return self.answer

    def close(self):
        pass


def test_a_failed_question_is_one_line_and_the_session_goes_on(monkeypatch, caplog):
    from typer.testing import CliRunner

    from rag.cli import chat
    from rag.cli.main import app
    from rag.types import Answer

    answer = Answer(question="q", answer="An answer.", refused=True, citations=[], contexts=[], backend="extractive",
                    timings_ms={})
    engine = _FailingEngine(answer)
    monkeypatch.setattr(chat, "engine_or_exit", lambda settings: engine)
    result = CliRunner().invoke(app, ["chat"], input="down\nbug\nfirst\nsecond\n")
    assert result.exit_code == 0, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: cannot search: the vector store is unavailable", "Error: KeyError: 'no such thing'"]
    assert result.stdout.count("An answer.") == 2 and result.stdout.count("you> ") == 5
    # an expected failure is only the line; our own bug is also logged, with its traceback
    (record,) = [r for r in caplog.records if r.name == "rag.cli.chat"]
    assert record.exc_info[0] is KeyError and "'bug'" in record.getMessage()
    # failed questions are not history; answered ones are (as the engine understood them)
    assert engine.histories == [[], [], [], ["q"]]


def test_retrieve_k_is_validated_like_every_setting(fake_index):
    """--k sets retrieval.candidates through the settings, so its bound (1..500) holds."""
    base = ["retrieve", FIRST, "--index", str(fake_index), "--embedding-model", "test-hash-64"]
    too_many = fake_cli(*base, "--k", "501")
    assert too_many.returncode == 2 and "Invalid settings" in too_many.stderr and "candidates" in too_many.stderr
    negative = fake_cli(*base, "--k", "-1")
    assert negative.returncode == 2 and "candidates" in negative.stderr
    one = fake_cli(*base, "--k", "1", "--json")
    assert one.returncode == 0, one.stderr
    (only,) = json.loads(one.stdout)["contexts"]
    assert Path(only["source"]).name == "de.md"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_chat_in_a_real_terminal(fake_index, tmp_path):
    """The interactive path (a TTY on stdin and stdout), driven through tmux."""
    session = f"career-rag-chat-{uuid.uuid4().hex[:8]}"
    script = tmp_path / "chat.sh"
    script.write_text(f"cd {ROOT} && COLUMNS=200 {sys.executable} -c '{FAKE_CLI}' {' '.join(chat_args(fake_index))}; "
                      f"echo EXIT=$? > {tmp_path / 'rc'}; sleep 30\n")

    def screen() -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", session, "-S", "-200"], capture_output=True,
                              text=True).stdout

    def wait_for(text: str, count: int = 1, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = screen()
            if shown.count(text) >= count:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} x{count} never appeared:\n{screen()}")

    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "60", "bash", str(script)], check=True)
    try:
        wait_for("you>")  # (tmux drops the trailing space)
        subprocess.run(["tmux", "send-keys", "-t", session, FIRST, "Enter"], check=True)
        wait_for("you>", 2)
        subprocess.run(["tmux", "send-keys", "-t", session, FOLLOW_UP, "Enter"], check=True)
        shown = wait_for("you>", 3)
        (understood,) = [line for line in shown.splitlines() if line.startswith("Understood as:")]
        assert "ML engineer" in understood and "data engineer" not in understood
        subprocess.run(["tmux", "send-keys", "-t", session, "C-d"], check=True)
        deadline = time.monotonic() + 30
        while not (tmp_path / "rc").exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (tmp_path / "rc").read_text().strip() == "EXIT=0", screen()
        assert screen().count("Sources:") == 2
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


@pytest.mark.slow
def test_installed_chat_script_with_the_real_model(corpus_index):
    run = subprocess.run([str(CLI), "chat", "--index", str(corpus_index.index.dir)], input=f"{FIRST}\n{FOLLOW_UP}\n",
                         capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ, "COLUMNS": "200"})
    assert run.returncode == 0, run.stderr
    first, second = run.stdout.split("Sources:")[1:3]
    assert "SQL" in run.stdout.split("Sources:")[0]
    assert "data-engineer" in first or "compare" in first
    understood = [line for line in run.stderr.splitlines() if line.startswith("Understood as:")]
    assert len(understood) == 1 and "ML engineer" in understood[0] and "interview" in understood[0]
    assert "ml-engineer" in second or "compare" in second
