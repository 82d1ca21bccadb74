"""Rendering helpers. Document text (and anything an LLM says) is untrusted.

Two ways text reaches the page, both inert:
- ``md_escape``: markdown with every ASCII punctuation character backslash-escaped, so
  no link, image, HTML tag, emphasis, math or directive can form (st.markdown without
  unsafe_allow_html). Answers keep only **bold** (escaped inside) and `code` spans.
- ``html_text``: html.escape() plus numeric entities for markdown's punctuation, for the
  one place that uses unsafe_allow_html (the highlighted passage); the only tags in
  that markup are ours (<div>, <mark>, <br>, <span>).
"""

from __future__ import annotations

import html
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import streamlit as st

from rag.text.frontmatter import read_front_matter
from rag.text.shown import heading
from rag.types import SourceSpan
from ui.state import display_path

_PUNCT = set(string.punctuation)
_MD_IN_HTML = {ord(c): f"&#{ord(c)};" for c in "[]()*_`$~:\\|!{}+-=^#"}
_MARKER = re.compile(r"\[(\d{1,3})\]")
_BULLET = re.compile(r"^\s*(?:([-*+])|(\d{1,3})[.)])\s+")
CONTEXT_CHARS = 220  # shown on each side of a cited span

# (pre-wrap: a cited code block keeps its indentation; HTML would collapse it)
PASSAGE_STYLE = (
    "border-left:3px solid #f0b429;padding:0.6rem 0.8rem;margin:0.25rem 0 0.6rem 0;"
    "background:rgba(127,127,127,0.07);border-radius:0 6px 6px 0;font-size:0.9rem;line-height:1.55;"
    "white-space:pre-wrap"
)
MARK_STYLE = "background:#ffe58a;color:#1f1f1f;padding:0.05rem 0.15rem;border-radius:3px"


def stream_escape(token: str) -> str:
    """Backslash-escape every ASCII punctuation character (safe token by token)."""
    return "".join("\\" + ch if ch in _PUNCT else ch for ch in token)


_SAFE_INLINE = re.compile(r"\*\*([^*\n]+?)\*\*|`([^`\n]+)`")


def inline_markdown(text: str) -> str:
    """Escape `text` but keep **bold** and `code` (neither can carry a link or a tag)."""
    out, pos = [], 0
    for m in _SAFE_INLINE.finditer(text):
        out.append(stream_escape(text[pos:m.start()]))
        out.append(f"**{stream_escape(m.group(1))}**" if m.group(1) is not None else f"`{m.group(2)}`")
        pos = m.end()
    out.append(stream_escape(text[pos:]))
    return "".join(out)


def md_escape(text: str) -> str:
    """Plain text for st.markdown: punctuation escaped, lines trimmed (no code blocks)."""
    return "\n".join(line.strip() for line in stream_escape(text).split("\n"))


def html_text(text: str) -> str:
    """Untrusted text for HTML markup: escaped, markdown-inert, newlines as <br>."""
    escaped = html.escape(text, quote=True).translate(_MD_IN_HTML)
    return escaped.replace("\r", "").replace("\n", "<br>")


