"""Dense (Chroma), BM25 and hybrid (reciprocal rank fusion) retrieval over one index.

The retrievers are llama-index's own; this module wires them to the index, applies
role/kind filters, embeds the question once for all of them, and hydrates results from
the manifest so every context carries exact offsets. Chunks the manifest has not
committed (e.g. during an interrupted ingest) are dropped here.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from functools import lru_cache

from chromadb.errors import ChromaError, NotFoundError

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores import FilterCondition, FilterOperator, MetadataFilter, MetadataFilters
from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryMode

from rag.errors import first_line
from rag.store.metadata import role_key
from rag.store.manifest import Index, IndexError_, IndexMismatchError, IndexMissingError
from rag.types import Context

log = logging.getLogger(__name__)


def reciprocal_rank_fusion(result_lists, k: int = 60):
    """RRF keyed on node id.

    llama-index's QueryFusionRetriever keys fusion on ``node.hash`` (text + metadata);
    Chroma and BM25 return the same chunk with different metadata, so it never merged
    their votes. Fusing on the chunk id does.
    """
    from llama_index.core.schema import NodeWithScore

    scores: dict[str, float] = {}
    nodes: dict[str, NodeWithScore] = {}
    for results in result_lists:
        for rank, r in enumerate(results):
            scores[r.node.node_id] = scores.get(r.node.node_id, 0.0) + 1.0 / (k + rank + 1)
            nodes.setdefault(r.node.node_id, r)
    ordered = sorted(scores, key=scores.get, reverse=True)
    return [NodeWithScore(node=nodes[i].node, score=scores[i]) for i in ordered]


@dataclass(frozen=True)
class Query:
    text: str
    mode: str = "hybrid"
    candidates: int = 20
    roles: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    mmr: bool = False


def metadata_filters(roles: tuple[str, ...], kinds: tuple[str, ...]) -> MetadataFilters | None:
    parts: list = []
    if roles:
        parts.append(
            MetadataFilters(
                filters=[MetadataFilter(key=role_key(r), value=1) for r in roles], condition=FilterCondition.OR
            )
        )
    if kinds:
        parts.append(MetadataFilter(key="kind", value=list(kinds), operator=FilterOperator.IN))
    if not parts:
        return None
    return MetadataFilters(filters=parts, condition=FilterCondition.AND)


class StoreRetriever(BaseRetriever):
    """llama-index's VectorIndexRetriever minus the VectorStoreIndex around it.

    Building that index on each question resolves llama-index's global embedding setting,
    which imports its langchain bridge (about 1 s of every cold start once ragas has
    installed langchain) and costs milliseconds per question; the query is the same.
    """

    def __init__(self, store, top_k: int, filters: MetadataFilters | None, mmr: bool = False):
        super().__init__()
        self.store, self.top_k, self.filters, self.mmr = store, top_k, filters, mmr

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = VectorStoreQuery(
            query_embedding=query_bundle.embedding, query_str=query_bundle.query_str, similarity_top_k=self.top_k,
            filters=self.filters, mode=VectorStoreQueryMode.MMR if self.mmr else VectorStoreQueryMode.DEFAULT,
        )
        result = self.store.query(query, **({"mmr_threshold": 0.6} if self.mmr else {}))
        nodes = result.nodes or []
        scores = result.similarities or [None] * len(nodes)
        return [NodeWithScore(node=n, score=s) for n, s in zip(nodes, scores)]


class Retriever:
    def __init__(self, index: Index, embedder):
        self.index = index
        self.embedder = embedder
        self._bm25 = None
        self._lock = threading.Lock()
        # One question is embedded once, whichever retrievers and rerankers use it.
        self.embed_query = lru_cache(maxsize=1024)(embedder.get_query_embedding)

    def side_index(self):
        """The current BM25 side index (reloaded when an ingest has switched to a new one)."""
        name = self.index.get_meta("bm25_dir")
        with self._lock:
            if not name:
                return None
            if self._bm25 is None or self._bm25.folder.name != name:
                from rag.store.bm25 import SideIndex

                self._bm25 = SideIndex(self.index.dir / name)
            return self._bm25

    def dense(self, q: Query):
        return StoreRetriever(self.index.vector_store, q.candidates, metadata_filters(q.roles, q.kinds), q.mmr)

    def bm25(self, q: Query):
        side = self.side_index()
        if side is None:
            return None
        mask = side.mask(tuple(role_key(r) for r in q.roles), q.kinds) if (q.roles or q.kinds) else None
        if mask is not None and not mask.any():
            return None
        return side.retriever(q.candidates, mask)

    # -- the one entry point ----------------------------------------------------
    def retrieve(self, q: Query) -> list[Context]:
        if self.index.is_empty():
            return []
        bundle = QueryBundle(query_str=q.text)
        if q.mode in ("dense", "hybrid"):
            bundle.embedding = self.embed_query(q.text)
        makers = {"dense": [self.dense], "bm25": [self.bm25], "hybrid": [self.dense, self.bm25]}[q.mode]
        try:
            lists = [r.retrieve(bundle) for r in (make(q) for make in makers) if r is not None]
        except NotFoundError:
            # `ingest --rebuild` in another process replaced the Chroma collection.
            log.info("Chroma collection was recreated; reopening it")
            self.index.refresh()
            lists = [r.retrieve(bundle) for r in (make(q) for make in makers) if r is not None]
        results = reciprocal_rank_fusion(lists)[: q.candidates] if q.mode == "hybrid" else (lists[0] if lists else [])
        ids = [r.node.node_id for r in results]
        committed = {c.chunk_id: c for c in self.index.chunks(ids)}
        contexts = [
            Context(rank=0, chunk=committed[r.node.node_id], score=float(r.score or 0.0), signals={q.mode: float(r.score or 0.0)})
            for r in results
            if r.node.node_id in committed
        ]
        for i, c in enumerate(contexts, 1):
            c.rank = i
            c.signals["first_stage_rank"] = float(i)  # kept through reranking (eval's "reach")
        return contexts

    def retrieve_or_fall_back(self, q: Query) -> tuple[list[Context], str | None]:
        """Contexts, and a user-facing notice when keyword search had to stand in.

        When the vector store (a Chroma server, or the embedded store) cannot be reached,
        dense and hybrid retrieval fall back to the BM25 side index, which lives in the
        index folder; the next question tries the vector store again.
        """
        try:
            return self.retrieve(q), None
        except vector_store_failures() as exc:
            if q.mode == "bm25" or isinstance(exc, (IndexMismatchError, IndexMissingError)):
                raise
            where = self.index.describe_vector_store()
            reason = f"{type(exc).__name__}: {first_line(exc)}"
            log.warning("vector store unavailable, falling back to BM25: %s", reason)
            if not self.index.get_meta("bm25_dir"):
                raise IndexError_(
                    f"cannot search: the {where} is unavailable ({reason}), and this index has no keyword (BM25) "
                    "side index to fall back on."
                ) from None
            notice = (f"The {where} is unavailable ({reason}), so these passages come from keyword (BM25) "
                      "search only.")
            return self.retrieve(replace(q, mode="bm25")), notice

    def chunk_vectors(self, chunk_ids: list[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        got = self.index.collection.get(ids=chunk_ids, include=["embeddings"])
        return {i: list(map(float, e)) for i, e in zip(got["ids"], got["embeddings"])}


def vector_store_failures() -> tuple[type[BaseException], ...]:
    """Errors that mean the vector store is unreachable or broken (not a bug of ours)."""
    import httpx

    return (IndexError_, ChromaError, httpx.HTTPError, ConnectionError, TimeoutError)
