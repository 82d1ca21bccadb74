"""`career-rag perf`: throughput and latency of the pipeline against its physical limits.

Everything runs on a deterministic synthetic corpus recombined from corpus/ sections, so
the text is realistic and the figures are comparable between runs and machines.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

from eval import metrics as M
from rag.settings import Settings, deep_merge, load_settings

_SECTION = re.compile(r"^## ", re.M)
# Ingest-comparison timings are each the best of this many runs, taken in turns (_ingest_figures).
TIMED_ROUNDS = 2


def synthetic_corpus(source: Path, out: Path, n_chunks: int, chunk_size: int, seed: int = 7) -> int:
    """Write markdown files recombined from `source` sections until ~n_chunks chunks; return files written."""
    from ingest.chunker import chunk_spans
    from rag.text.frontmatter import split_front_matter

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
        progress: Callable[[str], None] | None = None, ingest_sample: int = 5000) -> dict:
    """Ingest figures on min(size, ingest_sample) chunks; latency, cold start and memory at `size`.

    The three ingests of the comparison embed the same chunks three times; at 100k chunks
    that is hours on 2 cores, while the ratios are per-chunk figures a sample measures as
    well. The `size` index itself is built by career-rag ingest once and cached in
    out/work (its build time is reported too).
    """
    from rag.models.embedding import configure_threads, embedder_for
    from rag.engine import Engine
    from rag.store.manifest import Index

    say = progress or (lambda msg: None)
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    settings = _settings(base, work / "sample-index")
    threads = configure_threads(settings.embedding.threads)
    embedder = embedder_for(settings.embedding)
    sample = min(size, ingest_sample)
    figures = _ingest_figures(settings, work, sample, corpus, embedder, say)

    if sample == size:
        big = settings
    else:
        big = _settings(base, work / f"index-{size}")
        figures["latency_index_build_s"] = _cached_index(big, work, size, corpus, embedder, say)

    say(f"warm latency over {n_questions} questions")
    index = Index(big)
    engine = Engine(big, embedder=embedder, index=index)
    latencies = _latencies(engine, _questions(n_questions))
    say("extractive ask over the shipped corpus")
    # The synthetic corpus repeats whole sections, so at 100k the 20 candidates of a question
    # share most sentences and the reranker (which embeds each distinct sentence once) has
    # little to do. The shipped corpus has no repeats: the honest cost of an answer.
    from ingest.pipeline import ingest

    own = _settings(base, work / "corpus-index")
    ingest([corpus], own, embedder=embedder)
    own_index = Index(own)
    own_ask = _latencies(Engine(own, embedder=embedder, index=own_index), _questions(n_questions))["ask"]
    own_index.close()
    say("cold start and peak memory of `career-rag ask`")
    cold_s, rss_mb = _cold_ask(big, _questions(50))
    # The floor under any cold start that embeds a question with sentence-transformers.
    import_s = _child([sys.executable, "-c", "import sentence_transformers"])

    result = {
        "n_chunks": index.n_chunks(), "ingest_sample_chunks": figures.pop("n_chunks"),
        "threads": threads, "batch_size": settings.embedding.batch_size, "cpus": len(os.sched_getaffinity(0)),
        **figures,
        "p50_ms": {m: round(M.percentile(v, 0.5), 1) for m, v in latencies.items()},
        "p95_ms": {m: round(M.percentile(v, 0.95), 1) for m, v in latencies.items()},
        "ask_corpus_p50_ms": round(M.percentile(own_ask, 0.5), 1),
        "ask_corpus_p95_ms": round(M.percentile(own_ask, 0.95), 1),
        "cold_ask_s": round(cold_s, 2),
        "import_sentence_transformers_s": round(import_s, 2),
        "peak_rss_mb": round(rss_mb, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    index.close()
    (out / "perf.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    (out / "perf.md").write_text(table(result), encoding="utf-8")
    return result


def _settings(base: Settings, index_dir: Path) -> Settings:
    return load_settings(overrides=deep_merge(json.loads(base.model_dump_json()),
                                              {"index": {"dir": str(index_dir), "chroma_url": None}}))


def _ingest_figures(settings: Settings, work: Path, n: int, corpus: Path, embedder, say) -> dict:
    """career-rag ingest vs a raw encode of the same chunk texts and vs vanilla llama-index (each the
    best of TIMED_ROUNDS runs)."""
    from llama_index.core.schema import MetadataMode
    from sentence_transformers import SentenceTransformer

    from ingest.chunker import SpanChunker
    from ingest.loaders import load, read_bytes
    from ingest.pipeline import as_document, ingest
    from rag.models.embedding import load_embedder, resolve_model_path

    say(f"building a synthetic corpus of ~{n} chunks")
    docs_dir = work / "sample-docs"
    synthetic_corpus(corpus, docs_dir, n, settings.chunking.size)
    # The chunk texts exactly as career-rag embeds them, for the raw baseline.
    chunker = SpanChunker(chunk_size=settings.chunking.size, chunk_overlap=settings.chunking.overlap)
    texts = []
    for path in sorted(docs_dir.glob("*.md")):
        doc = load(path, read_bytes(path, 10**9))
        doc.path = path.resolve()
        texts += [n.get_content(metadata_mode=MetadataMode.EMBED) for n in chunker.chunk_document(as_document(doc))]

    raw_model = SentenceTransformer(resolve_model_path(settings.embedding.model), device="cpu")
    # The textbook setup: llama-index's HuggingFaceEmbedding (sentence-transformers).
    textbook = load_embedder(settings.embedding.model, settings.embedding.batch_size, settings.embedding.threads, "torch")
    raw_s = backend_s = first_s = vanilla_s = float("inf")
    # One timing of a 20-second run moves by a quarter from run to run on a shared 2-core machine
    # (career-rag ingest of the same sample: 16.4-22.3 s); each figure is the best of TIMED_ROUNDS,
    # taken in turns, so a slow spell does not fall on one side of a ratio only.
    for round_no in range(1, TIMED_ROUNDS + 1):
        say(f"round {round_no}/{TIMED_ROUNDS}: raw sentence-transformers encode of {len(texts)} chunks (the physical limit)")
        raw_s = min(raw_s, _raw_encode(raw_model, texts, settings.embedding.batch_size))
        say(f"round {round_no}/{TIMED_ROUNDS}: raw encode with career-rag's own embedder ({type(embedder).__name__})")
        embedder.get_text_embedding_batch(texts[:64])
        # In ingest's order (length-sorted), so this is exactly the embedding work of an ingest.
        backend_s = min(backend_s, _timed(lambda: embedder.get_text_embedding_batch(sorted(texts, key=len))))
        say(f"round {round_no}/{TIMED_ROUNDS}: career-rag ingest")
        _fresh(Path(settings.index.dir))
        embedder.get_text_embedding_batch(texts[:64])  # same warm-up as the baseline
        first_s = min(first_s, _timed(lambda: ingest([docs_dir], settings, embedder=embedder)))
        say(f"round {round_no}/{TIMED_ROUNDS}: vanilla llama-index pipeline")
        seconds, vanilla_chunks = _vanilla(docs_dir, work / "vanilla", textbook, settings.chunking)
        vanilla_s = min(vanilla_s, seconds)
        shutil.rmtree(work / "vanilla", ignore_errors=True)
    say("re-ingest of the unchanged corpus")
    again_s = _timed(lambda: ingest([docs_dir], settings, embedder=embedder))
    n_chunks = len(texts)
    return {
        "n_chunks": n_chunks,
        "raw_chunks_per_s": round(n_chunks / raw_s, 1),
        "ingest_chunks_per_s": round(n_chunks / first_s, 1),
        "ingest_ratio_raw": round(raw_s / first_s, 3),
        # The pipeline's own overhead: the same embedder's bare encode over ingest's time.
        "embedding_backend": type(embedder).__name__,
        "backend_chunks_per_s": round(n_chunks / backend_s, 1),
        "ingest_ratio_backend": round(backend_s / first_s, 3),
        # Chunks/s of the same files: SentenceSplitter cuts a similar number of chunks.
        "vanilla_chunks_per_s": round(vanilla_chunks / vanilla_s, 1), "vanilla_chunks": vanilla_chunks,
        "ingest_ratio_vanilla": round(vanilla_s / first_s, 3),
        # What vanilla would reach with a perfect pipeline around sentence-transformers.
        "vanilla_ratio_ceiling": round(vanilla_s / raw_s, 3),
        "reingest_ratio": round(again_s / first_s, 4),
        "ingest_s": round(first_s, 1), "reingest_s": round(again_s, 2), "vanilla_s": round(vanilla_s, 1),
        "timed_rounds": TIMED_ROUNDS,
        "raw_encode_s": round(raw_s, 1), "backend_encode_s": round(backend_s, 1),
    }


def _fresh(folder: Path) -> None:
    """Delete a folder a Chroma client of this process may have open (chroma caches clients by path)."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
    shutil.rmtree(folder, ignore_errors=True)