def error_line(exc: BaseException, limit: int = 300) -> str:
    """An exception as one line for the user: its type and the first line of its message."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0][:limit]}" if lines else type(exc).__name__


def marker_md(n: int | str) -> str:
    return f":blue[**\\[{int(n)}\\]**]"


_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})[ \t]*([\w+#.-]*)")
_TICKS = re.compile(r"`+")


def _code_block(lines: list[str]) -> str:
    """A quoted code block (rag.pipeline.code_blocks) as markdown shows code: its lines verbatim,
    inside a fence longer than any run of backticks in them, so nothing in the quote ends it early."""
    opening = _FENCE.match(lines[0])
    closes = len(lines) > 1 and _FENCE.match(lines[-1]) is not None
    body = lines[1:-1] if closes else lines[1:]
    fence = "`" * max([3] + [len(t) + 1 for line in body for t in _TICKS.findall(line)])
    return "\n".join([f"{fence}{opening.group(2) if opening else ''}", *body, fence])


def answer_markdown(answer: str) -> str:
    """The answer as safe markdown: keeps paragraphs, bullets, code blocks and [n] markers."""
    lines: list[str] = []
    raws = answer.split("\n")
    i = 0
    while i < len(raws):
        raw = raws[i]
        i += 1
        opening = _FENCE.match(raw)
        if opening:
            end = next((j for j in range(i, len(raws)) if raws[j].lstrip().startswith(opening.group(1))), len(raws) - 1)
            lines.append(_code_block(raws[i - 1 : end + 1]))
            i = end + 1
            continue
        if not raw.strip():
            lines.append("")
            continue
        prefix, body = "", raw.strip()
        m = _BULLET.match(raw)
        if m:
            prefix = "- " if m.group(1) else f"{int(m.group(2))}. "
            body = raw[m.end():].strip()
        parts, pos = [], 0
        for mm in _MARKER.finditer(body):
            parts.append(inline_markdown(body[pos:mm.start()]))
            parts.append(marker_md(mm.group(1)))
            pos = mm.end()
        parts.append(inline_markdown(body[pos:]))
        lines.append(prefix + "".join(parts))
    return "\n".join(lines).strip()


# -- cited passages -------------------------------------------------------------------
@dataclass
class SourceView:
    """One source under an answer, with the passage(s) to show; built at answer time."""

    marker: int | None
    title: str
    path: str
    roles: list[str]
    kind: str
    section: str = ""
    page: int | None = None
    supported: bool = True
    windows: list[list[tuple[str, bool]]] = field(default_factory=list)  # [(text, highlighted)]


def body_start(doc_text: str) -> int:
    """Offset after YAML front matter (as ingest reads it), so passages never show it."""
    return read_front_matter(doc_text)[1]


def passage_windows(doc_text: str, spans: list[tuple[int, int]], context: int = CONTEXT_CHARS) -> list[list[tuple[str, bool]]]:
    """Windows of surrounding text with the cited spans marked (overlapping ones merged)."""
    n, lo = len(doc_text), body_start(doc_text)
    spans = sorted((max(0, s), min(n, e)) for s, e in spans if e > s)
    windows: list[tuple[int, int, list[tuple[int, int]]]] = []
    for s, e in spans:
        ws, we = max(min(lo, s), s - context), min(n, e + context)
        if windows and ws <= windows[-1][1]:
            prev = windows[-1]
            windows[-1] = (prev[0], max(prev[1], we), prev[2] + [(s, e)])
        else:
            windows.append((ws, we, [(s, e)]))
    out = []
    for ws, we, marks in windows:
        first, last = marks[0][0], max(e for _, e in marks)
        if ws > lo:  # start at a word boundary
            cut = doc_text.find(" ", ws, first)
            ws = cut + 1 if cut != -1 else ws
        if we < n:
            cut = doc_text.rfind(" ", last, we)
            we = cut if cut != -1 else we
        segs: list[tuple[str, bool]] = [("… ", False)] if ws > lo else []
        pos = ws
        for s, e in marks:
            s = max(s, pos)
            if s > pos:
                segs.append((doc_text[pos:s], False))
            if e > s:
                segs.append((doc_text[s:e], True))
            pos = max(pos, e)
        if we > pos:
            segs.append((doc_text[pos:we], False))
        if we < n:
            segs.append((" …", False))
        out.append(segs)
    return out


def passage_html(segments: list[tuple[str, bool]]) -> str:
    inner = "".join(
        f'<mark style="{MARK_STYLE}">{html_text(t)}</mark>' if hl else html_text(t) for t, hl in segments
    )
    return f'<div class="crag-passage" style="{PASSAGE_STYLE}">{inner}</div>'


class SourceViews:
    """The one SourceView builder (chat, practice, compare): a cited span in its passage.

    Each document's text and record is read from the index at most once per builder;
    texts already read (the engine's, for an answer) are passed in and not read again.
    """

    def __init__(self, index, texts: Mapping[str, str] | None = None):
        self._index = index
        self._texts: dict[str, str] = dict(texts or {})
        self._docs: dict | None = None

    def text(self, source: str) -> str:
        if source not in self._texts:
            self._texts[source] = self._index.doc_text(source) or ""
        return self._texts[source]

    def _doc(self, source: str):
        if self._docs is None:
            self._docs = self._index.docs()
        return self._docs.get(source)

    def cited(self, spans: Sequence[SourceSpan], marker: int | None, *, section: str = "", chunk=None,
              supported: bool = True) -> SourceView:
        """The spans (of the first span's document) highlighted in their surrounding text.

        Roles, kind and page come from ``chunk`` (a retrieved ChunkRecord) when given,
        else from the document's record.
        """
        first = spans[0]
        if chunk is not None:
            roles, kind, page = chunk.roles, chunk.kind, chunk.page
        else:
            doc = self._doc(first.source)
            roles, kind, page = (doc.roles, doc.kind, None) if doc else ([], "", None)
        text = self.text(first.source)
        marks = [(s.start, s.end) for s in spans if s.source == first.source]
        return SourceView(
            marker=marker, title=heading(first.title), path=display_path(first.source), roles=list(roles), kind=kind,
            section=heading(section), page=page, supported=supported,
            windows=passage_windows(text, marks) if text else [[(first.text, True)]],
        )

    @staticmethod
    def passage(chunk) -> SourceView:
        """A retrieved passage as it is, nothing highlighted (the nearest ones of a refusal)."""
        return SourceView(
            marker=None, title=heading(chunk.title), path=display_path(chunk.source), roles=list(chunk.roles), kind=chunk.kind,
            section=heading(chunk.header_path), page=chunk.page, windows=[[(chunk.text.strip(), False)]],
        )


def _find_context(contexts, source: str, start: int, end: int):
    for ctx in contexts:
        c = ctx.chunk
        if c.source == source and c.start <= start and end <= c.end:
            return ctx
    return next((ctx for ctx in contexts if ctx.chunk.source == source), None)


def cited_sources(answer, views: SourceViews) -> list[SourceView]:
    """Group an answer's citations by marker: one SourceView per [n]."""
    by_marker: dict[int, list] = {}
    for cit in answer.citations:
        by_marker.setdefault(cit.marker, []).append(cit)
    out: list[SourceView] = []
    for marker in sorted(by_marker):
        cits = by_marker[marker]
        ctx = _find_context(answer.contexts, cits[0].source, cits[0].start, cits[0].end)
        chunk = ctx.chunk if ctx else None
        out.append(views.cited(cits, marker, section=chunk.header_path if chunk else "", chunk=chunk,
                               supported=all(c.supported for c in cits)))
    return out


def nearest_sources(answer, limit: int = 3) -> list[SourceView]:
    """For a refusal: the closest passages, shown without a highlight."""
    return [SourceViews.passage(ctx.chunk) for ctx in answer.contexts[:limit]]


def source_caption(v: SourceView) -> str:
    bits = [f"`{v.path}`" if "`" not in v.path else md_escape(v.path)]
    if v.kind:
        bits.append(md_escape(v.kind))
    if v.roles:
        roles = v.roles if len(v.roles) <= 3 else v.roles[:3] + [f"{len(v.roles) - 3} more roles"]
        bits.append(md_escape(", ".join(roles)))
    if v.section:
        bits.append("§ " + md_escape(v.section))
    if v.page:
        bits.append(f"page {int(v.page)}")
    return " · ".join(bits)


def render_source(v: SourceView, expanded: bool = False) -> None:
    label = (f"\\[{v.marker}\\] " if v.marker is not None else "") + md_escape(v.title or v.path)
    icon = ":material/description:" if v.supported else ":material/warning:"
    with st.expander(label, expanded=expanded, icon=icon):
        st.caption(source_caption(v))
        if not v.supported:
            st.caption(":orange[This passage does not clearly support the sentence that cites it.]")
        for segs in v.windows:
            st.markdown(passage_html(segs), unsafe_allow_html=True)


def empty_index(cfg, reason: str | None = None) -> None:
    """What the app shows when there is no usable index."""
    if reason:
        st.error("The index could not be opened.", icon=":material/error:")
        st.code(reason, language=None, wrap_lines=True)
        st.markdown("If the index was built with other settings, rebuild it:")
        st.code(f"career-rag ingest corpus/ --index {cfg.index_dir} --rebuild", language="bash")
        return
    st.info("No index yet — there is nothing to answer from.", icon=":material/inventory_2:")
    st.markdown("Build one from the shipped study corpus, then reload this page:")
    st.code(f"career-rag ingest corpus/ --index {cfg.index_dir}", language="bash")
    st.markdown("Or add your own notes on the **Corpus** page (they are indexed on upload).")
