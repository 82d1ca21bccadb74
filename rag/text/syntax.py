"""What a markdown line is, read alone: a heading ("## Title", a title underlined with
"===" / "---", or the summary of an HTML <details> block), a code fence, a list item's
marker, or markup a reader never sees. The splitter (rag.text.spans), the answerer's units,
study mode and the PDF reader share these, so a list is a list everywhere.
"""

from __future__ import annotations

import re

HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
# A heading's own anchor or attributes, which the page never shows: "### Plan your time {#plan}"
# (MkDocs, Docusaurus, Pandoc).
_HEADING_ATTRS = re.compile(r"[ \t]*\{[ \t]*[#.][^{}\n]*\}[ \t]*$")
# An HTML heading on a line of its own, as GitHub READMEs write titles and some question lists
# their questions: '<h1 align="center">Frontend Interview</h1>', '<h3 id="x">What is a closure?</h3>'.
# A heading of its level; one with no words ("<h1><img src=logo.png></h1>") is markup.
HTML_HEADING = re.compile(r"^[ \t]*(?:<[^>\n]*>[ \t]*)*?<h([1-6])\b[^>\n]*>(.*?)</h\1\s*>(?:[ \t]*<[^>\n]*>)*[ \t]*$", re.I)
# A setext heading: a line of its own underlined with "===" (level 1) or "---" (level 2).
SETEXT = re.compile(r"^[ \t]{0,3}(={3,}|-{3,})[ \t]*$")
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
# A word, not a stray marker or number ("4." where a chunk cut a nested list).
A_WORD = re.compile(r"[^\W\d_]{2,}")
_FENCE_LINE = re.compile(FENCE.pattern, re.M)
# A list item's marker: markdown's, or a bullet character that text copied from web pages,
# word processors and PDFs keeps ("• SQL window functions"). Without them such a list read as
# one sentence running across its items.
# An HTML item ("<li><strong>Systems</strong>: building distributed systems", its "</li>" often
# left out, as GitBook books and READMEs write lists in tables) is an item too.
BULLETS = "-*+•·▪◦‣–"
LIST_MARK = re.compile(rf"[ \t]*(?:(?:[{BULLETS}]|\d{{1,3}}[.)])[ \t]+|<li\b[^>\n]*>[ \t]*)")
# A line opened by a symbol and a space ("✅ Check your webcam", "👉 Practise daily", "→ Ask why"):
# two or more such lines in a row (blank lines aside) are the items of a list, as social posts and
# chat messages write lists; read as one paragraph, they ran together into one sentence. The symbol
# stays in the quote: a "✅" or "❌" is part of what the item says. An arrow typed as "->" or "=>"
# marks an item too, with or without a space after it ("->Name class properly").
SYMBOL_MARK = re.compile(r"[ \t]{0,3}(?:[^\w\s\"'“‘(\[{<>#|*`~=_\\/.,;:!?&%$@^+-]\ufe0f?[ \t]+|(?:-{1,2}|=)>(?!>)[ \t]*)(?=\S)")
# A footnote's definition ("[^3]: HackerRank is a company …"): a page shows it in a numbered list
# at its foot, without the label.
FOOTNOTE_DEF = re.compile(r"[ \t]{0,3}\[\^[^\]\n]+\]:[ \t]*")


