"""The public API: Engine(settings).retrieve(question) / .ask(question, history).

Models and the index are loaded once per Engine; an Engine is safe to share between
threads (the UI and batch mode do).
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from typing import Callable

import numpy as np

from rag.pipeline.compose import (
    Composed, SentenceScorer, candidates, compose, missing_specifics, score_candidates, terms,
    uncited_sentences, verify,
)
from rag.models.llm import LLMStoppedMidAnswer, LLMUnavailable, is_timeout
from rag.prompts import CONDENSE, REFUSAL, SYSTEM, build_messages
from rag.pipeline.retrieve import Query, Retriever
from rag.roles import find_roles, replace_roles
from rag.settings import AnswerSettings, RetrievalSettings, Settings
from rag.store.manifest import Index, IndexError_, IndexMismatchError, IndexMissingError
from rag.types import Answer, Citation, Context


_FOLLOWUP = re.compile(
    r"^\s*(?:and|also|what about|how about|same for|what of|and for|and what about|how does that|"
    r"is that|are they|do they|does it|what do they|how do they)\b", re.I
)


def rewrite_followup(question: str, history: list[str]) -> str:
    """Make a follow-up standalone without an LLM ("and for ML engineers?")."""
    if not history:
        return question
    prev = history[-1]
    new_roles, prev_roles = find_roles(question), find_roles(prev)
    looks_like_followup = bool(_FOLLOWUP.match(question)) or len(terms(question) - set(" ".join(new_roles).split())) <= 1
    if not looks_like_followup:
        return question
    if new_roles and prev_roles:
        rewritten = prev
        for old, new in zip(prev_roles, new_roles):
            rewritten = replace_roles(rewritten, old, new)
        return rewritten if rewritten != prev else f"{prev} ({', '.join(new_roles)})"
    if prev_roles and not new_roles:
        return f"{question.rstrip(' ?')} for {' and '.join(prev_roles)}?"
    return f"{prev.rstrip(' ?')}: {question}"


def vector_store_failure(exc: BaseException) -> bool:
    """Whether retrieval failed because the vector store is unreachable or broken (not a bug of ours)."""
    if isinstance(exc, (IndexMismatchError, IndexMissingError)):
        return False
    if isinstance(exc, (IndexError_, ConnectionError, TimeoutError)):
        return True
    return type(exc).__module__.split(".")[0] in ("httpx", "httpcore", "chromadb", "urllib3", "requests")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:200]


def _join(*notices: str | None) -> str | None:
    return " ".join(n for n in notices if n) or None


_WORDS = re.compile(r"[a-z0-9]+")
_SHINGLE = 7


def _shingles(text: str, n: int = _SHINGLE) -> set[tuple[str, ...]]:
    words = _WORDS.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


_SYSTEM_SHINGLES = _shingles(SYSTEM.replace(REFUSAL, " | "))  # the refusal is an answer, not a leak


def echoes_system_prompt(text: str) -> bool:
    """Whether an LLM answer hands back a run of its system prompt (7+ words in a row)."""
    return bool(_shingles(text) & _SYSTEM_SHINGLES)


class Engine:
    def __init__(self, settings: Settings, embedder=None, index: Index | None = None):
        self.settings = settings
        self.index = index or Index(settings)
        self.index.check_embedding(settings.embedding.model)
        if embedder is None:
            from rag.models.embedding import embedder_for

            embedder = embedder_for(settings.embedding)
        self.embedder = embedder
        self.retriever = Retriever(self.index, embedder)
        self.scorer = SentenceScorer(embedder)
        self._llms: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._cross_encoders: dict[str, object] = {}
        self._vocab: tuple[str | None, frozenset[str]] | None = None

    # -- retrieval --------------------------------------------------------------
    def retrieve(self, question: str, retrieval: RetrievalSettings | None = None) -> list[Context]:
        return self.retrieve_with_notice(question, retrieval)[0]

    def retrieve_with_notice(self, question: str, retrieval: RetrievalSettings | None = None) -> tuple[list[Context], str | None]:
        """Ranked contexts, and a user-facing notice when a fallback was used.

        When the vector store (a Chroma server, or the embedded store) cannot be reached,
        dense and hybrid retrieval fall back to the keyword (BM25) side index, which lives
        in the index folder; the next question tries the vector store again.
        """
        r = retrieval or self.settings.retrieval
        q = Query(question, r.mode, max(r.candidates, r.top_k), tuple(r.roles), tuple(r.kinds), r.mmr)
        notice = None
        try:
            contexts = self.retriever.retrieve(q)
        except Exception as exc:
            if q.mode == "bm25" or not vector_store_failure(exc):
                raise
            where = self._vector_store_name()
            reason = f"{type(exc).__name__}: {_first_line(exc)}"
            if not self.index.get_meta("bm25_dir"):
                raise IndexError_(
                    f"cannot search: the {where} is unavailable ({reason}), and this index has no keyword (BM25) "
                    "side index to fall back on."
                ) from None
            contexts = self.retriever.retrieve(dataclass_replace(q, mode="bm25"))
            notice = (f"The {where} is unavailable ({reason}), so these passages come from keyword (BM25) "
                      "search only.")
        if r.rerank != "none" and contexts:
            contexts = self.rerank(question, contexts, r.rerank, r.rerank_depth)
        return contexts, notice

    def _vector_store_name(self) -> str:
        url = self.settings.index.chroma_url
        return f"Chroma server at {url}" if url else f"Chroma store in {self.index.dir / 'chroma'}"

    def rerank(self, question: str, contexts: list[Context], how: str, depth: int = 20) -> list[Context]:
        if how == "default":
            q_vec = np.asarray(self.retriever.embed_query(question), dtype=np.float32)
            # Embedding sentences is the whole cost of an answer; candidates below `depth`
            # keep their fused order under the reranked ones.
            cands = candidates(self._doc_texts(contexts[:depth]), contexts[:depth])
            score_candidates(question, q_vec, cands, self.scorer)
            best: dict[str, float] = {}
            for c in cands:
                best[c.context.chunk.chunk_id] = max(best.get(c.context.chunk.chunk_id, -1.0), c.score)
            for ctx in contexts:
                # Fused rank still counts: a tie-breaker that keeps both retrievers' votes.
                ctx.signals["rerank"] = best.get(ctx.chunk.chunk_id, -1.0) - 0.002 * ctx.rank
                if ctx.rank > depth:
                    ctx.signals["rerank"] = -10.0 - 0.002 * ctx.rank
        elif how.startswith("cross-encoder:"):
            model = self._cross_encoder(how.split(":", 1)[1])
            scores = model.predict([(question, c.chunk.text) for c in contexts])
            for ctx, s in zip(contexts, scores):
                ctx.signals["rerank"] = float(s)
        else:
            raise ValueError(f"unknown reranker {how!r}: use none, default or cross-encoder:NAME")
        contexts = sorted(contexts, key=lambda c: c.signals["rerank"], reverse=True)
        for i, c in enumerate(contexts, 1):
            c.rank, c.score = i, c.signals["rerank"]
        return contexts

    def _cross_encoder(self, name: str):
        with self._lock:
            if name not in self._cross_encoders:
                from sentence_transformers import CrossEncoder

                from rag.models.embedding import resolve_model_path

                self._cross_encoders[name] = CrossEncoder(resolve_model_path(name), device="cpu")
            return self._cross_encoders[name]

    def reset_caches(self) -> None:
        """Forget cached query and sentence embeddings (benchmarks measure cold work)."""
        self.retriever.embed_query.cache_clear()
        self.scorer = SentenceScorer(self.embedder)

    def vocabulary(self) -> frozenset[str]:
        """Every word of the indexed documents (reloaded when the index changes).

        Ingest writes it beside the BM25 index; older indexes have it computed here once.
        """
        version = self.index.get_meta("bm25_dir")
        if self._vocab is None or self._vocab[0] != version:
            side = self.retriever.side_index()
            words = side.vocabulary() if side else None
            if words is None:
                from rag.pipeline.compose import vocabulary

                words = vocabulary(self.index.doc_texts())
            self._vocab = (version, words)
        return self._vocab[1]

    def _doc_texts(self, contexts: list[Context]) -> dict[str, str]:
        return {s: self.index.doc_text(s) or "" for s in {c.chunk.source for c in contexts}}

    # -- answering --------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: list[str] | None = None,
        retrieval: RetrievalSettings | None = None,
        answer: AnswerSettings | None = None,
        on_token: Callable[[str], None] | None = None,
        id: str | None = None,
    ) -> Answer:
        question = (question or "").strip()
        if not question:
            raise ValueError("the question is empty")
        r = retrieval or self.settings.retrieval
        a = answer or self.settings.answer
        t0 = time.perf_counter()
        resolved = self.resolve(question, history or [], a)
        contexts, notice = self.retrieve_with_notice(resolved, r)
        t1 = time.perf_counter()
        top = contexts[: r.top_k]
        doc_texts = self._doc_texts(top)
        q_vec = np.asarray(self.retriever.embed_query(resolved), dtype=np.float32)
        composed = compose(resolved, q_vec, top, doc_texts, self.scorer, a.max_sentences, a.min_evidence)
        missing = missing_specifics(resolved, self.vocabulary())
        if missing and not composed.refused:
            composed = Composed(REFUSAL, True, best_evidence=composed.best_evidence)
            notice = _join(notice, f"The sources never mention: {', '.join(missing)}.")
        text, refused, citations, backend, unsupported = composed.answer, composed.refused, composed.citations, "extractive", []
        if a.backend != "extractive" and top and not missing:
            try:
                text, citations = self._llm_answer(resolved, top, doc_texts, a, on_token)
                refused = text.strip() == REFUSAL or not any(c.supported for c in citations)  # nothing backs it
                backend = a.backend
                unsupported = [c.text for c in citations if not c.supported] + uncited_sentences(text)
            except Exception as exc:  # any backend failure falls back to the grounded answer
                from rag.models.llm import describe_failure

                notice = _join(notice, f"{describe_failure(a, exc)} Showing the extractive answer instead.")
        elif on_token:
            on_token(text)
        t2 = time.perf_counter()
        used_ids = {
            ctx.chunk.chunk_id for ctx in top for cit in citations
            if cit.source == ctx.chunk.source and ctx.chunk.start <= cit.start and cit.end <= ctx.chunk.end
        }
        for ctx in contexts:
            ctx.used = ctx.chunk.chunk_id in used_ids
        return Answer(
            question=question, answer=text, refused=refused, citations=citations, contexts=contexts, backend=backend,
            timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}, id=id,
            resolved_question=resolved if resolved != question else None, notice=notice, unsupported=unsupported,
            evidence_score=composed.best_evidence,
        )

    def resolve(self, question: str, history: list[str], a: AnswerSettings) -> str:
        """The standalone form of a follow-up question."""
        if not history:
            return question
        if a.backend != "extractive":
            try:
                llm = self._llm(a)
                convo = "\n".join(f"User: {h}" for h in history[-4:])
                out = llm.complete(CONDENSE.format(history=convo, question=question)).text.strip().splitlines()
                if out and 3 < len(out[0]) < 300:
                    return out[0].strip()
            except Exception:
                pass  # the rule-based rewrite below is always available
        return rewrite_followup(question, history)

    def _llm(self, a: AnswerSettings):
        key = (a.backend, a.model, a.base_url, str(a.gguf_path), a.timeout_s)
        with self._lock:
            if key not in self._llms:
                from rag.models.llm import build_llm

                self._llms[key] = build_llm(a)
            return self._llms[key]

    def _llm_answer(self, question, contexts, doc_texts, a: AnswerSettings, on_token):
        from llama_index.core.llms import ChatMessage

        llm = self._llm(a)
        messages = [ChatMessage(role=m["role"], content=m["content"]) for m in build_messages(question, contexts)]
        parts: list[str] = []
        try:
            for chunk in llm.stream_chat(messages):
                delta = chunk.delta or ""
                parts.append(delta)
                if on_token and delta:
                    on_token(delta)
        except Exception as exc:
            if any(parts) and not is_timeout(exc):  # the server died or broke the stream
                raise LLMStoppedMidAnswer(f"{type(exc).__name__}: {_first_line(exc)}") from exc
            raise
        text = "".join(parts).strip()
        if not text:
            raise RuntimeError("the LLM returned an empty answer")
        if echoes_system_prompt(text):
            raise LLMUnavailable("the LLM repeated its instructions instead of answering")
        return verify(text, contexts, doc_texts, self.scorer)

    def close(self) -> None:
        self.index.close()
