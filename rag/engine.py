"""The public API: Engine(settings).retrieve(question) / .ask(question, history).

The Engine wires the answer path's stages and runs them in order:

    follow-up resolution -> retrieve (+ BM25 fallback) -> rerank -> compose (extractive)
    -> refusal checks -> LLM answer + verify (when a backend is configured)

Each stage is a small object from rag/pipeline, handed the same `Evidence` for one
question. Components can be injected (tests pass a fake embedder or a ready index);
otherwise they are built from the settings. An Engine is safe to share between threads
(the UI and batch mode do).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

from rag.models.llm import describe_failure, failure_types
from rag.pipeline.candidates import SentenceScorer
from rag.pipeline.compose import Composed, ExtractiveComposer
from rag.pipeline.cross_rank import MODEL_FAMILIES, ModelRerank
from rag.pipeline.evidence import Evidence
from rag.pipeline.followup import condense, rewrite_followup
from rag.pipeline.llm_answer import LLMAnswerer
from rag.pipeline.names import with_names_cased
from rag.pipeline.refusal import missing_specifics, near_miss, partial_coverage
from rag.pipeline.rerank import NoRerank, Reranker, SentenceRerank
from rag.pipeline.retrieve import Query, Retriever
from rag.pipeline.verify import uncited_sentences
from rag.prompts import REFUSAL
from rag.settings import AnswerSettings, RetrievalSettings, Settings
from rag.store.manifest import Index
from rag.text.lexical import corpus_root, path_words, proper_names, vocabulary
from rag.types import Answer, Context

log = logging.getLogger(__name__)


class Composer(Protocol):
    def compose(self, evidence: Evidence, contexts: list[Context], a: AnswerSettings) -> Composed: ...


@dataclass(frozen=True)
class Stages:
    reranker: Reranker
    composer: Composer
    name: str


class Engine:
    def __init__(self, settings: Settings, embedder=None, index: Index | None = None, *,
                 rerankers: dict[str, Reranker] | None = None, sentence_embedder=None):
        self.settings = settings
        self.index = index or Index(settings)
        self.index.check_embedding(settings.embedding.model)
        from rag.models.embedding import embedder_for, sentence_embedder_for

        if embedder is None:
            embedder = embedder_for(settings.embedding)
        self.embedder = embedder
        # What scores quotable sentences, and the question against them: the retrieval model,
        # or its INT8 copy (embedding.sentence_int8; only an ONNX export has one).
        self.sentence_embedder = sentence_embedder or sentence_embedder_for(settings.embedding, embedder)
        self.retriever = Retriever(self.index, embedder)
        self.scorer = self._sentence_scorer()
        self.llm_answerer = LLMAnswerer(self.scorer)
        self._injected = dict(rerankers or {})
        self._stages: dict[str, Stages] = {}
        self._llms: dict[tuple, object] = {}
        self._lock = threading.Lock()
        self._vocab: tuple[str | None, frozenset[str], str] | None = None  # (index version, words, corpus root)
        self._names: tuple[str | None, frozenset[str]] | None = None

    # -- components ------------------------------------------------------------------
    def stages(self, r: RetrievalSettings) -> Stages:
        """The reranker and the composer that reads its scores, for `r.rerank`.

        'default' is the packaged late-interaction model when it is installed, else the
        packaged cross-encoder, else the sentence reranker; the choice is made once per Engine.
        """
        with self._lock:
            key = f"{r.rerank}|{r.fusion}|{r.sentence_weight}|{r.rerank_max_tokens}"
            if key not in self._stages:
                self._stages[key] = self._build_stages(r.rerank, r.fusion, r.sentence_weight, r.rerank_max_tokens)
            return self._stages[key]

    def _build_stages(self, how: str, fusion: float, sentence_weight: float | None, max_tokens: int | None) -> Stages:
        if how in self._injected:
            return Stages(self._injected[how], ExtractiveComposer(self.scorer), how)
        if how == "none":
            return Stages(NoRerank(), ExtractiveComposer(self.scorer), "none")
        sentence = Stages(SentenceRerank(self.scorer), ExtractiveComposer(self.scorer), "sentence")
        if how == "sentence":
            return sentence
        from rag.models.cross_encoder import CrossEncoderError
        from rag.models.late_interaction import LateInteractionError
        from rag.models.packaged import PackagedModelError

        family, _, name = how.partition(":")
        if how != "default" and family not in MODEL_FAMILIES:
            raise ValueError(f"unknown reranker {how!r}: use default, sentence, none, late-interaction[:NAME] "
                             "or cross-encoder[:NAME]")
        for family in MODEL_FAMILIES if how == "default" else (family,):
            try:
                return self._model_stages(family, name, fusion, sentence_weight, max_tokens)
            except (CrossEncoderError, LateInteractionError, PackagedModelError) as exc:
                if how != "default":
                    raise
                log.warning("no %s model (%s)", family, exc)
        log.warning("reranking with sentence embeddings")
        return sentence

    def _model_stages(self, family: str, name: str, fusion: float, sentence_weight: float | None,
                      max_tokens: int | None) -> Stages:
        spec = MODEL_FAMILIES[family]
        if family == "cross-encoder":
            from rag.models.cross_encoder import DEFAULT_MODEL, load_cross_encoder as load
        else:
            from rag.models.late_interaction import DEFAULT_MODEL, load_late_interaction as load
        name = name or DEFAULT_MODEL
        model = load(name, max_length=max_tokens or spec.max_tokens)
        weight = spec.sentence_weight if sentence_weight is None else sentence_weight
        composer = ExtractiveComposer(self.scorer, span_model=model if hasattr(model, "span_scores") else None)
        return Stages(ModelRerank(model, fusion, self.scorer, weight, signal=spec.signal), composer, f"{family}:{name}")

    def _sentence_scorer(self) -> SentenceScorer:
        same = self.sentence_embedder is self.embedder  # then the retriever's cached question vector serves
        return SentenceScorer(self.sentence_embedder, query=self.retriever.embed_query if same else None)

    def llm(self, a: AnswerSettings):
        key = (a.backend, a.model, a.base_url, str(a.gguf_path), a.timeout_s)
        with self._lock:
            if key not in self._llms:
                from rag.models.llm import build_llm

                self._llms[key] = build_llm(a)
            return self._llms[key]

    def vocabulary(self) -> frozenset[str]:
        """Every word of the indexed documents and of their paths below the corpus root (reloaded
        when the index changes).

        Ingest writes the documents' words beside the BM25 index; older indexes have them computed
        here once. A path's words name its document (rag.text.lexical.path_words).
        """
        version = self.index.get_meta("bm25_dir")
        if self._vocab is None or self._vocab[0] != version:
            side = self.retriever.side_index()
            words = side.vocabulary() if side else None
            if words is None:
                words = vocabulary(self.index.doc_texts())
            sources = list(self.index.docs())
            root = corpus_root(sources)
            self._vocab = (version, words | {w for source in sources for w in path_words(source, root)}, root)
        return self._vocab[1]

    def corpus_root(self) -> str:
        """The folder that holds every indexed document (read with the vocabulary)."""
        self.vocabulary()
        return self._vocab[2]

    def names(self) -> frozenset[str]:
        """Words the indexed documents write as names (rag.text.lexical.proper_names); asked for
        on the first question typed in lower case, reloaded when the index changes.

        Ingest writes them beside the BM25 index; older indexes have them read from their chunks here once.
        """
        version = self.index.get_meta("bm25_dir")
        if self._names is None or self._names[0] != version:
            side = self.retriever.side_index()
            names = side.names() if side else None
            if names is None:
                from rag.store.bm25 import indexed_texts  # (bm25s loads with the side index, not at import)

                names = proper_names(indexed_texts(self.index.chunks(None)))
            self._names = (version, names)
        return self._names[1]

    def reset_caches(self) -> None:
        """Forget cached query, sentence and passage vectors and model scores (benchmarks measure cold work)."""
        self.retriever.embed_query.cache_clear()
        self.scorer = self._sentence_scorer()
        self.llm_answerer = LLMAnswerer(self.scorer)
        with self._lock:
            for stages in self._stages.values():
                # (loaded models are shared per process; an injected one may keep no cache)
                clear = getattr(getattr(stages.reranker, "model", None), "clear_cache", None)
                if clear:
                    clear()
            self._stages.clear()

    # -- retrieval -------------------------------------------------------------------
    def gather(self, question: str, retrieval: RetrievalSettings | None = None) -> Evidence:
        """Retrieve and rerank: the evidence for one (standalone) question."""
        r = retrieval or self.settings.retrieval
        q = Query(question, r.mode, max(r.candidates, r.top_k), tuple(r.roles), tuple(r.kinds), r.mmr)
        contexts, notice = self.retriever.retrieve_or_fall_back(q)
        evidence = Evidence(question, contexts, self.index.doc_text, self.scorer.query_vector, notice)
        if contexts:
            self.stages(r).reranker.rerank(evidence, r.rerank_depth)
        return evidence

    def retrieve(self, question: str, retrieval: RetrievalSettings | None = None) -> list[Context]:
        return self.gather(question, retrieval).contexts

    def retrieve_with_notice(self, question: str, retrieval: RetrievalSettings | None = None) -> tuple[list[Context], str | None]:
        evidence = self.gather(question, retrieval)
        return evidence.contexts, evidence.notice

    # -- answering -------------------------------------------------------------------
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
        evidence = self.gather(resolved, r)
        t1 = time.perf_counter()
        top = evidence.contexts[: r.top_k]
        composed = self.stages(r).composer.compose(evidence, top, a)
        if a.backend == "extractive":
            evidence.add_notice(composed.notice)
        # (the refusal rules find names by their capitals; a question typed in lower case is
        # read with the names its documents write capitalised)
        checked = with_names_cased(resolved, self.names()) if resolved.islower() else resolved
        missing = missing_specifics(checked, self.vocabulary())
        if missing and not composed.refused:
            composed = Composed(REFUSAL, True, best_evidence=composed.best_evidence)
            evidence.add_notice(f"The sources never mention: {', '.join(missing)}.")
        elif a.backend == "extractive" and not composed.refused:
            # (an LLM reads whole passages, so it may still find what the quotes lack)
            reason = near_miss(checked, composed.citations, top, evidence.opening, evidence.text,
                               self.corpus_root(), evidence.introduction)
            if reason:
                composed = Composed(REFUSAL, True, best_evidence=composed.best_evidence)
                evidence.add_notice(reason)
        text, refused, citations, backend, unsupported = composed.answer, composed.refused, composed.citations, "extractive", []
        if a.backend != "extractive" and top and not missing:
            try:
                text, citations = self.llm_answerer.answer(self.llm(a), resolved, top, evidence.doc_texts(top), on_token)
                refused = text.strip() == REFUSAL or not any(c.supported for c in citations)  # nothing backs it
                backend = a.backend
                unsupported = [c.text for c in citations if not c.supported] + uncited_sentences(text)
            except failure_types() as exc:
                log.warning("LLM backend %s failed: %s: %s", a.backend, type(exc).__name__, exc)
                evidence.add_notice(f"{describe_failure(a, exc)} Showing the extractive answer instead.")
        elif on_token:
            on_token(text)
        if not refused:
            evidence.add_notice(partial_coverage(checked, citations, top, evidence.text,
                                                 self.corpus_root(), evidence.introduction))
        t2 = time.perf_counter()
        _mark_used(evidence.contexts, top, citations)
        return Answer(
            question=question, answer=text, refused=refused, citations=citations, contexts=evidence.contexts,
            backend=backend, timings_ms={"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000}, id=id,
            resolved_question=resolved if resolved != question else None, notice=evidence.notice,
            unsupported=unsupported, evidence_score=composed.best_evidence, doc_texts=evidence.doc_texts(top),
        )

    def resolve(self, question: str, history: list[str], a: AnswerSettings) -> str:
        """The standalone form of a follow-up question."""
        if not history:
            return question
        if a.backend != "extractive":
            try:
                condensed = condense(self.llm(a), question, history)
                if condensed:
                    return condensed
            except failure_types() as exc:  # the rule-based rewrite below is always available
                log.warning("could not condense the follow-up with %s: %s: %s", a.backend, type(exc).__name__, exc)
        return rewrite_followup(question, history)

    def close(self) -> None:
        self.index.close()


def _mark_used(contexts: list[Context], top: list[Context], citations) -> None:
    used_ids = {ctx.chunk.chunk_id for ctx in top for cit in citations if ctx.holds(cit)}
    for ctx in contexts:
        ctx.used = ctx.chunk.chunk_id in used_ids
