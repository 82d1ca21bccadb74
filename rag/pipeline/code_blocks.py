"""Code an answer quotes: the block a quoted sentence leads into, when the question asks for code.

Code blocks are never candidates of their own: the sentence embedder reads code poorly, and a
block of someone's solution quoted for "what is a palindrome?" answers nothing. But asked "what's
a python one-liner to check a palindrome?", an answer that quotes "A palindrome is a word which
reads the same backward as forwards." and stops before the ```python block under it has left out
the one thing asked for. So, for a question that asks for code, each quoted sentence or item
brings the first code block that follows it in its section, a few units on at most ("**8)
Palindrome**. … A palindrome is …" → two example items → the block), quoted whole by its exact
span, fences included.
"""

from __future__ import annotations

import re
import textwrap

from rag.pipeline.candidates import Candidate
from rag.text.spans import Unit, split_units
from rag.text.syntax import FENCE

# A question that asks for code, not about coding ("is it ok to use python in a coding interview?"):
# the code for something, a snippet, a one-liner, a function or query to write, the python for it.
_LANGUAGE = r"(?:python|sql|pandas|numpy|java(?:script)?|typescript|c\+\+|c#|golang|rust|ruby|bash|r)"
# (one program: "show me the key functions of a data team" asks about jobs, not code)
_PROGRAM = r"(?:code|function|query|class|method|script|program)\b(?! of\b)"
# "The code" asked for ends the phrase or is followed by what it is for or in; "the code review round"
# or "the code fellows grad" (a bootcamp; a blind set, round 32) is about something else. ("What coding
# prompts might show up?" asks what appears, not to be shown code.)
_CODE_ITSELF = (r"(?=\s*(?:$|[?.,!;:)]|(?:for|to|in|of|on|that|which|behind|from|you|i|he|she|they|we|he's|they've|"
                r"snippets?|examples?|samples?|solutions?|blocks?|listings?)\b))")
_ASKS_FOR_CODE = re.compile(
    rf"\b(?:snippets?|one-?liners?|pseudo-?code)\b"
    rf"|\b(?:the|some|any|example|sample) code\b{_CODE_ITSELF}"
    rf"|\b(?:show(?! up\b)|give|see)\b(?: [\w-]+){{0,3}}? (?:{_PROGRAM}|{_LANGUAGE}\b)"
    rf"|\bwrite (?:me )?(?:a|an|the|some)(?: [\w-]+){{0,2}}? (?:{_PROGRAM}|(?:functions|queries|classes|methods|scripts)\b)"
    rf"|\bhow (?:do|would|can|should) (?:i|you|we) code\b",
    re.I,
)
# ... unless it counts them ("how many buggy snippets do you get to fix?" asks for a number), or the
# asker copies or uses them ("if I copy a snippet from the internet into a coding test, is that
# cheating?" asks about it, not for it: a blind set, round 31), or describes work that makes them
# ("a docs job where I'd be producing snippets: what's the lowest comp I should accept?", round 35).
_COUNTED = re.compile(r"\bhow many(?: [\w-]+){0,2} $", re.I)
_USED = re.compile(r"\b(?:cop(?:y|ies|ied|ying)|past(?:e|es|ed|ing)|us(?:e|es|ed|ing)|reus(?:e|es|ed|ing)|"
                   r"borrow(?:s|ed|ing)?|steal(?:s|ing)?|stole|producing|writing|creating|maintaining|reviewing)"
                   r"(?: (?:a|an|the|some|any|that|this|other people's|"
                   r"someone's|someone else's))? $", re.I)
