"""Code an answer quotes (rag.pipeline.code_blocks): the block a quoted sentence leads into, for a
question that asks for code; and a quoted block read as one answer sentence (fake scorer, no model)."""

from __future__ import annotations

import pytest

from rag.pipeline.code_blocks import asks_for_code, code_after, code_may_answer, gives_code, missing_code
from rag.pipeline.verify import answer_sentences, uncited_sentences

NOTES = ("## 8) Palindrome\n\n"
         "Is a string a palindrome? A palindrome is a word which reads the same backward as forwards.\n\n"
         "* “ololo” ⇒ Yes\n* “cafe” ⇒ No\n\n"
         "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```\n"
         "or\n"
         "```python\ndef is_palindrome(s):\n    return all(s[i] == s[-i - 1] for i in range(len(s) // 2))\n```\n\n"
         "The second version stops at the middle of the string, and the slice copies the whole string before it compares "
         "anything, which matters for long strings.\n\n"
         "```python\nassert is_palindrome('ololo')\n```\n\n"
         "## 9) Counter\n\n"
         "Counting the words of a text is a job for a dictionary of counts.\n\n"
         "## 10) Anagrams\n\n"
         "Two words are anagrams when they hold the same letters in another order.\n\n"
         "```python\ndef anagrams(a, b):\n    return sorted(a) == sorted(b)\n```\n")


@pytest.mark.parametrize("question, asks, may", [
    ("quickest python one-liner to check if a word reads the same backwards?", True, True),
    ("write a function that reverses a linked list", True, True),
    ("give me a function that orders courses by their prerequisites", True, True),
    ("give me some code to detect a cycle", True, True),
    ("can you show me the code for reversing a string?", True, True),
    ("any sample code examples in the post?", True, True),
    ("show me the python for a BFS on a grid", True, True),
    # may be answered by code, or in words ("be familiar with implementing a Trie class")
    ("how would I implement a trie?", False, True),
    ("how do I compute a running total in SQL?", False, True),
    ("is there a template for BFS on a grid?", False, True),
    ("what's the python condition to tell if two boxes intersect?", False, True),
    ("give me the linear-time version of two-sum using a dict", False, True),
    ("how do I write a binary search?", False, True),
    ("How do I write a cover letter?", False, True),  # (only a sentence that leads into code brings any)
    # about coding
    ("For Amazon's online round, how many buggy snippets do you get to fix?", False, False),  # a count
    ("if i copy a snippet from the internet into a coding test is that cheating", False, False),  # code used
    ("A docs job where I'd be producing snippets: what's the lowest pay I should accept?", False, False),  # work
    ("Can I use some code from GitHub in my take-home?", False, False),
    ("How should I write up a data science project so it impresses reviewers?", False, False),
    ("is it ok to use python in a coding interview?", False, False),
    ("Once I've finished writing my code, what is the interviewer going to do?", False, False),
    ("Why is writing code for a living a good bet long term?", False, False),
    ("My record is mostly re-implementations of published work. Does that count?", False, False),
    ("What is a palindrome?", False, False),
    ("Show me the key functions of a data team.", False, False),
    ("Give me some classic distributed-architecture prompts I should practice.", False, False),
    # code that names something else, and prompts that "show up" (a blind set, round 32)
    ("what part did linkedin play in the code fellows grad getting a job?", False, False),
    ("how many weeks long is the code fellows python course?", False, False),
    ("what does the code review round look like?", False, False),
    ("what practical coding prompts might show up in a java backend interview", False, False),
])
def test_a_question_asks_for_code_or_about_coding(question, asks, may):
    assert asks_for_code(question) is asks
    assert code_may_answer(question) is may


@pytest.mark.parametrize("quote, code", [
    ("```py\ndef fib(n):\n  return n\n```", True),
    ("Test kth bit is set | `num & (1 << k) != 0`", True),
    ("Be familiar with implementing a `Trie` class and its `add` and `search` methods.", False),  # names only
    ("Check that the distance between the centers is less than the sum of the radii.", False),
])
def test_code_in_a_quote(quote, code):
    assert gives_code(quote) is code
    assert missing_code("show me a python snippet for it", [quote]) is not code
    assert not missing_code("what is it?", [quote])  # a question that does not ask for code needs none


def test_the_block_after_a_sentence_and_its_examples():
    sentence_end = NOTES.index("forwards.") + len("forwards.")
    block = code_after(NOTES, sentence_end)
    assert block is not None and NOTES[block.start : block.end] == \
        "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```"


def test_no_block_past_the_section():
    # "Counting the words …" has no code in its section; the next section's block is another answer's
    assert code_after(NOTES, NOTES.index("counts.") + len("counts.")) is None


