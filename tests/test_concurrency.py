"""One loaded Engine shared by many threads (what the UI and batch mode do).

The reference answers come from running every request sequentially on the same Engine;
the same requests are then fired at once from 20 threads, starting together on a
barrier, with the engine's caches emptied first so the cold paths (query embedding,
sentence embedding, BM25 masks, vocabulary) race too. Every concurrent answer must be
the sequential one: same text, same citations, same ranked contexts. A mixed-up answer
(another thread's question, sources or markers) or an exception fails the test.
"""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag.settings import RetrievalSettings

pytestmark = pytest.mark.slow

# (question, history, retrieval overrides): different questions, retrievers, filters and
# follow-ups, so concurrent calls take different paths through the engine.
REQUESTS = [
    ("What does a data engineer interview test?", [], {}),
    ("How do AI and ML engineer roles differ?", [], {}),
    ("What is CUPED?", [], {}),
    ("What is the difference between WHERE and HAVING in SQL?", [], {"mode": "bm25"}),
    ("What share of traffic does a canary release of a new model typically get?", [], {"mode": "dense"}),
    ("How many hours per week does the 10-week ML engineer prep plan expect?", [], {}),
    ("What layers should a dbt project for a growing company have?", [], {"rerank": "none"}),
    ("What is the difference between data drift and concept drift?", [], {}),
    ("How does a random forest differ from gradient boosting?", [], {"mode": "dense", "rerank": "none"}),
    ("What rounds does an applied scientist interview loop include?", [], {}),
    ("When did the analytics engineer title become common?", [], {"mode": "bm25", "rerank": "none"}),
    ("What should a data engineer portfolio project demonstrate?", [], {"roles": ["data engineer"]}),
    ("What does an MLOps engineer do day to day?", [], {"roles": ["mlops engineer"], "mode": "bm25"}),
    ("How does a research engineer differ from a research scientist?", [], {"kinds": ["comparison"]}),
    ("What causes NaN losses during training?", [], {}),
    ("and for ML engineers?", ["What does a data engineer interview test?"], {}),
    ("and for data scientists?", ["How should I prepare for an ML engineer interview?"], {"mode": "dense"}),
    ("What is the typical salary for a data engineer in Tokyo in yen?", [], {}),
    ("How do I become a commercial airline pilot?", [], {}),
    ("How does a data engineer's job differ from an analytics engineer's?", [], {"top_k": 3}),
]


def signature(answer) -> dict:
    """Everything a mixed-up answer would change."""
    return {
        "question": answer.question,
        "resolved": answer.resolved_question,
        "answer": answer.answer,
        "refused": answer.refused,
        "notice": answer.notice,
        "citations": [(c.marker, c.source, c.start, c.end, c.text) for c in answer.citations],
        "contexts": [(c.rank, c.chunk.chunk_id, c.used) for c in answer.contexts],
    }


def run(engine, request):
    question, history, overrides = request
    retrieval = engine.settings.retrieval.model_copy(update=overrides) if overrides else None
    return engine.ask(question, history=list(history), retrieval=retrieval)


def test_requests_are_varied(engine):
    """The fixture set is not degenerate: distinct questions, answers and refusals."""
    assert len({q for q, _, _ in REQUESTS}) == len(REQUESTS) == 20
    for _, _, overrides in REQUESTS:
        RetrievalSettings(**{**engine.settings.retrieval.model_dump(), **overrides})  # valid settings


def test_twenty_concurrent_asks_match_the_sequential_answers(engine):
    expected = [signature(run(engine, r)) for r in REQUESTS]
    answered = [e for e in expected if not e["refused"]]
    assert len(answered) >= 15 and len({e["answer"] for e in answered}) == len(answered), "answers must differ"
    assert sum(e["refused"] for e in expected) >= 2, "the off-corpus questions are refused"
    # each answer's citations stay inside its own contexts
    for e in expected:
        ctx_ids = {cid for _, cid, _ in e["contexts"]}
        assert all(used is False or cid in ctx_ids for _, cid, used in e["contexts"])

    engine.reset_caches()  # cold caches: the embedding paths race as well
    barrier = threading.Barrier(len(REQUESTS))
    active, peak, lock = [0], [0], threading.Lock()

    def worker(request):
        barrier.wait(timeout=60)
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            t0 = time.perf_counter()
            ans = run(engine, request)
            return signature(ans), (t0, time.perf_counter())
        finally:
            with lock:
                active[0] -= 1

    with ThreadPoolExecutor(max_workers=len(REQUESTS)) as pool:
        results = list(pool.map(worker, REQUESTS))

    assert peak[0] >= 10, f"only {peak[0]} asks overlapped; the test did not run them concurrently"
    spans = [span for _, span in results]
    overlapping = sum(1 for a in spans for b in spans if a is not b and a[0] < b[1] and b[0] < a[1])
    assert overlapping >= len(REQUESTS), "asks must overlap in time"
    for request, exp, (got, _) in zip(REQUESTS, expected, results):
        assert got == exp, f"concurrent answer differs for {request[0]!r}"


