"""What a quoted unit brings with it from its document: the rest of its paragraph, the list it
leads into, the items nested under it. A fact stays with the sentence that carries it, and a
list with the sentence or item it details (the composer, rag.pipeline.compose, calls `brought_by`
for each pick).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.pipeline.candidates import Candidate
from rag.text.syntax import LIST_MARK, line_indent

# A topic sentence brings up to this many sentences of its paragraph, down to this far below the floor.
DETAIL_SENTENCES = 2
DETAIL_SLACK = 0.1
# Any other quoted sentence brings the one after it, on the same terms ("You'll likely face a couple of
# coding challenges. These are often similar to …" -> "Proficiency in Python is pretty much
# non-negotiable, …"). Not for a question that asks only for a figure: the next sentence's figure may
# count something else (seeds s036, eval/README.md, round 6). Coverage +0.030 / +0.004 / +0.012 /
# +0.010 on seeds / handbook / holdout2 / odin, no set lower; off-topic within +0.005 (round 20).
FOLLOWING_SENTENCES = 1
# The items of a list a quoted sentence leads into (directly or under a label line) may be this
# far below the support floor. (With the label line: coverage +0.008 / +0.020 / 0 / 0 on corpus /
# seeds / handbook / holdout, holdout2 unchanged, off-topic +0.003 / -0.008 / 0 / 0, refusals
# unchanged; the best-scored items, not the first in the list, or the handbook lost an item;
# eval/README.md, round 14.)
LED_IN_SLACK = 0.1


def paragraph_detail(topic: Candidate, ranked: list[Candidate], chosen: list[Candidate], doc: str, floor: float,
                     support: float, opening_only: bool = False) -> list[Candidate]:
    """The sentences that carry a topic sentence's detail: the rest of its paragraph, in order.

    "Data engineering interviews are the most structured of the three." says what follows
    is about the interview; the next sentence ("SQL proficiency is heavily tested …") is the
    answer. A sentence opening a paragraph brings up to DETAIL_SENTENCES of its paragraph
    that still read as relevant (score above `floor`, similarity above `support`); any other
    sentence, unless `opening_only`, the one after it (FOLLOWING_SENTENCES).
    """
    if topic.unit.kind != "sentence":
        return []
    opens = doc[: topic.unit.start].rstrip(" \t")[-1:] in ("\n", "")
    if not opens and opening_only:
        return []
    return _run_after(topic, ranked, chosen, DETAIL_SENTENCES if opens else FOLLOWING_SENTENCES,
                      lambda end, c: "\n" not in doc[end : c.unit.start] and c.score >= floor and c.sim >= support)


# A paragraph's end, at most one blank line, and the indentation of the next line; then, maybe, a
# label line that names the list ("Example Questions:") and its own line break. (A list's first item
# may end in a colon too, "1. **System Design**:" over its text: that is the list, not its label;
# a blind set, round 33.)
_LIST_NEXT = re.compile(rf"[ \t]*\n(?:[ \t]*\n)?[ \t]*(?:(?!{LIST_MARK.pattern})[^\n]{{1,80}}:\W{{0,4}}\n(?:[ \t]*\n)?[ \t]*)?")


def list_led_in(topic: Candidate, ranked: list[Candidate], chosen: list[Candidate], doc: str,
                support: float) -> list[Candidate]:
    """The best-scored items of the list a quoted sentence leads into, in document order.

    "... there's a key difference in scope." followed by a bulleted list, or a paragraph about
    open-ended design problems followed by "Example Questions:" and a list, says the list is the
    detail; its items may score far below the sentence (they name one side each, or give one
    example, in words the question does not use), so they need only LED_IN_SLACK below
    `support`. The items found among the candidates count: a chunk boundary may leave the rest
    of the list unread.
    """
    if topic.unit.kind != "sentence":
        return []
    gap = _LIST_NEXT.match(doc, topic.unit.end) or _LIST_NEXT.match(doc, _lead_after(doc, topic.unit.end))
    if gap is None:
        return []
    items = [c for c in ranked if c.context.chunk.source == topic.context.chunk.source and c.unit.kind == "item"
             and c.group == gap.end() and c not in chosen and c.sim >= support - LED_IN_SLACK
             and not overlaps(c, chosen)]
    return sorted(items[:DETAIL_SENTENCES], key=lambda c: c.unit.start)


# The rest of a paragraph that is one sentence ending in a colon: the lead into the list below it
# ("This is where things start to become less uniform. Here are some of the items that you might see:"
# over the perks of a big tech offer; a blind set, round 35: its coverage +0.017, off-topic on corpus
# +0.005, on the foreign sets -0.011 to +0.001).
_LEAD_REST = re.compile(r"[ \t]+[^\n]{1,160}?:(?=[ \t]*\n)")


def _lead_after(doc: str, end: int) -> int:
    """Where the lead that ends a quoted sentence's paragraph ends (`end` itself if none does):
    the sentence is read as leading into the list, as the lead it shares a paragraph with is."""
    m = _LEAD_REST.match(doc, end)
    return m.end() if m and not re.search(r"[.!?][\"')\]*_]*\s", m.group(0)) else end


def sub_items(topic: Candidate, ranked: list[Candidate], chosen: list[Candidate], doc: str,
              support: float) -> list[Candidate]:
    """The items nested right under a quoted list item, up to DETAIL_SENTENCES of them, in order.

    "1. Duolingo … wants to recommend increasingly difficult stories." over the indented "- How
    would you measure the difficulty level of a story?" and "- Given a story, how would you edit
    it …?": the sub-items are the item's detail, as a paragraph's sentences are a topic
    sentence's, and they need only reach LED_IN_SLACK below `support`; the list's other items
    are not its detail. (Coverage +0.020 / +0.015 on mli / mlsd, no set lower; eval/README.md,
    round 20.)
    """
    if topic.unit.kind != "item":
        return []
    depth = line_indent(doc, topic.unit.start)
    return _run_after(topic, ranked, chosen, DETAIL_SENTENCES,
                      lambda end, c: doc[end : c.unit.start].count("\n") == 1 and line_indent(doc, c.unit.start) > depth,
                      lambda c: c.sim >= support - LED_IN_SLACK)


def _run_after(topic: Candidate, ranked: list[Candidate], chosen: list[Candidate], limit: int,
               goes_on: Callable[[int, Candidate], bool], keeps: Callable[[Candidate], bool] = lambda c: True,
               ) -> list[Candidate]:
    """Up to `limit` units of `topic`'s kind that follow it in its document, in order, while each
    `goes_on` from the end of the one before; those that `keeps` accepts and the answer lacks."""
    after = sorted((c for c in ranked if c.context.chunk.source == topic.context.chunk.source
                    and c.unit.kind == topic.unit.kind and c.unit.start >= topic.unit.end), key=lambda c: c.unit.start)
    out: list[Candidate] = []
    end = topic.unit.end
    for c in after:
        if c.unit.start < end:
            continue  # the same unit again, from an overlapping chunk
        if len(out) == limit or not goes_on(end, c):
            break
        if keeps(c) and c not in chosen and not overlaps(c, chosen + out):
            out.append(c)
        end = c.unit.end
    return out


def overlaps(c: Candidate, chosen: list[Candidate]) -> bool:
    """A joined span ("A. So B.") and its first sentence are never both quoted."""
    return any(o.context.chunk.source == c.context.chunk.source and o.unit.start < c.unit.end and c.unit.start < o.unit.end
               for o in chosen)


def brought_by(pick: Candidate, ranked: list[Candidate], chosen: list[Candidate], doc: str, floor: float,
               support: float, opening_only: bool = False) -> list[Candidate]:
    """What `pick` brings: its paragraph's detail, else the list it leads into, else its sub-items."""
    return (paragraph_detail(pick, ranked, chosen, doc, floor, support, opening_only)
            or list_led_in(pick, ranked, chosen, doc, support) or sub_items(pick, ranked, chosen, doc, support))
