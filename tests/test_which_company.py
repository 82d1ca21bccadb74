"""A question that asks which company (employer, bank, school …) is answered by a quote that names
one (rag.pipeline.refusal.names_no_organisation). No model."""

from __future__ import annotations

import pytest

from rag.pipeline.refusal import names_no_organisation, near_miss, partial_coverage
from rag.types import Citation

STORY = ("I was a data scientist, then a manager, for years. August was my last month as a Data Scientist "
         "Manager at a multibillion dollar neobank. Colleagues asked me about roles at their company, and I got "
         "an offer from Oracle in March. Some companies like Amazon have backloaded schemes (see amazon.jobs).")


def _quote(sentence: str) -> Citation:
    start = STORY.index(sentence)
    return Citation("/story.md", "Story", start, start + len(sentence), sentence, 1)


@pytest.mark.parametrize("question, sentence, refused", [
    # a job title set in capitals, a month and "I" name no company
    ("which neobank was she a data science manager at?",
     "August was my last month as a Data Scientist Manager at a multibillion dollar neobank.", True),
    ("which company did he join?", "Colleagues asked me about roles at their company, and I got an offer from Oracle in March.",
     False),
    ("Which employers back-load equity?", "Some companies like Amazon have backloaded schemes (see amazon.jobs).", False),
    # the name the question already gives is not an answer
    ("Which company hired the Data Scientist Manager?",
     "August was my last month as a Data Scientist Manager at a multibillion dollar neobank.", True),
    # not a question for a name: a kind of company, its size, what an employer pays
    ("What kind of company should a data scientist join?",
     "August was my last month as a Data Scientist Manager at a multibillion dollar neobank.", False),
    ("What company size suits a new manager?",
     "August was my last month as a Data Scientist Manager at a multibillion dollar neobank.", False),
    ("Should I tell them what my present employer pays me?",
     "August was my last month as a Data Scientist Manager at a multibillion dollar neobank.", False),
    ("How long did it take compared to what the companies estimated?",
     "August was my last month as a Data Scientist Manager at a multibillion dollar neobank.", False),
])
def test_a_question_for_a_company_needs_a_quote_that_names_one(question, sentence, refused):
    cited = [_quote(sentence)]
    assert names_no_organisation(question, [sentence], lambda _: STORY, ["/story.md"]) is refused
    notice = near_miss(question, cited, [], document=lambda _: STORY)
    assert (notice == "The passages found talk about this topic but name no company or organisation.") is refused


def test_without_its_document_any_word_in_capitals_counts_as_a_name():
    # (the conservative reading: a caller that cannot show the document gets no refusal from a title)
    sentence = "August was my last month as a Data Scientist Manager at a multibillion dollar neobank."
    assert not names_no_organisation("which neobank was she at?", [sentence])
    assert names_no_organisation("which neobank was she at?", ["I left the neobank in the summer."])


def test_a_question_that_also_asks_something_else_is_answered_and_told_no_company_is_named():
    question = "Which companies made offers, and what roles were they for?"
    sentence = "August was my last month as a Data Scientist Manager at a multibillion dollar neobank."
    assert near_miss(question, [_quote(sentence)], [], document=lambda _: STORY) is None
    assert partial_coverage(question, [_quote(sentence)], [], lambda _: STORY) == (
        "Partly covered: the passages found name no company or organisation.")
    named = "Colleagues asked me about roles at their company, and I got an offer from Oracle in March."
    assert partial_coverage(question, [_quote(named)], [], lambda _: STORY) is None