def test_concurrent_asks_and_retrieves_with_the_same_question(engine):
    """Many threads asking the very same question at once (cache stampede) agree."""
    question = "What SQL questions come up in data analyst interviews?"
    expected = signature(engine.ask(question))
    engine.reset_caches()
    barrier = threading.Barrier(12)

    def worker(i):
        barrier.wait(timeout=60)
        if i % 3 == 2:
            return [c.chunk.chunk_id for c in engine.retrieve(question)]
        return signature(engine.ask(question))

    with ThreadPoolExecutor(max_workers=12) as pool:
        got = list(pool.map(worker, range(12)))
    retrieved = {tuple(g) for g in got if isinstance(g, list)}
    assert retrieved == {tuple(cid for _, cid, _ in expected["contexts"])}
    assert all(g == expected for g in got if isinstance(g, dict))



class _InterleavingEmbedder:
    """MiniLM underneath; thread "a" hands back its vectors slowly, pausing halfway until
    thread "b" has started embedding (what a busy server interleaves by chance)."""

    def __init__(self, model):
        self.model = model
        self.a_paused = threading.Event()
        self.b_started = threading.Event()

    def get_text_embedding_batch(self, texts):
        vecs = self.model.get_text_embedding_batch(texts)
        if threading.current_thread().name != "a":
            self.b_started.set()
            return vecs

        def slow():
            for i, v in enumerate(vecs):
                if i == len(vecs) // 2:
                    self.a_paused.set()
                    self.b_started.wait(timeout=30)
                yield v

        return slow()


def test_sentence_scorer_cache_eviction_does_not_break_other_threads(minilm):
    """A cache eviction by one thread while another is storing its fresh vectors must not
    lose them (KeyError) or hand back someone else's vectors."""
    import numpy as np

    from rag.pipeline.candidates import SentenceScorer

    mine = [f"A data engineer candidate practises pipeline topic number {i}." for i in range(12)]
    theirs = [f"An ML engineer candidate practises modelling topic number {i}." for i in range(12)]
    reference = SentenceScorer(minilm)
    embedder = _InterleavingEmbedder(minilm)
    scorer = SentenceScorer(embedder, cache_size=16)
    got: dict = {}

    def call(name, texts):
        try:
            got[name] = scorer.vectors(texts)
        except Exception as exc:  # noqa: BLE001 - reported below
            got[name] = exc

    a = threading.Thread(target=call, args=("a", mine), name="a")
    a.start()
    assert embedder.a_paused.wait(60)  # "a" is halfway through storing its vectors
    b = threading.Thread(target=call, args=("b", theirs), name="b")
    b.start()
    a.join(60)
    b.join(60)
    for name, texts in (("a", mine), ("b", theirs)):
        assert not isinstance(got[name], Exception), f"thread {name}: {got[name]!r}"
        assert np.allclose(got[name], reference.vectors(texts), atol=1e-4)


# -- an LLM backend shared by many threads -------------------------------------------
class _QuotingLLM:
    """An OpenAI-compatible streaming server on loopback that answers with the first
    sentence of source [1] of the prompt it got, in small tokens: an answer that is only
    right (and verifiable) if each thread got back the reply to its own prompt."""

    def __init__(self):
        import json
        import re
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        def reply(prompt: str) -> str:
            body = re.search(r"<<<SOURCE 1\n(.*?)\nSOURCE 1>>>", prompt, re.S).group(1)
            lines = [ln.strip(" -*#") for ln in body.splitlines()
                     if len(ln.split()) >= 6 and not re.search(r"[=(){}\[\]`|]", ln)]  # prose, not code
            return re.split(r"(?<=[.!?])\s", lines[0])[0] + " [1]"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):  # noqa: N802
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                text = reply(req["messages"][-1]["content"])
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i in range(0, len(text), 7):
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
                             "choices": [{"index": 0, "delta": {"content": text[i:i + 7]}, "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(0.002)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_concurrent_llm_answers_stay_with_their_question(engine):
    from rag.settings import AnswerSettings

    llm = _QuotingLLM()
    try:
        cfg = AnswerSettings(backend="openai", base_url=llm.url, model="stub", timeout_s=30)
        questions = [q for q, history, _ in REQUESTS if not history][:16]
        expected = {}
        for q in questions:
            ans = engine.ask(q, answer=cfg)
            if ans.backend == "openai":
                expected[q] = signature(ans)
        assert len(expected) >= 12 and len({e["answer"] for e in expected.values()}) == len(expected)
        barrier = threading.Barrier(len(expected))

        def worker(q):
            tokens: list[str] = []
            barrier.wait(timeout=60)
            ans = engine.ask(q, answer=cfg, on_token=tokens.append)
            return q, signature(ans), "".join(tokens), ans

        with ThreadPoolExecutor(len(expected)) as pool:
            results = list(pool.map(worker, list(expected)))
        for q, got, streamed, ans in results:
            assert got == expected[q], q
            assert streamed.strip() == ans.answer, "each thread streamed its own answer"
            assert ans.backend == "openai" and ans.citations
        # quoting its own source [1] is supported, so verification saw the right passages
        assert sum(r[3].citations[0].supported for r in results) >= len(results) * 2 // 3
    finally:
        llm.close()
