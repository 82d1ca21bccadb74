"""`career-rag perf`: throughput and latency of the pipeline against its physical limits.

Everything runs on a deterministic synthetic corpus recombined from corpus/ sections, so
the text is realistic and the figures are comparable between runs and machines.
"""

from __future__ import annotations

import json
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from eval import metrics as M
from rag.settings import Settings, deep_merge, load_settings

_SECTION = re.compile(r"^## ", re.M)


def synthetic_corpus(source: Path, out: Path, n_chunks: int, chunk_size: int, seed: int = 7) -> int:
    """Write markdown files recombined from `source` sections until ~n_chunks chunks; return files written."""
    from ingest.chunker import chunk_spans
    from ingest.frontmatter import split_front_matter

    sections: list[tuple[str, str]] = []
    for path in sorted(source.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        meta, body = split_front_matter(text)
        parts = _SECTION.split(text[body:])
        sections += [(meta.get("title", path.stem), "## " + p.strip()) for p in parts[1:] if p.strip()]
    per_section = [len(chunk_spans(s, 0, chunk_size, 0)) or 1 for _, s in sections]
    rng = random.Random(seed)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    total, n_files = 0, 0
    while total < n_chunks:
        picks = rng.sample(range(len(sections)), k=min(8, len(sections)))
        body = "\n\n".join(sections[i][1] for i in picks)
        title = f"Study notes {n_files}: " + " / ".join(sections[i][0] for i in picks[:2])
        (out / f"notes-{n_files:05d}.md").write_text(
            f"---\ntitle: \"{title}\"\nroles: []\nkind: note\nsource: synthetic\nupdated: 2026-11-22\n---\n# {title}\n\n{body}\n",
            encoding="utf-8",
        )
        total += sum(per_section[i] for i in picks)
        n_files += 1
    return n_files


def _questions(n: int) -> list[str]:
    from eval.dataset import DEFAULT_DATASET, load

    base = [i.question for i in load(DEFAULT_DATASET)]
    return [base[i % len(base)] + ("" if i < len(base) else f" ({i // len(base)})") for i in range(n)]


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def run(base: Settings, out: Path, size: int, corpus: Path = Path("corpus"), n_questions: int = 200,
        progress: Callable[[str], None] | None = None) -> dict:
    from sentence_transformers import SentenceTransformer

    from ingest.chunker import SpanChunker
    from ingest.loaders import load, read_bytes
    from ingest.pipeline import _as_document, ingest
    from rag.embedding import configure_threads, load_embedder, resolve_model_path
    from rag.engine import Engine
    from rag.retrieve import Query
    from rag.store import Index

    say = progress or (lambda msg: None)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    settings = load_settings(overrides=deep_merge(json.loads(base.model_dump_json()),
                                                  {"index": {"dir": str(work / "index"), "chroma_url": None}}))
    threads = configure_threads(settings.embedding.threads)
    say(f"building a synthetic corpus of ~{size} chunks")
    docs_dir = work / "docs"
    n_files = synthetic_corpus(corpus, docs_dir, size, settings.chunking.size)

    # The chunk texts exactly as career-rag embeds them, for the raw baseline.
    chunker = SpanChunker(chunk_size=settings.chunking.size, chunk_overlap=settings.chunking.overlap)
    from llama_index.core.schema import MetadataMode

    texts = []
    for path in sorted(docs_dir.glob("*.md")):
        doc = load(path, read_bytes(path, 10**9))
        doc.path = path.resolve()
        texts += [n.get_content(metadata_mode=MetadataMode.EMBED) for n in chunker.chunk_document(_as_document(doc))]

    say(f"raw sentence-transformers encode of {len(texts)} chunks")
    model = SentenceTransformer(resolve_model_path(settings.embedding.model), device="cpu")
    model.encode(texts[:64], batch_size=settings.embedding.batch_size)  # warm-up
    raw_s = _timed(lambda: model.encode(texts, batch_size=settings.embedding.batch_size, normalize_embeddings=True))
    del model

    say("career-rag ingest")
    shutil.rmtree(work / "index", ignore_errors=True)
    embedder = load_embedder(settings.embedding.model, settings.embedding.batch_size, settings.embedding.threads)
    embedder.get_text_embedding_batch(texts[:64])  # same warm-up as the baseline
    first_s = _timed(lambda: ingest([docs_dir], settings, embedder=embedder))
    say("re-ingest of the unchanged corpus")
    again_s = _timed(lambda: ingest([docs_dir], settings, embedder=embedder))

    say("vanilla llama-index pipeline")
    vanilla_s = _vanilla(docs_dir, work / "vanilla", embedder)

    say(f"warm latency over {n_questions} questions")
    index = Index(settings)
    engine = Engine(settings, embedder=embedder, index=index)
    questions = _questions(n_questions)
    latencies: dict[str, list[float]] = {"dense": [], "bm25": [], "hybrid": [], "ask": []}
    r = settings.retrieval
    engine.ask(questions[0])  # load BM25, Chroma segments
    for q in questions:
        for mode in ("dense", "bm25", "hybrid"):
            # A new question embedding per call: the retriever caches them.
            engine.retriever.embed_query.cache_clear()
            latencies[mode].append(_timed(lambda: engine.retriever.retrieve(Query(q, mode, r.candidates))) * 1000)
        engine.reset_caches()
        latencies["ask"].append(_timed(lambda: engine.ask(q)) * 1000)

    say("cold start and peak memory of `career-rag ask`")
    cold_s, rss_mb = _cold_ask(settings, questions)

    n_chunks = index.n_chunks()
    result = {
        "n_chunks": n_chunks, "n_files": n_files, "threads": threads, "batch_size": settings.embedding.batch_size,
        "raw_chunks_per_s": round(len(texts) / raw_s, 1),
        "ingest_chunks_per_s": round(n_chunks / first_s, 1),
        "ingest_ratio_raw": round((n_chunks / first_s) / (len(texts) / raw_s), 3),
        "vanilla_chunks_per_s": round(n_chunks / vanilla_s, 1),
        "ingest_ratio_vanilla": round(vanilla_s / first_s, 3),
        "reingest_ratio": round(again_s / first_s, 4),
        "ingest_s": round(first_s, 1), "reingest_s": round(again_s, 2), "vanilla_s": round(vanilla_s, 1),
        "raw_encode_s": round(raw_s, 1),
        "p50_ms": {m: round(M.percentile(v, 0.5), 1) for m, v in latencies.items()},
        "p95_ms": {m: round(M.percentile(v, 0.95), 1) for m, v in latencies.items()},
        "cold_ask_s": round(cold_s, 2),
        "peak_rss_mb": round(rss_mb, 1),
    }
    (out / "perf.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "perf.md").write_text(table(result), encoding="utf-8")
    shutil.rmtree(work / "vanilla", ignore_errors=True)
    return result


def _vanilla(docs_dir: Path, where: Path, embedder) -> float:
    """The textbook llama-index pipeline on the same files and model, for comparison."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    shutil.rmtree(where, ignore_errors=True)

    def build():
        client = chromadb.PersistentClient(path=str(where), settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_or_create_collection("vanilla", embedding_function=None)
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        documents = SimpleDirectoryReader(str(docs_dir)).load_data()
        VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embedder)

    return _timed(build)


def _cold_ask(settings: Settings, questions: list[str]) -> tuple[float, float]:
    cli = Path(sys.executable).parent / "career-rag"
    t0 = time.perf_counter()
    subprocess.run([str(cli), "ask", questions[0], "--index", str(settings.index.dir), "--json"],
                   check=True, capture_output=True, timeout=300)
    cold = time.perf_counter() - t0
    batch = Path(settings.index.dir).parent / "questions.jsonl"
    batch.write_text("\n".join(json.dumps({"id": str(i), "question": q}) for i, q in enumerate(questions[:50])) + "\n")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([str(cli), "ask", "--batch", str(batch), "--index", str(settings.index.dir), "--json"],
                   check=True, capture_output=True, timeout=600)
    peak_kb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return cold, peak_kb / 1024


TARGETS = {
    "ingest_ratio_raw": (">=", 0.85), "ingest_ratio_vanilla": (">=", 1.5), "reingest_ratio": ("<=", 0.05),
    "hybrid_p50_ms": ("<=", 60), "ask_p50_ms": ("<=", 200), "cold_ask_s": ("<=", 6), "peak_rss_mb": ("<=", 1536),
}


def table(r: dict) -> str:
    flat = dict(r, hybrid_p50_ms=r["p50_ms"]["hybrid"], ask_p50_ms=r["p50_ms"]["ask"])
    lines = [f"# career-rag performance ({r['n_chunks']} chunks, {r['threads']} torch threads, batch {r['batch_size']})", "",
             "| figure | measured | target | met |", "|---|---|---|---|"]
    for key, (op, target) in TARGETS.items():
        value = flat[key]
        met = value >= target if op == ">=" else value <= target
        lines.append(f"| {key} | {value} | {op} {target} | {'yes' if met else 'NO'} |")
    lines += ["", "| mode | p50 ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {m} | {r['p50_ms'][m]} | {r['p95_ms'][m]} |" for m in r["p50_ms"]]
    lines += ["", f"Throughput: raw encode {r['raw_chunks_per_s']} chunks/s, career-rag ingest {r['ingest_chunks_per_s']} "
              f"chunks/s, vanilla llama-index {r['vanilla_chunks_per_s']} chunks/s. Re-ingest {r['reingest_s']} s."]
    return "\n".join(lines) + "\n"
