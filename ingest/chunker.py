"""Structure-aware chunking that keeps exact source offsets.

Chunks never cross a section (a markdown heading, or in a plain-text document without
any, a heading-like line: see rag.text.plain_headings), break only between
sentences / list items / table rows / code blocks (a single unit larger than the chunk
is cut at token boundaries), and always equal ``document.text[start:end]``.

Chunk size is counted in cheap tokens (rag.text.lexical) of the chunk text, but what is
embedded is title + section path + text, and the model reads only so many of its own
tokens. With an ``EmbedWindow`` (the model's tokenizer and limit, see ``embed_window``)
a chunk whose embedded text would not fit gets a shorter prefix (same chunk, same id),
or, when its text alone is too long, is split further at unit boundaries where it can
be: the chunk text is never silently cut.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, Document, MetadataMode, TextNode

from rag.text.lexical import TOKEN, count_tokens
from rag.text.spans import Unit, split_sections

log = logging.getLogger(__name__)

# Only these reach the embedding model / BM25 next to the chunk text; everything else is
# bookkeeping for citations and filters.
EMBED_METADATA_KEYS = ("title", "header_path")
# How an embedded prefix that leaves the chunk no room is shortened, step by step.
PREFIX_CUTS: tuple[tuple[str, ...], ...] = ((), ("title",), ("title", "header_path"))


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    header_path: str


Counted = tuple[Unit, int]  # a unit and its cheap token count
Group = tuple[str, list[Counted]]  # a chunk to be: its section path and its units


class EmbedWindow:
    """The embedding model's input limit: ``count(texts)`` in its own tokens (special
    tokens included), at most ``max_tokens`` of which it reads."""

    def __init__(self, max_tokens: int, count: Callable[[list[str]], list[int]]):
        self.max_tokens = max_tokens
        self.count = count


def embed_window(embedder) -> EmbedWindow | None:
    """The window of `embedder` when its tokenizer can be reached publicly, else None
    (chunks are then sized by cheap tokens only, as before)."""
    count, limit = getattr(embedder, "count_tokens", None), getattr(embedder, "max_tokens", None)
    if callable(count) and isinstance(limit, int):  # rag.models.onnx_embedding.OnnxEmbedding
        return EmbedWindow(limit, count)
    hf = sys.modules.get("llama_index.embeddings.huggingface")  # loaded iff such an embedder exists
    if hf is not None and isinstance(embedder, hf.HuggingFaceEmbedding) and embedder.max_length:
        try:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(embedder.model_name)
        except (OSError, ValueError) as exc:
            log.warning("no tokenizer for %s, chunks are not checked against its window: %s", embedder.model_name, exc)
            return None
        return EmbedWindow(int(embedder.max_length),
                           lambda texts: [len(ids) for ids in tokenizer(texts, verbose=False)["input_ids"]])
    return None


def chunk_groups(text: str, body_start: int, size: int, overlap: int,
                 plain_headings: bool | None = None) -> list[Group]:
    """Chunks to be, section by section. ``plain_headings``: whether heading-like lines of
    plain text start sections; None decides from the text (no markdown heading in it)."""
    groups: list[Group] = []
    for section in split_sections(text, body_start, plain_headings=plain_headings):
        units: list[Counted] = []
        for unit in section.units:
            n = count_tokens(text[unit.start : unit.end])
            if n > size:
                units.extend((piece, count_tokens(text[piece.start : piece.end])) for piece in _cut(text, unit, size))
            else:
                units.append((unit, n))
        groups.extend((section.header_path, chunk) for chunk in _pack(units, size, overlap))
    return groups


def chunk_spans(text: str, body_start: int, size: int, overlap: int, plain_headings: bool | None = None) -> list[Span]:
    return [Span(units[0][0].start, units[-1][0].end, path)
            for path, units in chunk_groups(text, body_start, size, overlap, plain_headings)]


def _cut(text: str, unit: Unit, size: int) -> list[Unit]:
    """Split one oversized unit at token boundaries into pieces of at most `size` tokens."""
    tokens = list(TOKEN.finditer(text, unit.start, unit.end))
    return [
        Unit(tokens[i].start(), tokens[min(i + size, len(tokens)) - 1].end(), unit.kind)
        for i in range(0, len(tokens), size)
    ]


def _pack(units: list[Counted], size: int, overlap: int) -> list[list[Counted]]:
    """Greedy packing; each chunk may start with the previous chunk's last units (overlap)."""
    chunks: list[list[Counted]] = []
    current: list[tuple[Unit, int]] = []
    total = 0
    fresh = False  # does `current` hold a unit no chunk has emitted yet?
    for unit, n in units:
        if current and total + n > size:
            if fresh:
                chunks.append(current)
            tail: list[tuple[Unit, int]] = []
            tail_total = 0
            for prev in reversed(current[1:]):
                if tail_total + prev[1] > overlap or tail_total + prev[1] + n > size:
                    break
                tail.insert(0, prev)
                tail_total += prev[1]
            # Headings carry no content of their own; never let an overlap end on one.
            while tail and tail[-1][0].kind == "heading":
                tail_total -= tail.pop()[1]
            current, total = tail, tail_total
        current.append((unit, n))
        total += n
        fresh = True
    if current and fresh:
        chunks.append(current)
    return chunks


