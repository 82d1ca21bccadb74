"""The same sentence-transformers model, run by onnxruntime.

Why: `import sentence_transformers` (torch + transformers) alone costs 7-8 s of every
`career-rag ask`, and torch runs one short question 4x slower than onnxruntime. The model
is exported once, locally (torch.onnx + onnxruntime's BERT fusions), checked against
sentence-transformers on probe texts, and cached; after that the query path needs only
onnxruntime, tokenizers and numpy. Vectors match sentence-transformers to ~1e-7, so an
index built by either backend is read by the other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.models.packaged import sha256_of

EXPORT_VERSION = 1
# Vectors from the export must agree with sentence-transformers at least this well.
MIN_COSINE = 0.9999
# ... and its INT8 copy with the export (measured on MiniLM: 0.987 worst, 0.993 mean on 300
# corpus sentences, a sentence score moving by 0.007 on average; the probe "ok" strays most,
# 0.978).
MIN_INT8_COSINE = 0.97
INT8_DIR = "int8-7bit"  # (renamed when the recipe changed: a copy made the old way is not reused)
_PROBES = [
    "What does a data engineer interview test?",
    "Design a pipeline that loads click events into a warehouse every hour, with late data and retries.",
    "ok",
    "How do AI engineers and ML engineers differ in day-to-day work, tooling and the questions they are asked "
    "in interviews? " * 8,
]
_export_lock = threading.Lock()
# Padded tokens per onnxruntime call (see OnnxRunner.encode).
TOKEN_BUDGET = 512


class OnnxUnavailable(RuntimeError):
    """This model cannot run on onnxruntime here (unsupported layout or no exporter)."""


def cache_root() -> Path:
    base = os.environ.get("CAREER_RAG_CACHE") or Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "career-rag"
    return Path(base) / "onnx"


def _layout(model_dir: Path) -> dict:
    """What the export needs to know about a sentence-transformers folder, or OnnxUnavailable."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OnnxUnavailable(f"{model_dir} has no readable modules.json") from None
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise OnnxUnavailable(f"module layout {kinds} is not Transformer + Pooling (+ Normalize)")
    try:
        pooling = json.loads((model_dir / modules[1].get("path", "1_Pooling") / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise OnnxUnavailable(f"{model_dir} has no readable pooling config") from None
    modes = [k for k in ("pooling_mode_mean_tokens", "pooling_mode_cls_token") if pooling.get(k)]
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k not in modes]
    if len(modes) != 1 or others:
        raise OnnxUnavailable(f"pooling {pooling} is not plain mean or CLS pooling")
    config = {}
    if (model_dir / "sentence_bert_config.json").exists():
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    st_config = model_dir / "config_sentence_transformers.json"
    if st_config.exists() and json.loads(st_config.read_text(encoding="utf-8")).get("default_prompt_name"):
        raise OnnxUnavailable("the model prepends a default prompt, which only sentence-transformers applies")
    if not (model_dir / "tokenizer.json").exists():
        raise OnnxUnavailable(f"{model_dir} has no tokenizer.json (fast tokenizer) to run without transformers")
    return {"pooling": "mean" if modes[0].endswith("mean_tokens") else "cls",
            "max_seq_length": int(config.get("max_seq_length") or 512)}


def export_dir(model_dir: Path) -> Path:
    """The cache folder for this model's export, keyed by what its files hold.

    A model reinstalled into a new virtualenv, or copied, is the same model: keyed by its
    path and file dates, every fresh install exported it again (~110 MB each, never freed).
    """
    model_dir = Path(model_dir).resolve()
    stamps = tuple((str(f.relative_to(model_dir)), st.st_size, st.st_mtime_ns)
                   for f in sorted(model_dir.rglob("*")) if f.is_file() and (st := f.stat()))
    return cache_root() / f"{model_dir.name}-{_content_key(model_dir, stamps)}"


@lru_cache(maxsize=16)
def _content_key(model_dir: Path, stamps: tuple) -> str:
    """Hash of the files' names and contents (~0.1 s for MiniLM), once per process while
    no file's size or date changes (`stamps` is part of the cache key)."""
    h = hashlib.sha256(str(EXPORT_VERSION).encode())
    for rel, _, _ in stamps:
        h.update(f"|{rel}|{sha256_of(model_dir / rel)}".encode())
    return h.hexdigest()[:16]


def ensure_export(model_dir: Path) -> Path:
    """Return a folder with model.onnx + layout.json, exporting (once, atomically) if needed."""
    model_dir = Path(model_dir)
    layout = _layout(model_dir)
    dest = export_dir(model_dir)

    def export(tmp: Path) -> dict:
        sys.stderr.write(f"career-rag: exporting {model_dir.name} to ONNX once (about 20 s), cached in {dest}\n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the tracer's notes about shapes it treats as constants
            try:
                st = _export(model_dir, tmp / "model.onnx")
            except OnnxUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - an architecture torch.onnx cannot trace raises any type
                raise OnnxUnavailable(f"ONNX export failed: {exc}") from None
        return {**layout, "cosine_vs_sentence_transformers": _check(st, OnnxRunner(tmp, model_dir, 1, layout))}

    return _made_once(dest, export)


def ensure_int8(model_dir: Path) -> Path:
    """A folder with an INT8 copy of the model's export (model.onnx + tokenizer.json), made once.

    Dynamic quantisation (INT8 weights per channel, activations per tensor at run time) makes
    a short text's vector ~2.5x cheaper on 2 cores. Weights keep 7 bits (`reduce_range`): on a
    CPU without VNNI, onnxruntime's 8-bit products can saturate, and full-range weights put the
    "ok" probe at cosine 0.964 on an AVX2-only EPYC (0.978 with 7 bits there, as with 8 on VNNI).
    Activations quantised per tensor make a vector depend on the rest of a padded batch, so the
    copy is run one text per call (rag.models.bge.PrebuiltOnnxEmbedding). Raises OnnxUnavailable
    if it cannot be made or strays from the export by more than MIN_INT8_COSINE.
    """
    model_dir = Path(model_dir)
    folder = ensure_export(model_dir)
    layout = json.loads((folder / "layout.json").read_text(encoding="utf-8"))

    def quantise(tmp: Path) -> dict:
        try:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            # The fused graph's custom ops give shape inference no output types: say they are float.
            # (Its advice on the root logger to pre-process the graph is for static quantisation.)
            with _quiet_root_logger():
                quantize_dynamic(str(folder / "model.onnx"), str(tmp / "model.onnx"), weight_type=QuantType.QInt8,
                                 per_channel=True, reduce_range=True, extra_options={"DefaultTensorType": 1})
        except Exception as exc:  # noqa: BLE001 - the quantiser raises any type for a graph it cannot read
            raise OnnxUnavailable(f"INT8 quantisation failed: {exc}") from None
        shutil.copyfile(model_dir / "tokenizer.json", tmp / "tokenizer.json")
        exact = OnnxRunner(folder, model_dir, 1, layout).encode(_PROBES)
        quantized = OnnxRunner(tmp, model_dir, 1, layout).encode_each(_PROBES, 1)
        worst = float(np.min(np.sum(exact * quantized, axis=1)))
        if worst < MIN_INT8_COSINE:
            raise OnnxUnavailable(f"the INT8 copy strays from the export (cosine {worst:.4f})")
        return {**layout, "cosine_vs_export": round(worst, 5)}

    return _made_once(folder / INT8_DIR, quantise)


def _made_once(dest: Path, make) -> Path:
    """`dest`, made once: `make(tmp)` fills a temporary folder beside it and returns the
    layout, written last, so a folder with a layout.json is complete; then it is moved in."""
    if (dest / "layout.json").exists():
        return dest
    with _export_lock:
        if (dest / "layout.json").exists():
            return dest
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
        except OSError as exc:
            raise OnnxUnavailable(f"cannot write the ONNX cache {dest.parent}: {exc}") from None
        try:
            (tmp / "layout.json").write_text(json.dumps(make(tmp)), encoding="utf-8")
            try:
                os.replace(tmp, dest)  # another process may have won the race: its copy is as good
            except OSError:
                pass
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


@contextlib.contextmanager
def _quiet_root_logger():
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def _export(model_dir: Path, target: Path):
    """Write target; return the sentence-transformers model it was made from."""
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise OnnxUnavailable(f"cannot export to ONNX: {exc}") from None

    st = SentenceTransformer(str(model_dir), device="cpu")
    transformer = st[0].auto_model.eval()
    # Eager attention exports as plain MatMul/Softmax, which onnxruntime fuses into its Attention op.
    if hasattr(transformer, "set_attn_implementation"):
        transformer.set_attn_implementation("eager")
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class LastHiddenState(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    sample = st.tokenizer(_PROBES[:2], return_tensors="pt", padding=True)
    if "token_type_ids" not in sample:
        raise OnnxUnavailable("the tokenizer gives no token_type_ids (not a BERT-style encoder)")
    raw = target.with_suffix(".raw.onnx")
    with torch.no_grad():
        torch.onnx.export(
            LastHiddenState(transformer), tuple(sample[n] for n in names), str(raw),
            input_names=names, output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            opset_version=17, dynamo=False,
        )
    config = transformer.config
    try:
        from onnxruntime.transformers import optimizer

        fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                         hidden_size=config.hidden_size, opt_level=1)
        fused.save_model_to_file(str(target))
        raw.unlink()
    except Exception:  # noqa: BLE001 - an architecture the fuser does not know still runs unfused
        raw.rename(target)
    return st


def _check(st, runner: OnnxRunner) -> float:
    expected = st.encode(_PROBES, normalize_embeddings=True)
    got = runner.encode(_PROBES)
    worst = float(np.min(np.sum(expected * got, axis=1)))
    if worst < MIN_COSINE:
        raise OnnxUnavailable(f"ONNX export disagrees with sentence-transformers (cosine {worst:.6f})")
    return round(worst, 7)


def pad_batch(batch, pad_id: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """input_ids, token_type_ids and attention_mask of tokenizer encodings, padded to the longest."""
    width = max(len(e.ids) for e in batch)
    ids = np.full((len(batch), width), pad_id, dtype=np.int64)
    types = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros((len(batch), width), dtype=np.int64)
    for row, e in enumerate(batch):
        n = len(e.ids)
        ids[row, :n], types[row, :n], mask[row, :n] = e.ids, e.type_ids, 1
    return ids, types, mask


class OnnxRunner:
    """Tokenize, run, pool, normalise."""

    def __init__(self, folder: Path, model_dir: Path, threads: int, layout: dict | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.layout = layout or json.loads((folder / "layout.json").read_text(encoding="utf-8"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.pad_id = (self.tokenizer.padding or {}).get("pad_id", 0)
        self.tokenizer.enable_truncation(self.layout["max_seq_length"])
        self.tokenizer.no_padding()  # _run pads each length-sorted group itself
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], budget: int = TOKEN_BUDGET) -> np.ndarray:
        """Run in length order, in groups of about `budget` padded tokens: a few long
        chunks or a few dozen short sentences per call. Padding short texts to the longest
        of a mixed batch costs more than the extra session calls (measured on 2 cores)."""
        encoded = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i].ids))
        out: np.ndarray | None = None
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end + 1 - start) * len(encoded[order[end]].ids) <= budget:
                end += 1
            part = order[start:end]
            vectors = self._run([encoded[i] for i in part])
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[part] = vectors
            start = end
        return out if out is not None else np.zeros((0, 0), dtype=np.float32)

    def encode_each(self, texts: list[str], workers: int) -> np.ndarray:
        """One text per call, `workers` calls side by side: each vector independent of the
        others (what a model with activations quantised per tensor needs)."""
        from rag.models.threads import side_by_side

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack(side_by_side(lambda e: self._run([e]), self.tokenizer.encode_batch(texts), workers))

    def _run(self, batch) -> np.ndarray:
        ids, types, mask = pad_batch(batch, self.pad_id)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        if self.layout["pooling"] == "cls":
            pooled = hidden[:, 0]
        else:
            m = mask[..., None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


class OnnxEmbedding(BaseEmbedding):
    """A llama-index embedding backed by an onnxruntime export of a sentence-transformers folder."""

    model_dir: str
    threads: int = 1
    _runner: Any = PrivateAttr()

    def __init__(self, model_dir: str | Path, embed_batch_size: int = 64, threads: int = 1, **kwargs: Any):
        super().__init__(model_name=str(model_dir), model_dir=str(model_dir), embed_batch_size=embed_batch_size,
                         threads=threads, **kwargs)
        self._runner = OnnxRunner(ensure_export(Path(model_dir)), Path(model_dir), threads)

    @classmethod
    def class_name(cls) -> str:
        return "OnnxEmbedding"

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._runner.encode(texts).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._get_text_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)

    # -- the model's window, for callers that must not exceed it (ingest's chunker) --
    @property
    def max_tokens(self) -> int:
        """Tokens of a text the model reads (special tokens included); the rest is cut."""
        return int(self._runner.layout["max_seq_length"])

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Each text's length in the model's own tokens, special tokens included, before
        the cut at ``max_tokens`` (what truncation moved to ``overflowing`` is counted too)."""
        tokenizer = self._runner.tokenizer
        extra = tokenizer.num_special_tokens_to_add(False)
        return [len(e.ids) + sum(len(o.ids) - extra for o in e.overflowing) for e in tokenizer.encode_batch(texts)]
