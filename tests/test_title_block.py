"""A document's title block (title, subtitle, tagline) and its opening paragraph: what an answer
never quotes, and where a guide says whom it is for (no model needed)."""

from __future__ import annotations

import pytest

from rag.pipeline.boilerplate import title_block_end


@pytest.mark.parametrize("text, head", [
    ("Blog\n\nThe Title Of It All\n\nA short tagline about the article.\n\nBody starts here. It has two sentences.\n",
     "A short tagline about the article."),
    ("Title line\nSummary\nThis is a long first paragraph that keeps going well beyond forty words of text so that it "
     "reads like body text and not like any kind of title or tagline at all, which is what a summary paragraph is, "
     "really, in this kind of video page.\n", "Summary"),
    ("Notes\nThe DE loop tests SQL.\nThey also ask about modeling.\n", "Notes"),
    ("Data engineers are tested on SQL,\nwindow functions and modeling.\n", ""),
    # no title on top (a label, or a line with the text right under it): no title block
    *[(t, "") for t in ("Round 1:-\n\n25 students were selected out of 200.\n", "Phone Screen\nHe asked me to open a doc.\n")],
    # two sentences, the second in bold: body text, not a tagline
    ("If you prefer courses where the learning is more structured, here are a few recommendations. **In no way is "
     "taking online courses a must in order to pass interviews.**\n\n## General\n", ""),
])
def test_title_block_is_the_short_lines_on_top(text, head):
    end = title_block_end(text, 0, None)
    assert text[:end].rstrip().endswith(head) if head else end == 0


@pytest.mark.parametrize("text, opening", [
    ("# Coding interview :computer:\n\n<p align=center><img src=x.png></p>\n\n![diagram](d.png)\n\n"
     "As an ML engineer, you are first expected to know algorithms well.\nThis continues it.\n\n"
     "There are one or two rounds.\n",
     "As an ML engineer, you are first expected to know algorithms well.\nThis continues it."),
    # a title block and a short label are not the opening; a table is not prose
    ("So You Want to Be an AI Engineer?\n\nTakeaways\n\n| a | b |\n|---|---|\n\n"
     "Here is what the interview for an AI engineer is really like, round by round.\n",
     "Here is what the interview for an AI engineer is really like, round by round."),
    ("# Title\n\nShort.\n", ""),
])
def test_a_documents_opening_is_its_first_paragraph_of_prose(text, opening):
    from rag.pipeline.evidence import Evidence

    assert Evidence("q", [], {"/d.md": text}.get, lambda q: [1.0]).opening("/d.md") == opening


def test_title_block_stops_at_the_first_heading():
    text = "---\ntitle: x\n---\nA tagline.\n\n## Section\n\nShort line.\n"
    start = text.index("A tagline")
    assert title_block_end(text, start, text.index("## Section")) == text.index("\n\n## Section")


@pytest.mark.parametrize("line, tagline", [
    ("Tips for preparing for the Certified Kubernetes Administrator (CKA) exam.", True),  # the title again
    ("Main languages: C#, C++.", False),  # a fact the title does not state
    ("I passed it in June, with three weeks of study and two practice exams behind me.", False),
    ("## Preparing for the CKA exam", False),  # a heading, not a tagline
])
def test_a_line_under_a_title_that_says_the_title_again_is_its_tagline(line, tagline):
    from rag.pipeline.evidence import Evidence

    text = f"# How I prepared for and passed the Certified Kubernetes Administrator (CKA) exam\n\n{line}\n\nThe exam is hands-on.\n"
    head = Evidence("q", [], {"/d.md": text}.get, lambda q: [1.0]).head_end("/d.md")
    assert (head == text.index(line) + len(line)) is tagline
