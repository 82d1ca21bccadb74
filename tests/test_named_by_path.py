"""A document's path names it: "interviews/Acme/prep.md" is about Acme though its text never says so,
and a question about "my Acme prep notes" is answered from it (rag.text.lexical.path_words, read by
the names rules of rag.pipeline.refusal and the engine's vocabulary). Fake embedder, keyword search."""

from __future__ import annotations

import pytest

from rag.text.lexical import corpus_root, path_words
from tests.test_refusal import _ask_over

PREP = "# Prep\n\n## Closing\n\nAt the end, ask the interviewers how the team measures a good first year.\n"
LOOP = "# Loop\n\n## Rounds\n\nThe last round is a relaxed chat with the hiring manager about team fit.\n"


@pytest.mark.parametrize("source, said", [
    ("/home/alice/notes/interviews/Celestica/Interview_Prep.md", ["interviews", "celestica", "interview", "prep"]),
    ("/home/alice/notes/notes.v2/acme-loop.markdown", ["notes", "v2", "acme", "loop"]),
    ("/home/alice/notes/README", ["readme"]),
])
def test_the_words_of_a_path_below_the_corpus_root(source, said):
    sources = [source, "/home/alice/notes/other.md"]
    assert corpus_root(sources) == "/home/alice/notes"
    assert path_words(source, corpus_root(sources)) == said


def test_a_corpus_of_one_folder_is_rooted_in_it():
    """(Every document's path says the folder's name then; it tells none of them apart.)"""
    assert corpus_root(["/n/acme/a.md", "/n/acme/b.md"]) == "/n/acme" and corpus_root([]) == ""


@pytest.mark.parametrize("path, name, refused", [
    ("interviews/Acme/prep.md", "Acme", False), ("interviews/prep.md", "Acme", True),
    ("interviews/prep.md", "Docs", True),  # the folder that holds the corpus ("docs", see _ask_over) names no document
])
def test_a_name_only_the_path_says_is_not_missing_from_the_corpus(path, name, refused, fake_settings, fake_embedder,
                                                                  tmp_path):
    answer = _ask_over({path: PREP, "general/pay.md": "# Pay\n\nBase pay rises with each level.\n"},
                       f"What do my {name} prep notes say to ask the interviewers at the end?",
                       fake_settings, fake_embedder, tmp_path)
    assert answer.refused is refused
    if refused:
        assert answer.notice == f"The sources never mention: {name}."
    else:
        assert "how the team measures a good first year" in answer.answer


@pytest.mark.parametrize("path, refused", [("loops/acme.md", False), ("loops/first.md", True)])
def test_a_passage_of_a_document_its_path_names_mentions_the_name(path, refused, fake_settings, fake_embedder,
                                                                  tmp_path):
    """Another document says "Acme": the passage found must say it too, or its document's path."""
    docs = {path: LOOP, "companies.md": "# Companies\n\nAcme, Initech and Globex hire juniors every spring.\n"}
    answer = _ask_over(docs, "How does the last round of the Acme loop go?", fake_settings, fake_embedder, tmp_path)
    assert answer.contexts[0].chunk.source.endswith(path)
    assert answer.refused is refused
    if refused:
        assert answer.notice == "The passages found do not mention Acme."
    else:
        assert "relaxed chat with the hiring manager" in answer.answer


def test_keyword_search_reads_a_documents_path(fake_settings, fake_embedder, tmp_path):
    docs = {"interviews/Acme/prep.md": PREP,
            "general/closing.md": "# Closing\n\nAt the end, ask what a first year looks like.\n"}
    answer = _ask_over(docs, "acme closing", fake_settings, fake_embedder, tmp_path)
    assert answer.contexts[0].chunk.source.endswith("interviews/Acme/prep.md")
