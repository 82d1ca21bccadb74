"""What an answer may quote: boilerplate never, dependent sentences only with their
predecessor, list items with their list's lead-in as context (no model needed)."""

from __future__ import annotations

import pytest

from rag.pipeline.boilerplate import depends_on_previous, is_meta, is_navigation, is_promotional, title_block_end
from rag.pipeline.candidates import asks_a_question, quotable_units
from rag.text.spans import split_units


@pytest.mark.parametrize("text, expected", [
    ("Check out [Rora](https://www.teamrora.com/?utm_source=handbook) for help.", True),
    ("Get 20% off with code PREP20 today.", True),
    ("Download on the App Store", True),
    ("[AlgoMonster](https://algo.monster/?ref=x)", True),
    ("SQL proficiency is heavily tested — complex queries, window functions.", False),
    ("Recruiters expect candidates to negotiate the initial offer.", False),
    ("- [Fireship](https://www.youtube.com/@Fireship/)", True),
    ("In Python 3.11+, it's [Powersort](https://www.wild-inter.net/posts/powersort-in-python-3.11), which replaced "
     "Timsort as the default sorting algorithm.", False),
    ("Enrol today: limited-time offer on the full course.", True),
    ("**Short** - You have limited time!", False),
])
def test_promotional_text(text, expected):
    assert is_promotional(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("Let’s dive in.", True),
    ("Here is the honest breakdown of what each role involves.", True),
    ("In this article we compare the three roles.", True),
    ("We’ll break down the key questions that seem to be on everyone’s mind:", True),
    ("What each job involves, what the interviews test for, and how to choose a path.", True),
    ("The difference between the roles explained clearly.", True),
    ("TLDRThis video breaks down the differences between the two roles.", True),
    ("TL;DR: in this post we compare the roles.", True),
    ("How you prepare, and what you practise, decides the outcome of the loop.", False),
    ("What matters is how you communicate trade-offs.", False),
    ("Data engineering interviews are the most structured of the three.", False),
])
def test_meta_text(text, expected):
    assert is_meta(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("Share", True), ("Blog", True), ("By Jane Doe, staff engineer", True), ("5 min read", True),
    ("Share your design doc before the interview.", False),
])
def test_navigation_and_bylines(text, expected):
    assert is_navigation(text) is expected


@pytest.mark.parametrize("text, expected", [
    ("So given this offer, don't ask for more money.", True),
    ("This means your job is to keep options open.", True),
    ("However, most offers leave room.", True),
    ("Solving problems out loud shows how you think.", False),
    ("Sorting first makes the search easy.", False),
])
def test_dependent_sentences(text, expected):
    assert depends_on_previous(text) is expected


@pytest.mark.parametrize("text, head", [
    ("Blog\n\nThe Title Of It All\n\nA short tagline about the article.\n\nBody starts here. It has two sentences.\n",
     "A short tagline about the article."),
    ("Title line\nSummary\nThis is a long first paragraph that keeps going well beyond forty words of text so that it "
     "reads like body text and not like any kind of title or tagline at all, which is what a summary paragraph is, "
     "really, in this kind of video page.\n", "Summary"),
    ("Notes\nThe DE loop tests SQL.\nThey also ask about modeling.\n", "Notes"),
    ("Data engineers are tested on SQL,\nwindow functions and modeling.\n", ""),
])
def test_title_block_is_the_short_lines_on_top(text, head):
    end = title_block_end(text, 0, None)
    assert text[:end].rstrip().endswith(head) if head else end == 0


def test_title_block_stops_at_the_first_heading():
    text = "---\ntitle: x\n---\nA tagline.\n\n## Section\n\nShort line.\n"
    start = text.index("A tagline")
    assert title_block_end(text, start, text.index("## Section")) == text.index("\n\n## Section")


@pytest.mark.parametrize("text, expected", [
    ("How do salaries compare between AI engineers and ML engineers?", True),
    ("Should I negotiate?", True),
    ("When should I negotiate?", True),
    ("Expect system design for ML systems — how do you design a feature store?", False),
    ("When a RAG system retrieves the right documents but the answer is wrong, is it chunking or the prompt?", False),
    ("**Code reviews and testing** - Do engineers review code and write tests?", False),
    ("SQL is tested heavily.", False),
])
def test_a_question_is_told_from_a_statement_that_ends_in_one(text, expected):
    assert asks_a_question(text) is expected


