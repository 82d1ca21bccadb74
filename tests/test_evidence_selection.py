"""What an answer may quote: boilerplate never, dependent sentences only with their
predecessor, list items with their list's lead-in as context (no model needed)."""

from __future__ import annotations

import pytest

from rag.pipeline.boilerplate import depends_on_previous, is_meta, is_navigation, is_promotional, title_block_end
from rag.pipeline.candidates import asks_a_question, quotable_units
from rag.text.spans import split_units
from tests.fakes import DistinctKeywordScorer


@pytest.mark.parametrize("text, expected", [
    ("Check out [Rora](https://www.teamrora.com/?utm_source=handbook) for help.", True),
    ("Get 20% off with code PREP20 today.", True),
    ("Download on the App Store", True),
    ("[AlgoMonster](https://algo.monster/?ref=x)", True),
    ("SQL proficiency is heavily tested — complex queries, window functions.", False),
    ("Recruiters expect candidates to negotiate the initial offer.", False),
    # a list item that is one link is an entry of a reading list, unless it is promoted
    ("- [Fireship](https://www.youtube.com/@Fireship/)", False),
    ("1. [Get Promoted](https://www.amazon.com/Get-Promoted/dp/0593543092)", False),
    ("- [AlgoMonster](https://algo.monster/?ref=x)", True),
    ("- [Sign up for the newsletter](https://example.com/)", True),
    # a newsletter is a topic; signing up for one on the author's say-so is the ad
    ("- [The Pragmatic Engineer](https://newsletter.pragmaticengineer.com/)", False),
    ("Conversion rate counts users who act after a visit, such as signing up for a newsletter.", False),
    ("Subscribe to my newsletter for weekly tips.", True),
    ("- [Taro](https://www.jointaro.com/) and [Blind](https://teamblind.com/)", True),
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


@pytest.mark.parametrize("text, expected", [
    ("How do salaries compare between AI engineers and ML engineers?", True),
    ("Should I negotiate?", True),
    ("When should I negotiate?", True),
    ("Expect system design for ML systems — how do you design a feature store?", False),
    ("When a RAG system retrieves the right documents but the answer is wrong, is it chunking or the prompt?", False),
    ("**Code reviews and testing** - Do engineers review code and write tests?", False),
    ("SQL is tested heavily.", False),
    ("**What is mean average precision at k? ⭐️**", True),  # a rating after the mark is decoration
    ("Why do trees fail to extrapolate? 👶", True),
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


@pytest.mark.parametrize("lead", ["These levels map to a standard ladder which includes:", "Here are the usual ones:"])
def test_a_dependent_lead_in_does_not_take_the_sentence_before_it_with_it(lead):
    """A lead-in is not quoted (its list is); joined to the sentence it leans on, it took that
    sentence out of the answer too ("… L3 to L10 … These levels map to a ladder which includes:")."""
    text = (f"Major tech companies follow very different ladders, from L3 to L10 at Google. {lead}\n\n"
            "1. entry level engineer\n2. senior engineer\n")
    quoted = [q.text for q in quotable_units(text, 0, len(text))]
    assert quoted == ["Major tech companies follow very different ladders, from L3 to L10 at Google.",
                      "entry level engineer", "senior engineer"]


_LABELLED = ("Day to day work includes:\n\nBuilding and maintaining LLM agents. Tool calling, memory and handling agents "
             "that loop forever.\n\nDesigning evaluation frameworks. Automated evaluation pipelines catch regressions "
             "early.\n\nRecruiters expect every candidate to negotiate. Salaries differ a lot between cities.\n\n"
             "Negotiating is expected by every recruiter. Ask for more.\n\n"
             "Practising mock interviews daily.\nA longer sentence on its own line after it.\n")


@pytest.mark.parametrize("label, labelled", [
    ("Building and maintaining LLM agents.", "Tool calling, memory and handling agents that loop forever."),
    ("Designing evaluation frameworks.", "Automated evaluation pipelines catch regressions early."),
])
def test_a_short_activity_opening_its_paragraph_labels_it_and_is_not_quoted_alone(label, labelled):
    """Text copied from a page keeps a bold lead-in as a sentence: "Building and maintaining LLM
    agents." says nothing quoted alone; the sentence it labels is quoted, read under it."""
    units = {q.text: q.lead for q in quotable_units(_LABELLED, 0, len(_LABELLED))}
    assert label not in units
    assert units[labelled].endswith(label)


@pytest.mark.parametrize("claim", ["Recruiters expect every candidate to negotiate.", "Negotiating is expected by every recruiter.",
                                   "Practising mock interviews daily."])  # (the last on a line of its own)
def test_a_short_sentence_that_says_something_or_stands_alone_is_quoted(claim):
    assert claim in {q.text for q in quotable_units(_LABELLED, 0, len(_LABELLED))}


@pytest.mark.parametrize("opening", ["So given this offer", "Then hold"])
def test_a_chunk_that_opens_with_a_dependent_sentence_does_not_quote_it_alone(opening):
    """Overlapping chunks start mid-paragraph: the sentence a chunk opens with may lean on one only
    the chunk before holds (which offers the two joined)."""
    text = ("# Offers\n\nA corollary is that you should not reveal your salary. So given this offer, don't ask for "
            "more money or equity yet. Then hold the number back until they commit.\n\nAlways negotiate the first offer.\n")
    quoted = [text[q.unit.start : q.unit.end] for q in quotable_units(text, text.index(opening), len(text))]
    assert quoted == ["Always negotiate the first offer."]
    # a paragraph's own first sentence opens a chunk as it opens the paragraph
    start = text.index("Always")
    assert [q.text for q in quotable_units(text, start, len(text))] == ["Always negotiate the first offer."]


def test_a_list_a_chunk_opens_mid_way_is_led_in_by_the_lists_own_lead_in():
    text = ("## Questions to expect\n\nAnother intro paragraph sits here to be skipped.\n\nThe big three come up "
            "in almost every loop:\n\n- Tell me about yourself and your path.\n- Tell me about your best project.\n"
            "- Tell me about a conflict you resolved.\n")
    whole = {q.text: q.lead for q in quotable_units(text, 0, len(text))}
    part = {q.text: q.lead for q in quotable_units(text, text.index("- Tell me about your best"), len(text),
                                                    heading="Questions to expect")}
    lead = "Questions to expect: The big three come up in almost every loop:"
    assert len(part) == 2 and all(part[t] == whole[t] == lead for t in part)


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
    # a chunk cut a nested list: the stray "1." is no quote, the item's sentence stays the item
    ("- **Tracks** - Can one rise up the ladder as an IC?\n1.", ["item"]),
    ("- **Relocation bonus** - Helpful if you move from abroad. It can be a\n  lump sum or a reimbursement.\n", ["item"]),
])
def test_a_list_item_is_whole_when_each_of_its_sentences_is_one(item, kinds):
    units = quotable_units(item, 0, len(item))
    assert [q.unit.kind for q in units] == kinds
    assert all("\n" not in q.text for q in units)  # a wrapped item is one line of the answer


@pytest.mark.parametrize("text, quoted", [
    # an item of a word or two answers through its list's lead: "Quantization" is a way to shrink a model
    ("Ways to shrink a model for a phone:\n\n- Quantization\n- Knowledge distillation\n", ["Quantization", "Knowledge distillation"]),
    ("## Corner cases\n\n* Empty sequence\n* tf-idf\n", ["Empty sequence", "tf-idf"]),
    # a marker or a number alone is not an item, and a short line of prose says nothing quoted alone
    ("Ways to shrink a model for a phone:\n\n- 4.\n- 12\n", []),
    ("Shrink it. Quantize.\n", []),
])
def test_a_list_item_of_a_word_or_two_is_quoted_a_sentence_is_not(text, quoted):
    assert [q.text for q in quotable_units(text, 0, len(text))] == quoted


def test_a_list_item_too_long_to_quote_whole_is_split_into_sentences():
    long_item = "- " + " ".join(f"Sentence {i} says something about the onsite loop at length." for i in range(15)) + "\n"
    units = quotable_units(long_item, 0, len(long_item))
    assert [q.unit.kind for q in units] == ["item"] + ["sentence"] * 14


@pytest.mark.parametrize("label, sentences, kinds", [
    ("", 3, ["item", "item"]),
    ("", 4, ["item", "sentence", "sentence", "sentence", "item"]),  # a paragraph under a bullet
    ("**Coding challenge**. ", 3, ["item", "sentence", "sentence", "item"]),  # the label is read with its sentence
])
def test_an_item_of_many_sentences_keeps_its_first_as_the_item(label, sentences, kinds):
    """More than ITEM_SENTENCES: its first sentence (after a label, with it) stays a member of its
    list, the rest are sentences of their own, each quoted only if it answers."""
    from rag.pipeline.candidates import ITEM_SENTENCES

    assert ITEM_SENTENCES == 3  # the cases sit on either side of it
    said = ["New graduates often get a coding challenge.", "Some teams send it before the phone screen.",
            "Most challenges have one to three questions.",
            "Candidates get between thirty minutes and three hours."][:sentences]
    text = ("## Formats\n\nThe usual steps:\n\n- " + label + " ".join(said)
            + "\n- **Onsite**. Four to eight interviews in one day.\n")
    units = quotable_units(text, 0, len(text))
    assert [q.unit.kind for q in units] == kinds
    assert units[0].text.startswith(label.strip() + (" " if label else "") + "New graduates")
    assert units[0].group == units[-1].group  # the head is read with its list
    assert [q.text for q in units[1:-1]] == (said[1:] if len(kinds) > 2 else [])


_BITS = ("## Bit tricks\n\nSome helpful snippets:\n\n| Technique | Code |\n| --- | :---: |\n"
         "| Set the kth bit | `num |= 1 << k` |\n| Clear the kth bit | `num &= ~(1 << k)` |\n"
         "| Toggle the kth bit | `num ^= 1 << k` |\n\n## Shifts\n\nShifting left by one doubles a number in most languages.\n")


_BIG_THREE = ("## Questions to expect\n\nThe big three come up in almost every loop:\n\n"
              "- Tell me about yourself: this opens almost any interview.\n"
              "- Tell me about your most impactful project.\n  Pick one where your own part is clear.\n\n"
              "- Tell me about a time you resolved a conflict: the most common soft skill question.\n"
              "It is worth two stories.\n"
              "  1. Tell me about a disagreement with your manager.\n\n"
              "Practise them out loud before the loop.\n\n- Ask about the team's on-call load.\n")


@pytest.mark.parametrize("start", [0, _BIG_THREE.index("- Tell me about your most"), _BIG_THREE.index("  Pick"),
                                   _BIG_THREE.index("It is worth")])
def test_the_items_of_a_list_are_one_list_wherever_a_chunk_starts(start):
    """Overlapping chunks cut one list at different items; the composer's list rules (lift a list
    through its lead-in, quote a kept item's siblings) need its items to share one group."""
    whole = {q.unit.start: q.group for q in quotable_units(_BIG_THREE, 0, len(_BIG_THREE)) if q.unit.kind == "item"}
    part = {q.unit.start: q.group for q in quotable_units(_BIG_THREE, start, len(_BIG_THREE)) if q.unit.kind == "item"}
    first = _BIG_THREE.index("- Tell me about yourself")
    last = _BIG_THREE.index("- Ask about")
    assert part and {g for at, g in part.items() if at != last} == {first}  # nested, loose and lazy lines included
    assert part[last] == last == whole[last]  # a paragraph between two lists ends the first


_LEVELS = "# Pay\n\nEntry levels by company:\n\n  | Google | L3 | $191,000 |\n  | Meta | E3 | $180,000 |\n  | Stripe | L1 | $190,000 |\n"


@pytest.mark.parametrize("start", [0, _LEVELS.index("| Meta"), _LEVELS.index("| Stripe")])
def test_the_rows_of_a_table_without_a_header_are_one_table_wherever_a_chunk_starts(start):
    rows = [q for q in quotable_units(_LEVELS, start, len(_LEVELS)) if q.unit.kind == "row"]
    assert rows and {q.group for q in rows} == {_LEVELS.index("| Google")}


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


@pytest.mark.parametrize("bullet", ["-", "*", "•", "◦", "▪", "‣", "·", "–", "1."])
def test_a_bulleted_list_in_plain_text_is_quoted_item_by_item(bullet):
    """Text copied from a web page, a word processor or a PDF keeps bullet characters:
    each line is an item of one list, quoted without its bullet, not one sentence across them."""
    text = ("What the interview tests\n\nExpect questions in these areas:\n\n"
            f"  {bullet} SQL window functions and joins over large tables.\n"
            f"  {bullet} Python data processing with pandas and Spark jobs.\n\n"
            "That is the whole loop for most teams.\n")
    units = quotable_units(text, 0, len(text))
    items = [q for q in units if q.unit.kind == "item"]
    assert [q.text for q in items] == ["SQL window functions and joins over large tables.",
                                       "Python data processing with pandas and Spark jobs."]
    assert items[0].group == items[1].group and "these areas" in items[0].lead
    assert [q.text for q in units if q.unit.kind == "sentence"] == ["That is the whole loop for most teams."]


@pytest.mark.parametrize("line, quoted", [
    ('<p align="center"><img src="loop.png" alt="The interview loop at a glance" /></p>', None),
    ('<meta property="og:image" content="https://example.com/social/negotiation.png" />', None),
    ("![diagram of the whole interview loop](loop.png)", None),
    ("When comparing distances, dx<sup>2</sup> + dy<sup>2</sup> is enough.",
     "When comparing distances, dx^2 + dy^2 is enough."),  # (as the page shows it)
    ("> Most loops have four rounds, and the last one is behavioural.",
     "Most loops have four rounds, and the last one is behavioural."),
])
def test_markup_alone_is_never_quoted_and_a_blockquote_reads_without_its_marker(line, quoted):
    text = f"## Loop\n\n{line}\n"
    units = quotable_units(text, 0, len(text))
    assert [q.text for q in units] == ([quoted] if quoted else [])