# ... or may be answered by code: how to implement something, a template, how to do it in a language.
# A block comes only with a quoted sentence that leads into it, so these may be broader; but the notes
# may answer them in words ("implement a trie" in a list of what to know, "WHERE and HAVING in SQL").
_CODE_MAY_ANSWER = re.compile(
    rf"(?<!-)\bimplement(?:ations?|ed|ing)?\b|\btemplates?\b|\b(?:in|using|with) {_LANGUAGE}\b(?! (?:interviews?|rounds?|screens?)\b)"
    rf"|\b(?:the|a|an) {_LANGUAGE} (?:\w+ )?(?:conditions?|expressions?|checks?|versions?|idioms?|equivalents?)\b"
    rf"|\b(?:show|give)\b(?: [\w-]+){{0,3}}? versions?\b"
    # ("how do I write a binary search?" may want code; "how should I write up my project?" does not)
    rf"|\bhow (?:do|would|can|should) (?:i|you|we) write\b(?! up\b)",
    re.I,
)
# Code in a quote: a block, or inline code that is more than a name ("`num & (1 << k)`", not "`Trie`").
_INLINE = re.compile(r"`([^`\n]+)`")
# How far past the quoted unit the block may start (units between them: "“ololo” ⇒ Yes", "“cafe” ⇒ No"),
# and how long a block an answer quotes (the handbook's BFS template on a grid is 28 lines).
UNITS_BETWEEN = 3
MAX_LINES = 40
MAX_BLOCKS = 2
# A solution bank writes other ways to the same end right below the first ("or", "Linear, O(n):"): a
# block brings up to this many blocks after it, each after one line of at most this many words.
ALTERNATIVES = 2
ALTERNATIVE_WORDS = 8
_READ_AHEAD = 4000  # characters of the document read for the block (40 lines of code and the units before it)


def asks_for_code(question: str) -> bool:
    return any(not _COUNTED.search(question[: m.start()]) and not _USED.search(question[: m.start()])
               for m in _ASKS_FOR_CODE.finditer(question))


def code_may_answer(question: str) -> bool:
    return asks_for_code(question) or _CODE_MAY_ANSWER.search(question) is not None


def missing_code(question: str, quoted: list[str]) -> bool:
    """The question asks for code and no quote gives any: the notes describe it in words only."""
    return asks_for_code(question) and not any(gives_code(q) for q in quoted)


def gives_code(text: str) -> bool:
    """A quote is a code block (a quoted unit: its fence opens it), or has inline code in it."""
    return FENCE.match(text) is not None or any(re.search(r"[^\w.]", m.group(1)) for m in _INLINE.finditer(text))


def code_after(doc: str, end: int, units_between: int = UNITS_BETWEEN, words_between: int | None = None) -> Unit | None:
    """The first code block after `end` in its section, with at most `units_between` units (of at
    most `words_between` words each) before it, if it is short enough to quote."""
    between = 0
    for unit in split_units(doc, end, min(len(doc), end + _READ_AHEAD)):
        if unit.kind == "markup":
            continue
        if unit.kind == "heading":
            return None
        if unit.kind == "code":
            closed = doc.count("\n", unit.start, unit.end) > 0 and FENCE.match(doc[doc.rfind("\n", 0, unit.end) + 1 : unit.end])
            return unit if closed and doc.count("\n", unit.start, unit.end) < MAX_LINES else None
        between += 1
        if between > units_between or (words_between is not None and len(doc[unit.start : unit.end].split()) > words_between):
            return None
    return None


def code_led_into(chosen: list[Candidate], doc_texts: dict[str, str]) -> list[Candidate]:
    """For the quoted sentences and items, best first: the code block each leads into (each once,
    MAX_BLOCKS at most) and the other ways of writing it right below ("or", "Using
    itertools.groupby": ALTERNATIVES more at most), cited to the passage of the unit that leads in."""
    out: list[Candidate] = []
    led = 0
    for c in chosen:
        if led == MAX_BLOCKS:
            break
        if c.unit.kind not in ("sentence", "item"):
            continue
        source = c.context.chunk.source
        doc = doc_texts[source]
        block = code_after(doc, c.unit.end)
        if block is None or any(o.context.chunk.source == source and o.unit == block for o in out):
            continue
        led += 1
        blocks = [block]
        while len(blocks) <= ALTERNATIVES and (other := code_after(doc, blocks[-1].end, 1, ALTERNATIVE_WORDS)):
            blocks.append(other)
        out += [Candidate(c.context, b, doc[b.start : b.end], c.lead, b.start, c.score, c.sim) for b in blocks]
    return out


def shown(doc: str, block: Unit) -> str:
    """A block as an answer shows it: its fence line's indentation (a block inside a list item) taken
    off every line, so it renders as code at the answer's top level. The citation keeps the span."""
    indent = doc[doc.rfind("\n", 0, block.start) + 1 : block.start]
    return textwrap.dedent(indent + doc[block.start : block.end]) if not indent.strip() else doc[block.start : block.end]