def test_questions_in_a_list_are_quotable_a_question_line_is_not():
    text = ("## Questions to ask\n\nWhat should you ask at the end of the loop?\n\n"
            "- What does a typical day look like in this role?\n"
            "- What is the most frustrating part about working here?\n")
    quoted = [q.text for q in quotable_units(text, 0, len(text))]
    assert quoted == ["What does a typical day look like in this role?", "What is the most frustrating part about working here?"]


def test_a_list_led_in_by_text_about_the_text_is_a_teaser_not_an_answer():
    text = ("## Intro\n\nWe’ll break down the key questions that seem to be on everyone’s mind:\n"
            "* What’s the real difference between an ML engineer and an AI engineer?\n"
            "* How can you best prepare for the interview loop?\n\n"
            "Interviews test these skills:\n"
            "* Python and data structures, at the level of a coding round.\n")
    assert [q.text for q in quotable_units(text, 0, len(text))] == ["Python and data structures, at the level of a coding round."]


def test_a_dependent_sentence_is_quoted_with_its_predecessor():
    text = ("To keep your leverage you must protect information. A corollary is that you should not reveal your "
            "salary. So given this offer, don't ask for more money or equity yet.\n")
    units = quotable_units(text, 0, len(text))
    quoted = [text[q.unit.start : q.unit.end] for q in units]
    assert not any(q.startswith("So given") for q in quoted)
    assert any(q.startswith("A corollary") and q.endswith("equity yet.") for q in quoted)
    assert all(text[q.unit.start : q.unit.end].strip() for q in units)


def test_units_carry_their_lead_and_list():
    text = ("## What the interview tests\n\nData engineering interviews are the most structured. SQL proficiency is "
            "heavily tested, with window functions.\n\nDay to day work includes:\n\n- Designing batch pipelines for "
            "the warehouse.\n- Debugging late data in streaming jobs.\n")
    units = {text[q.unit.start : q.unit.end]: q for q in quotable_units(text, 0, len(text))}
    sql = next(q for t, q in units.items() if t.startswith("SQL"))
    assert sql.lead.startswith("What the interview tests") and "most structured" in sql.lead
    items = [q for t, q in units.items() if t.startswith("- ")]
    assert len(items) == 2 and items[0].group == items[1].group
    assert all("Day to day work includes:" in q.lead for q in items)


def test_boilerplate_is_never_a_quote():
    text = ("Blog\n\nThree Roles Compared\n\nA friendly guide to the roles.\n\nLet’s dive in.\n\n"
            "Data engineers own the pipelines that feed the warehouse every hour. They are tested on SQL.\n\n"
            "Check out [our course](https://example.com/?utm_source=blog) for 30% off.\n")
    head = title_block_end(text, 0, None)
    quoted = [text[q.unit.start : q.unit.end] for q in quotable_units(text, 0, len(text), head)]
    assert quoted and all(not q.startswith(("Blog", "Three Roles", "A friendly", "Let’s", "Check out")) for q in quoted)
    assert any(q.startswith("Data engineers own") for q in quoted)


class KeywordScorer:
    """Sentence vectors by keyword: cos to the question vector (1, 0) is the keyword's weight."""

    def __init__(self, weights: dict[str, float]):
        self.weights = weights

    def vectors(self, texts):
        import numpy as np

        out = []
        for t in texts:
            w = next((v for k, v in self.weights.items() if k in t), 0.0)
            out.append([w, (1 - w * w) ** 0.5])
        return np.array(out, dtype=np.float32)


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


class SpanModel:
    """Scores a span by the keyword it holds (late interaction's span_scores, without the model)."""

    def __init__(self, weights: dict[str, float]):
        self.weights, self.calls = weights, []

    def span_scores(self, question, passage, spans):
        self.calls.append(passage)
        return [next((v for k, v in self.weights.items() if k in passage[a:b]), 0.0) for a, b in spans]


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


def test_a_list_item_of_several_sentences_is_one_item_of_its_list():
    text = ("## Perks\n\nCommon benefits:\n\n- **Relocation bonus** - Helpful if you are moving from abroad. It can be "
            "a lump sum or a reimbursement.\n- **Free meals** - Food is expensive in the Bay Area.\n")
    units = quotable_units(text, 0, len(text))
    assert [(q.unit.kind, q.text) for q in units] == [
        ("item", "**Relocation bonus** - Helpful if you are moving from abroad. It can be a lump sum or a reimbursement."),
        ("item", "**Free meals** - Food is expensive in the Bay Area.")]
    assert units[0].group == units[1].group
    # the chunker's units are unchanged: an item's sentences are packed one by one
    assert [u.kind for u in split_units(text) if u.kind != "heading"] == ["sentence", "sentence", "sentence", "item"]