def _raw_encode(model, texts: list[str], batch_size: int) -> float:
    model.encode(texts[:64], batch_size=batch_size)  # warm-up
    return _timed(lambda: model.encode(texts, batch_size=batch_size, normalize_embeddings=True))


def _cached_index(settings: Settings, work: Path, size: int, corpus: Path, embedder, say) -> float:
    """Build (once) the `size`-chunk index with career-rag ingest; return its build time."""
    from ingest.pipeline import ingest

    stamp = Path(settings.index.dir).with_suffix(".json")
    if stamp.exists():
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
        if recorded.get("settings") == _fingerprint(settings):
            say(f"reusing the {size}-chunk index built earlier in {recorded['build_s']} s")
            return recorded["build_s"]
    docs_dir = work / f"docs-{size}"
    say(f"building a synthetic corpus of ~{size} chunks and ingesting it (long: every chunk is embedded)")
    synthetic_corpus(corpus, docs_dir, size, settings.chunking.size)
    _fresh(Path(settings.index.dir))
    last = [0.0]

    def tick(phase: str, done: int, total: int) -> None:
        if time.monotonic() - last[0] > 60 or done == total:
            last[0] = time.monotonic()
            say(f"{phase} {done}/{total}")

    build_s = round(_timed(lambda: ingest([docs_dir], settings, embedder=embedder, progress=tick)), 1)
    stamp.write_text(json.dumps({"settings": _fingerprint(settings), "build_s": build_s}), encoding="utf-8")
    return build_s