@pytest.mark.parametrize("lines, closed, found", [(3, True, True), (45, True, False), (3, False, False)])
def test_a_block_is_quoted_only_whole_and_short(lines, closed, found):
    doc = "Here is the solution.\n\n```py\n" + "x = 1\n" * lines + ("```\n\nAfter.\n" if closed else "")
    assert (code_after(doc, doc.index("solution.") + 9) is not None) is found


def _compose(question, fake_settings):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context
    from tests.fakes import DistinctKeywordScorer

    chunk = ChunkRecord("c1", "/notes.md", 0, 0, len(NOTES), None, "Palindrome", "8) Palindrome", [], "note", NOTES)
    ev = Evidence(question, [Context(1, chunk, 1.0)], {"/notes.md": NOTES}.get, lambda q: [1.0] + [0.0] * 4)
    scorer = DistinctKeywordScorer({"A palindrome is": 0.7, "anagrams": 0.2, "Counting": 0.1})
    return ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer)


def test_a_question_for_code_gets_the_block_its_answer_leads_into(fake_settings):
    composed = _compose("python one-liner to check a palindrome?", fake_settings)
    block = next(c for c in composed.citations if c.text.startswith("```"))
    assert NOTES[block.start : block.end] == block.text and "return s == s[::-1]" in block.text
    assert "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```\n[1]" in composed.answer
    assert "return all(s[i] == s[-i - 1]" in composed.answer  # the other way, after "or"
    assert "assert is_palindrome" not in composed.answer  # a block after a paragraph is another point
    assert "sorted(a)" not in composed.answer  # the other section's block is not this answer's


def test_a_question_about_the_topic_gets_no_code(fake_settings):
    composed = _compose("What is a palindrome?", fake_settings)
    assert not composed.refused and "```" not in composed.answer


def test_a_quoted_block_is_one_cited_answer_sentence():
    answer = ("A palindrome reads the same backward as forwards. [1]\n\n"
              "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```\n[1]\n\n- “ololo” ⇒ Yes [1]")
    sentences = [answer[s:e] for s, e in answer_sentences(answer)]
    assert sentences[1] == "```python\ndef is_palindrome(s):\n    return s == s[::-1]\n```\n[1]"
    assert len(sentences) == 3 and uncited_sentences(answer) == []


def test_the_answer_quotes_the_code_end_to_end(fake_settings, fake_embedder, tmp_path):
    """Over a real index (Chroma, BM25): the block comes with the sentence that leads into it, its
    citation is the exact span, and a question about the topic quotes no code."""
    from ingest.pipeline import ingest
    from rag.engine import Engine
    from tests.conftest import write

    write(tmp_path / "docs" / "coding.md", "# Coding questions\n\n" + NOTES)
    ingest([tmp_path / "docs"], fake_settings, embedder=fake_embedder)
    engine = Engine(fake_settings, embedder=fake_embedder)
    r = fake_settings.retrieval.model_copy(update={"rerank": "none"})
    a = fake_settings.answer.model_copy(update={"min_evidence": 0.0, "max_sentences": 1})
    code = engine.ask("Show me a python one-liner: is a string a palindrome?", retrieval=r, answer=a)
    doc = (tmp_path / "docs" / "coding.md").read_text()
    block = next(c for c in code.citations if c.text.startswith("```"))
    assert doc[block.start : block.end] == block.text and "s[::-1]" in block.text
    prose = engine.ask("Is a string a palindrome?", retrieval=r, answer=a)
    assert not prose.refused and "```" not in prose.answer


@pytest.mark.parametrize("quote, notice", [
    ("To find out if two circles overlap, check that the distance between their centers is less than the sum "
     "of their radii.", "The passages found talk about this topic but give no code for it."),
    ("```py\ndef overlap(a, b):\n    return dist(a, b) < a.r + b.r\n```", None),
])
def test_a_question_for_code_the_notes_describe_only_in_words_is_refused(quote, notice):
    from rag.pipeline.refusal import near_miss
    from rag.types import Citation

    cited = [Citation("/geometry.md", "Geometry", 0, len(quote), quote, 1)]
    assert near_miss("python snippet to check whether two circles overlap?", cited, []) == notice


def test_the_cli_prints_a_quoted_block_unwrapped(monkeypatch):
    """A code line longer than the console is printed whole: cut at the console's width, the block
    copied from the terminal would no longer run."""
    from rich.console import Console

    import rag.cli.ask as ask
    from rag.types import Answer, Citation

    line = "SELECT user_id, MAX(streak) AS longest_streak FROM (SELECT user_id, island, COUNT(*) AS streak FROM grp) s;"
    block = f"```sql\n{line}\n```"
    shown = Console(record=True, width=60)
    monkeypatch.setattr(ask, "out", shown)
    ask.print_answer(Answer("q", f"The longest streak: [1]\n\n{block}\n[1]", False,
                            [Citation("sql.md", "SQL", 0, len(block), block, marker=1)], [], "extractive", {}))
    assert line in shown.export_text().splitlines()