# Markup in a markdown file that a reader of the rendered page never sees as text: a line of
# tags only ("<details>", "</p>", "<InDocAd />"), a template or MDX statement ("{% include
# ad.html %}", "{{< youtube id >}}", "import X from './x'"), an admonition or content-tab
# marker (Docusaurus ":::tip", MkDocs '!!! note "Title"' / "??? note", '=== "Senior"', a GitHub
# alert or Obsidian callout "> [!TIP] Title"), a line of tags only ("#interview #sql", as
# Obsidian, Bear and Logseq notes file themselves; "# Title", with its space, is a heading), or
# the target of a reference-style link ("[1]: https://example.com/guide").
# It separates blocks as a blank line does; glued to the text under it, it was quoted with it.
MARKUP_LINE = re.compile(
    r"^[ \t]*(?:(?:<[^>\n]*>[ \t]*)+|\{%.*%\}|\{\{.*\}\}|(?:import|export)\s.*\sfrom\s+['\"][^'\"\n]+['\"];?"
    r"|:::.*|(?:!!!|\?\?\?\+?)[ \t]*[A-Za-z][\w-]*(?:[ \t]+\"[^\"\n]*\")?|===[ \t]+\"[^\"\n]*\""
    r"|>[ \t]*\[![A-Za-z]+\][+-]?.*"
    r"|#[^\W\d][\w/-]*(?:[ \t]+#[^\W\d][\w/-]*)*"
    r"|\[[^\]\n^]+\]:[ \t]*<?(?:[A-Za-z][\w+.-]*:|www\.|[./#])\S*(?:[ \t]+[\"'(].*)?)[ \t]*$")
# An HTML tag left open at the end of its line: its attributes run on over the next lines.
OPEN_TAG = re.compile(r"^[ \t]*<[A-Za-z][\w.-]*(?:[ \t][^<>\n]*)?$")
# An HTML comment ("<!-- draft: ... -->") or an MDX one ("{/* TODO: ... */}"), on one line or
# several: the page never shows it. COMMENT_CLOSE maps an opener to its closer.
COMMENT_OPEN = re.compile(r"^[ \t]*(<!--|\{/\*)")
COMMENT_CLOSE = {"<!--": "-->", "{/*": "*/}"}
# The summary of a <details> block: in question-and-answer repositories it is the question and
# the block its answer ("<details><summary>What does ROW_NUMBER() do?</summary>It numbers ...").
# It heads what follows, one level below any markdown heading.
SUMMARY = re.compile(r"^[ \t]*(?:<[^>\n]*>[ \t]*)*<summary\b[^>\n]*>(.*?)</summary>", re.I)
SUMMARY_LEVEL = 7
_TAG = re.compile(r"<[^>\n]*>")


def line_indent(text: str, pos: int) -> int:
    """The indentation of the line that holds offset `pos`, up to `pos` (a tab counts four):
    how deep a list item at `pos` is nested."""
    prefix = text[text.rfind("\n", 0, pos) + 1 : pos].expandtabs(4)
    return len(prefix) - len(prefix.lstrip())


def markdown_heading(block: str) -> tuple[int, str] | None:
    """(level, title) of a markdown heading block: "## Title", a title underlined with
    "===" (1) or "---" (2), an HTML heading with words ("<h2>Title</h2>"), or a <details>
    block's summary (SUMMARY_LEVEL); None for anything else."""
    m = HEADING.match(block)
    if m:
        return len(m.group(1)), _HEADING_ATTRS.sub("", m.group(2)).strip()
    found = _html_heading(block)
    if found and found[1]:
        return found
    m = SUMMARY.match(block)
    if m:
        return SUMMARY_LEVEL, " ".join(_TAG.sub(" ", m.group(1)).split())
    title, _, rule = block.partition("\n")
    under = SETEXT.match(rule)
    if under and title.strip():
        return (1 if under.group(1)[0] == "=" else 2), title.strip()
    return None


def html_heading(line: str) -> bool:
    """Whether a line is an HTML heading with words (see HTML_HEADING)."""
    found = _html_heading(line)
    return bool(found and found[1])


def _html_heading(line: str) -> tuple[int, str] | None:
    """(level, words) of an HTML heading line, the words without their tags; None for other lines."""
    m = HTML_HEADING.match(line)
    return (int(m.group(1)), " ".join(_TAG.sub("", m.group(2)).split())) if m else None


def open_fence(text: str, pos: int) -> str | None:
    """The fence of the code block `pos` lies inside ("```" or "~~~"), or None."""
    fence = None
    for m in _FENCE_LINE.finditer(text, 0, pos):
        if fence is None:
            fence = m.group(1)
        elif m.group(1) == fence:
            fence = None
    return fence