def _fingerprint(settings: Settings) -> dict:
    return {"embedding": settings.embedding.model, "chunking": settings.chunking.model_dump()}


def _latencies(engine, questions: list[str]) -> dict[str, list[float]]:
    from rag.pipeline.retrieve import Query

    r = engine.settings.retrieval
    latencies: dict[str, list[float]] = {"dense": [], "bm25": [], "hybrid": [], "ask": []}
    engine.ask(questions[0])  # load BM25, Chroma segments
    for q in questions:
        for mode in ("dense", "bm25", "hybrid"):
            # A new question embedding per call: the retriever caches them.
            engine.retriever.embed_query.cache_clear()
            latencies[mode].append(_timed(lambda: engine.retriever.retrieve(Query(q, mode, r.candidates))) * 1000)
        engine.reset_caches()
        latencies["ask"].append(_timed(lambda: engine.ask(q)) * 1000)
    return latencies


def _vanilla(docs_dir: Path, where: Path, embedder, chunking) -> tuple[float, int]:
    """The textbook llama-index pipeline on the same files, model and chunk size; (seconds, chunks)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    _fresh(where)
    client = chromadb.PersistentClient(path=str(where), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("vanilla", embedding_function=None)

    def build():
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        documents = SimpleDirectoryReader(str(docs_dir)).load_data()
        VectorStoreIndex.from_documents(
            documents, storage_context=storage, embed_model=embedder,
            transformations=[SentenceSplitter(chunk_size=chunking.size, chunk_overlap=chunking.overlap)],
        )

    seconds = _timed(build)
    return seconds, collection.count()


# Runs `career-rag ARGS...` and writes the process's own peak RSS (VmHWM, kB) to a file at
# exit. rusage cannot be used: a child's ru_maxrss includes the parent's memory it was
# forked with before exec, i.e. this benchmark's own gigabytes. The command is the
# installed console script, measured from outside: eval/ does not import the CLI.
_CLI_WITH_PEAK = """
import atexit, sys
from importlib.metadata import entry_points
out = sys.argv[1]
def report():
    with open('/proc/self/status') as status:
        peak = next(line.split()[1] for line in status if line.startswith('VmHWM'))
    with open(out, 'w') as f:
        f.write(peak)
