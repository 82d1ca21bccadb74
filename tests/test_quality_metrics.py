"""Evidence coverage, the off-topic classifier and the question-set registry, by hand."""

from __future__ import annotations

import pytest

from eval.dataset import Item
from eval.harness import reach
from eval.quality import answer_verdicts, classify, evidence_coverage, quote_carried, uncited_claims
from eval.sets import headline, load_sets, pick
from rag.types import Answer, Citation

DOC = ("Blog\n\nThree Roles Compared\n\nA friendly guide to the three roles.\n\n"
       "Data engineering interviews are the most structured of the three. SQL proficiency is heavily tested, "
       "with window functions and query optimisation.\n\nCheck out our course at https://x.example/?utm_source=a\n\n"
       "• Sign up for the newsletter today.\n")
SQL = DOC.index("SQL proficiency")
SQL_END = DOC.index("optimisation.") + len("optimisation.")
GOLD = ("/d.txt", SQL, SQL_END)
QUOTE = DOC[SQL:SQL_END]


def test_a_citation_of_the_quote_carries_it():
    assert quote_carried(QUOTE, GOLD, "whatever the words", [("/d.txt", SQL, SQL_END)])
    assert not quote_carried(QUOTE, GOLD, "Nothing about it.", [("/d.txt", 0, 10)])


def test_the_quote_s_words_carry_it_too():
    assert quote_carried(QUOTE, GOLD, "SQL proficiency is tested heavily: window functions, query optimisation.", [])


@pytest.mark.parametrize("refused, cited, expected", [(True, [GOLD], 0.0), (False, [GOLD], 1.0), (False, [], 0.0)])
def test_evidence_coverage(refused, cited, expected):
    assert evidence_coverage("An answer.", refused, cited, [QUOTE], [GOLD]) == expected


def test_coverage_is_undefined_without_gold():
    assert evidence_coverage("An answer.", False, [], [], []) is None


@pytest.mark.parametrize("span, reason", [
    ("A friendly guide to the three roles.", "title"),
    ("Check out our course at https://x.example/?utm_source=a", "ad"),
    ("Share", "navigation"),
    ("By Jane Doe, staff engineer at a bank", "byline"),
    ("Streaming velocity features carry the signal in payment fraud.", "filler"),
    ("Data engineering interviews are the most structured of the three.", ""),
])
def test_off_topic_classifier(span, reason):
    start = DOC.find(span) if span in DOC else 500
    verdict = classify(span, span, "Three Roles Compared", DOC, start, "What does a data engineer interview test?",
                       "SQL, window functions and query optimisation; data engineering interviews are structured.",
                       [QUOTE], gold_overlap=False)
    assert verdict.reason == reason and verdict.off_topic is bool(reason)


def test_a_sentence_of_a_short_documents_first_paragraph_is_body_text_not_a_title():
    """A short page starts its body right under its heading: a sentence of that paragraph is no tagline."""
    doc = ("# 2.2 Interviews at big and small companies\n\nHiring at a small company is very different from hiring "
           "at a big company. One reason is that big companies make many hires, so they standardise their process. "
           "Small companies refine the process as they go, and can rarely afford a bad hire.\n")
    span = "Small companies refine the process as they go, and can rarely afford a bad hire."
    v = classify(span, span, "Interviews", doc, doc.index(span), "How does hiring differ at a small company?",
                 "Small companies refine their process as they go.", [], gold_overlap=False)
    assert not v.off_topic
    tagline = "A friendly guide to hiring."
    short = f"# Interviews\n\n{tagline}\n\n{doc[doc.index('Hiring'):]}"
    assert classify(tagline, tagline, "Interviews", short, short.index(tagline), "How does hiring differ?", "", [],
                    gold_overlap=False).reason == "title"


def test_a_sentence_on_the_gold_evidence_is_on_topic():
    v = classify(QUOTE, QUOTE, "T", DOC, SQL, "q?", "", [QUOTE], gold_overlap=True)
    assert not v.off_topic


@pytest.mark.parametrize("gold, off_topic", [(True, False), (False, True)])
def test_a_word_or_two_is_navigation_unless_it_is_the_gold_evidence(gold, off_topic):
    """"Quantization" quoted from a list of ways to shrink a model is the answer, not a menu entry."""
    v = classify("- Quantization [1]", "Quantization", "T", DOC, 500, "How do I shrink a model?", "", ["Quantization"],
                 gold_overlap=gold)
    assert v.off_topic is off_topic and v.reason == ("navigation" if off_topic else "")


@pytest.mark.parametrize("gold, reason", [(True, ""), (False, "ad")])
def test_a_link_is_an_ad_unless_it_is_the_gold_evidence(gold, reason):
    """"[Taro](https://www.jointaro.com/)" in a list of communities answers "where can I meet engineers?"."""
    link = "[Taro](https://www.jointaro.com/)"
    v = classify(f"- {link} [1]", link, "T", DOC, 500, "Where can I meet other engineers?", "", [link], gold_overlap=gold)
    assert v.reason == reason