def _halves(text: str, units: list[Counted]) -> tuple[list[Counted], list[Counted]] | None:
    """Two parts of a chunk, split where the cheap tokens are closest to half: between
    units, never right after a heading, else by cutting its largest unit in two. None for
    a single token."""
    for allow_heading in (False, True):
        total, acc, best = sum(n for _, n in units), 0, None
        for k in range(1, len(units)):
            acc += units[k - 1][1]
            if (allow_heading or units[k - 1][0].kind != "heading") and (best is None or abs(2 * acc - total) < best[1]):
                best = (k, abs(2 * acc - total))
        if best:
            return units[: best[0]], units[best[0] :]
        candidates = [i for i, (u, n) in enumerate(units) if n > 1 and (allow_heading or u.kind != "heading")]
        if candidates:
            i = max(candidates, key=lambda j: units[j][1])
            unit, n = units[i]
            pieces = [(p, count_tokens(text[p.start : p.end])) for p in _cut(text, unit, (n + 1) // 2)]
            return _halves(text, units[:i] + pieces + units[i + 1 :])
    return None


def chunk_id(source: str, content_hash: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{source}\0{content_hash}\0{start}\0{end}".encode()).hexdigest()[:24]


class SpanChunker(NodeParser):
    """llama-index NodeParser over :func:`chunk_groups` (offsets are exact, not re-found)."""

    chunk_size: int = 180
    chunk_overlap: int = 30
    window: Optional[EmbedWindow] = None  # the embedding model's, when known

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for doc in nodes:
            out.extend(self.chunk_document(doc))
        return out

    def chunk_document(self, doc: BaseNode) -> list[TextNode]:
        """Chunks of `doc`, cut at markdown headings only unless its metadata says
        ``plain_headings`` (bookkeeping, not stored with the chunks).

        Plain-text heading-like lines stay inside chunks: cutting sections at them measured
        worse on the foreign sets (seeds hit@5 0.848 -> 0.667: the short labelled sections of
        web-extracted text make many small chunks). The answer path still reads them as
        headings (never quoted, and the context of the sentences under them)."""
        text = doc.get_content()
        meta = doc.metadata
        groups = chunk_groups(text, int(meta.get("body_start", 0)), self.chunk_size, self.chunk_overlap,
                              bool(meta.get("plain_headings", False)))
        nodes = [_node(text, meta, seq, group) for seq, group in enumerate(groups)]
        if self.window is None or not nodes:
            return nodes
        counts = self.window.count([n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes])
        if all(c <= self.window.max_tokens for c in counts):
            return nodes
        planned: list[tuple[Group, tuple[str, ...]]] = []
        for group, c in zip(groups, counts):
            planned.extend([(group, ())] if c <= self.window.max_tokens else self._fit(text, meta, group))
        return [_node(text, meta, seq, group, drop) for seq, (group, drop) in enumerate(planned)]

    def _fits(self, text: str, meta: dict, group: Group, drop: tuple[str, ...] = ()) -> bool:
        embedded = _node(text, meta, 0, group, drop).get_content(metadata_mode=MetadataMode.EMBED)
        return self.window.count([embedded])[0] <= self.window.max_tokens

    def _fit(self, text: str, meta: dict, group: Group) -> list[tuple[Group, tuple[str, ...]]]:
        """An overflowing chunk made to fit: first by a shorter prefix (the title line, which
        the section path usually starts with; then the section path too), so the chunk
        itself is unchanged; else split with the fullest prefix a single token fits with."""
        for drop in PREFIX_CUTS[1:]:
            if self._fits(text, meta, group, drop):
                return [(group, drop)]
        path, units = group
        for drop in PREFIX_CUTS:
            if self._fits(text, meta, (path, [_first_token(text, units[0][0])]), drop):
                return [(part, drop) for part in self._split(text, meta, group, drop)]
        log.warning("%s: a single token does not fit the embedding window (%d tokens); chunk %d-%d is cut",
                    meta.get("source"), self.window.max_tokens, units[0][0].start, units[-1][0].end)
        return [(group, PREFIX_CUTS[-1])]

    def _split(self, text: str, meta: dict, group: Group, drop: tuple[str, ...]) -> list[Group]:
        """`group` split in halves until each part's embedded text fits the window."""
        path, units = group
        halves = _halves(text, units)
        if halves is None:
            return [group]
        return [part for half in halves for part in
                ([(path, half)] if self._fits(text, meta, (path, half), drop) else self._split(text, meta, (path, half), drop))]

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        # The base class re-finds each chunk with str.find, which can land on an earlier
        # copy of repeated text; our offsets are already exact, so put them back.
        exact = {n.node_id: (n.start_char_idx, n.end_char_idx) for n in nodes}
        nodes = super()._postprocess_parsed_nodes(nodes, parent_doc_map)
        for n in nodes:
            n.start_char_idx, n.end_char_idx = exact[n.node_id]
        return nodes


def _first_token(text: str, unit: Unit) -> Counted:
    m = TOKEN.search(text, unit.start, unit.end)
    return (Unit(m.start(), m.end(), unit.kind), 1) if m else (unit, 0)


def _node(text: str, meta: dict, seq: int, group: Group, drop: tuple[str, ...] = ()) -> TextNode:
    """The chunk as a llama-index node; `drop` names prefix keys left out of its embedded text."""
    path, units = group
    start, end = units[0][0].start, units[-1][0].end
    node_meta = {k: v for k, v in meta.items() if k not in ("body_start", "plain_headings")}
    node_meta.update(start=start, end=end, seq=seq, header_path=path)
    excluded = [k for k in node_meta if k not in EMBED_METADATA_KEYS]
    return TextNode(
        id_=chunk_id(meta["source"], meta["content_hash"], start, end),
        text=text[start:end],
        metadata=node_meta,
        start_char_idx=start,
        end_char_idx=end,
        excluded_embed_metadata_keys=excluded + [k for k in drop if k not in excluded],
        excluded_llm_metadata_keys=excluded,
    )
