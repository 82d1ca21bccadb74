"""The onnxruntime backend: a real export of the shipped model, checked against sentence-transformers."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.models.embedding import EmbeddingModelError, load_embedder, resolve_model_path
from rag.models.onnx_embedding import OnnxEmbedding, OnnxUnavailable, _layout, ensure_export, export_dir
from tests.conftest import ROOT

MODEL = Path(resolve_model_path("all-MiniLM-L6-v2"))
TEXTS = [
    "What does a data engineer interview test?",
    "",
    "SQL",
    "Explique la modélisation des données — 数据工程师 🚀",
    "late data, retries and idempotent loads " * 120,  # past the 256-token limit: truncated alike
]


def _model_copy(tmp_path: Path, pooling: dict | None = None) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(MODEL, copy)
    if pooling is not None:
        config = json.loads((copy / "1_Pooling" / "config.json").read_text())
        config.update(pooling)
        (copy / "1_Pooling" / "config.json").write_text(json.dumps(config))
    return copy


@pytest.mark.parametrize(
    "pooling, modules, supported",
    [
        ({}, None, True),
        ({"pooling_mode_mean_tokens": False, "pooling_mode_cls_token": True}, None, True),
        ({"pooling_mode_max_tokens": True}, None, False),
        ({}, ["Transformer", "Pooling", "Dense", "Normalize"], False),
    ],
)
def test_layout_accepts_only_what_the_runner_reproduces(tmp_path, pooling, modules, supported):
    folder = _model_copy(tmp_path, pooling)
    if modules:
        entries = [{"idx": i, "name": str(i), "path": "1_Pooling" if m == "Pooling" else "",
                    "type": f"sentence_transformers.models.{m}"} for i, m in enumerate(modules)]
        (folder / "modules.json").write_text(json.dumps(entries))
    if supported:
        assert _layout(folder)["pooling"] == ("cls" if pooling else "mean")
    else:
        with pytest.raises(OnnxUnavailable):
            _layout(folder)


def test_layout_needs_a_fast_tokenizer(tmp_path):
    folder = _model_copy(tmp_path)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(OnnxUnavailable, match="tokenizer.json"):
        _layout(folder)


def test_layout_refuses_a_model_with_a_default_prompt(tmp_path):
    folder = _model_copy(tmp_path)
    (folder / "config_sentence_transformers.json").write_text(
        json.dumps({"prompts": {"query": "query: "}, "default_prompt_name": "query"}))
    with pytest.raises(OnnxUnavailable, match="prompt"):
        _layout(folder)


def test_fresh_export_matches_sentence_transformers_and_is_reused(tmp_path, monkeypatch):
    from sentence_transformers import SentenceTransformer

    monkeypatch.setenv("CAREER_RAG_CACHE", str(tmp_path / "cache"))
    folder = ensure_export(MODEL)
    layout = json.loads((folder / "layout.json").read_text())
    assert layout["pooling"] == "mean" and layout["max_seq_length"] == 256
    assert layout["cosine_vs_sentence_transformers"] >= 0.9999

    onnx = np.asarray(OnnxEmbedding(MODEL, threads=1).get_text_embedding_batch(TEXTS))
    torch = SentenceTransformer(str(MODEL), device="cpu").encode(TEXTS, normalize_embeddings=True)
    assert onnx.shape == torch.shape == (len(TEXTS), 384)
    assert np.min(np.sum(onnx * torch, axis=1)) > 0.9999
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)

    # A second load reuses the export instead of writing it again.
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_export(MODEL) == folder and (folder / "model.onnx").stat().st_mtime_ns == stamp
    assert [p.name for p in folder.parent.iterdir()] == [folder.name]


def test_an_export_is_found_by_what_the_model_holds_not_where_it_lives(tmp_path, monkeypatch):
    # A package reinstalled into a new virtualenv: another path, other file dates, the same files.
    monkeypatch.setenv("CAREER_RAG_CACHE", str(tmp_path / "cache"))
    copy = _model_copy(tmp_path)
    os.utime(copy / "config.json", ns=(10**18, 10**18))
    assert export_dir(copy) == export_dir(MODEL)
    pooling = copy / "1_Pooling" / "config.json"
    pooling.write_text(pooling.read_text().replace('"pooling_mode_cls_token": false', '"pooling_mode_cls_token": true '))
    assert export_dir(copy) != export_dir(MODEL)


def test_batch_order_and_grouping_do_not_change_vectors(minilm):
    if not isinstance(minilm, OnnxEmbedding):
        pytest.skip("the default backend fell back to torch here")
    together = np.asarray(minilm.get_text_embedding_batch(TEXTS))
    alone = np.asarray([minilm.get_text_embedding(t) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-5)
    assert np.allclose(minilm.get_query_embedding(TEXTS[0]), together[0], atol=1e-6)


def test_query_path_never_imports_torch(minilm):
    # minilm has warmed the default cache; a new process must answer from it alone.
    code = (
        "import sys\n"
        "from rag.models.embedding import load_embedder\n"
        "e = load_embedder('all-MiniLM-L6-v2')\n"
        "assert len(e.get_query_embedding('what is a data engineer?')) == 384\n"
        "print(type(e).__name__, sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["OnnxEmbedding", "[]"]


def test_auto_falls_back_to_torch_where_onnx_cannot_reproduce_the_model(tmp_path, monkeypatch):
    monkeypatch.setenv("CAREER_RAG_CACHE", str(tmp_path / "cache"))
    folder = _model_copy(tmp_path, {"pooling_mode_mean_tokens": False, "pooling_mode_max_tokens": True})
    embedder = load_embedder(str(folder), 8, 1, "auto")
    assert type(embedder).__name__ == "HuggingFaceEmbedding"
    assert len(embedder.get_query_embedding("hello")) == 384
    with pytest.raises(EmbeddingModelError, match="onnxruntime"):
        load_embedder(str(folder), 8, 1, "onnx")
    assert not (tmp_path / "cache").exists()


def test_unwritable_cache_falls_back_instead_of_failing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CAREER_RAG_CACHE", str(blocker / "cache"))
    with pytest.raises(OnnxUnavailable, match="cannot write"):
        ensure_export(MODEL)
    embedder = load_embedder(str(MODEL), 16, 1, "auto")
    assert type(embedder).__name__ == "HuggingFaceEmbedding"


def test_two_processes_exporting_at_once_both_succeed(tmp_path):
    env = {**os.environ, "CAREER_RAG_CACHE": str(tmp_path / "cache")}
    code = ("from rag.models.embedding import load_embedder\n"
            "print(type(load_embedder('all-MiniLM-L6-v2', 64, 1)).__name__)\n")
    procs = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    assert [out.strip() for out, _ in outs] == ["OnnxEmbedding", "OnnxEmbedding"]
    exports = sorted(p.name for p in (tmp_path / "cache" / "onnx").iterdir())
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CAREER_RAG_CACHE", str(tmp_path / "cache"))
        assert exports == [export_dir(MODEL).name]  # one export, no half-written folders left