def _cite(marker: int, text: str) -> Citation:
    start = DOC.index(text)
    return Citation(source="/d.txt", title="Three Roles Compared", start=start, end=start + len(text), text=text,
                    marker=marker)


PAIR = DOC[DOC.index("Data engineering"):SQL_END]
AD_ITEM = "• Sign up for the newsletter today."


@pytest.mark.parametrize("sentence, cited, off_topic", [
    # the second sentence of a two-sentence quote, under a marker that also carries an ad
    ("SQL proficiency is heavily tested, with window functions and query optimisation. [1]", [AD_ITEM, PAIR], False),
    # a list item the answer renders with its own bullet, under a marker that also carries the pair
    ("- Sign up for the newsletter today. [1]", [PAIR, AD_ITEM], True),
])
def test_each_answer_sentence_is_judged_by_the_quote_it_carries(sentence, cited, off_topic):
    answer = Answer("What does a data engineer interview test?", sentence, False, [_cite(1, t) for t in cited],
                    [], "extractive", {})
    item = Item("t1", answer.question, "factoid", True, "SQL is tested.", [{"quote": QUOTE}], spans=[GOLD])
    [verdict] = answer_verdicts(answer, item, lambda source: DOC)
    assert verdict.off_topic is off_topic


@pytest.mark.parametrize("cited, uncited", [
    ([PAIR], []),                                   # the quote holds both sentences: its marker backs both
    ([QUOTE], ["Data engineering interviews are the most structured of the three."]),  # only the second is quoted
])
def test_a_sentence_is_uncited_only_when_no_quote_carries_it(cited, uncited):
    text = "Data engineering interviews are the most structured of the three. " + QUOTE + " [1]"
    answer = Answer("What does a data engineer interview test?", text, False, [_cite(1, t) for t in cited],
                    [], "extractive", {})
    assert uncited_claims(answer) == uncited


def test_a_quote_is_matched_as_the_answer_shows_it():
    source = "Comparing distances, dx<sup>2</sup> + dy<sup>2</sup> is enough. Skip the square root."
    cite = Citation(source="/g.md", title="Geometry", start=0, end=len(source), text=source, marker=1)
    answer = Answer("q", "Comparing distances, dx^2 + dy^2 is enough. Skip the square root. [1]", False, [cite], [],
                    "extractive", {})
    assert uncited_claims(answer) == []


def test_the_sets_file_names_three_sets_with_their_files():
    sets = load_sets()
    assert {"corpus", "seeds", "handbook"} <= set(sets)
    assert sets["corpus"].available and sets["corpus"].dataset.name == "dataset.jsonl"
    assert [s.name for s in pick(["corpus"], sets)] == ["corpus"]
    with pytest.raises(ValueError, match="unknown question set"):
        pick(["nope"], sets)


@pytest.mark.parametrize("name", ["seeds", "handbook", "holdout", "holdout2"])
def test_each_foreign_set_passes_the_dataset_checker(name, capsys):
    """Every quote an exact substring of its file, ids and questions unique (eval/check_dataset.py)."""
    from eval.check_dataset import main

    qset = load_sets()[name]
    if not qset.available:
        pytest.skip(f"{qset.corpus} is not beside the project")
    assert main([str(qset.dataset), "--root", str(qset.root), "--no-targets"]) == 0, capsys.readouterr().out


def test_headline_keeps_the_compared_metrics():
    summary = {"hit@5": {"value": 0.9}, "mrr@10": {"value": 0.7}, "seconds": 3, "skipped": {}}
    assert headline(summary) == {"hit@5": 0.9, "mrr@10": 0.7}


class _Ctx:
    def __init__(self, first_stage_rank):
        self.signals = {"first_stage_rank": float(first_stage_rank)}


@pytest.mark.parametrize("ranks, rel, depth, expected", [
    ([3, 1, 14], [False, False, True], 12, {"first_stage_rank": 14, "reach": 0.0}),   # reranker never read it
    ([14, 2, 7], [True, False, True], 12, {"first_stage_rank": 7, "reach": 1.0}),     # the best-placed gold counts
    ([1, 2], [False, False], 12, {"first_stage_rank": None, "reach": 0.0}),           # not among the candidates
    ([5], [True], None, {"first_stage_rank": 5}),                                     # no reranker: no reach
])
def test_reach_says_whether_the_reranker_read_the_gold_passage(ranks, rel, depth, expected):
    # (contexts arrive in reranked order; their first-stage ranks are what retrieval gave them)
    assert reach([_Ctx(r) for r in ranks], rel, depth) == expected
