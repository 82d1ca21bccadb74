"""How the extractive composer picks and orders what it quotes: the score window, detail of a
topic sentence, the reranker's span scores, lists read through their lead (fake scorers, no model)."""

from __future__ import annotations

import pytest

from tests.fakes import DistinctKeywordScorer, KeywordScorer, SpanModel


def test_a_topic_sentence_brings_the_detail_of_its_paragraph(fake_settings):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## What the interview tests\n\nData engineering interviews are the most structured of the three. "
            "SQL proficiency is heavily tested with window functions. Python comes up regularly as well.\n\n"
            "Salaries for the role vary a great deal between cities and companies.\n")
    chunk = ChunkRecord("c1", "/de.md", 0, 0, len(text), None, "What the interview tests", "Roles", [], "note", text)
    ev = Evidence("What does a data engineer interview test?", [Context(1, chunk, 1.0)], {"/de.md": text}.get,
                  lambda q: [1.0, 0.0])
    scorer = KeywordScorer({"most structured": 1.0, "SQL": 0.72, "Python": 0.3, "Salaries": 0.0})
    composed = ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer)
    quoted = [c.text for c in composed.citations]
    assert quoted[:2] == ["Data engineering interviews are the most structured of the three.",
                          "SQL proficiency is heavily tested with window functions."]
    assert not any(q.startswith(("Python", "Salaries")) for q in quoted)  # too weak to be detail
    assert all(text[c.start : c.end] == c.text for c in composed.citations)


@pytest.mark.parametrize("question, brought", [
    ("What do the coding rounds test?", True),
    ("How many coding rounds are there?", False),  # the next sentence's figure may count something else
])
def test_a_sentence_inside_a_paragraph_brings_the_one_after_it(fake_settings, question, brought):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## The loop\n\nInterviews open with a recruiter call. The loop then has two coding rounds. "
            "Python proficiency is non-negotiable there. Salaries differ by city.\n")
    chunk = ChunkRecord("c1", "/loop.md", 0, 0, len(text), None, "The loop", "Loops", [], "note", text)
    ev = Evidence(question, [Context(1, chunk, 1.0)], {"/loop.md": text}.get, lambda q: [1.0, 0.0])
    scorer = KeywordScorer({"two coding rounds": 1.0, "Python": 0.72, "Salaries": 0.0, "recruiter": 0.0})
    composed = ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer)
    quoted = [c.text for c in composed.citations]
    assert quoted[0] == "The loop then has two coding rounds."
    assert ("Python proficiency is non-negotiable there." in quoted) is brought
    assert not any(q.startswith(("Salaries", "Interviews")) for q in quoted)


