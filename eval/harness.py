"""Run a dataset through the same Engine.ask the chat uses, and score every answer."""

from __future__ import annotations

import time
from typing import Callable

from eval import metrics as M
from eval.dataset import Item
from eval.quality import answer_verdicts, evidence_coverage, uncited_claims
from rag.pipeline.verify import answer_sentences, cited, supports

RETRIEVAL_K = (1, 3, 5, 10)


def score_item(item: Item, answer, engine, k: int, depth: int | None = None) -> dict:
    """One answer's metrics; `depth` is how many first-stage passages the reranker read."""
    contexts = [(c.chunk.source, c.chunk.start, c.chunk.end) for c in answer.contexts]
    rel = M.relevance(contexts, item.spans)
    row: dict = {
        "id": item.id, "question": item.question, "kind": item.kind, "answerable": item.answerable,
        "paraphrased": item.paraphrased, "refused": answer.refused, "answer": answer.answer,
        "notice": answer.notice,  # why it refused, or what a partial answer leaves out
        "reference": item.reference, "backend": answer.backend,
        "contexts": [c.chunk.text for c in answer.contexts[:k]],
        "context_ids": [c.chunk.chunk_id for c in answer.contexts[:k]],
        "latency_ms": sum(answer.timings_ms.values()), "timings_ms": answer.timings_ms,
        "refusal_correct": float(answer.refused != item.answerable),
        "evidence_score": answer.evidence_score,
    }
    if item.answerable:
        row.update({f"hit@{n}": M.hit_at_k(rel, n) for n in RETRIEVAL_K})
        row.update({f"recall@{n}": M.recall_at_k(contexts, item.spans, n) for n in (5, 10)})
        row["mrr"] = M.mrr(rel)
        row["mrr@10"] = M.mrr(rel[:10])
        cited_spans = [(c.source, c.start, c.end) for c in answer.citations]
        row["evidence_coverage"] = evidence_coverage(answer.answer, answer.refused, cited_spans,
                                                     [e["quote"] for e in item.evidence], item.spans)
        verdicts = answer_verdicts(answer, item, engine.index.doc_text)
        if verdicts:
            row["off_topic"] = sum(v.off_topic for v in verdicts) / len(verdicts)
            row["off_topic_sentences"] = [{"text": v.text, "reason": v.reason} for v in verdicts if v.off_topic]
        row["ndcg@10"] = M.ndcg_at_k(rel, 10)
        row["false_refusal"] = float(answer.refused)
        row["gold_context_ids"] = [c.chunk.chunk_id for c, r in zip(answer.contexts, rel) if r]
        row.update(reach(answer.contexts, rel, depth))
    if not answer.refused and answer.citations:
        cited = [(c.source, c.start, c.end) for c in answer.citations]
        row["citation_precision"] = citation_support(answer, engine)
        if item.answerable:
            row["evidence_precision"] = sum(any(M.overlaps(c, g) for g in item.spans) for c in cited) / len(cited)
        row["uncited_sentences"] = float(len(uncited_claims(answer)))
    return row


def reach(contexts, rel: list[bool], depth: int | None) -> dict:
    """Where retrieval left the gold passage for the reranker: its first-stage rank, and
    whether the reranker read it (fused rank <= depth). hit@5 below reach is the
    reranker's miss; reach itself is retrieval's ceiling."""
    ranks = [c.signals["first_stage_rank"] for c, r in zip(contexts, rel) if r and "first_stage_rank" in c.signals]
    first = int(min(ranks)) if ranks else None
    out: dict = {"first_stage_rank": first}
    if depth is not None:
        out["reach"] = float(first is not None and first <= depth)
    return out


def citation_support(answer, engine) -> float:
    """Share of cited answer sentences that one of their cited spans supports.

    The same test the LLM path applies (rag.pipeline.verify.supports): embedding
    similarity or strong term overlap between the answer sentence and the exact cited
    source text.
    """
    verdicts = []
    for s, e in answer_sentences(answer.answer):
        sentence = answer.answer[s:e]
        markers = cited(sentence)
        spans = [c.text for c in answer.citations if c.marker in markers]
        if not spans:
            continue  # uncited sentences are counted separately
        verdicts.append(supports(engine.scorer, sentence, spans))
    return sum(verdicts) / len(verdicts) if verdicts else 0.0


def run(engine, items: list[Item], retrieval=None, answer=None, progress: Callable[[int, int], None] | None = None) -> list[dict]:
    r = retrieval or engine.settings.retrieval
    rows = []
    for i, item in enumerate(items, 1):
        t0 = time.perf_counter()
        ans = engine.ask(item.question, retrieval=r, answer=answer, id=item.id)
        row = score_item(item, ans, engine, max(r.top_k, 10), r.rerank_depth if r.rerank != "none" else None)
        row["wall_ms"] = (time.perf_counter() - t0) * 1000
        rows.append(row)
        if progress:
            progress(i, len(items))
    return rows


SUMMARY_METRICS = [
    "reach", "hit@1", "hit@3", "hit@5", "hit@10", "recall@5", "recall@10", "mrr", "mrr@10", "ndcg@10",
    "evidence_coverage", "off_topic",
    "citation_precision", "evidence_precision", "uncited_sentences", "refusal_correct", "false_refusal",
]


def summarize(rows: list[dict], extra_metrics: list[str] = ()) -> dict:
    out: dict = {}
    for name in [*SUMMARY_METRICS, *extra_metrics]:
        vals = [r[name] for r in rows if r.get(name) is not None and not _nan(r[name])]
        if vals:
            mean, lo, hi = M.bootstrap_ci(vals)
            out[name] = {"value": round(mean, 4), "ci_low": round(lo, 4), "ci_high": round(hi, 4), "n": len(vals)}
    unans = [r for r in rows if not r["answerable"]]
    if unans:
        mean, lo, hi = M.bootstrap_ci([float(r["refused"]) for r in unans])
        out["refusal_recall"] = {"value": round(mean, 4), "ci_low": round(lo, 4), "ci_high": round(hi, 4), "n": len(unans)}
    lat = [r["latency_ms"] for r in rows]
    out["latency_p50_ms"] = {"value": round(M.percentile(lat, 0.5), 1)}
    out["latency_p95_ms"] = {"value": round(M.percentile(lat, 0.95), 1)}
    return out


def _nan(v) -> bool:
    return isinstance(v, float) and v != v