@pytest.mark.parametrize("item, kinds", [
    ("- **Tracks** - Can one rise up the ladder as an IC?\n1.", ["sentence"]),  # a chunk cut a nested list
    ("- **Relocation bonus** - Helpful if you move from abroad. It can be a\n  lump sum or a reimbursement.\n", ["item"]),
])
def test_a_list_item_is_whole_when_each_of_its_sentences_is_one(item, kinds):
    units = quotable_units(item, 0, len(item))
    assert [q.unit.kind for q in units] == kinds
    assert all("\n" not in q.text for q in units)  # a wrapped item is one line of the answer


def test_a_list_item_too_long_to_quote_whole_is_split_into_sentences():
    long_item = "- " + " ".join(f"Sentence {i} says something about the onsite loop at length." for i in range(15)) + "\n"
    units = quotable_units(long_item, 0, len(long_item))
    assert len(units) == 15 and all(q.unit.kind == "sentence" for q in units)


class DistinctKeywordScorer(KeywordScorer):
    """As KeywordScorer, but texts of different keywords are never near-duplicates of each other."""

    def vectors(self, texts):
        import numpy as np

        keys = list(self.weights)
        out = np.zeros((len(texts), len(keys) + 2), dtype=np.float32)
        for row, t in zip(out, texts):
            k = next((i for i, key in enumerate(keys) if key in t), len(keys))
            w = self.weights[keys[k]] if k < len(keys) else 0.0
            row[0], row[k + 1] = w, (1 - w * w) ** 0.5
        return out


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


_BITS = ("## Bit tricks\n\nSome helpful snippets:\n\n| Technique | Code |\n| --- | :---: |\n"
         "| Set the kth bit | `num |= 1 << k` |\n| Clear the kth bit | `num &= ~(1 << k)` |\n"
         "| Toggle the kth bit | `num ^= 1 << k` |\n\n## Shifts\n\nShifting left by one doubles a number in most languages.\n")


@pytest.mark.parametrize("start", [0, _BITS.index("| Clear")])
def test_table_rows_are_read_under_their_header_which_is_never_quoted_alone(start):
    units = quotable_units(_BITS, start, len(_BITS))
    rows = [q for q in units if q.unit.kind == "row"]
    # (a chunk that starts mid-table still finds its header above it)
    assert [q.text for q in rows] == ["Set the kth bit | `num |= 1 << k`", "Clear the kth bit | `num &= ~(1 << k)`",
                                      "Toggle the kth bit | `num ^= 1 << k`"][-len(rows):]
    assert len({q.group for q in rows}) == 1
    assert all(q.lead.endswith("Technique | Code") for q in rows)
    assert not any("Technique" in _BITS[q.unit.start : q.unit.end] or "---" in _BITS[q.unit.start : q.unit.end] for q in units)


def test_a_table_whose_header_answers_is_quoted_row_by_row(fake_settings):
    from rag.pipeline.compose import ExtractiveComposer
    from rag.pipeline.evidence import Evidence
    from rag.types import ChunkRecord, Context

    chunk = ChunkRecord("c1", "/bits.md", 0, 0, len(_BITS), None, "Binary", "", [], "note", _BITS)
    # A row alone reads as a weak match; its table's heading, lead-in and header read as the answer.
    scorer = DistinctKeywordScorer({"Bit tricks": 0.9, "Shifting left": 0.8, "Set the": 0.45, "Clear the": 0.4,
                                    "Toggle the": 0.45})
    ev = Evidence("Which bit tricks should I know?", [Context(1, chunk, 1.0)], {"/bits.md": _BITS}.get,
                  lambda q: [1.0] + [0.0] * (len(scorer.weights) + 1))
    composed = ExtractiveComposer(scorer).compose(ev, [Context(1, chunk, 1.0)], fake_settings.answer)
    assert [_BITS[c.start : c.end].split("|")[1].strip() for c in composed.citations if c.text.startswith("|")] == \
        ["Set the kth bit", "Clear the kth bit", "Toggle the kth bit"]
    assert "- Set the kth bit | `num |= 1 << k` [1]" in composed.answer.splitlines()
    assert all(_BITS[c.start : c.end] == c.text for c in composed.citations)
