"""How a quoted unit reads inside an answer: as the page shows it, on one line.

The citation keeps the exact span (`text[start:end]`); the answer shows the words a reader
of the rendered document sees there, without list or blockquote markers or HTML tags (an inline
link stays a link the answer renders). What a link tells a reader, for the refusal checks, is its
words and its site (`without_targets`).
"""

from __future__ import annotations

import html
import re

from rag.text.syntax import FOOTNOTE_DEF, LIST_MARK

_QUOTE_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.M)
# An HTML tag in a quote, by name: "<role>" or "<company>" in a note is a placeholder the reader
# sees. Group 1: a tag that breaks a line or a block ("<br/>", "<p>"), read as a space.
_TAG = re.compile(r"</?(?:(br|p|div|li|ul|ol|tr|td|th|hr|h[1-6]|table|thead|tbody|blockquote|pre|figure|figcaption|"
                  r"section|article|details|summary|center)|b|i|em|strong|code|sup|sub|span|a|u|s|mark|small|kbd|"
                  r"font|img|abbr|q|cite|var|samp|del|ins)\b[^<>\n]*>", re.I)
# A raised ordinal ("k<sup>th</sup>") reads "kth"; any other <sup> is a power ("2^k", by _TAG).
_ORDINAL = re.compile(r"<sup>[ \t]*(st|nd|rd|th)[ \t]*</sup>", re.I)
_CODE_SPAN = re.compile(r"(`[^`\n]*`)")
# What else a page shows differently from its source: a task's box ("- [x] Arrays") is a
# checkbox, not words; a reference-style link ("[the guide][2]") shows its text; an inline image
# and a footnote mark ("[^1]") show no words of the sentence.
_TASK_BOX = re.compile(r"\[[ xX]\][ \t]+")
_REF_LINK = re.compile(r"(?<![\w\]!])\[([^\[\]\n]+)\]\[[^\[\]\n]*\]")
_NO_WORDS = re.compile(r"!\[[^\[\]\n]*\]\([^()\n]*\)|(?<=\S)\[\^[^\[\]\s]+\](?!:)")
# A backslash that ends a line is a hard line break in markdown (pandoc writes one on every empty
# line of a page it converts); on the answer's one line it is a space, not a "\\".
_HARD_BREAK = re.compile(r"\\[ \t]*$", re.M)
# An Obsidian / Foam / Logseq wikilink reads as its alias or its target: "[[Joins#Self joins|self
# joins]]" as "self joins", "[[Window functions]]" as "Window functions", "[[Joins#Self joins]]"
# as "Joins > Self joins" (what Obsidian shows). An embed ("![[plan.png]]") shows no words.
_WIKILINK = re.compile(r"(!?)\[\[([^\[\]|\n]*)(?:\|([^\[\]\n]*))?\]\]")
# A kramdown attribute list ("{: .notice--info}", "[STAR](…){:target="_blank"}") styles what it
# follows and shows no words. (A backslash escape, "\[students\]", stays: the answer is markdown
# too, and renders it as the page did.)
_ATTRIBUTES = re.compile(r"\{:[^{}\n]*\}")


def clean(text: str) -> str:
    """How a quoted unit reads inside an answer (the citation keeps the exact span): on one
    line, so a hard-wrapped sentence or item stays one line of the answer with its citation
    marker, without the list or blockquote marker it had in the document, and as a page shows
    its HTML: "O(n<sup>2</sup>)" as "O(n^2)", "&lt;role&gt;" as "<role>", no tags, and no
    kramdown attribute list ("{: .notice}")."""
    text = _QUOTE_MARK.sub("", text.lstrip())  # a blockquote's "> " (on every line of it) is layout, not words
    mark = LIST_MARK.match(text) or FOOTNOTE_DEF.match(text)
    text = text[mark.end() if mark else 0 :]
    if mark and (box := _TASK_BOX.match(text)):
        text = text[box.end() :]
    return rendered(text)


def rendered(text: str) -> str:
    """Inline markup as the page shows it, on one line: HTML tags and entities, wikilinks,
    reference links, images, footnote marks and attribute lists (a table row's cells read the
    same way)."""
    # (a tag written in backticks is code the reader sees: "use `<details>` blocks")
    parts = _CODE_SPAN.split(text)
    text = "".join(part if n % 2 else html.unescape(_TAG.sub(_shown_tag, _shown_markdown(part))) for n, part in enumerate(parts))
    return " ".join(text.split())


def _shown_markdown(part: str) -> str:
    part = _ORDINAL.sub(r"\1", part)
    return _REF_LINK.sub(r"\1", _NO_WORDS.sub("", _WIKILINK.sub(_shown_link, _HARD_BREAK.sub(" ", _ATTRIBUTES.sub("", part)))))


def _shown_link(m: re.Match) -> str:
    embed, target, alias = m.groups()
    if embed:
        return ""
    if alias and alias.strip():
        return alias.strip()
    page, _, heading = target.partition("#")
    if heading.startswith("^"):  # a block reference ("[[Page#^a1b2]]") shows the page's name
        heading = ""
    return " > ".join(p.strip() for p in (page, heading) if p.strip())


def _shown_tag(m: re.Match) -> str:
    return "^" if m.group(0).lower().startswith("<sup") else " " if m.group(1) else ""



_INLINE_LINK = re.compile(r"\[([^\]\n]*)\]\(((?:https?:)?//)?([^/)\s]*)[^)\s]*\)")
_URL = re.compile(r"(?:https?://|www\.)([^/\s)]*)\S*")


def without_targets(text: str) -> str:
    """What a link tells a reader: its words and the site it goes to, not its path.
    "[Deep Networks for YouTube](https://storage.googleapis.com/pub/45530.pdf)" gives no figure,
    and "[Primer](https://github.com/donnemartin/…)" still names GitHub."""
    text = _INLINE_LINK.sub(lambda m: f"{m.group(1)} ({m.group(3)})" if m.group(2) else m.group(1), text)
    return _URL.sub(lambda m: m.group(1), text)


# What a heading shows besides its words: an emoji shortcode (":computer:", which a page renders
# as a picture), a badge (an image inside a link: "[![Tweet](…shields.io…)](…)", left as an empty
# link once its image is gone), a link's target, emphasis and code marks.
_HEADING_MARKS = re.compile(r"^[ \t]*#{1,6}[ \t]+")  # a title kept as its line was written: "### 1.2 Startups"
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z][a-z0-9_+-]*:(?![\w:])")
_EMPTY_LINK = re.compile(r"\[\s*\]\([^()\n]*\)")
_LINK_TEXT = re.compile(r"(?<!!)\[([^\[\]\n]+)\]\([^()\n]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)(\S(?:.*?\S)?)\1|(?<!\w)_(\S(?:.*?\S)?)_(?!\w)")


def heading(text: str) -> str:
    """A title or section path as a reader names it, for display only: "<a name="coding"></a>
    General Coding Interview :computer:" shows "General Coding Interview". (What is indexed keeps
    the heading as written: cleaning it there cost two dev sets, eval/README.md round 18.)
    A heading that is nothing but markup shows as written."""
    shown = _EMPTY_LINK.sub("", rendered(_SHORTCODE.sub("", _HEADING_MARKS.sub("", text))))
    shown = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3), _LINK_TEXT.sub(r"\1", shown))
    shown = " ".join(shown.split())
    return shown or " ".join(text.split())
