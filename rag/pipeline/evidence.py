"""What one question has gathered so far, passed from stage to stage.

Retrieval fills in the contexts (and a notice when it fell back); every later stage reads
document texts, quotable units and the question vector from here, so each is loaded or
computed once per question whichever stages need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from rag.pipeline.boilerplate import is_navigation, title_block_end
from rag.pipeline.candidates import Candidate, Quotable, candidates, last_heading, quotable_units
from rag.text.frontmatter import body_start
from rag.types import Context


_HEADING = re.compile(r"^#{1,6}[ \t]", re.M)
_PARAGRAPH = re.compile(r"\S(?:.|\n(?![ \t]*\n))*")
# Markup that opens a paragraph which is not prose: a heading, HTML, an image, a table, a rule.
_NOT_PROSE = ("#", "<", "!", "[!", "|", "---")
OPENING_WORDS = 8     # a shorter first paragraph is a tagline or a label, not an opening
OPENING_CHARS = 400


@dataclass
class Evidence:
    question: str
    contexts: list[Context]
    load_text: Callable[[str], str | None]
    embed_query: Callable[[str], list[float]]
    notice: str | None = None
    _texts: dict[str, str] = field(default_factory=dict, repr=False)
    _units: dict[str, list[Quotable]] = field(default_factory=dict, repr=False)
    _q_vec: np.ndarray | None = field(default=None, repr=False)
    _heads: dict[str, int] = field(default_factory=dict, repr=False)
    _openings: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def q_vec(self) -> np.ndarray:
        if self._q_vec is None:
            self._q_vec = np.asarray(self.embed_query(self.question), dtype=np.float32)
        return self._q_vec

    def text(self, source: str) -> str:
        if source not in self._texts:
            self._texts[source] = self.load_text(source) or ""
        return self._texts[source]

    def doc_texts(self, contexts: list[Context] | None = None) -> dict[str, str]:
        """Source -> text for the documents of `contexts` (default: all contexts)."""
        return {c.chunk.source: self.text(c.chunk.source) for c in (self.contexts if contexts is None else contexts)}

    def head_end(self, source: str) -> int:
        """End of the document's title block (title, subtitle, tagline): never quoted."""
        if source not in self._heads:
            text = self.text(source)
            start = body_start(text)
            heading = _HEADING.search(text, start)
            self._heads[source] = title_block_end(text, start, heading.start() if heading else None)
        return self._heads[source]

    def opening(self, source: str) -> str:
        """The document's first paragraph of prose after its title block (at most OPENING_CHARS):
        where a guide says whom it is for ("As an ML engineer, you're first expected to …")."""
        if source not in self._openings:
            text = self.text(source)
            paragraphs = (m.group(0) for m in _PARAGRAPH.finditer(text, self.head_end(source)))
            prose = (p for p in paragraphs if not p.startswith(_NOT_PROSE) and len(p.split()) >= OPENING_WORDS)
            self._openings[source] = next(prose, "")[:OPENING_CHARS].rstrip()
        return self._openings[source]

    def introduction(self, source: str) -> str:
        """What says whose the document is and what it is about: its title block, the bylines
        before its opening paragraph, and that paragraph. (Not its front matter, whose keyword lists
        name what readers search for, nor the sections before the opening.)"""
        text, head_end, opening = self.text(source), self.head_end(source), self.opening(source)
        end = text.find(opening, head_end) if opening else head_end
        before = _PARAGRAPH.finditer(text, head_end, max(end, head_end))
        bylines = [m.group(0) for m in before if is_navigation(m.group(0))]
        return "\n\n".join([text[body_start(text): head_end], *bylines, opening])

    def units(self, ctx: Context) -> list[Quotable]:
        chunk = ctx.chunk
        if chunk.chunk_id not in self._units:
            self._units[chunk.chunk_id] = quotable_units(self.text(chunk.source), chunk.start, chunk.end,
                                                         self.head_end(chunk.source), last_heading(chunk.header_path))
        return self._units[chunk.chunk_id]

    def candidates(self, contexts: list[Context]) -> list[Candidate]:
        """Fresh candidates of `contexts` in their current order (scores not yet set)."""
        return candidates(self.doc_texts(contexts), contexts, self.units)

    def add_notice(self, notice: str | None) -> None:
        self.notice = " ".join(n for n in (self.notice, notice) if n) or None
