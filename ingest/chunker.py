"""Structure-aware chunking that keeps exact source offsets.

Chunks never cross a markdown section, break only between sentences / list items /
table rows / code blocks (a single unit larger than the chunk is cut at token
boundaries), and always equal ``document.text[start:end]``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Sequence

from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, Document, TextNode

from rag.text.lexical import TOKEN, count_tokens
from rag.text.spans import Unit, split_sections

# Only these reach the embedding model / BM25 next to the chunk text; everything else is
# bookkeeping for citations and filters.
EMBED_METADATA_KEYS = ("title", "header_path")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    header_path: str


def chunk_spans(text: str, body_start: int, size: int, overlap: int) -> list[Span]:
    spans: list[Span] = []
    for section in split_sections(text, body_start):
        units: list[tuple[Unit, int]] = []
        for unit in section.units:
            n = count_tokens(text[unit.start : unit.end])
            if n > size:
                units.extend((piece, count_tokens(text[piece.start : piece.end])) for piece in _cut(text, unit, size))
            else:
                units.append((unit, n))
        spans.extend(Span(a.start, b.end, section.header_path) for a, b in _pack(units, size, overlap))
    return spans


def _cut(text: str, unit: Unit, size: int) -> list[Unit]:
    """Split one oversized unit at token boundaries into pieces of at most `size` tokens."""
    tokens = list(TOKEN.finditer(text, unit.start, unit.end))
    return [
        Unit(tokens[i].start(), tokens[min(i + size, len(tokens)) - 1].end(), unit.kind)
        for i in range(0, len(tokens), size)
    ]


def _pack(units: list[tuple[Unit, int]], size: int, overlap: int) -> list[tuple[Unit, Unit]]:
    """Greedy packing; each chunk may start with the previous chunk's last units (overlap)."""
    chunks: list[tuple[Unit, Unit]] = []
    current: list[tuple[Unit, int]] = []
    total = 0
    fresh = False  # does `current` hold a unit no chunk has emitted yet?
    for unit, n in units:
        if current and total + n > size:
            if fresh:
                chunks.append((current[0][0], current[-1][0]))
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
        chunks.append((current[0][0], current[-1][0]))
    return chunks


def chunk_id(source: str, content_hash: str, start: int, end: int) -> str:
    return hashlib.sha1(f"{source}\0{content_hash}\0{start}\0{end}".encode()).hexdigest()[:24]


class SpanChunker(NodeParser):
    """llama-index NodeParser over :func:`chunk_spans` (offsets are exact, not re-found)."""

    chunk_size: int = 180
    chunk_overlap: int = 30

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for doc in nodes:
            out.extend(self.chunk_document(doc))
        return out

    def chunk_document(self, doc: BaseNode) -> list[TextNode]:
        text = doc.get_content()
        meta = doc.metadata
        body_start = int(meta.get("body_start", 0))
        nodes: list[TextNode] = []
        for seq, span in enumerate(chunk_spans(text, body_start, self.chunk_size, self.chunk_overlap)):
            node_meta = {k: v for k, v in meta.items() if k != "body_start"}
            node_meta.update(start=span.start, end=span.end, seq=seq, header_path=span.header_path)
            excluded = [k for k in node_meta if k not in EMBED_METADATA_KEYS]
            nodes.append(
                TextNode(
                    id_=chunk_id(meta["source"], meta["content_hash"], span.start, span.end),
                    text=text[span.start : span.end],
                    metadata=node_meta,
                    start_char_idx=span.start,
                    end_char_idx=span.end,
                    excluded_embed_metadata_keys=excluded,
                    excluded_llm_metadata_keys=excluded,
                )
            )
        return nodes

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        # The base class re-finds each chunk with str.find, which can land on an earlier
        # copy of repeated text; our offsets are already exact, so put them back.
        exact = {n.node_id: (n.start_char_idx, n.end_char_idx) for n in nodes}
        nodes = super()._postprocess_parsed_nodes(nodes, parent_doc_map)
        for n in nodes:
            n.start_char_idx, n.end_char_idx = exact[n.node_id]
        return nodes
