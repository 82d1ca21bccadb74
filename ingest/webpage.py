"""A saved web page as markdown-like text, so the structure-aware chunker and the answerer read
it as they read a user's notes: headings as ``#`` lines, lists as items (nested ones indented,
each item's text once), tables as ``| cell |`` rows under their header, paragraphs as blocks.

What a page wraps around its text is left out: scripts and styles, the site's navigation,
header banner, sidebars, footer and forms. When the page marks its content (one ``<main>`` or
one ``<article>``), only that is read. Text sitting directly in a ``<div>`` or ``<section>`` is
kept (many pages have no ``<p>``).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Doctype, ProcessingInstruction

from rag.text.tables import markdown_table

# Never content: code and page furniture.
_DROP = {"script", "style", "noscript", "template", "head", "nav", "aside", "footer", "form", "button", "select",
         "svg", "iframe", "canvas", "dialog"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"}
_HEADING = re.compile(r"h[1-6]")
_LISTS = {"ul", "ol", "menu"}
_SPACED_PUNCT = re.compile(r" ([,.;:!?])(?=\s|$)")
# Elements whose text runs on inside a paragraph.
_INLINE = {"a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "data", "del", "dfn", "em", "font", "i", "img", "ins",
           "kbd", "mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "wbr",
           "label", "output", "meter", "progress"}


def html_text(markup: str) -> str:
    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""  # read before <head> goes
    for tag in soup.find_all(_is_furniture):
        if not tag.decomposed:  # (inside furniture already dropped)
            tag.decompose()
    lines: list[str] = []
    _block(_content_root(soup), lines)
    out = "\n\n".join(lines) if lines else " ".join(soup.get_text(" ").split())
    if title and not out.lstrip().startswith("# "):  # a page opening with its own <h1> has that as its title
        out = f"# {title}\n\n{out}"
    return out


def _is_furniture(tag: Tag) -> bool:
    if tag.name in _DROP or (tag.get("role") or "").lower() in _FURNITURE_ROLES:
        return True
    # The page's banner (logo, menu) is a <header> outside the article; an article's own
    # <header> holds its title.
    return tag.name == "header" and tag.find_parent(["article", "main"]) is None


def _content_root(soup: BeautifulSoup) -> Tag:
    body = soup.body or soup
    for name in ("main", "article"):
        found = body.find_all(name)
        if len(found) == 1 and found[0].get_text(strip=True):
            return found[0]
    return body


def _text(nodes) -> str:
    text = " ".join(" ".join(n.get_text(" ") if isinstance(n, Tag) else str(n) for n in nodes).split())
    # (elements are joined with a space, so "<b>self join</b>?" read "self join ?")
    return _SPACED_PUNCT.sub(r"\1", text)


def _is_text(node) -> bool:
    return isinstance(node, NavigableString) and not isinstance(node, (Comment, Doctype, ProcessingInstruction))


def _block(el: Tag, lines: list[str]) -> None:
    """Append the blocks of `el`'s children: runs of text and inline elements become paragraphs."""
    run: list = []

    def flush() -> None:
        text = _text(run)
        if text:
            lines.append(text)
        run.clear()

    for child in el.children:
        if _is_text(child) or (isinstance(child, Tag) and child.name in _INLINE):
            run.append(child)
            continue
        if not isinstance(child, Tag):
            continue
        flush()
        if _HEADING.fullmatch(child.name):
            text = _text([child])
            if text:
                lines.append("#" * int(child.name[1]) + " " + text)
        elif child.name in _LISTS:
            items = _items(child, 0)
            if items:
                lines.append("\n".join(items))
        elif child.name == "table":
            _table(child, lines)
        elif child.name == "summary":  # a <details> block's question: it heads the answer below (rag.text.syntax.SUMMARY)
            text = _text([child])
            if text:
                lines.append(f"<summary>{text}</summary>")
        elif child.name == "pre":
            text = child.get_text().strip("\n")
            if text.strip():
                lines.append(f"```\n{text}\n```")
        else:  # p, div, section, blockquote, li outside a list, dl, figure ...
            _block(child, lines)
            if child.name == "details":
                lines.append("</details>")  # where its summary stops heading the text (rag.text.spans.closes_details)
    flush()


def _items(el: Tag, depth: int) -> list[str]:
    """One line per item: its own text, then its nested lists indented below it."""
    out: list[str] = []
    for n, item in enumerate(el.find_all("li", recursive=False), 1):
        nested = [c for c in item.children if isinstance(c, Tag) and c.name in _LISTS]
        own = _text([c for c in item.children if all(c is not sub for sub in nested)])
        if own:
            out.append(f"{'  ' * depth}{f'{n}.' if el.name == 'ol' else '-'} {own}")
        for sub in nested:
            out += _items(sub, depth + 1)
    return out


def _table(el: Tag, lines: list[str]) -> None:
    """Rows as ``| a | b |`` lines, a rule under a header row, so rows read under their header."""
    rows = []
    for tr in el.find_all("tr"):
        if tr.find_parent("table") is not el:
            continue  # a nested table's rows belong to it
        cells = tr.find_all(["th", "td"], recursive=False)
        texts = [_text([c]) for c in cells]
        if any(texts):
            rows.append((texts, all(c.name == "th" for c in cells)))
    if rows:
        lines.append(markdown_table([texts for texts, _ in rows], header=rows[0][1]))
