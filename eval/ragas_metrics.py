"""Ragas scoring: the non-LLM metrics always, the judge metrics when a judge LLM is set.

Ragas is imported here only, so the ask path never pays for it.
"""

from __future__ import annotations

import math
import re

from eval.dataset import Item

NON_LLM = ["id_context_precision", "id_context_recall", "nonllm_context_precision", "nonllm_context_recall",
           "semantic_similarity", "rouge_l"]
JUDGE = ["faithfulness", "answer_relevancy", "llm_context_precision", "llm_context_recall"]
_MARKER = re.compile(r"\s*\[\d+\]")


def judge_llm(judge: str, timeout_s: float = 120.0):
    """'ollama:MODEL' or an OpenAI-compatible base URL (optionally 'URL#MODEL').

    A ragas InstructorLLM (what ragas.llms.llm_factory builds) on an OpenAI client. For an
    OpenAI-compatible server the structured output is a forced tool call, which llama.cpp
    and vLLM decode under the answer's JSON schema, so even a small local judge answers
    in the right shape; llm_factory would fix Instructor's JSON mode, where such a model
    echoes the schema instead. Ollama gets JSON mode (response_format json_object).
    """
    import instructor
    from openai import OpenAI
    from ragas.llms import InstructorLLM

    if judge.startswith("ollama:"):
        base_url, model, mode = "http://127.0.0.1:11434/v1", judge.split(":", 1)[1], instructor.Mode.JSON
    else:
        base_url, _, model = judge.partition("#")
        model, mode = model or "judge", instructor.Mode.TOOLS
    client = OpenAI(base_url=base_url, api_key="not-needed", timeout=timeout_s, max_retries=0)
    return InstructorLLM(client=instructor.from_openai(client, mode=mode), model=model, provider="openai",
                         temperature=0.0, max_tokens=512)


def engine_embeddings(embedder):
    """The engine's own embedding model, as ragas metrics call it.

    A ragas BaseRagasEmbedding (embed_text / aembed_text, what SemanticSimilarity uses)
    that also answers embed_query / embed_documents, which ResponseRelevancy still
    calls. No deprecated wrapper, and no second copy of the model (embedding_factory's
    providers would load one).
    """
    from ragas.embeddings import BaseRagasEmbedding

    class EngineEmbedding(BaseRagasEmbedding):
        def embed_text(self, text: str, **kwargs) -> list[float]:
            return embedder.get_text_embedding(text)

        async def aembed_text(self, text: str, **kwargs) -> list[float]:
            return await embedder.aget_text_embedding(text)

        def embed_texts(self, texts: list[str], **kwargs) -> list[list[float]]:
            return embedder.get_text_embedding_batch(texts)

        def embed_query(self, text: str) -> list[float]:
            return embedder.get_query_embedding(text)

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.get_text_embedding_batch(texts)

    return EngineEmbedding()


def score(rows: list[dict], items: dict[str, Item], engine, judge: str | None = None, show_progress: bool = False):
    """Add ragas metric values to answerable, answered rows. Returns {metric: reason} skipped."""
    from ragas import EvaluationDataset, RunConfig, SingleTurnSample, evaluate
    from ragas.metrics import (
        Faithfulness, IDBasedContextPrecision, IDBasedContextRecall, LLMContextPrecisionWithReference,
        LLMContextRecall, NonLLMContextPrecisionWithReference, NonLLMContextRecall, ResponseRelevancy,
        RougeScore, SemanticSimilarity,
    )

    skipped: dict[str, str] = {}
    targets = [r for r in rows if r["answerable"] and not r["refused"]]
    if not targets:
        return {m: "no answered, answerable questions to score" for m in NON_LLM + JUDGE}
    samples = []
    for r in targets:
        item = items[r["id"]]
        gold_ids = sorted({cid for src, s, e in item.spans for cid in engine.index.chunk_ids_overlapping(src, s, e)})
        samples.append(SingleTurnSample(
            user_input=r["question"], response=_MARKER.sub("", r["answer"]), retrieved_contexts=r["contexts"],
            reference=item.reference or " ".join(e["quote"] for e in item.evidence),
            # Gold chunks, not bare quotes: string-similarity metrics compare chunk to chunk.
            reference_contexts=[c.text for c in engine.index.chunks(gold_ids)] or [e["quote"] for e in item.evidence],
            retrieved_context_ids=r["context_ids"],
            reference_context_ids=gold_ids,
        ))
    embeddings = engine_embeddings(engine.embedder)
    metrics = {
        "id_context_precision": IDBasedContextPrecision(),
        "id_context_recall": IDBasedContextRecall(),
        "nonllm_context_precision": NonLLMContextPrecisionWithReference(),
        "nonllm_context_recall": NonLLMContextRecall(),
        "semantic_similarity": SemanticSimilarity(embeddings=embeddings),
        "rouge_l": RougeScore(rouge_type="rougeL", mode="fmeasure"),
    }
    llm = None
    if judge:
        llm = judge_llm(judge)
        metrics.update({
            "faithfulness": Faithfulness(llm=llm),
            "answer_relevancy": ResponseRelevancy(llm=llm, embeddings=embeddings, strictness=1),
            "llm_context_precision": LLMContextPrecisionWithReference(llm=llm),
            "llm_context_recall": LLMContextRecall(llm=llm),
        })
    else:
        skipped.update({m: "no judge LLM configured (--judge URL or ollama:MODEL)" for m in JUDGE})
    result = evaluate(
        EvaluationDataset(samples=samples), metrics=list(metrics.values()), llm=llm, embeddings=embeddings,
        show_progress=show_progress, raise_exceptions=False,
        run_config=RunConfig(timeout=600, max_retries=1, max_workers=2),
    )
    frame = result.to_pandas()
    for our_name, metric in metrics.items():
        # ragas names some columns after their options, e.g. "rouge_score(mode=fmeasure)".
        column = next((c for c in frame.columns if c == metric.name or c.startswith(metric.name + "(")), None)
        values = list(frame[column]) if column else [math.nan] * len(targets)
        for row, value in zip(targets, values):
            row[our_name] = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
        failed = sum(1 for row in targets if row[our_name] is None)
        if failed == len(targets):
            skipped[our_name] = f"failed on every question ({'judge output not usable' if our_name in JUDGE else 'error'})"
        elif failed:
            skipped[f"{our_name}:partial"] = f"failed on {failed} of {len(targets)} questions"
    return skipped

