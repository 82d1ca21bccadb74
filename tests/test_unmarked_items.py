"""List items written without a list marker: lines opened by symbols, as social posts write
lists, and the prose lines of a markdown indented block. Fast, no model."""

from __future__ import annotations

import pytest

from rag.pipeline.candidates import quotable_units
from rag.text.spans import list_start, split_units


# -- lists written with symbols -----------------------------------------------------------
POST = """# What I learned from 40 data engineering interviews

✅ SQL window functions came up in almost every loop
✅ Interviewers cared more about data modelling than about tools
❌ Nobody asked me to recite Spark internals

👉 Practise explaining trade-offs out loud

👉 Bring one pipeline story you can draw end to end

The rest is consistency.
"""


# An arrow typed as "->" or "=>" opens an item too, with or without a space after it.
ARROWS = """Suggestions he gave on the go:
->Name the class Pairs, not Pair
->return from the query early
=> Initialise the list in the constructor

Then he asked me to optimise the search with a binary search over sorted pairs.
"""


@pytest.mark.parametrize("text, items, sentences", [
    (POST, ["✅ SQL window functions came up in almost every loop",
            "✅ Interviewers cared more about data modelling than about tools",
            "❌ Nobody asked me to recite Spark internals",
            "👉 Practise explaining trade-offs out loud",
            "👉 Bring one pipeline story you can draw end to end"], ["The rest is consistency."]),
    (ARROWS, ["->Name the class Pairs, not Pair", "->return from the query early",
              "=> Initialise the list in the constructor"],
     ["Then he asked me to optimise the search with a binary search over sorted pairs."]),
])
def test_lines_opened_by_symbols_are_the_items_of_a_list_and_keep_their_symbol(text, items, sentences):
    units = quotable_units(text, 0, len(text))
    found = [q for q in units if q.unit.kind == "item"]
    assert [q.text for q in found] == items
    assert len({q.group for q in found}) == 1
    assert [q.text for q in units if q.unit.kind == "sentence"] == sentences


def test_a_single_arrow_line_is_not_a_list():
    text = "The plan was simple.\n->then it failed in review because nobody owned the rollout.\n"
    assert "item" not in [u.kind for u in split_units(text)]


HTML_LIST = """## Skill annotation

<ul>

<li><strong>Systems</strong>: building distributed systems and deploying containers.

<li><strong>Databases</strong>: storage, processing and query engines. Close to systems work.
</li>
<li>ML: linear algebra and learning algorithms.</li>
</ul>

The most successful teams iterate in small steps.
"""


def test_html_list_items_are_the_items_of_one_list():
    units = quotable_units(HTML_LIST, 0, len(HTML_LIST))
    items = [q for q in units if q.unit.kind == "item"]
    assert [q.text for q in items] == [
        "Systems: building distributed systems and deploying containers.",
        "Databases: storage, processing and query engines. Close to systems work.",
        "ML: linear algebra and learning algorithms.",
    ]
    assert len({q.group for q in items}) == 1 and all("Skill annotation" in q.lead for q in items)
    assert [q.text for q in units if q.unit.kind == "sentence"] == ["The most successful teams iterate in small steps."]


def test_a_chunk_holding_one_line_of_a_symbol_list_reads_it_as_an_item():
    start = POST.index("❌")
    assert [u.kind for u in split_units(POST, start, POST.index("\n", start))] == ["item"]


@pytest.mark.parametrize("text", [
    "# Pay\n\n→ One arrow line alone is a sentence of its own, not a list.\n",
    "# Pay\n\n$ 100 is what the bonus was.\nThat was before tax.\n",
])
def test_a_single_symbol_line_or_a_figure_is_not_a_list(text):
    assert all(u.kind != "item" for u in split_units(text))


# -- indented blocks ------------------------------------------------------------------------
# Markdown shows a block indented by four spaces line by line, as written (a pre block): notes
# pasted from a web page's lists often come that way.
CHEAT_SHEET = """# NoSQL

Redis (V3.2)

    Written in: C
    Main point: Blazing fast
    Values can be set to expire (as in a cache)

    Pub/Sub lets you implement messaging
Best used: for rapidly changing data that fits in memory.

Example:

    def ttl(key):
        return cache.expire(key, 60)
"""


def test_the_prose_lines_of_an_indented_block_are_the_items_of_one_list():
    units = quotable_units(CHEAT_SHEET, 0, len(CHEAT_SHEET))
    items = [q for q in units if q.unit.kind == "item"]
    assert [q.text for q in items] == [
        "Written in: C", "Main point: Blazing fast", "Values can be set to expire (as in a cache)",
        "Pub/Sub lets you implement messaging",
    ]
    assert len({q.group for q in items}) == 1
    # (the line after the block, unindented, is a paragraph of its own, not the last item's continuation)
    assert "Best used: for rapidly changing data that fits in memory." in [q.text for q in units if q.unit.kind == "sentence"]


def test_a_chunk_holding_lines_of_an_indented_block_reads_them_as_items_of_its_list():
    start = CHEAT_SHEET.index("    Values")
    units = split_units(CHEAT_SHEET, start, CHEAT_SHEET.index("Best used"))
    assert [(u.kind, CHEAT_SHEET[u.start:u.end]) for u in units] == [
        ("item", "Values can be set to expire (as in a cache)"), ("item", "Pub/Sub lets you implement messaging")]
    assert list_start(CHEAT_SHEET, units[0].start) == CHEAT_SHEET.index("Written in")


@pytest.mark.parametrize("text, items", [
    ("# Cache\n\n" + CHEAT_SHEET[CHEAT_SHEET.index("Example:"):], []),  # code, not prose
    ("# Sharding\n\n- It is built in\n\n    and rebalances itself when a node joins.\n", ["- It is built in"]),  # an item's paragraph
    ("# Bias\n\nBiased data.[^1]\n\n[^1]:\n     Some of the biases:\n\n    Few people leave reviews online\n", []),  # a footnote's
    ("Notes without a heading\n\n    Written in: C\n    Main point: Blazing fast\n", []),  # plain text: as written
])
def test_indented_code_and_indented_continuations_are_not_lists(text, items):
    assert [text[u.start:u.end] for u in split_units(text) if u.kind == "item"] == items