atexit.register(report)
sys.argv = ['career-rag'] + sys.argv[2:]
app = entry_points(group='console_scripts')['career-rag'].load()
app()
"""


def _cold_ask(settings: Settings, questions: list[str]) -> tuple[float, float]:
    """Seconds from process start to answer, and the peak RSS (MB) of a 50-question batch."""
    index = str(settings.index.dir)
    cold, _ = _cli(["ask", questions[0], "--index", index, "--json"])
    batch = Path(index).parent / "questions.jsonl"
    batch.write_text("\n".join(json.dumps({"id": str(i), "question": q}) for i, q in enumerate(questions)) + "\n")
    _, peak_mb = _cli(["ask", "--batch", str(batch), "--index", index, "--json"])
    return cold, peak_mb


def _cli(args: list[str]) -> tuple[float, float]:
    """Run career-rag with `args`: wall seconds and the process's peak RSS in MB."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        seconds = _child([sys.executable, "-c", _CLI_WITH_PEAK, str(peak_file), *args])
        return seconds, int(peak_file.read_text()) / 1024


def _child(cmd: list[str]) -> float:
    """Run a command to completion; its wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=900)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    return seconds


# Answer targets are with the reranking model on (issue #14); before it, an answer had 200 ms.
TARGETS = {
    "ingest_ratio_raw": (">=", 0.85), "ingest_ratio_vanilla": (">=", 1.5), "reingest_ratio": ("<=", 0.05),
    "hybrid_p50_ms": ("<=", 60), "ask_p50_ms": ("<=", 600), "ask_corpus_p50_ms": ("<=", 600),
    "ask_corpus_p95_ms": ("<=", 1200), "cold_ask_s": ("<=", 6), "peak_rss_mb": ("<=", 1536),
}


def table(r: dict) -> str:
    flat = dict(r, hybrid_p50_ms=r["p50_ms"]["hybrid"], ask_p50_ms=r["p50_ms"]["ask"])
    lines = [f"# career-rag performance ({r['n_chunks']} chunks)", "",
             f"{r['cpus']} CPUs, {r['threads']} threads, embedding batch {r['batch_size']}, embedder "
             f"{r.get('embedding_backend', '?')}; 1-minute load average "
             f"at the end {r['load_avg_1m']}. Ingest ratios on a {r['ingest_sample_chunks']}-chunk sample, "
             f"each time the best of {r.get('timed_rounds', 1)} runs.", "",
             "| figure | measured | target | met |", "|---|---|---|---|"]
    for key, (op, target) in TARGETS.items():
        value = flat[key]
        met = value >= target if op == ">=" else value <= target
        lines.append(f"| {key} | {value} | {op} {target} | {'yes' if met else 'NO'} |")
    lines += ["", "| mode | p50 ms | p95 ms |", "|---|---|---|"]
    lines += [f"| {m} | {r['p50_ms'][m]} | {r['p95_ms'][m]} |" for m in r["p50_ms"]]
    lines += [f"| ask, shipped corpus (no repeated text) | {r['ask_corpus_p50_ms']} | {r['ask_corpus_p95_ms']} |"]
    lines += ["", f"Throughput: raw sentence-transformers encode {r['raw_chunks_per_s']} chunks/s, raw "
              f"{r['embedding_backend']} encode {r['backend_chunks_per_s']} chunks/s, career-rag ingest "
              f"{r['ingest_chunks_per_s']} chunks/s, vanilla llama-index (HuggingFaceEmbedding) "
              f"{r['vanilla_chunks_per_s']} chunks/s. Re-ingest {r['reingest_s']} s.",
              f"Pipeline overhead: career-rag ingest runs at {r['ingest_ratio_backend']} of its own embedder's bare "
              f"encode. Vanilla over raw sentence-transformers encode: {r['vanilla_ratio_ceiling']}. "
              f"`import sentence_transformers` alone (off the ask path with the ONNX embedder): "
              f"{r['import_sentence_transformers_s']} s."]
    if "latency_index_build_s" in r:
        lines.append(f"The {r['n_chunks']}-chunk index took {r['latency_index_build_s']} s to ingest "
                     f"({r['n_chunks'] / max(r['latency_index_build_s'], 1e-9):.1f} chunks/s).")
    return "\n".join(lines) + "\n"