@pytest.mark.parametrize("indent, brought", [("\t", True), ("   ", True), ("", False)])
def test_a_quoted_list_item_brings_the_items_nested_under_it(fake_settings, indent, brought):
    """"1. Duolingo wants to recommend harder stories." over its indented sub-items: they are the
    item's detail; at the same depth they are only its siblings."""
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## Exercises\n\n1. A language app wants to recommend harder stories to each learner.\n"
            f"{indent}- How would you measure the difficulty level of a story?\n"
            f"{indent}- Given a story, how would you edit it to make it easier?\n"
            "1. Build a fraud detector for card purchases.\n")
    chunk = ChunkRecord("c1", "/ex.md", 0, 0, len(text), None, "Exercises", "Exercises", [], "note", text)
    ev = Evidence("What does the language app exercise ask about stories?", [Context(1, chunk, 1.0)],
                  {"/ex.md": text}.get, lambda q: [1.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    scorer = DistinctKeywordScorer({"language app": 0.9, "difficulty level": 0.3, "edit it": 0.28, "fraud": 0.05})
    quoted = [c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations]
    assert "A language app wants" in quoted[0]
    assert any("how would you edit it" in q for q in quoted) is brought
    assert not any("fraud" in q for q in quoted)


def _two_passages():
    from rag.types import ChunkRecord, Context

    a = "## Pay\n\nRecruiters expect every candidate to negotiate. Salaries differ a lot between cities.\n"
    b = "## Offers\n\nAlways negotiate the first offer, since it is never the best one the company can make.\n"
    chunks = [ChunkRecord("a", "/a.md", 0, 0, len(a), None, "Pay", "", [], "note", a),
              ChunkRecord("b", "/b.md", 0, 0, len(b), None, "Offers", "Offer guide", [], "note", b)]
    contexts = [Context(1, chunks[0], 1.0), Context(2, chunks[1], 0.5)]
    return contexts, {"/a.md": a, "/b.md": b}


@pytest.mark.parametrize("span_weights, rerank, first", [
    (None, None, "Recruiters expect every candidate to negotiate."),   # the embedder's order
    (None, (0.0, 3.0), "Recruiters expect every candidate to negotiate."),  # passage scores alone mix nothing
    ({"Always": 1.0, "Recruiters": 0.2}, None, "Always negotiate the first offer"),  # the model reads it as the answer
])
def test_the_reranker_s_span_scores_reorder_the_sentences(fake_settings, span_weights, rerank, first):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence

    contexts, texts = _two_passages()
    for ctx, score in zip(contexts, rerank or ()):
        ctx.signals["rerank"] = score
    ev = Evidence("Should I negotiate my first offer?", contexts, texts.get, lambda q: [1.0, 0.0])
    scorer = KeywordScorer({"Recruiters": 0.8, "Always": 0.7, "Salaries": 0.4})
    model = SpanModel(span_weights) if span_weights else None
    composed = ExtractiveComposer(scorer, span_model=model).compose(ev, contexts, fake_settings.answer)
    assert composed.citations[0].text.startswith(first)  # (the best passage's group is rendered first)
    if model:
        # the model reads what the reranker read: the title, then the chunk (spans shifted past the title)
        assert sorted(model.calls) == sorted(["Offer guide\n" + texts["/b.md"], texts["/a.md"]])
    assert all(texts[c.source][c.start : c.end] == c.text for c in composed.citations)


def test_the_refusal_floor_reads_the_most_similar_sentence_not_the_first(fake_settings):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence

    contexts, texts = _two_passages()
    ev = Evidence("Should I negotiate my first offer?", contexts, texts.get, lambda q: [1.0, 0.0])
    # The model puts first a sentence the embedder finds below the floor: the answer still stands
    # on the most similar one, and the weak sentence is not quoted.
    scorer = KeywordScorer({"Recruiters": 0.8, "Always": 0.1})
    composed = ExtractiveComposer(scorer, span_model=SpanModel({"Always": 1.0})).compose(ev, contexts, fake_settings.answer)
    assert not composed.refused and composed.best_evidence == pytest.approx(0.8, abs=1e-5)
    assert not any(c.text.startswith("Always") for c in composed.citations)


@pytest.mark.parametrize("sim, quoted", [(0.32, True), (0.28, False)])
def test_a_sentence_beside_the_best_may_sit_just_below_the_refusal_floor(fake_settings, sim, quoted):
    from rag.pipeline.compose import SUPPORT_SLACK, ExtractiveComposer
    from rag.pipeline.evidence import Evidence

    # Both sentences are within the score window; the second is a paraphrase the embedder
    # rates below min_evidence (0.35), which only refuses an answer that has nothing better.
    assert fake_settings.answer.min_evidence - SUPPORT_SLACK == pytest.approx(0.30)
    contexts, texts = _two_passages()
    ev = Evidence("Should I negotiate my first offer?", contexts, texts.get, lambda q: [1.0, 0.0, 0.0, 0.0])
    scorer = DistinctKeywordScorer({"Recruiters": 0.5, "Always": sim})
    composed = ExtractiveComposer(scorer).compose(ev, contexts, fake_settings.answer)
    assert not composed.refused and composed.best_evidence == pytest.approx(0.5, abs=1e-5)
    assert any(c.text.startswith("Always negotiate") for c in composed.citations) is quoted


@pytest.mark.parametrize("signals, best, refused", [
    ({"rerank": 3.0, "late_interaction": 0.6}, 0.30, False),  # the late-interaction reranker sets it apart
    ({"rerank": 1.9, "late_interaction": 0.6}, 0.30, True),   # ... not far enough
    ({"rerank": 3.0, "late_interaction": 0.6}, 0.22, True),   # its best sentence is too far below the floor
    ({"rerank": 3.0, "cross_encoder": 5.0}, 0.30, True),      # measured for late interaction only
    ({"rerank": 3.0}, 0.30, True),                            # the sentence reranker's scores are cosines
])
def test_a_passage_the_reranker_sets_apart_may_answer_just_below_the_floor(fake_settings, signals, best, refused):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence

    contexts, texts = _two_passages()
    contexts[0].signals.update(signals)
    ev = Evidence("whats the joke name for fiddling with pay by hand?", contexts, texts.get, lambda q: [1.0, 0.0, 0.0, 0.0])
    scorer = DistinctKeywordScorer({"Recruiters": best, "Always": 0.1})
    composed = ExtractiveComposer(scorer).compose(ev, contexts, fake_settings.answer)
    assert composed.refused is refused
    assert composed.best_evidence == pytest.approx(best, abs=1e-5)
    if not refused:
        assert composed.citations[0].text == "Recruiters expect every candidate to negotiate."


@pytest.mark.parametrize("rerank, sim, quoted", [
    (3.0, 0.27, True),    # the passage the reranker sets apart is quoted a little below the support floor
    (1.9, 0.27, False),   # ... a passage it does not set apart is not
    (3.0, 0.24, False),   # ... nor a sentence further below
])
def test_the_passage_the_reranker_sets_apart_is_quoted_a_little_below_the_support_floor(fake_settings, rerank, sim,
                                                                                      quoted):
    from rag.pipeline.compose import STANDOUT_SUPPORT, SUPPORT_SLACK, ExtractiveComposer
    from rag.pipeline.evidence import Evidence

    assert fake_settings.answer.min_evidence - SUPPORT_SLACK - STANDOUT_SUPPORT == pytest.approx(0.25)
    contexts, texts = _two_passages()
    contexts[0].signals.update({"rerank": rerank, "late_interaction": 0.6})
    ev = Evidence("Do recruiters expect me to negotiate?", contexts, texts.get, lambda q: [1.0, 0.0, 0.0, 0.0])
    # the other passage's sentence holds the answer above the refusal floor
    scorer = DistinctKeywordScorer({"Recruiters": sim, "Always": 0.45})
    composed = ExtractiveComposer(scorer).compose(ev, contexts, fake_settings.answer)
    assert not composed.refused and composed.best_evidence == pytest.approx(0.45, abs=1e-5)
    assert any(c.text.startswith("Recruiters expect") for c in composed.citations) is quoted


def test_an_answer_that_stands_on_a_sentence_outside_the_window_still_quotes_it(fake_settings, monkeypatch):
    from rag.pipeline import compose
    from rag.pipeline.evidence import Evidence

    monkeypatch.setattr(compose, "SCORE_WINDOW", 0.0)  # only the first sentence by score is in the window
    contexts, texts = _two_passages()
    ev = Evidence("Should I negotiate my first offer?", contexts, texts.get, lambda q: [1.0, 0.0])
    scorer = KeywordScorer({"Recruiters": 0.8, "Always": 0.1})
    composed = compose.ExtractiveComposer(scorer, span_model=SpanModel({"Always": 1.0})).compose(
        ev, contexts, fake_settings.answer)
    assert not composed.refused
    assert [c.text for c in composed.citations] == ["Recruiters expect every candidate to negotiate."]


def _system_design_notes():
    from rag.types import ChunkRecord, Context

    text = ("## Which system design questions come up\n\nOnsite loops at most companies pick from these:\n\n"
            "- Design a URL shortener with click analytics.\n- Design a chat service for small teams.\n\n"
            "## Coding rounds\n\nCoding rounds use these topics:\n\n- Graph traversal with queues.\n"
            "- Dynamic programming over strings.\n\n"
            "## Preparation\n\nSystem design rounds reward candidates who state requirements before drawing boxes.\n")
    chunk = ChunkRecord("c1", "/sd.md", 0, 0, len(text), None, "Interview notes", "", [], "note", text)
    return text, [Context(1, chunk, 1.0)]


@pytest.mark.parametrize("read_in_lists", [True, False])
def test_the_list_whose_lead_in_answers_is_quoted_through_it(fake_settings, monkeypatch, read_in_lists):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence

    if not read_in_lists:
        monkeypatch.setattr(ExtractiveComposer, "_read_in_lists", lambda self, q_vec, cands: None)
    text, contexts = _system_design_notes()
    # The items alone read as weak matches; the lead-in of their list ("Which system design
    # questions come up: Onsite loops …") reads as the best one. The other list's lead is weaker.
    scorer = DistinctKeywordScorer({"Which system design": 0.9, "System design rounds": 0.8, "Coding rounds": 0.75,
                                    "URL shortener": 0.45, "chat service": 0.4, "Graph": 0.45, "Dynamic": 0.45})
    ev = Evidence("Which system design questions come up?", contexts, {"/sd.md": text}.get,
                  lambda q: [1.0] + [0.0] * (len(scorer.weights) + 1))
    composed = ExtractiveComposer(scorer).compose(ev, contexts, fake_settings.answer)
    quoted = {c.text.removeprefix("- ") for c in composed.citations}
    assert "System design rounds reward candidates who state requirements before drawing boxes." in quoted
    design = {"Design a URL shortener with click analytics.", "Design a chat service for small teams."}
    assert design <= quoted if read_in_lists else not design & quoted
    assert not {"Graph traversal with queues.", "Dynamic programming over strings."} & quoted
    assert all(text[c.start : c.end] == c.text for c in composed.citations)


@pytest.mark.parametrize("n_items", [3, 10])
def test_a_list_that_answers_is_quoted_whole_up_to_ten_items(fake_settings, n_items):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    things = ["badge", "laptop", "charger", "notebook", "water", "snack", "resume", "questions", "portfolio", "ID card"]
    items = [f"Bring your {t} to the onsite in the morning." for t in things[:n_items]]
    text = "## Onsite checklist\n\nPack these the night before:\n\n" + "".join(f"- {i}\n" for i in items)
    chunk = ChunkRecord("c1", "/onsite.md", 0, 0, len(text), None, "Onsite checklist", "", [], "note", text)
    scorer = DistinctKeywordScorer({"Onsite checklist": 0.7} | {t: 0.6 for t in things})
    ev = Evidence("What should I bring to an onsite?", [Context(1, chunk, 1.0)], {"/onsite.md": text}.get,
                  lambda q: [1.0] + [0.0] * (len(scorer.weights) + 1))
    answer = fake_settings.answer.model_copy(update={"max_sentences": 6})
    composed = ExtractiveComposer(scorer).compose(ev, [Context(1, chunk, 1.0)], answer)
    # every item, in the list's order, though the list runs past max_sentences
    assert [c.text.removeprefix("- ") for c in composed.citations] == items


@pytest.mark.parametrize("passages, sim, quoted", [
    (3, 0.52, True),
    (1, 0.52, False),   # its passage is not among the first PASSAGE_QUOTES
    (3, 0.45, False),   # too far below the window
])
def test_a_top_passage_that_answers_on_its_own_is_quoted_below_the_window(fake_settings, monkeypatch, passages, sim,
                                                                          quoted):
    """The second passage's answer sits below the window the first passage's best sentence sets;
    it is quoted still when its passage is among the first PASSAGE_QUOTES."""
    from rag.pipeline import compose
    from rag.pipeline.evidence import Evidence

    monkeypatch.setattr(compose, "PASSAGE_QUOTES", passages)
    contexts, texts = _two_passages()
    ev = Evidence("Should I negotiate my first offer?", contexts, texts.get, lambda q: [1.0, 0.0, 0.0, 0.0])
    scorer = DistinctKeywordScorer({"Recruiters": 0.95, "Always": sim})
    composed = compose.ExtractiveComposer(scorer).compose(ev, contexts, fake_settings.answer)
    assert len(composed.citations) == 1 + quoted  # "Always" scores below the window (0.25 under the best)
    texts_quoted = [c.text for c in composed.citations]
    assert texts_quoted[0] == "Recruiters expect every candidate to negotiate."
    assert any(t.startswith("Always negotiate") for t in texts_quoted) is quoted
    assert not any(t.startswith("Salaries") for t in texts_quoted)  # its passage is quoted already


def test_a_terse_list_item_does_not_speak_for_its_passage():
    """"Videos" under "Learning resources" reads like "bit-twiddling videos" to an embedder; a
    passage's best sentence, which the rerankers mix in, is one that says something."""
    from rag.pipeline.evidence import Evidence
    from rag.pipeline.rerank import NO_SENTENCE, best_sentence_scores
    from rag.types import ChunkRecord, Context

    text = "## Learning resources\n\n- Videos\n- Readings\n\nPractice problems come with each module of the course.\n"
    chunk = ChunkRecord("c1", "/r.md", 0, 0, len(text), None, "Learning resources", "Guide", [], "note", text)
    scorer = KeywordScorer({"Videos": 0.9, "Practice": 0.3})
    ev = Evidence("Which bit-twiddling videos?", [Context(1, chunk, 1.0)], {"/r.md": text}.get, lambda q: [1.0, 0.0])
    best = best_sentence_scores(ev, ev.contexts, scorer)
    assert NO_SENTENCE < best["c1"] < 0.9
    assert [c.text for c in ev.candidates(ev.contexts) if c.terse] == ["Videos", "Readings"]


@pytest.mark.parametrize("item, terse", [
    ("- [Reverse Bits](https://leetcode.com/problems/reverse-bits/)", True),  # a link alone names, says nothing
    ("- Quantization", True),
    ("- [Grokking](https://x.io/g) is the course most candidates start with.", False),
    ("- Window functions come up in every SQL round.", False),
])
def test_a_link_or_a_word_or_two_alone_is_terse(item, terse):
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = f"## Practice\n\n{item}\n"
    chunk = ChunkRecord("c1", "/p.md", 0, 0, len(text), None, "Practice", "Guide", [], "note", text)
    ev = Evidence("q?", [Context(1, chunk, 1.0)], {"/p.md": text}.get, lambda q: [1.0, 0.0])
    assert [c.terse for c in ev.candidates(ev.contexts)] == [terse]


@pytest.mark.parametrize("question, talk_quoted", [
    ("How long does a take-home challenge take?", False),  # a figure, and nothing else, answers it
    ("What is a take-home challenge like?", True),
    ("How long does a take-home take, and what do reviewers look for?", True),  # a second ask
])
def test_a_question_asking_only_for_a_figure_is_answered_by_the_figure_and_what_is_beside_it(
        fake_settings, question, talk_quoted):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## Take-home challenges\n\nThe challenge may come before or after the onsite. "
            "Candidates get up to a full day to finish it on their own time. Most finish early.\n\n"
            "Reviewers read the code for structure and tests.\n")
    chunk = ChunkRecord("c1", "/t.md", 0, 0, len(text), None, "Take-home challenges", "Interviews", [], "note", text)
    scorer = DistinctKeywordScorer({"full day": 0.9, "before or after": 0.8, "Reviewers": 0.75})
    ev = Evidence(question, [Context(1, chunk, 1.0)], {"/t.md": text}.get, lambda q: [1.0] + [0.0] * 4)
    quoted = " ".join(c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations)
    assert quoted.startswith("The challenge may come before or after the onsite. Candidates get up to a full day")
    assert ("Reviewers read the code for structure and tests." in quoted) is talk_quoted


@pytest.mark.parametrize("question, links_quoted", [
    ("How do I know if my offer is fair?", False),  # a link is a pointer, not an answer
    ("Which sites show what the market pays?", True),
])
def test_a_list_item_that_is_one_link_answers_only_where_to_look(fake_settings, question, links_quoted):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## Pay\n\nCheck the offer against market data before you answer.\n\n"
            "- [Levels.fyi](https://www.levels.fyi/)\n- [Glassdoor](https://www.glassdoor.com/)\n")
    chunk = ChunkRecord("c1", "/p.md", 0, 0, len(text), None, "Pay", "Offers", [], "note", text)
    scorer = DistinctKeywordScorer({"market data": 0.8, "Levels": 0.7, "Glassdoor": 0.7})
    ev = Evidence(question, [Context(1, chunk, 1.0)], {"/p.md": text}.get, lambda q: [1.0] + [0.0] * 4)
    quoted = [c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations]
    assert quoted[0] == "Check the offer against market data before you answer."
    assert any("[Levels.fyi](https://www.levels.fyi/)" in q for q in quoted) is links_quoted


def test_a_question_that_counts_things_brings_the_sentence_that_counts_them(fake_settings):
    """Picks that give other figures ("After 5 years …") read closest to the question; the count
    ("7 rounds in total") is in their document, further down the ranking."""
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    text = ("## The loop\n\nAfter 5 years as a backend engineer, I interviewed at LinkedIn. "
            "I prepared with mock interviews every evening.\n\nThe recruiter was kind and quick to reply.\n\n"
            "Here's how it went: 7 rounds in total, over several days.\n")
    chunk = ChunkRecord("c1", "/l.md", 0, 0, len(text), None, "The loop", "Loops", [], "note", text)
    scorer = DistinctKeywordScorer({"After 5 years": 0.9, "7 rounds": 0.3, "mock": 0.2, "recruiter": 0.2})
    ev = Evidence("how many interview rounds did the LinkedIn loop have?", [Context(1, chunk, 1.0)], {"/l.md": text}.get,
                  lambda q: [1.0] + [0.0] * 5)
    quoted = [c.text for c in ExtractiveComposer(scorer).compose(ev, ev.contexts, fake_settings.answer).citations]
    assert quoted[0].startswith("After 5 years") and any("7 rounds in total" in q for q in quoted)
